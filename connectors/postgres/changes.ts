import type pg from 'pg';
import type {
  ChangeRecord,
  ErrorContext,
  SourceOffset,
  SourcePartition,
  SourceTaskContext,
} from '../../runtime/api/index.js';
import type { ChangeEventCoordinator } from '../cdc/coordinator.js';
import { type IncrementalSnapshotter, keyString } from '../cdc/incremental.js';
import { isBlockingRequest, parseSignal, type Signal, WINDOW_CLOSE, WINDOW_OPEN } from '../cdc/signals.js';
import { TransactionCounts } from '../cdc/transaction.js';
import { describeTable, type TableCatalog, type TypeCatalog } from './catalog.js';
import { type PostgresSettings, tableCaptured } from './config.js';
import type { ChunkRow } from './incremental.js';
import { formatLsn } from './lsn.js';
import type { PgOffset } from './offsets.js';
import { PG_EPOCH_MICROS, type PgOutputMessage, type TupleValue, UNCHANGED_TOAST } from './pgoutput.js';
import { processingTimes, readValue, sourceValue, transactionKeySchema, transactionValueSchema } from './source.js';
import { decodeFailure, TableModel } from './table.js';

export interface OpenTx {
  xid: number;
  finalLsn: number;
  commitUs: bigint;
  /** commit time as numbers, for offsets and record timestamps */
  tsUsec: number;
  tsMs: number;
  id: string;
  /** event counts for the transaction metadata */
  counts: TransactionCounts;
  /** a record of this transaction was handed out */
  emitted?: boolean;
  /** replication origin of a replayed transaction (pgoutput's Origin message): source.origin / origin_lsn */
  origin?: { name: string; lsn: number };
}

const NO_HEADERS: ChangeRecord['headers'] = Object.freeze([]);

/** What the change events need from the session that reads the stream. */
export interface ChangeHost {
  readonly s: PostgresSettings;
  readonly ctx: SourceTaskContext;
  readonly partition: SourcePartition;
  readonly errorContext: ErrorContext;
  readonly types: TypeCatalog;
  readonly meta: pg.Client;
  readonly incremental: IncrementalSnapshotter<ChunkRow>;
  readonly coordinator: ChangeEventCoordinator;
  /** true until the initial snapshot's last record is queued */
  readonly snapshotPhase: boolean;
  push(record: ChangeRecord): void;
}

/**
 * pgoutput messages to Debezium's change events: transactions, relations, row changes, truncates, transaction
 * metadata, and the signal table's rows (signals and the incremental snapshot's watermarks). The session feeds it
 * the stream in order and owns the connections, flow control and flushing.
 */
export class ChangeEvents {
  readonly relations = new Map<number, TableModel | null>();
  /** relation id of the signal table in the stream, and whether its own rows become events */
  private signalRel?: number;
  private signalEmit = false;
  tx?: OpenTx;
  /** last change of the open transaction, released at the next change or, marked complete, at COMMIT */
  held?: { record: ChangeRecord; offset: PgOffset };
  /** end LSN of the last transaction fully handed to the queue: the safe flush point */
  safeLsn = 0;
  private lastCommitLsn: number | null = null;
  /**
   * A blocking snapshot signalled in the signal table, until the coordinator takes or refuses it. The session holds
   * the stream at the end of the signal's transaction meanwhile, so the snapshot's rows come right after the signal
   * and before any later change (as Debezium, which pauses streaming on the signal's event).
   */
  blockingPending?: Promise<unknown>;
  /** resume inside a partly delivered transaction: skip its records up to this LSN and event */
  skip?: { commitLsn: number; lsn: number; event: number };
  /** LSN of the last released record and its `event` number */
  private eventLsn = -1;
  private event = 0;

  constructor(private readonly h: ChangeHost) {}

