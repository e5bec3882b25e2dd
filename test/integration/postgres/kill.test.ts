import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';
import { type Event, fileSink, pgConnector, readEvents, replay } from './pg-e2e.js';

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

interface Committed {
  table: string;
  id: number;
  op: 'c' | 'u' | 'd';
  v: number;
}

/** Small random transactions on three tables until stopped; logs every committed change. */
function startLoad(client: pg.Client, firstId: number): { stop: () => Promise<Committed[]> } {
  const log: Committed[] = [];
  const live = new Map<string, number[]>(TABLES.map((t) => [t, []]));
  let stopped = false;
  let nextId = firstId;
  let version = 1_000_000;
  const run = (async () => {
    while (!stopped) {
      const ops: Committed[] = [];
      const sql: string[] = [];
      const n = 1 + Math.floor(Math.random() * 4);
      for (let i = 0; i < n; i++) {
        const table = TABLES[Math.floor(Math.random() * TABLES.length)];
        const ids = live.get(table)!;
        const r = Math.random();
        const v = version++;
        if (r < 0.5 || ids.length < 5) {
          const id = nextId++;
          ids.push(id);
          sql.push(`INSERT INTO ${table} VALUES (${id}, ${v})`);
          ops.push({ table, id, op: 'c', v });
        } else if (r < 0.85) {
          const id = ids[Math.floor(Math.random() * ids.length)];
          sql.push(`UPDATE ${table} SET v = ${v} WHERE id = ${id}`);
          ops.push({ table, id, op: 'u', v });
        } else {
          const id = ids.splice(Math.floor(Math.random() * ids.length), 1)[0];
          sql.push(`DELETE FROM ${table} WHERE id = ${id}`);
          ops.push({ table, id, op: 'd', v });
        }
      }
      await client.query(`BEGIN; ${sql.join('; ')}; COMMIT`);
      log.push(...ops);
      await new Promise((r) => setTimeout(r, 3));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await run;
      return log;
    },
  };
}

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
    let load: ReturnType<typeof startLoad> | undefined;
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
          load = startLoad(client, 10_000);
        }
        await new Promise((r) => setTimeout(r, 800 + Math.random() * 2500));
        await w.kill();
      }
      const log = await load!.stop();
      w = await startWorker({ dir, worker, connectors });
      const finalRows = new Map<string, Record<string, unknown>>();
      for (const t of TABLES) {
        for (const r of await pgs.sql<{ id: number; v: number }>(`SELECT id, v FROM ${t}`))
          finalRows.set(`${t}:${r.id}`, { id: r.id, v: r.v });
      }
      const same = () => {
        const state = replay(readEvents(out));
        if (state.size !== finalRows.size) return false;
        for (const [k, v] of finalRows) if (state.get(k)?.v !== v.v) return false;
        return true;
      };
      try {
        await waitFor(same, 90_000, `replay of ${out} to equal the database (${finalRows.size} rows)`);
      } catch (err) {
        const state = replay(readEvents(out));
        const wrong = [...finalRows].filter(([k, v]) => state.get(k)?.v !== v.v).slice(0, 5);
        const slots = await pgs.sql(
          'SELECT slot_name, active, restart_lsn::text, confirmed_flush_lsn::text, pg_current_wal_lsn()::text AS now FROM pg_replication_slots',
        );
        const stat = await pgs.sql(
          'SELECT sent_lsn::text, write_lsn::text, flush_lsn::text, state FROM pg_stat_replication',
        );
        const evs = readEvents(out);
        console.log(
          `replayed ${state.size} rows, database ${finalRows.size}; events ${evs.length}, last lsn ${evs[evs.length - 1]?.source.lsn}; first differences`,
          wrong,
          slots,
          stat,
          w.logs().slice(-3000),
        );
        throw err;
      }
      const events = readEvents(out);
      expect(replay(events)).toEqual(finalRows);

      // No committed change is missing.
      const seen = new Set(events.map((e) => key(e)));
      const missing = log.filter((c) => !seen.has(c.op === 'd' ? `${c.table}:${c.id}:d` : `${c.table}:${c.id}:${c.v}`));
      expect(missing).toEqual([]);

      // Per-key order: dropping replays (events seen before), each key's versions only grow and nothing follows its delete.
      const first = new Set<string>();
      const lastV = new Map<string, number>();
      const deleted = new Set<string>();
      for (const e of events) {
        const id = key(e);
        if (first.has(id)) continue;
        first.add(id);
        const row = (e.after ?? e.before) as { id: number };
        const k = `${e.source.table}:${row.id}`;
        expect(deleted.has(k), `event after delete for ${k}`).toBe(false);
        if (e.op === 'd') deleted.add(k);
        else {
          const v = (e.after as { v: number }).v;
          expect(v, `version order for ${k}`).toBeGreaterThan(lastV.get(k) ?? -1);
          lastV.set(k, v);
        }
      }
      expect(log.length).toBeGreaterThan(100);
    } finally {
      await load?.stop().catch(() => undefined);
      await client.end();
      if (w) await w.stop();
    }
  }, 300_000);
});

function key(e: Event): string {
  const row = (e.after ?? e.before) as { id: number; v?: number };
  return e.op === 'd' ? `${e.source.table}:${row.id}:d` : `${e.source.table}:${row.id}:${(e.after as { v: number }).v}`;
}
