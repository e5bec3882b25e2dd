import { expect } from 'vitest';
import { waitFor } from './worker.js';

/**
 * What the CDC kill tests share, whatever the database: a random write load on `(id, v)` tables that logs each
 * committed change, replay of change events by key, and the checks that every committed change arrived and that
 * each key's changes arrived in order. The database comes in through small callbacks (run SQL, name a table).
 */

/** One committed row change of the load; `v` is unique per statement and grows with commit order. */
export interface Change {
  table: string;
  id: number;
  op: 'c' | 'u' | 'd';
  v: number;
}

/** A Debezium change event on an `(id, v)` table, as the file sink writes it without schemas. */
export interface CdcEvent<S = Record<string, unknown>> {
  op: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: { table: string } & S;
}

export interface LoadOptions {
  tables: readonly string[];
  /** runs one transaction's statements, `BEGIN; …; COMMIT` */
  exec: (sql: string) => Promise<unknown>;
  /** the table's name in SQL (schema-qualified where needed) */
  qualify?: (table: string) => string;
  /** ids 1..n already in each table, to update and delete */
  existingRows?: number;
  firstId: number;
  /** a statement is an insert below this random draw, an update below `updateBelow`, else a delete */
  insertBelow: number;
  updateBelow: number;
  /** insert anyway while a table has fewer live ids than this */
  minLive?: number;
  /** in this share of the transactions, one more statement updating every live id in [from, to] at once */
  rangeUpdate?: { share: number; from: number; to: number };
  /** statements per transaction: 1 to this (default 4) */
  maxStatements?: number;
  /**
   * When `exec` fails (the server restarted, the connection was cut), whether the transaction committed anyway —
   * the answer to a COMMIT can be lost. Reconnects as needed and resolves once it knows; without it a failed
   * `exec` ends the load.
   */
  settle?: (ops: readonly Change[], err: unknown) => Promise<boolean>;
  /** builds a transaction's statements itself instead of SQL (a database without SQL); `exec` is then unused */
  execOps?: (ops: readonly Change[]) => Promise<unknown>;
}

export interface Load {
  /** stops writing; every change committed, in commit order */
  stop(): Promise<Change[]>;
  /** changes committed so far */
  count(): number;
  /** the changes committed so far, in commit order */
  changes(): readonly Change[];
}

