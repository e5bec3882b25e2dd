import type mysql from 'mysql2';
import type { ChangeRecord } from '../../runtime/api/index.js';
import type { ConcurrentMarking, SnapshotTable } from '../cdc/snapshot-markers.js';
import { query, streamRawRows } from './binlog/client.js';
import type { TableShape } from './envelope.js';

const quoteId = (s: string) => `\`${s.replace(/`/g, '``')}\``;
const INTEGER = /^(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT)$/;

/** One table of a parallel snapshot: what its rows are read as and marked with. */
export interface ParallelTable {
  db: string;
  table: string;
  shape: TableShape;
  marks: SnapshotTable<Record<string, unknown>>;
}

/** A piece of work for one connection: a table, or a key range of one. */
interface WorkItem {
  table: ParallelTable;
  /** a condition on the primary key; none: the whole table */
  range?: string;
}

/**
 * Key ranges of a table, read on the lead connection inside the snapshot: a single-column integer primary key's
 * span [MIN, MAX] cut into `parts` equal ranges (the last open-ended). Other tables are read whole, by one connection
 * each (a range over a composite or text key would need its distribution, which MySQL does not give cheaply).
 */
export async function keyRanges(
  conn: mysql.Connection,
  t: { db: string; table: string; shape: TableShape },
  parts: number,
): Promise<string[] | undefined> {
  const pk = t.shape.def.primaryKey;
  if (parts < 2 || pk.length !== 1) return undefined;
  const col = t.shape.def.columns.find((c) => c.name === pk[0]);
  if (!col || !INTEGER.test(col.type)) return undefined;
  const id = quoteId(col.name);
  const [span] = await query<{ lo: string | null; hi: string | null }>(
    conn,
    `SELECT CAST(MIN(${id}) AS CHAR) AS lo, CAST(MAX(${id}) AS CHAR) AS hi FROM ${quoteId(t.db)}.${quoteId(t.table)}`,
  );
  if (!span || span.lo === null || span.hi === null) return undefined;
  const lo = BigInt(span.lo);
  const hi = BigInt(span.hi);
  const n = BigInt(parts);
  if (hi - lo < n * 2n) return undefined;
  const bounds: bigint[] = [];
  for (let i = 1n; i < n; i++) bounds.push(lo + ((hi - lo) * i) / n);
  const out: string[] = [`${id} <= ${bounds[0]}`];
  for (let i = 1; i < bounds.length; i++) out.push(`${id} > ${bounds[i - 1]} AND ${id} <= ${bounds[i]}`);
  out.push(`${id} > ${bounds[bounds.length - 1]}`);
  return out;
}

/** Records from the readers to the generator; a reader waits while `limit` records are not taken. */
class Outbox {
  private buf: ChangeRecord[] = [];
  private readers: Array<() => void> = [];
  private consumer?: () => void;

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.buf.length;
  }

  async push(records: ChangeRecord[]): Promise<void> {
    for (const r of records) this.buf.push(r);
    this.wake();
    if (this.buf.length >= this.limit) await new Promise<void>((resolve) => this.readers.push(resolve));
  }

  take(): ChangeRecord[] {
    const out = this.buf;
    this.buf = [];
    this.release();
    return out;
  }

  /** Lets every waiting reader go on (taken, or the snapshot ends). */
  release(): void {
    const r = this.readers;
    this.readers = [];
    for (const f of r) f();
  }

  wake(): void {
    const c = this.consumer;
    this.consumer = undefined;
    c?.();
  }

  waitForRecords(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.consumer = resolve;
    });
  }
}

export interface ParallelRead {
  /** the connections, each in a transaction started at the same point */
  conns: mysql.Connection[];
  tables: ParallelTable[];
  /** key ranges per table (by index in `tables`); absent: read whole */
  ranges: Map<number, string[]>;
  fetchSize: number;
  maxBatch: number;
  signal: AbortSignal;
  /** a row read as the table's record (`op: "r"`, no marker yet); throws on a value it cannot map */
  record(t: ParallelTable, row: (Buffer | null)[]): ChangeRecord;
  /** rows read so far, and tables not yet done */
  progress?(rowsScanned: number, tablesRemaining: number): void;
  marking: ConcurrentMarking<Record<string, unknown>>;
}

/**
 * The snapshot's rows read on every connection at once: tables, and key ranges of the split ones, are handed out
 * from one list in table order; each row is marked as it is released (ConcurrentMarking), so per table and per
 * snapshot the markers are Debezium's, and a key's one record comes from one range. Yields batches as the readers
 * fill them; readers wait while a batch is not taken (backpressure to the servers' sockets).
 */
export async function* readParallel(r: ParallelRead): AsyncGenerator<ChangeRecord[]> {
  const items: WorkItem[] = [];
  const left = new Map<ParallelTable, number>();
  for (const [i, table] of r.tables.entries()) {
    const ranges = r.ranges.get(i);
    if (ranges) for (const range of ranges) items.push({ table, range });
    else items.push({ table });
    left.set(table, ranges?.length ?? 1);
  }
  let tablesRemaining = r.tables.length;
  let rowsScanned = 0;
  const outbox = new Outbox(r.maxBatch);
  let failure: unknown;
  let stopped = false;
  const fetchSize = Math.max(1, Math.ceil(r.fetchSize / r.conns.length));

  const readItem = async (conn: mysql.Connection, item: WorkItem) => {
    const { shape, db, table } = item.table;
    const cols = shape.columns.map((c) => quoteId(c.name)).join(', ');
    const sql = `SELECT ${cols} FROM ${quoteId(db)}.${quoteId(table)}${item.range ? ` WHERE ${item.range}` : ''}`;
    const stream = streamRawRows(conn, sql, fetchSize);
    try {
      for await (const row of stream) {
        if (stopped || r.signal.aborted) return;
        const released = r.marking.next(r.record(item.table, row as (Buffer | null)[]), item.table.marks);
        rowsScanned++;
        if (released.length) await outbox.push(released);
      }
    } finally {
      stream.destroy();
    }
    const n = (left.get(item.table) ?? 1) - 1;
    left.set(item.table, n);
    if (n === 0) {
      tablesRemaining--;
      const last = r.marking.tableDone(item.table.marks);
      if (last) await outbox.push([last]);
    }
  };
  const reader = async (conn: mysql.Connection) => {
    for (;;) {
      const item = items.shift();
      if (!item || stopped || r.signal.aborted) return;
      await readItem(conn, item);
    }
  };
  let running = r.conns.length;
  for (const conn of r.conns) {
    void reader(conn)
      .catch((err) => {
        failure ??= err;
        stopped = true;
      })
      .finally(() => {
        running--;
        if (stopped) outbox.release();
        outbox.wake();
      });
  }
  try {
    for (;;) {
      if (failure !== undefined) throw failure;
      if (outbox.size > 0) {
        yield outbox.take();
        r.progress?.(rowsScanned, tablesRemaining);
        continue;
      }
      if (running === 0 || r.signal.aborted) break;
      await outbox.waitForRecords();
    }
    if (failure !== undefined) throw failure;
  } finally {
    // the consumer stopped early (abort) or a reader failed: the others end at their next row
    stopped = true;
    outbox.release();
  }
}
