import type { Client as PgClient, QueryResult } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../../runtime/api/index.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { TaskDriver } from './task-driver.js';

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
  source: { snapshot: string };
};
const envs = (records: readonly ChangeRecord[]) => records.filter((r) => r.value !== null).map((r) => r.value as Env);

function replay(records: readonly ChangeRecord[]): Map<number, number> {
  const state = new Map<number, number>();
  for (const e of envs(records)) {
    if (e.op === 'd') state.delete(e.before!.id);
    else if (e.after) state.set(e.after.id, e.after.v);
  }
  return state;
}

async function tableState(table: string): Promise<Map<number, number>> {
  const rows = await pg.sql<{ id: number; v: number }>(`SELECT id, v FROM ${table}`);
  return new Map(rows.map((r) => [r.id, r.v]));
}

function config(table: string, slot: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...pg.connectorConfig(),
    'topic.prefix': 'srv',
    'table.include.list': `public\\.${table}`,
    'slot.name': slot,
    'publication.name': slot,
    'publication.autocreate.mode': 'filtered',
    ...extra,
  };
}

interface Write {
  op: 'u' | 'c' | 'd';
  id: number;
  v: number;
}

/** Updates, inserts and deletes on `table` in small transactions until stopped; returns what it committed. */
function writer(client: PgClient, table: string, maxId: number): { stop: () => Promise<Write[]> } {
  let stopped = false;
  let v = 1;
  let next = maxId + 1;
  const log: Write[] = [];
  const run = (async () => {
    while (!stopped) {
      v++;
      const upd = 1 + Math.floor(Math.random() * maxId);
      const del = 1 + Math.floor(Math.random() * maxId);
      const res = await client.query(
        `BEGIN; UPDATE ${table} SET v = ${v} WHERE id = ${upd}; INSERT INTO ${table} (id, v) VALUES (${next}, ${v}); DELETE FROM ${table} WHERE id = ${del}; COMMIT`,
      );
      const counts = (res as unknown as QueryResult[]).map((r) => r.rowCount);
      if (counts[1]) log.push({ op: 'u', id: upd, v });
      log.push({ op: 'c', id: next++, v });
      if (counts[3]) log.push({ op: 'd', id: del, v });
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

describe('postgres source: snapshot', () => {
  it('100,000 rows with writes during the snapshot: replay by key equals the final table, no change missing', async () => {
    await pg.sql(
      "CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL DEFAULT repeat('x', 60)); INSERT INTO big (id, v) SELECT g, 0 FROM generate_series(1, 100000) g",
    );
    const d = new TaskDriver(
      config('big', 'big', { 'snapshot.fetch.size': '4000', 'max.queue.size': '4096', 'max.batch.size': '1024' }),
    );
    const client = await pg.client();
    await d.start();
    const w = writer(client, 'big', 100_000);
    let writes: Write[] = [];
    try {
      await d.pollUntil((r) => r.some((x) => (x.value as Env | null)?.source.snapshot === 'last'), 120_000);
      writes = await w.stop();
      const final = await tableState('big');
      await d.pollUntil(() => {
        const s = replay(d.records);
        return s.size === final.size && [...final].every(([k, v]) => s.get(k) === v);
      }, 60_000);
      expect(replay(d.records)).toEqual(final);
      const all = envs(d.records);
      // Writes ran during the snapshot. Those committed before its point show in the snapshot's rows (the
      // replay above); every later one must be an event of its own.
      expect(writes.length).toBeGreaterThan(30);
      const snapshotV = Math.max(...all.filter((e) => e.op === 'r').map((e) => e.after!.v));
      const events = new Set(
        all.map((e) => (e.op === 'd' ? `d${e.before!.id}` : `${e.op}${e.after!.id}:${e.after!.v}`)),
      );
      const later = writes.filter((x) => x.v > snapshotV);
      expect(later.length).toBeGreaterThan(0);
      expect(later.filter((x) => !events.has(x.op === 'd' ? `d${x.id}` : `${x.op}${x.id}:${x.v}`))).toEqual([]);
      const lastV = new Map<number, number>();
      for (const e of all) {
        if (!e.after) continue;
        expect(e.after.v).toBeGreaterThanOrEqual(lastV.get(e.after.id) ?? 0);
        lastV.set(e.after.id, e.after.v);
      }
      // No snapshot row twice, none after the stream began.
      const snapIds = all.filter((e) => e.op === 'r').map((e) => e.after!.id);
      expect(new Set(snapIds).size).toBe(snapIds.length);
      const firstStream = all.findIndex((e) => e.op !== 'r');
      expect(all.slice(firstStream).every((e) => e.op !== 'r')).toBe(true);
    } finally {
      await w.stop();
      await client.end();
      await d.stop();
    }
  }, 300_000);

  /**
   * A crash after part of the snapshot was delivered and committed: the next start catches the stream up to a
   * new snapshot point, re-reads the snapshot, and goes on. A row deleted meanwhile gets its delete.
   */
  for (const mode of ['initial', 'when_needed', 'always', 'initial_only'] as const) {
    it(`crash mid-snapshot, snapshot.mode=${mode}: the snapshot is redone and nothing is lost`, async () => {
      const table = `mid_${mode}`;
      await pg.sql(
        `CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL); INSERT INTO ${table} SELECT g, 0 FROM generate_series(1, 3000) g`,
      );
      const raw = config(table, table, {
        'snapshot.mode': mode,
        'snapshot.fetch.size': '100',
        'max.batch.size': '100',
        'max.queue.size': '200',
      });
      const first = new TaskDriver(raw);
      await first.start();
      await first.pollUntil((r) => r.length >= 500);
      await first.stop();
      const partial = envs(first.records);
      expect(partial.every((e) => e.op === 'r')).toBe(true);
      expect(partial.some((e) => e.source.snapshot === 'last')).toBe(false);
      const seenId = partial[10].after!.id;
      await pg.sql(`DELETE FROM ${table} WHERE id = ${seenId}; UPDATE ${table} SET v = 1 WHERE id = 2999`);

      const second = new TaskDriver(raw, first.committed);
      await second.start();
      try {
        await second.pollUntil((r) => r.some((x) => (x.value as Env | null)?.source.snapshot === 'last'), 60_000);
        await pg.sql(`INSERT INTO ${table} VALUES (5000, 5)`);
        const after = envs(await second.drain(1500));
        const del = after.findIndex((e) => e.op === 'd' && e.before?.id === seenId);
        expect(del).toBeGreaterThanOrEqual(0);
        expect(after.filter((e) => e.op === 'r')).toHaveLength(2999);
        expect(after.findIndex((e) => e.op === 'r')).toBeGreaterThan(del);
        const streamed = after.some((e) => e.op === 'c' && e.after?.id === 5000);
        expect(streamed).toBe(mode !== 'initial_only');
        const all = [...first.records, ...second.records];
        const expected = await tableState(table);
        if (mode === 'initial_only') expected.delete(5000);
        expect(replay(all)).toEqual(expected);
      } finally {
        await second.stop();
      }
      if (mode === 'always') {
        // always: every start snapshots again, after catching up with what changed while stopped.
        await pg.sql(`UPDATE ${table} SET v = 7 WHERE id = 1`);
        const third = new TaskDriver(raw, first.committed);
        await third.start();
        try {
          await third.pollUntil((r) => r.some((x) => (x.value as Env | null)?.source.snapshot === 'last'), 60_000);
          const e = envs(third.records);
          expect(e.filter((x) => x.op === 'r')).toHaveLength(3000);
          expect(e.findIndex((x) => x.op === 'u' && x.after?.id === 1)).toBeLessThan(e.findIndex((x) => x.op === 'r'));
        } finally {
          await third.stop();
        }
      }
    }, 120_000);
  }

  it('marks first and last of the snapshot and of each table as Debezium does; the offset marks the final record', async () => {
    await pg.sql(
      'CREATE TABLE mk_a (id int PRIMARY KEY, v int NOT NULL); INSERT INTO mk_a SELECT g, g FROM generate_series(1, 3) g;' +
        'CREATE TABLE mk_b (id int PRIMARY KEY, v int NOT NULL); INSERT INTO mk_b VALUES (1, 1);' +
        'CREATE TABLE mk_c (id int PRIMARY KEY, v int NOT NULL); INSERT INTO mk_c SELECT g, g FROM generate_series(1, 4) g;' +
        'CREATE TABLE mk_d (id int PRIMARY KEY, v int NOT NULL); INSERT INTO mk_d SELECT g, g FROM generate_series(1, 2) g;' +
        'CREATE TABLE mk_e (id int PRIMARY KEY, v int NOT NULL)',
    );
    const marks = (records: readonly ChangeRecord[]) =>
      records
        .filter((r) => r.value !== null)
        .map((r) => `${r.topic.split('.')[2]}:${(r.value as Env).after!.id} ${(r.value as Env).source.snapshot}`);
    const lastFlags = (records: readonly ChangeRecord[]) =>
      records.map((r) => (r.sourceOffset as { last_snapshot_record?: boolean }).last_snapshot_record);

    // Tables are read in name order: mk_a (3 rows), mk_b (1 row), mk_c (4 rows).
    const d = new TaskDriver(config('mk_(a|b|c)', 'mk_abc'));
    await d.start();
    try {
      await d.pollUntil((r) => r.length >= 8);
      expect(marks(d.records)).toEqual([
        'mk_a:1 first',
        'mk_a:2 true',
        'mk_a:3 last_in_data_collection',
        'mk_b:1 last_in_data_collection',
        'mk_c:1 first_in_data_collection',
        'mk_c:2 true',
        'mk_c:3 true',
        'mk_c:4 last',
      ]);
      expect(lastFlags(d.records)).toEqual([false, false, false, false, false, false, false, true]);
      // Rows of a table share their source blocks: one per marker, not one per row.
      const sources = d.records.map((r) => (r.value as Env).source);
      expect(sources[5]).toBe(sources[6]);
      expect(new Set(sources).size).toBe(7);
    } finally {
      await d.stop();
    }

    // The last table is empty: the final record comes from mk_d and is the snapshot's last, in source and offset.
    const e = new TaskDriver(config('mk_(d|e)', 'mk_de'));
    await e.start();
    try {
      await e.pollUntil((r) => r.length >= 2);
      expect(marks(e.records)).toEqual(['mk_d:1 first', 'mk_d:2 last']);
      expect(lastFlags(e.records)).toEqual([false, true]);
    } finally {
      await e.stop();
    }

    // One table of one row: that row is the snapshot's last.
    const f = new TaskDriver(config('mk_b', 'mk_b'));
    await f.start();
    try {
      await f.pollUntil((r) => r.length >= 1);
      expect(marks(f.records)).toEqual(['mk_b:1 last']);
      expect(lastFlags(f.records)).toEqual([true]);
    } finally {
      await f.stop();
    }
  });

  it('snapshot.mode=when_needed takes a snapshot when the slot is gone', async () => {
    await pg.sql('CREATE TABLE wn (id int PRIMARY KEY, v int NOT NULL); INSERT INTO wn VALUES (1, 1), (2, 2)');
    const raw = config('wn', 'wn', { 'snapshot.mode': 'when_needed' });
    const first = new TaskDriver(raw);
    await first.start();
    await first.pollUntil((r) => r.length >= 2);
    await first.stop();
    await pg.sql("SELECT pg_drop_replication_slot('wn'); UPDATE wn SET v = 3 WHERE id = 2");
    const second = new TaskDriver(raw, first.committed);
    await second.start();
    try {
      await second.pollUntil((r) => r.length >= 2);
      expect(envs(second.records).map((e) => [e.op, e.after?.id, e.after?.v])).toEqual([
        ['r', 1, 1],
        ['r', 2, 3],
      ]);
    } finally {
      await second.stop();
    }
  });

  it('snapshot.mode=no_data and never emit no snapshot rows', async () => {
    await pg.sql('CREATE TABLE nd (id int PRIMARY KEY, v int NOT NULL); INSERT INTO nd VALUES (1, 1)');
    for (const mode of ['no_data', 'never']) {
      const d = new TaskDriver(config('nd', `nd_${mode}`, { 'snapshot.mode': mode }));
      await d.start();
      try {
        await pg.sql(`UPDATE nd SET v = v + 1`);
        await d.pollUntil((r) => r.length >= 1);
        expect(envs(d.records).map((e) => e.op)).toEqual(['u']);
      } finally {
        await d.stop();
      }
    }
  });
});
