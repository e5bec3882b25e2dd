import {
  type ChangeRecord,
  ConnectError,
  type ErrantRecordReporter,
  type Logger,
  RetriableError,
} from '../../runtime/api/index.js';
import type { JdbcSettings } from './config.js';
import type { Dialect, RowValues, SqlConnection, Statement } from './dialect.js';
import { ValueError } from './fit.js';
import { jsonValue } from './kinds.js';
import type { TableId } from './naming.js';
import { type FieldSet, RecordError, RecordReader, type SinkOp } from './record.js';
import type { PreparedTable, Tables } from './tables.js';

type WriteOp = Extract<SinkOp, { kind: 'upsert' | 'delete' }>;

/** A truncate in the plan (truncate.enabled). */
interface TruncateUnit {
  readonly kind: 'truncate';
  readonly table: string;
  readonly record: ChangeRecord;
}

interface Item {
  readonly record: ChangeRecord;
  readonly op: WriteOp;
}

/** Records of one table, one kind and one field set, written by one statement (or a few) in one transaction. */
class Group {
  readonly items: Item[] = [];
  private readonly byKey = new Map<string, number>();

  constructor(
    readonly table: string,
    readonly kind: 'upsert' | 'delete',
    readonly fields: FieldSet,
  ) {}

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Adds a record; a second change to a key replaces the first (the row ends as the last one says). */
  add(item: Item, key: string | undefined): void {
    if (key !== undefined) {
      const at = this.byKey.get(key);
      if (at !== undefined) {
        this.items[at] = item;
        return;
      }
      this.byKey.set(key, this.items.length);
    }
    this.items.push(item);
  }

  /** use.reduction.buffer: a later change of the other kind to this key supersedes this one. */
  remove(key: string): void {
    const at = this.byKey.get(key);
    if (at === undefined) return;
    this.items.splice(at, 1);
    this.byKey.delete(key);
    for (const [k, i] of this.byKey) if (i > at) this.byKey.set(k, i - 1);
  }
}

type Unit = Group | TruncateUnit;

const keyString = (values: readonly unknown[]) => values.map(jsonValue).join('\u0001');

/** Where a record came from, as Connect names it: `topic-partition@offset`, or the source offset in direct mode. */
export function positionOf(r: ChangeRecord): string {
  const offset = r.sourceOffset.offset;
  if (r.kafkaPartition !== undefined && offset !== undefined) return `${r.topic}-${r.kafkaPartition}@${String(offset)}`;
  return `${r.topic} ${JSON.stringify(r.sourceOffset)}`;
}

/**
 * Writes what a put() delivers. Per table, consecutive upserts (or deletes) gather into a group of up to
 * batch.size records, one multi-row statement; an upsert after a pending delete of the same table puts the
 * deletes first, and the other way round, so each key's changes apply in order (Debezium's JdbcChangeEventSink
 * buffers the same way). The put's groups then run in one transaction (table changes first, outside it: MySQL
 * commits on DDL).
 *
 * That transaction runs in the background: write() returns once it has started, so the target commits batch N
 * while the runtime reads, converts and plans batch N+1. At most one transaction is in flight per task — write()
 * of N+1 waits for N before starting its own, so batches commit in put order and per-key order holds — and
 * drain() (the task's flush(), which the runtime awaits before committing offsets, as Connect does) waits for it:
 * a record whose offset is committed is in the target table.
 *
 * A retriable error (connection, deadlock, serialization) retries the transaction flush.max.retries times, then
 * goes up as a RetriableError for the task runner's backoff: from the next write() or drain(), which keeps the
 * failed batch and writes it again, before anything newer, when it is called again. Any other error rolls it
 * back and the groups run one transaction each; a group that fails is written record by record, and each record
 * that still fails goes to the errant record reporter (errors.tolerance / the DLQ) or, with none, fails the next
 * write() or drain() with an error naming the record's position, the table and, where known, the column.
 */