  private get s(): PostgresSettings {
    return this.h.s;
  }
  private get ctx(): SourceTaskContext {
    return this.h.ctx;
  }
  private get partition(): SourcePartition {
    return this.h.partition;
  }
  private get errorContext(): ErrorContext {
    return this.h.errorContext;
  }
  private get types(): TypeCatalog {
    return this.h.types;
  }
  private get meta(): pg.Client {
    return this.h.meta;
  }
  private get incremental(): IncrementalSnapshotter<ChunkRow> {
    return this.h.incremental;
  }
  private get snapshotPhase(): boolean {
    return this.h.snapshotPhase;
  }
  private push(record: ChangeRecord): void {
    this.h.push(record);
  }

  /** Handles one pgoutput message; returns a promise only when it must wait (catalog lookups). */
  handle(lsn: number, m: PgOutputMessage): Promise<void> | undefined {
    switch (m.tag) {
      case 'begin': {
        const id = `${m.xid}:${m.finalLsn}`;
        const commitUs = m.commitTime + PG_EPOCH_MICROS;
        this.tx = {
          xid: m.xid,
          finalLsn: m.finalLsn,
          commitUs,
          tsUsec: Number(commitUs),
          tsMs: Number(commitUs / 1000n),
          id,
          counts: new TransactionCounts(id),
        };
        if (this.s.transactionMetadata && !this.skipping(lsn, -1)) this.pushTxMarker('BEGIN', lsn);
        return undefined;
      }
      case 'commit':
        return this.onCommit(m.commitLsn, m.endLsn);
      case 'origin':
        if (this.tx) this.tx.origin = { name: m.name, lsn: m.lsn };
        return undefined;
      case 'relation':
        return this.onRelation(m);
      case 'insert':
        this.onChange(lsn, m.relationId, 'c', undefined, m.newTuple);
        return undefined;
      case 'update':
        this.onChange(lsn, m.relationId, 'u', m.oldTuple ?? m.keyTuple, m.newTuple, m.keyTuple !== undefined);
        return undefined;
      case 'delete':
        this.onChange(lsn, m.relationId, 'd', m.oldTuple ?? m.keyTuple, undefined);
        return undefined;
      case 'truncate':
        for (const rel of m.relationIds) this.onTruncate(lsn, rel);
        return undefined;
      default:
        return undefined;
    }
  }

  /** Whether the record at (lsn, event) of the open transaction was delivered before the resume. */
  private skipping(lsn: number, event: number): boolean {
    const skip = this.skip;
    if (!skip || !this.tx || this.tx.finalLsn !== skip.commitLsn) return false;
    return lsn < skip.lsn || (lsn === skip.lsn && event <= skip.event);
  }

  private async onRelation(m: Extract<PgOutputMessage, { tag: 'relation' }>): Promise<void> {
    const signal = this.s.signalTable;
    const isSignal = signal !== undefined && signal.schema === m.schema && signal.table === m.table;
    if (isSignal) {
      this.signalRel = m.relationId;
      this.signalEmit = tableCaptured(this.s, m.schema, m.table);
    }
    if (!isSignal && !tableCaptured(this.s, m.schema, m.table)) {
      this.relations.set(m.relationId, null);
      return;
    }
    if (m.columns.some((c) => !this.types.has(c.typeOid))) await this.types.load(this.meta);
    let catalog = await describeTable(this.meta, m.schema, m.table);
    // The walsender may send a transaction before its commit is visible to other sessions (the WAL is flushed
    // before the backend leaves the proc array): a column it added can still be missing from the catalog we read.
    // Read again, briefly, until every column the relation names is there; a column dropped since also keeps it
    // missing, so the wait is bounded and the last read is used as before.
    for (let attempt = 0; attempt < 20 && !catalogHas(catalog, m.columns); attempt++) {
      await new Promise((r) => setTimeout(r, 25));
      catalog = await describeTable(this.meta, m.schema, m.table);
    }
    this.relations.set(m.relationId, new TableModel(m.schema, m.table, m.columns, catalog, this.s, this.types));
  }

