import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectNoChangeMissing,
  expectPerKeyOrder,
  type Load,
  randomPause,
  replay,
  startLoad,
  tableState,
  waitForReplay,
} from '../../harness/cdc.js';
import { fileSink, readEvents } from '../../harness/file-sink.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { type Event, pgConnector } from './pg-e2e.js';

const TABLES = ['ka', 'kb', 'kc'];

let pgs: PostgresServer;
let dir: string;

beforeAll(async () => {
  pgs = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'sluice-pgkill-'));
});
afterAll(async () => {
  await pgs?.stop();
  if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
});

describe('postgres source under SIGKILL', () => {
  it('after five kills under load on three tables, replay by key equals the database and per-key order holds', async () => {
    for (const t of TABLES) {
      await pgs.sql(
        `CREATE TABLE ${t} (id int PRIMARY KEY, v int NOT NULL); INSERT INTO ${t} SELECT g, 0 FROM generate_series(1, 2000) g`,
      );
    }
    const out = join(dir, 'out.jsonl');
    const connectors = [
      pgConnector(pgs, 'pgkill', { 'table.include.list': 'public\\.k[abc]', 'snapshot.fetch.size': '500' }),
      fileSink(
        'sink',
        out,
        TABLES.map((t) => `srv.public.${t}`),
      ),
    ];
    const worker = { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '700' };
    const client = await pgs.client();
    let load: Load | undefined;
    let w: WorkerProcess | undefined;
    try {
      for (let k = 0; k < 5; k++) {
        w = await startWorker({ dir, worker, connectors });
        if (!load) {
          // Changes from the slot's creation on must all arrive; earlier ones only as the snapshot's state.
          await waitFor(
            async () =>
              (await pgs.sql("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'pgkill_slot'")).length > 0,
            30_000,
            'the slot',
          );
          // The rows of the initial snapshot are not updated: only ids the load inserted, 5 live per table at least.
          load = startLoad({
            tables: TABLES,
            exec: (sql) => client.query(sql),
            firstId: 10_000,
            insertBelow: 0.5,
            updateBelow: 0.85,
            minLive: 5,
          });
        }
        await randomPause(800, 2500);
        await w.kill();
      }
      const log = await (load as Load).stop();
      w = await startWorker({ dir, worker, connectors });
      const running = w;
      const finalRows = await tableState(TABLES, (t) => pgs.sql<{ id: number; v: number }>(`SELECT id, v FROM ${t}`));
      await waitForReplay({
        read: () => readEvents<Event>(out),
        expected: finalRows,
        timeoutMs: 90_000,
        diagnose: async () => {
          const evs = readEvents<Event>(out);
          return [
            `last lsn ${evs[evs.length - 1]?.source.lsn}`,
            await pgs.sql(
              'SELECT slot_name, active, restart_lsn::text, confirmed_flush_lsn::text, pg_current_wal_lsn()::text AS now FROM pg_replication_slots',
            ),
            await pgs.sql('SELECT sent_lsn::text, write_lsn::text, flush_lsn::text, state FROM pg_stat_replication'),
            running.logs().slice(-3000),
          ];
        },
      });
      const events = readEvents<Event>(out);
      expect(replay(events)).toEqual(finalRows);
      expectNoChangeMissing(events, log);
      expectPerKeyOrder(events, 'increasing');
      expect(log.length).toBeGreaterThan(100);
    } finally {
      await load?.stop().catch(() => undefined);
      await client.end();
      if (w) await w.stop();
    }
  }, 300_000);
});
