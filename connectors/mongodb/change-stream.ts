import type { MongoClient, ResumeToken } from 'mongodb';
import type { ChangeRecord, SourceOffset, SourcePartition, SourceTaskContext } from '../../runtime/api/index.js';
import { heartbeatRecord } from '../cdc/transaction.js';
import type { MongoSourceConfig } from './config.js';
import { closeWithin, pause } from './connection.js';
import { type MapperContext, mapChangeEvent } from './event-mapper.js';
import { type ChangeDoc, FragmentAssembler } from './fragments.js';
import type { EventStream } from './merged-stream.js';
import { encodeOffset, type StreamPosition, tokenTime } from './offsets.js';
import type { MongoSignals } from './signals.js';
import type { CollectionRef } from './snapshot.js';
import { openEvents, type StartFrom, streamCoversSignals } from './stream.js';

/** What the streaming source borrows from the task. */
export interface StreamHost {
  readonly cfg: MongoSourceConfig;
  readonly ctx: SourceTaskContext;
  readonly mapper: MapperContext;
  readonly partition: SourcePartition;
  readonly signals: MongoSignals;
  /** the collections watched one stream each (capture.scope=collection without a target) */
  readonly watched: readonly CollectionRef[];
  /** a read of the stream, ended at once when the driver's monitor loses the server */
  read<T>(p: Promise<T>): Promise<T>;
}

/**
 * The streaming source (Debezium's StreamingChangeEventSource for MongoDB): reads the change stream in batches of
 * `max.batch.size` records, maps events, feeds the signal collection to the signals part (signals, watermarks)
 * and the changed keys to a running incremental snapshot, reopens after an `invalidate`, and emits a heartbeat
 * when the coordinator's timer says one is due and the captured collections are quiet.
 */
export class ChangeStreamSource {
  private fragments = new FragmentAssembler();
  /** the stream position up to which events were handed on (or skipped): where a reopened stream resumes */
  private last: StreamPosition | undefined;
  private lastRecordAt = Date.now();
  private heartbeatDue = false;
  /** the stream is closed (a blocking snapshot runs) */
  private closed = false;

  constructor(
    private readonly host: StreamHost,
    private readonly client: MongoClient,
    private events: EventStream,
    /** events read ahead (the first read checks the stream); handed on before any other */
    private readonly pending: ChangeDoc[],
    position: StreamPosition | undefined,
  ) {
    this.last = position;
  }

  /** The position of the last event handed on, or the stream's latest token: where the stream stands now. */
  get position(): StreamPosition | undefined {
    return this.last ?? this.streamToken();
  }

  /** Read-ahead is held (the stream cannot be closed and reopened at `position` without losing it). */
  get holding(): boolean {
    return this.pending.length > 0 || this.fragments.pending > 0;
  }

  /** The coordinator's heartbeat timer: the next quiet read emits a heartbeat. */
  heartbeatTick(): void {
    if (Date.now() - this.lastRecordAt >= this.host.cfg.heartbeatIntervalMs) this.heartbeatDue = true;
  }

  /** A batch of records, empty when nothing arrived; waits `poll.interval.ms` on servers that answer at once. */
  async next(signal: AbortSignal): Promise<ChangeRecord[]> {
    const started = Date.now();
    const out = await this.read();
    if (out.length) {
      this.lastRecordAt = Date.now();
      return out;
    }
    const beat = this.heartbeat();
    if (beat) return [beat];
    // Servers that do not hold getMore open (mongo-java-server) answer at once: pause instead of spinning.
    if (Date.now() - started < 50) await pause(this.host.cfg.pollIntervalMs, signal);
    return out;
  }