  private decodeRow(
    model: TableModel,
    lsn: number,
    tuple: readonly TupleValue[] | undefined,
    fallback?: readonly unknown[],
  ): unknown[] | undefined {
    if (!tuple) return undefined;
    const out: unknown[] = new Array(model.columns.length);
    for (let i = 0; i < model.columns.length; i++) {
      const col = model.columns[i];
      const codec = col.codec;
      const v = tuple[i];
      // undefined: no value (NULL, or not in a key-only image); a column of a type without a mapping (codec
      // undefined) is left out of events, as Debezium does. null from a codec: Debezium has no value for it.
      if (v === null || v === undefined || !codec) out[i] = undefined;
      else if (v === UNCHANGED_TOAST) out[i] = fallback ? fallback[i] : codec.placeholder(this.s.placeholder);
      else {
        try {
          out[i] = codec.decode(v as string);
        } catch (err) {
          throw decodeFailure(model, col, v as string, `LSN ${formatLsn(lsn)}`, this.types, this.errorContext, err);
        }
      }
    }
    return out;
  }

  private onChange(
    lsn: number,
    relationId: number,
    op: 'c' | 'u' | 'd',
    oldTuple: TupleValue[] | undefined,
    newTuple: TupleValue[] | undefined,
    keyChanged = false,
  ): void {
    const model = this.relations.get(relationId);
    if (!model || !this.tx) return;
    if (relationId === this.signalRel) {
      if (op === 'c') this.onSignalRow(lsn, model, this.decodeRow(model, lsn, newTuple));
      if (!this.signalEmit) return;
    }
    const before = this.decodeRow(model, lsn, oldTuple);
    // With REPLICA IDENTITY FULL the old row holds the real value of an unchanged TOASTed column.
    const after = this.decodeRow(model, lsn, newTuple, keyChanged ? undefined : before);
    if (op === 'u' && before && model.keySchema) {
      const oldKey = model.keyOf(before);
      if (JSON.stringify(oldKey, jsonSafe) !== JSON.stringify(model.keyOf(after), jsonSafe)) {
        // Debezium turns a primary key change into a delete of the old key (plus tombstone) and a create.
        this.emitChange(lsn, model, 'd', before, undefined);
        this.emitChange(lsn, model, 'c', undefined, after);
        return;
      }
    }
    // An update's old row comes only with REPLICA IDENTITY FULL; the key-only image of a key change is not a
    // before image. Without it `before` is null, as in Debezium.
    this.emitChange(lsn, model, op, op === 'u' && keyChanged ? undefined : before, after);
  }

  private emitChange(
    lsn: number,
    model: TableModel,
    op: 'c' | 'u' | 'd',
    before: unknown[] | undefined,
    after: unknown[] | undefined,
  ): void {
    const key = model.keyOf(after ?? before);
    // A change the log carries while a chunk window is open on its table supersedes the row the chunk read.
    if (this.incremental.watching(model.id)) this.incremental.changed(model.id, keyString(key));
    if (this.s.skipped.has(op)) return;
    const value = this.envelope(model, op, lsn, model.valueOf(before), model.valueOf(after));
    this.release(lsn, {
      topic: model.topic,
      keySchema: model.keySchema,
      key,
      valueSchema: model.envelopeSchema,
      value,
    });
    // Also for a table without a key: Debezium's dispatcher sends the tombstone whatever the key. No value
    // schema: Kafka's JsonConverter turns (null schema, null value) into a null message, which compaction needs.
    if (op === 'd' && this.s.tombstones) {
      this.release(lsn, {
        topic: model.topic,
        keySchema: model.keySchema,
        key,
        valueSchema: undefined,
        value: null,
      });
    }
  }

  private onTruncate(lsn: number, relationId: number): void {
    const model = this.relations.get(relationId);
    if (!model || !this.tx) return;
    this.incremental.truncated(model.id);
    if (this.s.skipped.has('t')) return;
    const value = this.envelope(model, 't', lsn, null, null);
    this.release(lsn, {
      topic: model.topic,
      keySchema: undefined,
      key: null,
      valueSchema: model.envelopeSchema,
      value,
    });
  }

