import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';
import { fileSink, readEvents } from '../../harness/file-sink.js';
import { type Event, pgConnector } from './pg-e2e.js';
import { foreignSlotHolder, TaskDriver } from './task-driver.js';

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
  it('events delivered but not committed when the worker is SIGKILLed are delivered again', async () => {
    await pg.sql('CREATE TABLE redo (id int PRIMARY KEY, v int)');
    const sub = join(dir, 'redo');
    const out = join(sub, 'out.jsonl');
    const connectors = [
      pgConnector(pg, 'redo', { 'table.include.list': 'public\\.redo', 'snapshot.mode': 'no_data' }),
      fileSink('sink', out, ['srv.public.redo']),
    ];
    // No offset commit (and so no sink flush) within the test: the worker delivers the changes but commits nothing.
    const lazy = { 'offset.storage.file.filename': join(sub, 'offsets.json'), 'offset.flush.interval.ms': '3600000' };
    let w: WorkerProcess = await startWorker({ dir: sub, worker: lazy, connectors });
    try {
      await waitFor(
        async () =>
          // Not only connected: a walsender still creating the slot shows too, with no confirmed position yet.
          (
            await pg.sql(
              "SELECT 1 FROM pg_stat_replication WHERE application_name = 'sluice-redo' AND state = 'streaming'",
            )
          ).length > 0,
        30_000,
        'streaming',
      );
      await pg.sql('INSERT INTO redo SELECT g, 1 FROM generate_series(1, 20) g');
      // Read after the INSERT has committed (in one multi-statement query it would be read before the commit).
      const [{ lsn: end }] = await pg.sql<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
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
      // Delivered (the sink wrote them) but not durable: no flush, no commit, so the slot stays before the changes.
      // (While nothing was pending the connector may have confirmed the idle position — docs/postgres.md, "Idle
      // tables" — so the slot need not be where it was at start: only never at or past the uncommitted commit.)
      await waitFor(() => readEvents<Event>(out).length >= 20, 30_000, 'the 20 events in the file before any commit');
      const [slot] = await pg.sql<{ lsn: string; before: boolean }>(
        "SELECT confirmed_flush_lsn::text AS lsn, confirmed_flush_lsn < $1::pg_lsn AS before FROM pg_replication_slots WHERE slot_name = 'redo_slot'",
        [end],
      );
      expect(slot, `confirmed_flush_lsn ${slot.lsn} must stay before ${end}`).toMatchObject({ before: true });
      await w.kill();
      const ids = Array.from({ length: 20 }, (_, i) => i + 1);
      w = await startWorker({ dir: sub, worker: { ...lazy, 'offset.flush.interval.ms': '300' }, connectors });
      await waitFor(() => readEvents<Event>(out).length >= 40, 30_000, 'the 20 events again after the restart');
      expect(readEvents<Event>(out).map((e) => e.after?.id)).toEqual([...ids, ...ids]);
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

  it('every bad input shows its cause and fix in the REST status; a slot released later is picked up', async () => {
    const replica = await startPostgres({ settings: { wal_level: 'replica' } });
    await pg.sql(`CREATE TABLE bad_ok (id int PRIMARY KEY); CREATE TABLE bad_nopk (a int);
      CREATE ROLE bad_norep LOGIN PASSWORD 'pw'; GRANT SELECT ON bad_ok TO bad_norep;
      CREATE PUBLICATION bad_norep_pub FOR TABLE bad_ok`);
    const ok = { 'table.include.list': 'public\\.bad_ok' };
    // A slot streamed by another sluice connector fails this one at once (a slot has one reader); a slot held by a
    // client that is not sluice is retried until it is free.
    const busy = new TaskDriver(
      {
        ...pg.connectorConfig(),
        ...ok,
        'topic.prefix': 'other',
        'slot.name': 'bad_busy_slot',
        'publication.name': 'bad_busy_pub',
        'snapshot.mode': 'never',
      },
      new Map(),
      'other_connector',
    );
    await busy.start();
    await busy.pollOnce();
    await pg.sql('CREATE PUBLICATION bad_wait_pub FOR TABLE bad_ok');
    const foreign = await foreignSlotHolder(pg, 'bad_wait_slot', 'bad_wait_pub');
    const holders = [busy, foreign];
    const sub = join(dir, 'fail');
    const out = join(sub, 'out.jsonl');
    const w = await startWorker({
      dir: sub,
      worker: { 'offset.storage.file.filename': join(sub, 'offsets.json'), 'offset.flush.interval.ms': '300' },
      connectors: [
        pgConnector(pg, 'bad_password', { ...ok, 'database.password': 'wrong' }),
        pgConnector(replica, 'bad_wal', ok),
        pgConnector(pg, 'bad_pub', { ...ok, 'publication.name': 'absent', 'publication.autocreate.mode': 'disabled' }),
        pgConnector(pg, 'bad_ident', { 'table.include.list': 'public\\.bad_nopk' }),
        pgConnector(pg, 'bad_norep', {
          ...ok,
          'database.user': 'bad_norep',
          'database.password': 'pw',
          'publication.name': 'bad_norep_pub',
          'publication.autocreate.mode': 'disabled',
        }),
        pgConnector(pg, 'bad_busy', { ...ok, 'snapshot.mode': 'never', 'errors.retry.timeout': '2000' }),
        pgConnector(pg, 'bad_wait', {
          ...ok,
          'snapshot.mode': 'never',
          'topic.prefix': 'waiting',
          'errors.retry.delay.max.ms': '1000',
        }),
        fileSink('sink', out, ['waiting.public.bad_ok']),
      ],
    });
    try {
      const expected: Record<string, RegExp[]> = {
        bad_password: [/password authentication failed for user "postgres"/, /Fix: set database.password/],
        bad_wal: [/wal_level is "replica"/, /wal_level = logical/],
        bad_pub: [/publication "absent" does not exist/, /CREATE PUBLICATION "absent"/],
        bad_ident: [/public\.bad_nopk has no replica identity/, /REPLICA IDENTITY FULL/],
        bad_norep: [/user "bad_norep" may not open a replication connection/, /ALTER ROLE bad_norep REPLICATION/],
        bad_busy: [/replication slot "bad_busy_slot" is in use by connector "other_connector"/, /set slot\.name/],
      };
      for (const [name, patterns] of Object.entries(expected)) {
        const task = await waitFor(
          async () => {
            const s = await w.rest<{ tasks: Array<{ state: string; trace?: string }> }>(`/connectors/${name}/status`);
            return s.body.tasks?.[0]?.state === 'FAILED' ? s.body.tasks[0] : undefined;
          },
          30_000,
          `${name} to fail`,
        );
        for (const p of patterns) expect(task.trace, name).toMatch(p);
      }
      // The other client lets go of its slot: the retrying task takes it and streams.
      const state = async () =>
        (await w.rest<{ tasks: Array<{ state: string }> }>('/connectors/bad_wait/status')).body.tasks?.[0]?.state;
      expect(await state()).toBe('RUNNING');
      await holders[1].stop();
      await waitFor(
        async () =>
          (await pg.sql("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'bad_wait_slot' AND active")).length > 0,
        30_000,
        'the waiting task to take the slot',
      );
      await pg.sql('INSERT INTO bad_ok VALUES (1)');
      await waitFor(() => readEvents<Event>(out).length >= 1, 30_000, 'the event of the waiting task');
      expect(readEvents<Event>(out).map((e) => e.after?.id)).toEqual([1]);
      expect(await state()).toBe('RUNNING');
    } finally {
      await w.stop();
      for (const h of holders) await h.stop();
      await replica.stop();
    }
  });
});
