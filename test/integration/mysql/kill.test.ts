import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';
import { type Event, EventTail, fileSink, mariaConnector, replay } from './e2e.js';

const TABLES = ['ka', 'kb', 'kc'];
/** rows per table before the load starts: enough that the snapshot takes a few seconds and a kill can land in it */
const ROWS = 15_000;
const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

interface Committed {
  table: string;
  id: number;
  op: 'c' | 'u' | 'd';
  v: number;
}

/** Small random multi-statement transactions on three tables until stopped; logs every committed change. */
function startLoad(conn: mysql.Connection, firstId: number): { stop: () => Promise<Committed[]>; count: () => number } {
  const log: Committed[] = [];
  const live = new Map<string, number[]>(TABLES.map((t) => [t, Array.from({ length: ROWS }, (_, i) => i + 1)]));
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
        const ids = live.get(table) as number[];
        const r = Math.random();
        const v = version++;
        if (r < 0.45) {
          const id = nextId++;
          ids.push(id);
          sql.push(`INSERT INTO kdb.${table} VALUES (${id}, ${v})`);
          ops.push({ table, id, op: 'c', v });
        } else if (r < 0.85) {
          const id = ids[Math.floor(Math.random() * ids.length)];
          sql.push(`UPDATE kdb.${table} SET v = ${v} WHERE id = ${id}`);
          ops.push({ table, id, op: 'u', v });
        } else {
          const id = ids.splice(Math.floor(Math.random() * ids.length), 1)[0];
          sql.push(`DELETE FROM kdb.${table} WHERE id = ${id}`);
          ops.push({ table, id, op: 'd', v });
        }
      }
      // Now and then a multi-row statement, so kills land inside rows events of several rows.
      if (Math.random() < 0.2) {
        const table = TABLES[Math.floor(Math.random() * TABLES.length)];
        const v = version++;
        sql.push(`UPDATE kdb.${table} SET v = ${v} WHERE id BETWEEN 100 AND 140`);
        for (const id of (live.get(table) as number[]).filter((x) => x >= 100 && x <= 140))
          ops.push({ table, id, op: 'u', v });
      }
      await conn.query(`BEGIN; ${sql.join('; ')}; COMMIT`);
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
    count: () => log.length,
  };
}

function snapshotCommitted(file: string): boolean {
  if (!existsSync(file)) return false;
  const text = readFileSync(file, 'utf8');
  return text.includes('"file"') && !text.includes('"snapshot":true');
}

const key = (e: Event) => {
  const row = (e.after ?? e.before) as { id: number; v: number };
  return e.op === 'd' ? `${e.source.table}:${row.id}:d` : `${e.source.table}:${row.id}:${row.v}`;
};

