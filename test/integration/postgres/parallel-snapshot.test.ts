import type { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../../runtime/api/index.js';
import { JsonConverter } from '../../../runtime/converters/json.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { buffers, TaskDriver } from './task-driver.js';

let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

type Env = {
  op: string;
  before: { id: number } | null;
  after: { id: number; v: number } | null;
  source: { snapshot: string; table: string };
};
const envs = (records: readonly ChangeRecord[]) => records.filter((r) => r.value !== null).map((r) => r.value as Env);

/** `table:id` → v, as a consumer applying the events in order ends up with. */
function replay(records: readonly ChangeRecord[]): Map<string, number> {
  const state = new Map<string, number>();
  for (const e of envs(records)) {
    if (e.op === 'd') state.delete(`${e.source.table}:${e.before!.id}`);
    else if (e.after) state.set(`${e.source.table}:${e.after.id}`, e.after.v);
  }
  return state;
}

async function tableState(tables: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of tables)
    for (const r of await pg.sql<{ id: number; v: number }>(`SELECT id, v FROM ${t}`)) out.set(`${t}:${r.id}`, r.v);
  return out;
}

/** Updates (v always grows), inserts and deletes on `table` in small transactions until stopped. */
function writer(client: PgClient, table: string, maxId: number): { stop: () => Promise<number> } {
  let stopped = false;
  let v = 1;
  let next = maxId + 1;
  let n = 0;
  const run = (async () => {
    while (!stopped) {
      v++;
      const upd = 1 + Math.floor(Math.random() * maxId);
      const del = 1 + Math.floor(Math.random() * maxId);
      await client.query(
        `BEGIN; UPDATE ${table} SET v = ${v} WHERE id = ${upd}; INSERT INTO ${table} (id, v) VALUES (${next++}, ${v}); DELETE FROM ${table} WHERE id = ${del}; COMMIT`,
      );
      n++;
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await run;
      return n;
    },
  };
}

function config(slot: string, extra: Record<string, string>): Record<string, string> {
  return {
    ...pg.connectorConfig(),
    'topic.prefix': 'srv',
    'table.include.list': 'public\\.par_a,public\\.par_b',
    'slot.name': slot,
    'publication.name': 'par_pub',
    'publication.autocreate.mode': 'filtered',
    'snapshot.fetch.size': '2000',
    'max.queue.size': '2048',
    'max.batch.size': '512',
    ...extra,
  };
}

const markers = (records: readonly ChangeRecord[]) =>
  envs(records)
    .filter((e) => e.op === 'r')
    .map((e) => e.source.snapshot);

describe('postgres source: parallel initial snapshot (snapshot.max.threads)', () => {
  it('4 threads with writes running give, by key, what 1 thread gives: the table at the snapshot point + the stream', async () => {
    await pg.sql(
      "CREATE TABLE par_a (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL DEFAULT repeat('x', 80)); INSERT INTO par_a (id, v) SELECT g, 0 FROM generate_series(1, 40000) g;" +
        'CREATE TABLE par_b (id int PRIMARY KEY, v int NOT NULL); INSERT INTO par_b SELECT g, 0 FROM generate_series(1, 500) g',
    );
    const four = new TaskDriver(
      config('par_four', { 'snapshot.max.threads': '4', 'snapshot.max.threads.multiplier': '2' }),
      new Map(),
      'par4',
    );
    const one = new TaskDriver(config('par_one', {}), new Map(), 'par1');
    // the readers in worker threads, encoding the values there (snapshot.reader.threads)
    const threaded = new TaskDriver(
      config('par_thr', {
        'snapshot.max.threads': '4',
        'snapshot.max.threads.multiplier': '2',
        'snapshot.reader.threads': 'true',
      }),
      new Map(),
      'par4t',
      { valueEncoding: new JsonConverter({ schemasEnable: false, decimalFormat: 'BASE64' }).valueEncoding() },
    );
    const client = await pg.client();
    await four.start();
    await one.start();
    await threaded.start();
    const w = writer(client, 'par_a', 40_000);
    let readers = 0;
    try {
      // Memory stays bounded with four readers: the queue never holds more than max.queue.size (+ the records a
      // marking step releases at once).
      let peakQueue = 0;
      const done = (d: TaskDriver) => (r: ChangeRecord[]) => {
        const q = buffers(d)?.queue;
        if (Array.isArray(q)) peakQueue = Math.max(peakQueue, q.length);
        else if (q && typeof (q as { length?: number }).length === 'number')
          peakQueue = Math.max(peakQueue, (q as { length: number }).length);
        return r.some((x) => (x.value as Env | null)?.source.snapshot === 'last');
      };
      // The four readers hold four sessions on the one exported snapshot while they read.
      const sampler = setInterval(() => {
        void pg
          .sql<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'sluice-par4-snapshot%'",
          )
          .then((r) => {
            readers = Math.max(readers, r[0].n);
          })
          .catch(() => undefined);
      }, 50);
      await Promise.all([
        four.pollUntil(done(four), 180_000),
        one.pollUntil(done(one), 180_000),
        threaded.pollUntil(done(threaded), 180_000),
      ]);
      clearInterval(sampler);
      expect(peakQueue).toBeLessThanOrEqual(2048 + 2);
      const writes = await w.stop();
      expect(writes).toBeGreaterThan(10);
      const final = await tableState(['par_a', 'par_b']);
      const converged = (d: TaskDriver) => () => {
        const s = replay(d.records);
        return s.size === final.size && [...final].every(([k, v]) => s.get(k) === v);
      };
      await four.pollUntil(converged(four), 60_000);
      await one.pollUntil(converged(one), 60_000);
      await threaded.pollUntil(converged(threaded), 60_000);
      expect(replay(four.records)).toEqual(final);
      expect(replay(one.records)).toEqual(replay(four.records));
      expect(replay(threaded.records)).toEqual(replay(four.records));

      for (const d of [four, one, threaded]) {
        const all = envs(d.records);
        // every row once in the snapshot, all of the snapshot before the stream
        const snap = all.filter((e) => e.op === 'r').map((e) => `${e.source.table}:${e.after!.id}`);
        expect(new Set(snap).size).toBe(snap.length);
        const firstStream = all.findIndex((e) => e.op !== 'r');
        expect(all.slice(firstStream).every((e) => e.op !== 'r')).toBe(true);
        // per key, versions never go back
        const lastV = new Map<string, number>();
        for (const e of all) {
          if (!e.after) continue;
          const k = `${e.source.table}:${e.after.id}`;
          expect(e.after.v).toBeGreaterThanOrEqual(lastV.get(k) ?? 0);
          lastV.set(k, e.after.v);
        }
        // Debezium's markers: one first (par_a's first row), one last (the final snapshot record), each table's
        // first and last once.
        const m = markers(d.records);
        expect(m.filter((x) => x === 'first')).toHaveLength(1);
        expect(m.filter((x) => x === 'last')).toHaveLength(1);
        expect(m[m.length - 1]).toBe('last');
        expect(m.filter((x) => x === 'first_in_data_collection')).toHaveLength(1);
        expect(m.filter((x) => x === 'last_in_data_collection')).toHaveLength(1);
        const lastRecord = d.records.filter((r) => (r.value as Env | null)?.op === 'r').at(-1)!;
        expect((lastRecord.sourceOffset as { last_snapshot_record?: boolean }).last_snapshot_record).toBe(true);
      }
      // The four threads really read par_a in ranges at once: its rows come interleaved, not in one page order.
      for (const d of [four, threaded]) {
        const ids = envs(d.records)
          .filter((e) => e.op === 'r' && e.source.table === 'par_a')
          .map((e) => e.after!.id);
        let descents = 0;
        for (let i = 1; i < ids.length; i++) if (ids[i] < ids[i - 1]) descents++;
        expect(descents).toBeGreaterThan(3);
      }
      expect(readers).toBeGreaterThanOrEqual(2);
      expect(four.log.some((l) => l.includes('snapshot complete') && l.includes('"threads":4'))).toBe(true);
    } finally {
      await w.stop();
      await client.end();
      await four.stop();
      await one.stop();
      await threaded.stop();
    }
  }, 300_000);
});