export class Writer {
  private readonly reader: RecordReader;
  private readonly buffers = new Map<string, { upsert?: Group; delete?: Group }>();
  /** what planOf() is building, in order: groups of records and truncates */
  private plan: Unit[] = [];
  /** the last write()'s transaction, running; never rejects (its outcome lands in `retry` or `failure`) */
  private inFlight: Promise<void> | undefined;
  /** a batch whose transaction failed with a retriable error: written again before anything newer */
  private retry: { plan: Unit[]; error: unknown; thrown: boolean } | undefined;
  /** a failure that is not retriable, for the next write() or drain() to throw */
  private failure: unknown;

  constructor(
    private readonly dialect: Dialect,
    private readonly tables: Tables,
    private readonly s: JdbcSettings,
    private readonly log: Logger,
    private readonly reporter: ErrantRecordReporter | undefined,
    private readonly signal: AbortSignal,
  ) {
    this.reader = new RecordReader(s);
  }

  async write(records: readonly ChangeRecord[]): Promise<void> {
    const plan = await this.planOf(records);
    await this.settle();
    if (plan.length === 0) return;
    this.inFlight = this.execute(plan).then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof RetriableError) this.retry = { plan, error: err, thrown: false };
        else this.failure = err;
      },
    );
  }

  /** Waits until everything written so far is committed (or has failed: then throws, as write() would). */
  async drain(): Promise<void> {
    await this.settle();
  }

  /** Waits for the transaction in flight, ignoring its outcome (task stop: records not flushed come again). */
  async close(): Promise<void> {
    await this.inFlight;
    this.inFlight = undefined;
  }

  /**
   * Waits for the transaction in flight. A failure that is not retriable is thrown once, as the put() that met it
   * would have thrown it (the runtime then fails the task: its offsets are never committed). A retriable one is
   * thrown once too (the runner backs off and calls again), then its batch is written again here.
   */
  private async settle(): Promise<void> {
    const p = this.inFlight;
    this.inFlight = undefined;
    if (p) await p;
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
    const r = this.retry;
    if (!r) return;
    if (!r.thrown) {
      r.thrown = true;
      throw r.error;
    }
    try {
      await this.execute(r.plan);
    } catch (err) {
      if (!(err instanceof RetriableError)) this.retry = undefined;
      throw err;
    }
    this.retry = undefined;
  }

  /** Reads the records (conversion errors go to the reporter now) into groups and truncates, in order. */
  private async planOf(records: readonly ChangeRecord[]): Promise<Unit[]> {
    this.buffers.clear();
    this.plan = [];
    let skipped = 0;
    for (const record of records) {
      let op: SinkOp;
      try {
        op = this.reader.read(record);
      } catch (err) {
        await this.failed(record, err, undefined);
        continue;
      }
      switch (op.kind) {
        case 'skip':
          skipped++;
          this.log.debug({ topic: record.topic, reason: op.reason }, 'Record not written');
          break;
        case 'truncate':
          this.flushAll();
          this.plan.push({ kind: 'truncate', table: op.table, record });
          break;
        case 'delete':
          this.addDelete(record, op);
          break;
        case 'upsert':
          this.addUpsert(record, op);
          break;
      }
    }
    this.flushAll();
    if (skipped) this.log.debug({ skipped }, 'Records skipped');
    const plan = this.plan;
    this.plan = [];
    this.buffers.clear();
    return plan;
  }

  /**
   * The whole plan in one transaction (table changes first: MySQL commits on DDL). A retriable error retries it;
   * any other error rolls it back and the plan runs again unit by unit, failing groups record by record.
   */
  private async execute(plan: readonly Unit[]): Promise<void> {
    if (plan.length === 0) return;
    const first = plan[0];
    const label = plan.length === 1 ? first.table : `${new Set(plan.map((u) => u.table)).size} tables`;
    try {
      await this.retrying(label, first.kind === 'truncate' ? first.record : first.items[0].record, (conn) =>
        this.writePlan(conn, plan),
      );
      return;
    } catch (err) {
      if (err instanceof RetriableError) throw err;
      if (plan.length > 1) this.log.debug({ err: String(err) }, 'Transaction failed; writing its parts one by one');
    }
    for (const u of plan) {
      if (u.kind === 'truncate') await this.truncate(u.record, u.table);
      else await this.flush(u);
    }
  }

  private async writePlan(conn: SqlConnection, plan: readonly Unit[]): Promise<void> {
    const prepared = new Map<Group, PreparedTable>();
    for (const u of plan) {
      if (u.kind !== 'truncate') prepared.set(u, await this.tables.prepare(conn, this.tables.id(u.table), u.fields));
    }
    await conn.query('BEGIN');
    for (const u of plan) {
      if (u.kind === 'truncate') {
        await conn.query(this.dialect.truncate(this.tables.id(u.table)));
        continue;
      }
      for (const st of this.statements(prepared.get(u) as PreparedTable, u.kind, u.items))
        await conn.query(st.sql, st.params.length ? st.params : undefined, st.name);
    }
    await conn.query('COMMIT');
  }

  private statements(t: PreparedTable, kind: 'upsert' | 'delete', items: readonly Item[]): Statement[] {
    const rows: RowValues[] = items.map((i) => ({
      key: i.op.keyValues,
      values: i.op.kind === 'upsert' ? i.op.values : [],
    }));
    if (kind === 'delete') return this.dialect.deleteRows(t.id, t.key, rows);
    if (this.s.insertMode === 'update') return rows.map((r) => this.dialect.updateRow(t.id, t.key, t.value, r));
    return this.dialect.writeRows(this.s.insertMode, t.id, t.key, t.value, rows);
  }

  private buffer(table: string): { upsert?: Group; delete?: Group } {
    let b = this.buffers.get(table);
    if (!b) {
      b = {};
      this.buffers.set(table, b);
    }
    return b;
  }

  private addUpsert(record: ChangeRecord, op: Extract<SinkOp, { kind: 'upsert' }>): void {
    const b = this.buffer(op.table);
    const key = op.fields.key.length ? keyString(op.keyValues) : undefined;
    if (b.delete?.items.length) {
      if (this.s.reduce && key !== undefined) b.delete.remove(key);
      else {
        this.plan.push(b.delete);
        b.delete = undefined;
      }
    }
    if (
      b.upsert &&
      (b.upsert.fields.signature !== op.fields.signature || (!this.s.dedupe && key !== undefined && b.upsert.has(key)))
    ) {
      this.plan.push(b.upsert);
      b.upsert = undefined;
    }
    if (!b.upsert) b.upsert = new Group(op.table, 'upsert', op.fields);
    b.upsert.add({ record, op }, this.s.insertMode === 'insert' && !this.s.dedupe ? undefined : key);
    if (b.upsert.items.length >= this.s.batchSize) {
      this.plan.push(b.upsert);
      b.upsert = undefined;
    }
  }

  private addDelete(record: ChangeRecord, op: Extract<SinkOp, { kind: 'delete' }>): void {
    const b = this.buffer(op.table);
    const key = keyString(op.keyValues);
    if (b.upsert?.items.length) {
      if (this.s.reduce) b.upsert.remove(key);
      else {
        this.plan.push(b.upsert);
        b.upsert = undefined;
      }
    }
    if (b.delete && b.delete.fields.signature !== op.fields.signature) {
      this.plan.push(b.delete);
      b.delete = undefined;
    }
    if (!b.delete) b.delete = new Group(op.table, 'delete', op.fields);
    b.delete.add({ record, op }, key);
    if (b.delete.items.length >= this.s.batchSize) {
      this.plan.push(b.delete);
      b.delete = undefined;
    }
  }

  /** Puts every pending group on the plan: upserts first, then deletes (their keys never overlap). */
  private flushAll(): void {
    for (const b of this.buffers.values()) {
      if (b.upsert?.items.length) this.plan.push(b.upsert);
      b.upsert = undefined;
    }
    for (const b of this.buffers.values()) {
      if (b.delete?.items.length) this.plan.push(b.delete);
      b.delete = undefined;
    }
  }

  private async flush(group: Group): Promise<void> {
    if (group.items.length === 0) return;
    let id: TableId;
    try {
      id = this.tables.id(group.table);
    } catch (err) {
      for (const item of group.items) await this.failed(item.record, err, undefined);
      return;
    }
    try {
      await this.retrying(id.text, group.items[0].record, (conn) =>
        this.writeGroup(conn, id, group.kind, group.fields, group.items),
      );
    } catch (err) {
      if (err instanceof RetriableError) throw err;
      this.tables.forget(id);
      if (group.items.length > 1)
        this.log.debug(
          { table: id.text, records: group.items.length, err: String(err) },
          'Batch failed; writing its records one by one',
        );
      await this.isolate(id, group);
    }
  }

  /** Writes each record of a failed group in its own transaction, so only the records that fail are reported. */
  private async isolate(id: TableId, group: Group): Promise<void> {
    for (const item of group.items) {
      try {
        await this.retrying(id.text, item.record, (conn) =>
          this.writeGroup(conn, id, group.kind, group.fields, [item]),
        );
      } catch (err) {
        if (err instanceof RetriableError) throw err;
        this.tables.forget(id);
        await this.failed(item.record, err, id);
      }
    }
  }

  private async writeGroup(
    conn: SqlConnection,
    id: TableId,
    kind: 'upsert' | 'delete',
    fields: FieldSet,
    items: readonly Item[],
  ): Promise<void> {
    const statements = this.statements(await this.tables.prepare(conn, id, fields), kind, items);
    await conn.query('BEGIN');
    for (const st of statements) await conn.query(st.sql, st.params.length ? st.params : undefined, st.name);
    await conn.query('COMMIT');
  }

  private async truncate(record: ChangeRecord, table: string): Promise<void> {
    let id: TableId;
    try {
      id = this.tables.id(table);
    } catch (err) {
      await this.failed(record, err, undefined);
      return;
    }
    try {
      await this.retrying(id.text, record, (conn) => conn.query(this.dialect.truncate(id)));
    } catch (err) {
      if (err instanceof RetriableError) throw err;
      await this.failed(record, err, id);
    }
  }

  /**
   * Runs one transaction on a pooled connection; a retriable error rolls back, waits flush.retry.delay.ms and
   * tries again, flush.max.retries times, then becomes a RetriableError.
   */
  private async retrying(
    table: string,
    first: ChangeRecord,
    work: (conn: SqlConnection) => Promise<void>,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let conn: SqlConnection | undefined;
      try {
        conn = await this.dialect.connect();
        await work(conn);
        conn.release();
        return;
      } catch (err) {
        const retriable = this.dialect.isRetriable(err);
        if (conn) {
          if (!retriable) await conn.query('ROLLBACK').catch(() => undefined);
          conn.release(retriable);
        }
        if (!retriable) throw err;
        if (attempt >= this.s.flushMaxRetries || this.signal.aborted) {
          throw new RetriableError(`Cannot write to ${table}: ${(err as Error).message}`, {
            cause: err,
            context: { table, position: positionOf(first), stage: 'TASK_PUT' },
          });
        }
        this.log.warn(
          { table, attempt: attempt + 1, of: this.s.flushMaxRetries, err: (err as Error).message },
          'Write failed with a retriable error; trying again',
        );
        await new Promise((r) => setTimeout(r, this.s.flushRetryDelayMs));
      }
    }
  }

  /** A record that cannot be written: to the errant record reporter, or the put fails naming it. */
  private async failed(record: ChangeRecord, err: unknown, id: TableId | undefined): Promise<void> {
    const e = this.describe(record, err, id);
    if (!this.reporter) throw e;
    await this.reporter.report(record, e);
  }

  private describe(record: ChangeRecord, err: unknown, id: TableId | undefined): ConnectError {
    const column = this.dialect.errorColumn?.(err);
    const what =
      err instanceof RecordError || err instanceof ValueError ? 'Cannot write record' : 'The database refused record';
    const where = [`topic ${record.topic}`];
    if (record.kafkaPartition !== undefined) where.push(`partition ${record.kafkaPartition}`);
    if (record.sourceOffset.offset !== undefined && record.kafkaPartition !== undefined)
      where.push(`offset ${String(record.sourceOffset.offset)}`);
    else where.push(`position ${JSON.stringify(record.sourceOffset)}`);
    if (id) where.push(`table ${id.text}`);
    if (column) where.push(`column ${column}`);
    const message = `${what} (${where.join(', ')}): ${(err as Error)?.message ?? String(err)}`;
    return new ConnectError(message, {
      retriable: false,
      cause: err,
      context: { table: id?.text, position: positionOf(record), stage: 'TASK_PUT' },
    });
  }
}