describe.runIf(!missing)('mysql source under SIGKILL (MariaDB 10.11, real worker process)', () => {
  let db: MariaDb;
  let dir: string;
  beforeAll(async () => {
    db = await startMariaDb();
    dir = await mkdtemp(join(tmpdir(), 'sluice-mykill-'));
  });
  afterAll(async () => {
    await db?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('after five kills under load on three tables, one during the snapshot, replay by key equals the database and per-key order holds', async () => {
    await db.exec('CREATE DATABASE kdb');
    for (const t of TABLES) {
      await db.exec(`CREATE TABLE kdb.${t} (id INT PRIMARY KEY, v INT NOT NULL)`);
      await db.exec(`INSERT INTO kdb.${t} SELECT seq, 0 FROM kdb.seq_1_to_${ROWS}`);
    }
    const out = join(dir, 'out.jsonl');
    const tail = new EventTail(out);
    const connectors = [
      mariaConnector(db, 'mykill', dir, { 'table.include.list': 'kdb\\.k[abc]', 'snapshot.fetch.size': '500' }),
      fileSink(
        'sink',
        out,
        TABLES.map((t) => `srv.kdb.${t}`),
      ),
    ];
    const worker = { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '700' };
    const conn = await db.connect();
    const load = startLoad(conn, 100_000);
    let w: WorkerProcess | undefined;
    try {
      const offsetsFile = join(dir, 'offsets.json');
      // Changes logged after the snapshot's completion was committed are after its position: each must show up.
      let afterSnapshot: number | undefined;
      const noteSnapshot = () => {
        if (afterSnapshot === undefined && snapshotCommitted(offsetsFile)) afterSnapshot = load.count();
      };
      let snapshotRowsAtFirstKill = 0;
      for (let k = 0; k < 5; k++) {
        w = await startWorker({ dir, worker, connectors });
        if (k === 0) {
          // The first kill lands in the snapshot, after a random share of its rows were delivered.
          const target = 1000 + Math.floor(Math.random() * ROWS);
          await waitFor(
            () => tail.read().filter((e) => e.op === 'r').length >= target,
            120_000,
            `${target} snapshot rows`,
          );
          await w.kill();
          snapshotRowsAtFirstKill = tail.read().filter((e) => e.op === 'r').length;
          noteSnapshot();
          continue;
        }
        await new Promise((r) => setTimeout(r, 800 + Math.random() * 2500));
        await w.kill();
        noteSnapshot();
      }
      expect(snapshotRowsAtFirstKill).toBeLessThan(TABLES.length * ROWS);
      const log = await load.stop();
      w = await startWorker({ dir, worker, connectors });
      await waitFor(() => snapshotCommitted(offsetsFile), 120_000, 'the snapshot to complete').catch((err) => {
        console.log(readFileSync(offsetsFile, 'utf8'), w?.logs().slice(-6000));
        throw err;
      });
      afterSnapshot ??= log.length;
      const finalRows = new Map<string, Record<string, unknown>>();
      for (const t of TABLES) {
        const [rows] = await conn.query(`SELECT id, v FROM kdb.${t}`);
        for (const r of rows as { id: number; v: number }[]) finalRows.set(`${t}:${r.id}`, { id: r.id, v: r.v });
      }
      const same = () => {
        const state = replay(tail.read());
        if (state.size !== finalRows.size) return false;
        for (const [k, v] of finalRows) if (state.get(k)?.v !== v.v) return false;
        return true;
      };
      try {
        await waitFor(same, 180_000, `replay of ${out} to equal the database (${finalRows.size} rows)`);
      } catch (err) {
        const state = replay(tail.read());
        const wrong = [...finalRows].filter(([k, v]) => state.get(k)?.v !== v.v).slice(0, 5);
        const [firstKey] = wrong[0] ?? [];
        const history = tail.events
          .filter((e) => firstKey && `${e.source.table}:${String((e.after ?? e.before)?.id)}` === firstKey)
          .map((e) => ({
            op: e.op,
            v: e.after?.v,
            file: e.source.file,
            pos: e.source.pos,
            row: e.source.row,
            snapshot: e.source.snapshot,
          }));
        console.log(
          `replayed ${state.size} rows, database ${finalRows.size}; first differences`,
          wrong,
          'events of',
          firstKey,
          history,
          w.logs().slice(-6000),
        );
        throw err;
      }
      const events = tail.read();
      expect(replay(events)).toEqual(finalRows);
      // More than one snapshot was taken (the first was cut short), so the replay had to start afresh.
      expect(
        new Set(events.filter((e) => e.op === 'r').map((e) => `${e.source.file}:${e.source.pos}`)).size,
      ).toBeGreaterThan(1);

      const seen = new Set(events.map(key));
      // Changes committed before the snapshot position are in the snapshot image, not events of their own.
      const lost = log
        .slice(afterSnapshot)
        .filter((c) => !seen.has(c.op === 'd' ? `${c.table}:${c.id}:d` : `${c.table}:${c.id}:${c.v}`));
      expect(lost).toEqual([]);

      // Per-key order, replays dropped: versions only grow and nothing follows a delete.
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
          expect(v, `version order for ${k}`).toBeGreaterThanOrEqual(lastV.get(k) ?? -1);
          lastV.set(k, v);
        }
      }
      expect(log.length).toBeGreaterThan(100);
    } finally {
      await load.stop().catch(() => undefined);
      await conn.end();
      if (w) await w.stop();
    }
  }, 400_000);
});
