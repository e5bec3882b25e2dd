import {
  type ChangeRecord,
  ConnectError,
  type ErrantRecordReporter,
  type Logger,
  RetriableError,
} from '../../runtime/api/index.js';
import type { JdbcSettings } from './config.js';
import type { Dialect, RowValues, SqlConnection } from './dialect.js';
import { ValueError } from './fit.js';
import { jsonValue } from './kinds.js';
import type { TableId } from './naming.js';
import { type FieldSet, RecordError, RecordReader, type SinkOp } from './record.js';
import type { PreparedTable, Tables } from './tables.js';

type WriteOp = Extract<SinkOp, { kind: 'upsert' | 'delete' }>;

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

const keyString = (values: readonly unknown[]) => values.map(jsonValue).join('\u0001');

/** Where a record came from, as Connect names it: `topic-partition@offset`, or the source offset in direct mode. */
export function positionOf(r: ChangeRecord): string {
  const offset = r.sourceOffset.offset;
  if (r.kafkaPartition !== undefined && offset !== undefined) return `${r.topic}-${r.kafkaPartition}@${String(offset)}`;
  return `${r.topic} ${JSON.stringify(r.sourceOffset)}`;
}

/**
 * Writes what a put() delivers. Per table, consecutive upserts (or deletes) gather into a group of up to
 * batch.size records, written in one transaction with multi-row statements; an upsert after a pending delete of
 * the same table writes the deletes first, and the other way round, so each key's changes apply in order
 * (Debezium's JdbcChangeEventSink buffers the same way). Everything is committed before write() resolves.
 *
 * A retriable error (connection, deadlock, serialization) retries the group flush.max.retries times, then goes up
 * as a RetriableError for the task runner's backoff. Any other error is isolated: the group's records are written
 * one by one, and each that still fails goes to the errant record reporter (errors.tolerance / the DLQ) or, with
 * none, fails the put with an error naming the record's position, the table and, where known, the column.
 */
export class Writer {
  private readonly reader: RecordReader;
  private readonly buffers = new Map<string, { upsert?: Group; delete?: Group }>();

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
    this.buffers.clear();
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
          await this.flushAll();
          await this.truncate(record, op.table);
          break;
        case 'delete':
          await this.addDelete(record, op);
          break;
        case 'upsert':
          await this.addUpsert(record, op);
          break;
      }
    }
    await this.flushAll();
    if (skipped) this.log.debug({ skipped }, 'Records skipped');
  }

  private buffer(table: string): { upsert?: Group; delete?: Group } {
    let b = this.buffers.get(table);
    if (!b) {
      b = {};
      this.buffers.set(table, b);
    }
    return b;
  }

  private async addUpsert(record: ChangeRecord, op: Extract<SinkOp, { kind: 'upsert' }>): Promise<void> {
    const b = this.buffer(op.table);
    const key = op.fields.key.length ? keyString(op.keyValues) : undefined;
    if (b.delete?.items.length) {
      if (this.s.reduce && key !== undefined) b.delete.remove(key);
      else {
        await this.flush(b.delete);
        b.delete = undefined;
      }
    }
    if (
      b.upsert &&
      (b.upsert.fields.signature !== op.fields.signature || (!this.s.dedupe && key !== undefined && b.upsert.has(key)))
    ) {
      await this.flush(b.upsert);
      b.upsert = undefined;
    }
    if (!b.upsert) b.upsert = new Group(op.table, 'upsert', op.fields);
    b.upsert.add({ record, op }, this.s.insertMode === 'insert' && !this.s.dedupe ? undefined : key);
    if (b.upsert.items.length >= this.s.batchSize) {
      await this.flush(b.upsert);
      b.upsert = undefined;
    }
  }

  private async addDelete(record: ChangeRecord, op: Extract<SinkOp, { kind: 'delete' }>): Promise<void> {
    const b = this.buffer(op.table);
    const key = keyString(op.keyValues);
    if (b.upsert?.items.length) {
      if (this.s.reduce) b.upsert.remove(key);
      else {
        await this.flush(b.upsert);
        b.upsert = undefined;
      }
    }
    if (b.delete && b.delete.fields.signature !== op.fields.signature) {
      await this.flush(b.delete);
      b.delete = undefined;
    }
    if (!b.delete) b.delete = new Group(op.table, 'delete', op.fields);
    b.delete.add({ record, op }, key);
    if (b.delete.items.length >= this.s.batchSize) {
      await this.flush(b.delete);
      b.delete = undefined;
    }
  }

  private async flushAll(): Promise<void> {
    for (const b of this.buffers.values()) {
      if (b.upsert) await this.flush(b.upsert);
      b.upsert = undefined;
    }
    for (const b of this.buffers.values()) {
      if (b.delete) await this.flush(b.delete);
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
      await this.retrying(id, group.items[0].record, (conn) =>
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
        await this.retrying(id, item.record, (conn) => this.writeGroup(conn, id, group.kind, group.fields, [item]));
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
    const t: PreparedTable = await this.tables.prepare(conn, id, fields);
    const rows: RowValues[] = items.map((i) => ({
      key: i.op.keyValues,
      values: i.op.kind === 'upsert' ? i.op.values : [],
    }));
    const statements =
      kind === 'delete'
        ? this.dialect.deleteRows(id, t.key, rows)
        : this.s.insertMode === 'update'
          ? rows.map((r) => this.dialect.updateRow(id, t.key, t.value, r))
          : this.dialect.writeRows(this.s.insertMode, id, t.key, t.value, rows);
    await conn.query('BEGIN');
    for (const st of statements) await conn.query(st.sql, st.params.length ? st.params : undefined);
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
      await this.retrying(id, record, (conn) => conn.query(this.dialect.truncate(id)));
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
    id: TableId,
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
          throw new RetriableError(`Cannot write to table ${id.text}: ${(err as Error).message}`, {
            cause: err,
            context: { table: id.text, position: positionOf(first), stage: 'TASK_PUT' },
          });
        }
        this.log.warn(
          { table: id.text, attempt: attempt + 1, of: this.s.flushMaxRetries, err: (err as Error).message },
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