  private envelope(
    model: TableModel,
    op: string,
    lsn: number,
    before: unknown,
    after: unknown,
  ): Record<string, unknown> {
    const tx = this.tx!;
    let transaction: Record<string, unknown> | null = null;
    if (this.s.transactionMetadata) {
      transaction = tx.counts.block(model.id);
    }
    const now = processingTimes();
    return {
      before,
      after,
      source: sourceValue({
        name: this.s.prefix,
        db: this.s.database,
        schema: model.schema,
        table: model.table,
        tsUs: tx.commitUs,
        snapshot: 'false',
        txId: tx.xid,
        lsn,
        lastCommitLsn: this.lastCommitLsn,
        origin: tx.origin,
      }),
      transaction,
      op,
      ts_ms: now.ms,
      ts_us: now.us,
      ts_ns: now.ns,
    };
  }

  /** Changes streamed before a pending snapshot belong to it: a restart must not take them as streaming progress. */
  private phaseMark(): Partial<PgOffset> {
    return this.snapshotPhase ? { snapshot: true, last_snapshot_record: false } : {};
  }

  /** Queues the held change and holds this one: the last change of a transaction must learn it is the last. */
  private release(
    lsn: number,
    r: Pick<ChangeRecord, 'topic' | 'keySchema' | 'key' | 'valueSchema' | 'value'>,
    fields = this.incremental.fields,
  ): void {
    const tx = this.tx!;
    const event = lsn === this.eventLsn ? this.event + 1 : 0;
    this.eventLsn = lsn;
    this.event = event;
    // Skipped here, record by record, not per change: the records of one change share its LSN, and the counts of
    // the transaction metadata must come out as in the first run.
    if (this.skip !== undefined && this.skipping(lsn, event)) return;
    tx.emitted = true;
    // Built without spreads: this runs once per change.
    const offset: PgOffset = this.snapshotPhase
      ? {
          lsn,
          lsn_proc: this.safeLsn,
          lsn_commit: tx.finalLsn,
          txId: tx.xid,
          ts_usec: tx.tsUsec,
          event,
          snapshot: true,
          last_snapshot_record: false,
        }
      : { lsn, lsn_proc: this.safeLsn, lsn_commit: tx.finalLsn, txId: tx.xid, ts_usec: tx.tsUsec, event };
    if (fields) Object.assign(offset, fields);
    const record: ChangeRecord = {
      topic: r.topic,
      keySchema: r.keySchema,
      key: r.key,
      valueSchema: r.valueSchema,
      value: r.value,
      headers: NO_HEADERS,
      timestamp: tx.tsMs,
      sourcePartition: this.partition,
      sourceOffset: offset as unknown as SourceOffset,
    };
    if (this.held) this.push(this.held.record);
    this.held = { record, offset };
  }

  /** A row inserted into the signal table: a watermark of ours, or a signal (the `source` channel). */
  private onSignalRow(lsn: number, model: TableModel, row: unknown[] | undefined): void {
    if (!row) return;
    const col = (name: string) => {
      const i = model.columns.findIndex((c) => c.name === name);
      return i < 0 ? undefined : row[i];
    };
    const id = col('id');
    const type = col('type');
    if (typeof id !== 'string') return;
    if (type === WINDOW_OPEN || type === WINDOW_CLOSE) {
      const out = this.incremental.watermark(id, type === WINDOW_OPEN);
      if (out) this.emitChunk(lsn, out.rows, out.before, out.after);
      return;
    }
    if (!this.s.signalChannels.includes('source')) return;
    let signal: Signal;
    try {
      signal = parseSignal({ id, type, data: col('data') });
    } catch (err) {
      this.ctx.log.warn(
        { table: model.id, position: formatLsn(lsn), err: (err as Error).message },
        'signal row refused',
      );
      return;
    }
    const answer = this.h.coordinator.signal(signal, 'source').then((a) => {
      if (!a.accepted)
        this.ctx.log.warn({ signal: signal.id, position: formatLsn(lsn), reason: a.reason }, 'signal refused');
    });
    if (!isBlockingRequest(signal)) return;
    // checked with the database asynchronously (the tables, the filters): the stream waits for the answer
    const pending: Promise<unknown> = answer.finally(() => {
      if (this.blockingPending === pending) this.blockingPending = undefined;
    });
    this.blockingPending = pending;
  }