/** Small random transactions (1–4 statements) on the tables until stopped, 3 ms apart; logs every committed change. */
export function startLoad(o: LoadOptions): Load {
  const qualify = o.qualify ?? ((t: string) => t);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];
  const log: Change[] = [];
  const live = new Map<string, number[]>(
    o.tables.map((t) => [t, Array.from({ length: o.existingRows ?? 0 }, (_, i) => i + 1)]),
  );
  let stopped = false;
  let nextId = o.firstId;
  let version = 1_000_000;
  const run = (async () => {
    while (!stopped) {
      const ops: Change[] = [];
      const sql: string[] = [];
      /** puts the live ids back as they were if the transaction did not commit */
      const undo: Array<() => void> = [];
      const n = 1 + Math.floor(Math.random() * (o.maxStatements ?? 4));
      for (let i = 0; i < n; i++) {
        const table = pick(o.tables);
        const ids = live.get(table) as number[];
        const r = Math.random();
        const v = version++;
        if (r < o.insertBelow || ids.length < (o.minLive ?? 0)) {
          const id = nextId++;
          ids.push(id);
          undo.push(() => ids.splice(ids.indexOf(id), 1));
          sql.push(`INSERT INTO ${qualify(table)} VALUES (${id}, ${v})`);
          ops.push({ table, id, op: 'c', v });
        } else if (r < o.updateBelow) {
          const id = pick(ids);
          sql.push(`UPDATE ${qualify(table)} SET v = ${v} WHERE id = ${id}`);
          ops.push({ table, id, op: 'u', v });
        } else {
          const id = ids.splice(Math.floor(Math.random() * ids.length), 1)[0];
          undo.push(() => ids.push(id));
          sql.push(`DELETE FROM ${qualify(table)} WHERE id = ${id}`);
          ops.push({ table, id, op: 'd', v });
        }
      }
      const range = o.rangeUpdate;
      if (range && Math.random() < range.share) {
        const table = pick(o.tables);
        const v = version++;
        sql.push(`UPDATE ${qualify(table)} SET v = ${v} WHERE id BETWEEN ${range.from} AND ${range.to}`);
        for (const id of (live.get(table) as number[]).filter((x) => x >= range.from && x <= range.to))
          ops.push({ table, id, op: 'u', v });
      }
      let committed = true;
      try {
        if (o.execOps) await o.execOps(ops);
        else await o.exec(`BEGIN; ${sql.join('; ')}; COMMIT`);
      } catch (err) {
        if (!o.settle) throw err;
        committed = await o.settle(ops, err);
      }
      if (committed) log.push(...ops);
      else for (const u of undo.reverse()) u();
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
    changes: () => log,
  };
}

/** Waits a random time in [min, min + spread) ms: where a SIGKILL lands. */
export function randomPause(min: number, spread: number): Promise<void> {
  return new Promise((r) => setTimeout(r, min + Math.random() * spread));
}

const rowOf = (e: CdcEvent): Record<string, unknown> => (e.after ?? e.before) as Record<string, unknown>;

/** `table:id`, the key a consumer replays by. */
export const rowKey = (e: CdcEvent): string => `${e.source.table}:${String(rowOf(e).id)}`;

/** One change's identity: its key and version, or its key and `d`; the same for an event and the change it carries. */
export const eventId = (e: CdcEvent): string =>
  e.op === 'd' ? `${rowKey(e)}:d` : `${rowKey(e)}:${String((e.after as { v: number }).v)}`;
export const changeId = (c: Change): string => (c.op === 'd' ? `${c.table}:${c.id}:d` : `${c.table}:${c.id}:${c.v}`);

export interface ReplayOptions<E extends CdcEvent> {
  /**
   * Where a snapshot record was taken. A snapshot cut short starts over elsewhere; its rows were only a partial
   * image, and a row it emitted may have been deleted before the next snapshot, which then has no event for it.
   * So a consumer starts afresh at the first record of a snapshot taken at another position.
   */
  snapshotAt?: (e: E) => string;
}

/** Replays events by key: the table state a consumer that applies them in order ends up with (`t` empties a table). */
export function replay<E extends CdcEvent>(
  events: readonly E[],
  options: ReplayOptions<E> = {},
): Map<string, Record<string, unknown>> {
  const state = new Map<string, Record<string, unknown>>();
  let snapshotAt: string | undefined;
  for (const e of events) {
    if (e.op === 't') {
      for (const k of [...state.keys()]) if (k.startsWith(`${e.source.table}:`)) state.delete(k);
      continue;
    }
    if (!e.after && !e.before) continue;
    if (e.op === 'r' && options.snapshotAt) {
      const at = options.snapshotAt(e);
      if (snapshotAt !== undefined && at !== snapshotAt) state.clear();
      snapshotAt = at;
    }
    if (e.op === 'd') state.delete(rowKey(e));
    else state.set(rowKey(e), e.after as Record<string, unknown>);
  }
  return state;
}

/** Every row of the tables as `table:id` → `{ id, v }`, read through `rows`. */
export async function tableState(
  tables: readonly string[],
  rows: (table: string) => Promise<{ id: number; v: number }[]>,
): Promise<Map<string, Record<string, unknown>>> {
  const state = new Map<string, Record<string, unknown>>();
  for (const t of tables) for (const r of await rows(t)) state.set(`${t}:${r.id}`, { id: r.id, v: r.v });
  return state;
}

export interface ConvergeOptions<E extends CdcEvent> {
  /** the events so far */
  read: () => readonly E[];
  /** what the database holds */
  expected: Map<string, Record<string, unknown>>;
  timeoutMs: number;
  replay?: ReplayOptions<E>;
  /** more to print when it does not converge (server state, a key's history, worker logs) */
  diagnose?: (wrongKeys: string[]) => Promise<unknown[]> | unknown[];
}

/** Waits until replaying the events gives every row of the database with its version, and nothing more. */
export async function waitForReplay<E extends CdcEvent>(o: ConvergeOptions<E>): Promise<void> {
  const differences = () => {
    const state = replay(o.read(), o.replay);
    const wrong = [...o.expected].filter(([k, v]) => state.get(k)?.v !== v.v);
    const extra = [...state.keys()].filter((k) => !o.expected.has(k));
    return { state, wrong, extra };
  };
  try {
    await waitFor(
      () => {
        const d = differences();
        return d.wrong.length === 0 && d.state.size === o.expected.size;
      },
      o.timeoutMs,
      `replay of the sink file to equal the database (${o.expected.size} rows)`,
    );
  } catch (err) {
    const { state, wrong, extra } = differences();
    const first = wrong.slice(0, 5);
    console.error(
      `replayed ${state.size} rows, database ${o.expected.size}, ${o.read().length} events; first differences`,
      first.map(([k, v]) => [k, v.v, state.get(k)?.v]),
      'extra',
      extra.slice(0, 5),
      ...((await o.diagnose?.(first.map(([k]) => k))) ?? []),
    );
    throw err;
  }
}

/** Every committed change shows up as an event (with its version, or as the key's delete). */
export function expectNoChangeMissing(events: readonly CdcEvent[], committed: readonly Change[]): void {
  const seen = new Set(events.map(eventId));
  expect(committed.filter((c) => !seen.has(changeId(c)))).toEqual([]);
}

/**
 * Per key, replays (events seen before) dropped: versions only grow (`non-decreasing` allows an equal one) and
 * nothing follows the key's delete.
 */
export function expectPerKeyOrder(
  events: readonly CdcEvent[],
  versions: 'increasing' | 'non-decreasing' = 'increasing',
): void {
  const first = new Set<string>();
  const lastV = new Map<string, number>();
  const deleted = new Set<string>();
  for (const e of events) {
    const id = eventId(e);
    if (first.has(id)) continue;
    first.add(id);
    const k = rowKey(e);
    expect(deleted.has(k), `event after delete for ${k}`).toBe(false);
    if (e.op === 'd') deleted.add(k);
    else {
      const v = (e.after as { v: number }).v;
      if (versions === 'increasing') expect(v, `version order for ${k}`).toBeGreaterThan(lastV.get(k) ?? -1);
      else expect(v, `version order for ${k}`).toBeGreaterThanOrEqual(lastV.get(k) ?? -1);
      lastV.set(k, v);
    }
  }
}
