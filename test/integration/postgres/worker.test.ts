import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';
import { fileSink, pgConnector, readEvents } from './pg-e2e.js';

let pg: PostgresServer;
let dir: string;
beforeAll(async () => {
  pg = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'sluice-pgworker-'));
});
afterAll(async () => {
  await pg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function slotExists(name: string): Promise<boolean> {
  return (await pg.sql('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [name])).length > 0;
}

describe('postgres source in the worker', () => {
  it('events received but not committed when the worker is SIGKILLed are delivered again', async () => {
    await pg.sql('CREATE TABLE redo (id int PRIMARY KEY, v int)');
    const sub = join(dir, 'redo');
    const out = join(sub, 'out.jsonl');
    const connectors = [
      pgConnector(pg, 'redo', { 'table.include.list': 'public\\.redo', 'snapshot.mode': 'no_data' }),
      fileSink('sink', out, ['srv.public.redo']),
    ];
    // No offset commit (and so no sink flush) within the test: the worker receives the changes but commits nothing.
    const lazy = { 'offset.storage.file.filename': join(sub, 'offsets.json'), 'offset.flush.interval.ms': '3600000' };
    let w: WorkerProcess = await startWorker({ dir: sub, worker: lazy, connectors });
    try {
      await waitFor(
        async () =>
          (await pg.sql("SELECT 1 FROM pg_stat_replication WHERE application_name = 'sluice-redo'")).length > 0,
        30_000,
        'streaming',
      );
      const [{ lsn: before }] = await pg.sql<{ lsn: string }>(
        "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'redo_slot'",
      );
      const [{ lsn: end }] = await pg.sql<{ lsn: string }>(
        'INSERT INTO redo SELECT g, 1 FROM generate_series(1, 20) g; SELECT pg_current_wal_lsn()::text AS lsn',
      );
      // The walsender has sent the changes: the worker received them.
      await waitFor(
        async () =>
          (
            await pg.sql(
              "SELECT 1 FROM pg_stat_replication WHERE application_name = 'sluice-redo' AND sent_lsn >= $1::pg_lsn",
              [end],
            )
          ).length > 0,
        30_000,
        'the changes to be sent to the worker',
      );
      const [{ lsn: atKill }] = await pg.sql<{ lsn: string }>(
        "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'redo_slot'",
      );
      expect(atKill).toBe(before);
      await w.kill();
      expect(readEvents(out)).toHaveLength(0);
      w = await startWorker({ dir: sub, worker: { ...lazy, 'offset.flush.interval.ms': '300' }, connectors });
      await waitFor(() => readEvents(out).length >= 20, 30_000, 'the 20 events after the restart');
      expect(readEvents(out).map((e) => e.after?.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      await waitFor(
        async () =>
          (
            await pg.sql(
              "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'redo_slot' AND confirmed_flush_lsn >= $1::pg_lsn",
              [end],
            )
          ).length > 0,
        30_000,
        'the slot to be confirmed past the changes once committed',
      );
    } finally {
      await w.stop();
    }
  });

  it('deleting the connector drops its slot with slot.drop.on.stop=true and keeps it with false', async () => {
    await pg.sql('CREATE TABLE dropme (id int PRIMARY KEY)');
    const sub = join(dir, 'drop');
    const w = await startWorker({
      dir: sub,
      worker: { 'offset.storage.file.filename': join(sub, 'offsets.json'), 'offset.flush.interval.ms': '500' },
      connectors: [
        pgConnector(pg, 'dropyes', { 'table.include.list': 'public\\.dropme', 'slot.drop.on.stop': 'true' }),
        pgConnector(pg, 'dropno', { 'table.include.list': 'public\\.dropme', 'slot.drop.on.stop': 'false' }),
      ],
    });
    try {
      await waitFor(
        async () => (await slotExists('dropyes_slot')) && (await slotExists('dropno_slot')),
        30_000,
        'both slots',
      );
      const running = async (n: string) =>
        (await w.rest<{ tasks: Array<{ state: string }> }>(`/connectors/${n}/status`)).body.tasks?.[0]?.state ===
        'RUNNING';
      await waitFor(async () => (await running('dropyes')) && (await running('dropno')), 30_000, 'both tasks running');
      expect((await w.rest('/connectors/dropyes', { method: 'DELETE' })).status).toBe(204);
      expect((await w.rest('/connectors/dropno', { method: 'DELETE' })).status).toBe(204);
      await waitFor(async () => !(await slotExists('dropyes_slot')), 15_000, 'dropyes_slot to be dropped');
      expect(await slotExists('dropno_slot')).toBe(true);
      const [{ active }] = await pg.sql<{ active: boolean }>(
        "SELECT active FROM pg_replication_slots WHERE slot_name = 'dropno_slot'",
      );
      expect(active).toBe(false);
    } finally {
      await w.stop();
    }
  });

  it('a failing task shows the cause and the fix in its REST status', async () => {
    const sub = join(dir, 'fail');
    const w = await startWorker({
      dir: sub,
      worker: { 'offset.storage.file.filename': join(sub, 'offsets.json') },
      connectors: [pgConnector(pg, 'badpw', { 'database.password': 'wrong' })],
    });
    try {
      const status = await waitFor(
        async () => {
          const s = await w.rest<{ tasks: Array<{ state: string; trace?: string }> }>('/connectors/badpw/status');
          return s.body.tasks?.[0]?.state === 'FAILED' ? s.body.tasks[0] : undefined;
        },
        30_000,
        'the task to fail',
      );
      expect(status.trace).toMatch(/password authentication failed for user "postgres"/);
      expect(status.trace).toMatch(/Fix: set database.password/);
    } finally {
      await w.stop();
    }
  });
});