  /** A chunk's rows as `op: "r"` events; the last carries the offset that says the chunk is done. */
  private emitChunk(
    lsn: number,
    rows: ChunkRow[],
    before: Record<string, unknown>,
    after: Record<string, unknown>,
  ): void {
    const tx = this.tx!;
    const now = processingTimes();
    for (let i = 0; i < rows.length; i++) {
      const { model, values } = rows[i];
      this.release(
        lsn,
        {
          topic: model.topic,
          keySchema: model.keySchema,
          key: model.keyOf(values),
          valueSchema: model.envelopeSchema,
          value: readValue(
            model.valueOf(values),
            sourceValue({
              name: this.s.prefix,
              db: this.s.database,
              schema: model.schema,
              table: model.table,
              tsUs: tx.commitUs,
              snapshot: 'incremental',
              txId: tx.xid,
              lsn,
              lastCommitLsn: this.lastCommitLsn,
            }),
            now,
          ),
        },
        i === rows.length - 1 ? after : before,
      );
    }
  }

  private onCommit(commitLsn: number, endLsn: number): undefined {
    const tx = this.tx;
    if (this.held) {
      // With transaction metadata the END marker comes after it: only the marker may confirm the whole
      // transaction, or a resume right after this change would never send the END.
      const offset = { ...this.held.offset, lsn_proc: this.s.transactionMetadata ? this.held.offset.lsn_proc : endLsn };
      this.push({ ...this.held.record, sourceOffset: offset as unknown as SourceOffset });
      this.held = undefined;
    }
    this.safeLsn = endLsn;
    // Debezium's MilliSecondsBehindSource: how old the transaction's changes are as they are handed out.
    if (tx?.emitted) this.ctx.reportLag?.(Math.max(0, Date.now() - tx.tsMs));
    if (tx && this.s.transactionMetadata) this.pushTxMarker('END', endLsn);
    if (this.skip && tx && tx.finalLsn >= this.skip.commitLsn) this.skip = undefined;
    this.lastCommitLsn = commitLsn;
    this.tx = undefined;
    return undefined;
  }

  private pushTxMarker(status: 'BEGIN' | 'END', lsn: number): void {
    const tx = this.tx!;
    const end = status === 'END';
    const offset: PgOffset = {
      lsn,
      lsn_proc: end ? lsn : this.safeLsn,
      lsn_commit: tx.finalLsn,
      txId: tx.xid,
      ts_usec: Number(tx.commitUs),
      ...this.phaseMark(),
    };
    if (!end) offset.event = -1;
    const fields = this.incremental.fields;
    if (fields) Object.assign(offset, fields);
    this.push({
      topic: this.s.transactionTopic,
      keySchema: transactionKeySchema,
      key: { id: tx.id },
      valueSchema: transactionValueSchema,
      value: tx.counts.value(status, Number(tx.commitUs / 1000n)),
      headers: [],
      timestamp: Number(tx.commitUs / 1000n),
      sourcePartition: this.partition,
      sourceOffset: offset as unknown as SourceOffset,
    });
  }
}

function jsonSafe(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (v && typeof v === 'object' && 'unscaled' in v) return String(v);
  return v;
}

/** Whether the catalog read names every column of a relation message. */
function catalogHas(catalog: TableCatalog | undefined, columns: ReadonlyArray<{ name: string }>): boolean {
  if (!catalog) return false;
  const names = new Set(catalog.columns.map((c) => c.name));
  return columns.every((c) => names.has(c.name));
}
