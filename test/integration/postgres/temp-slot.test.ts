import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { call, fileSink, waitState } from '../rest/support.js';
import { pgConnector } from './pg-e2e.js';

/**
 * Issue 21 point 4, seen from the server: the temporary slot and the "idle in transaction" sessions of a snapshot
 * of an existing slot live only as long as that snapshot. A restart leaves only the new snapshot's; DELETE none.
 */
describe('postgres source: the snapshot temporary slot on restart and DELETE (worker)', () => {
  let pg: PostgresServer;
  let dir: string;
  let w: WorkerProcess;

  beforeAll(async () => {
    pg = await startPostgres();
    await pg.sql(`CREATE TABLE tmp_big (id int PRIMARY KEY, v text);
      INSERT INTO tmp_big SELECT g, repeat('v', 100) FROM generate_series(1, 20000) g`);
    await pg.sql("SELECT pg_create_logical_replication_slot('tmpw_slot', 'pgoutput')");
    dir = mkdtempSync(join(tmpdir(), 'sluice-tmpslot-'));
  });
  afterAll(async () => {
    await w?.stop();
    await pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const onServer = async () => {
    const temp = await pg.sql<{ slot_name: string }>(
      "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'tmpw\\_slot\\_snap\\_%'",
    );
    const sessions = await pg.sql<{ application_name: string; state: string }>(
      "SELECT application_name, state FROM pg_stat_activity WHERE application_name LIKE 'sluice-tmpw%'",
    );
    return { temp: temp.length, sessions };
  };

  it('restart keeps one snapshot at a time; DELETE leaves no temporary slot and no session', async () => {
    w = await startWorker({
      dir,
      worker: { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '300' },
      connectors: [
        pgConnector(pg, 'tmpw', {
          'table.include.list': 'public\\.tmp_big',
          'slot.name': 'tmpw_slot',
          'max.queue.size': '50',
          'max.batch.size': '50',
          'snapshot.fetch.size': '50',
        }),
        fileSink('tmpsink', join(dir, 'out.jsonl'), 'srv.public.tmp_big'),
      ],
    });
    await waitState(w, 'tmpw', 'RUNNING');
    // Hold the snapshot mid-way: the sink takes nothing, so the source waits with its queue full.
    expect((await call(w, 'PUT', '/connectors/tmpsink/pause')).status).toBe(202);
    await waitFor(async () => (await onServer()).temp === 1, 30_000, 'the snapshot to hold its temporary slot');

    expect((await call(w, 'POST', '/connectors/tmpw/restart?includeTasks=true')).status).toBe(202);
    await waitState(w, 'tmpw', 'RUNNING');
    await waitFor(async () => (await onServer()).temp === 1, 30_000, 'the new snapshot to hold its temporary slot');
    const during = await onServer();
    expect(during.temp).toBe(1);
    expect(during.sessions.filter((s) => s.state === 'idle in transaction').length).toBeLessThanOrEqual(2);

    expect((await call(w, 'DELETE', '/connectors/tmpw')).status).toBe(204);
    const after = await waitFor(
      async () => {
        const s = await onServer();
        return s.temp === 0 && s.sessions.length === 0 ? s : undefined;
      },
      30_000,
      'the temporary slot and the sessions to go',
    );
    expect(after.temp).toBe(0);
    // The connector's own slot stays (slot.drop.on.stop is false).
    expect(await pg.sql("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'tmpw_slot'")).toHaveLength(1);
  });
});