  private async read(): Promise<ChangeRecord[]> {
    const { cfg, ctx, signals, mapper } = this.host;
    const out: ChangeRecord[] = [];
    // The position moves only when a batch is complete: events read into a batch that a failure then discards must
    // be read again by the reopened stream.
    let position = this.last;
    signals.kick();
    const sig = cfg.signalCollection;
    const signalsCaptured = sig !== undefined && streamCoversSignals(cfg) && cfg.filter.collection(sig.db, sig.coll);
    while (out.length < cfg.maxBatchSize) {
      const raw = this.pending.length ? this.pending.shift() : await this.host.read(this.events.tryNext());
      if (!raw) break;
      const ev = this.fragments.push(raw as ChangeDoc);
      if (!ev) continue;
      const mapped = mapChangeEvent(ev, mapper);
      position = mapped.position;
      if (mapped.kind === 'data' && sig && mapped.db === sig.db && mapped.coll === sig.coll) {
        // the signal collection: signals (the `source` channel) and the incremental snapshot's watermarks
        if (ev.operationType === 'insert') out.push(...signals.signalDocument(ev, mapped.position));
        if (!signalsCaptured) continue;
      }
      if (mapped.kind === 'data' && !cfg.filter.collection(mapped.db, mapped.coll)) {
        // Deployment and database streams carry every collection; the lists pick ours. The position still moves.
        continue;
      }
      if (mapped.kind === 'skip' && mapped.db && mapped.coll && mapped.operationType === 'drop')
        signals.dropped(`${mapped.db}.${mapped.coll}`);
      if (mapped.kind === 'data') {
        // A change the stream carries while a chunk window is open on its collection supersedes the document read.
        signals.changed(`${mapped.db}.${mapped.coll}`, (mapped.records[0].key as { id: string }).id);
        out.push(...signals.withFields(mapped.records));
        const wall = ev.wallTime instanceof Date ? ev.wallTime.getTime() : mapped.position.sec * 1000;
        ctx.reportLag?.(Math.max(0, Date.now() - wall));
      } else if (mapped.kind === 'skip' && mapped.warn) {
        ctx.log.warn(
          { operationType: mapped.operationType, db: mapped.db, collection: mapped.coll, position: mapped.position },
          'change event skipped: documentKey holds update operators and no post-image has an _id (mongo-java-server)',
        );
      } else if (mapped.kind === 'skip') {
        ctx.log.info(
          { operationType: mapped.operationType, db: mapped.db, collection: mapped.coll },
          'change event without data records',
        );
      } else {
        await this.reopenAfterInvalidate(ev._id as ResumeToken);
        break;
      }
    }
    this.last = position;
    return out;
  }

  /**
   * A collection- or database-scoped stream ends with `invalidate` when its target is dropped or renamed.
   * `startAfter` the invalidate token keeps watching, so a re-created collection is captured again.
   */
  private async reopenAfterInvalidate(token: ResumeToken): Promise<void> {
    const { cfg, ctx } = this.host;
    ctx.log.warn({ scope: cfg.scope, target: cfg.target }, 'change stream invalidated; reopening');
    await closeWithin(this.events.close());
    const from: StartFrom = { kind: 'startAfter', token };
    this.events = openEvents(this.client, cfg, from, this.host.watched);
  }

  /** A heartbeat carries the stream's latest position so that quiet captured collections still commit offsets. */
  private heartbeat(): ChangeRecord | undefined {
    const { cfg, signals } = this.host;
    if (!this.heartbeatDue || cfg.heartbeatIntervalMs <= 0) return;
    // the stream's own token only between whole events: inside a split event it would skip the event's rest
    const position = (this.fragments.pending === 0 ? this.streamToken() : undefined) ?? this.last;
    if (!position) return;
    this.heartbeatDue = false;
    this.lastRecordAt = Date.now();
    const offset = encodeOffset(position, false);
    const fields = signals.fields;
    return heartbeatRecord(
      cfg.heartbeatTopic,
      cfg.topicPrefix,
      this.host.partition,
      (fields ? { ...offset, ...fields } : offset) as unknown as SourceOffset,
      this.lastRecordAt,
    );
  }

  /** The stream's latest resume token (the last event read, or the server's post-batch token) as a position. */
  private streamToken(): StreamPosition | undefined {
    if (this.closed) return undefined;
    const token = this.events.resumeToken as { _data?: unknown } | null | undefined;
    const data = token && typeof token._data === 'string' ? token._data : undefined;
    return data ? { ...(tokenTime(data) ?? { sec: 0, ord: 0 }), resumeToken: data } : undefined;
  }

  /**
   * Stops reading for a blocking snapshot at `position`: closed when nothing is held (events after it wait in the
   * oplog, and a closed cursor cannot hit an idle-cursor timeout); otherwise left open and simply not read.
   */
  async halt(): Promise<void> {
    if (this.position === undefined || this.holding) return;
    const at = this.position;
    await closeWithin(this.events.close());
    this.closed = true;
    this.last = at;
  }

  /** Reads on after a blocking snapshot: a closed stream reopens after the position it stopped at. */
  resume(): void {
    if (!this.closed) return;
    this.fragments = new FragmentAssembler();
    this.events = openEvents(
      this.client,
      this.host.cfg,
      { kind: 'resumeAfter', position: this.last! },
      this.host.watched,
    );
    this.closed = false;
  }

  async close(): Promise<void> {
    if (!this.closed) await closeWithin(this.events.close());
    this.closed = true;
  }
}
