import { BSON, type Document, type MongoClient } from 'mongodb';
import {
  type ChangeRecord,
  ConnectError,
  type ErrorContext,
  type SourceOffset,
  type SourceTaskContext,
} from '../../runtime/api/index.js';
import type { ChangeEventCoordinator } from '../cdc/coordinator.js';
import { IncrementalSnapshotter, type SnapshotCollection, stateFromOffset } from '../cdc/incremental.js';
import { parseSignal, type Signal, WINDOW_CLOSE, WINDOW_OPEN } from '../cdc/signals.js';
import type { MongoSourceConfig } from './config.js';
import { type MapperContext, mapSnapshotDocument } from './event-mapper.js';
import type { ChangeDoc } from './fragments.js';
import { type ChunkDoc, MongoChunkReader } from './incremental.js';
import type { StreamPosition } from './offsets.js';

/** What the MongoDB task lends its signals part. */
export interface SignalHost {
  readonly cfg: MongoSourceConfig;
  readonly ctx: SourceTaskContext;
  /** the task's coordinator: this part handles the signals it routes */
  readonly coordinator: ChangeEventCoordinator;
  client(): MongoClient | undefined;
  /** whether the task streams now (chunks are read only then) */
  streaming(): boolean;
  mapper(): MapperContext;
  errorContext(): ErrorContext;
}

/**
 * The MongoDB source's signals and incremental snapshots, on the shared CDC skeleton: the coordinator takes
 * signals from every channel (REST, the signal collection) and hands them to the shared DBLog snapshotter, which
 * reads chunks through MongoChunkReader; the streaming source feeds this part the change stream (signal documents,
 * watermarks, changed keys) and puts the snapshot's offset fields on its records.
 */
export class MongoSignals {
  private readonly coordinator: ChangeEventCoordinator;
  private incremental: IncrementalSnapshotter<ChunkDoc>;
  /** the offset of the last record handed out (its snapshot fields): a failed run goes back to them */
  private handedFields: Record<string, unknown> | undefined;
  /** a chunk read that failed (its error is thrown by the next poll) */
  private chunkFailure: unknown;
  /** signals of the signal collection, handled in order */
  private sourceSignals: Promise<void> = Promise.resolve();

  constructor(private readonly host: SignalHost) {
    this.coordinator = host.coordinator;
    this.incremental = this.newIncremental();
    this.coordinator.onSignal((signal) => this.incremental.signal(signal));
  }

  /** A snapshot the stored offset says was running goes on at its last committed chunk. */
  restore(offset: SourceOffset | null): void {
    try {
      this.incremental.restore(stateFromOffset(offset as Record<string, unknown> | null));
      this.handedFields = this.incremental.fields;
    } catch (err) {
      throw new ConnectError(
        `the stored offset cannot be used: ${(err as Error).message}. Fix: set a valid one (PATCH /connectors/${this.host.ctx.connector}/offsets) or delete the offsets.`,
        { context: this.host.errorContext() },
      );
    }
  }

  /** Starts a snapshot of `collections` (a resumable initial snapshot): its chunks are read while the task streams. */
  begin(snapshotId: string, collections: SnapshotCollection[]): void {
    this.incremental.begin(snapshotId, collections);
    this.handedFields = this.incremental.fields;
  }

  /** The failure of a chunk read since the last poll, once. */
  takeFailure(): unknown {
    const err = this.chunkFailure;
    this.chunkFailure = undefined;
    return err;
  }

  /** Offset fields every record carries while a snapshot runs. */
  get fields(): Record<string, unknown> | undefined {
    return this.incremental.fields;
  }

  /**
   * A batch went out; `offset` is its last record's. Records are made ahead of delivery (they wait in the task's
   * queue), so the snapshot's state as delivered is the one that offset carries, not the snapshotter's now.
   */
  handedOut(offset: SourceOffset): void {
    this.handedFields = offset as Record<string, unknown>;
  }

  /** Reads the next chunk when one may be read. */
  kick(): void {
    this.incremental.kick();
  }

  /** The stream changed a document of `collection` (key: the event key's `id`). */
  changed(collection: string, key: string): void {
    if (this.incremental.watching(collection)) this.incremental.changed(collection, key);
  }

  /** The collection was dropped: a chunk in flight on it is void. */
  dropped(collection: string): void {
    this.incremental.truncated(collection);
  }

  /** The records with the snapshot's offset fields, while one runs. */
  withFields(records: ChangeRecord[]): ChangeRecord[] {
    const fields = this.incremental.fields;
    if (!fields) return records;
    return records.map((r) => ({ ...r, sourceOffset: { ...r.sourceOffset, ...fields } as unknown as SourceOffset }));
  }

  /**
   * Back to the snapshot's place as of the last batch handed out (chunks released into a lost batch are read
   * again), keeping collections signalled since; a window in flight is dropped.
   */
  reset(): void {
    const now = stateFromOffset(this.incremental.fields ?? null);
    const then = stateFromOffset(this.handedFields ?? null);
    if (!now && !then) return;
    let st = now;
    if (then && (!now || now.snapshotId === then.snapshotId)) {
      const added = (now?.collections ?? []).filter((c) => !then.collections.some((x) => x.id === c.id));
      st = { ...then, collections: [...then.collections, ...added], paused: now?.paused ?? then.paused };
    } else if (now) {
      st = { ...now, lastKey: undefined, maxKey: undefined };
    }
    this.incremental = this.newIncremental();
    this.incremental.restore(st);
  }

  private newIncremental(): IncrementalSnapshotter<ChunkDoc> {
    const host = this.host;
    const inc: IncrementalSnapshotter<ChunkDoc> = new IncrementalSnapshotter(
      new MongoChunkReader(host.cfg, () => {
        const client = host.client();
        if (!client) throw new ConnectError('not connected', { retriable: true, context: host.errorContext() });
        return client;
      }),
      {
        ready: () => host.streaming() && this.incremental === inc,
        fail: (err) => {
          // a chunk of a snapshotter already replaced is of no interest
          if (this.incremental !== inc) return;
          this.chunkFailure = err;
          host.ctx.log.warn({ err: (err as Error).message }, 'incremental snapshot chunk failed');
        },
        progress: (p) => host.ctx.reportSnapshotProgress?.(p),
        log: host.ctx.log,
      },
    );
    return inc;
  }

  /**
   * A document inserted into the signal collection: a watermark of ours (a close releases its chunk's documents,
   * returned as `op: "r"` records), or a signal of the `source` channel, handed to the coordinator.
   */
  signalDocument(ev: ChangeDoc, position: StreamPosition): ChangeRecord[] {
    const doc = ev.fullDocument as Document | undefined;
    if (!doc || typeof doc !== 'object') return [];
    const id = typeof doc._id === 'string' ? doc._id : typeof doc.id === 'string' ? doc.id : undefined;
    const type = doc.type;
    if (type === WINDOW_OPEN || type === WINDOW_CLOSE) {
      if (id === undefined) return [];
      const out = this.incremental.watermark(id, type === WINDOW_OPEN);
      if (!out) return [];
      const mapper = this.host.mapper();
      return out.rows.map((r, i) =>
        mapSnapshotDocument(
          {
            doc: r.doc,
            db: r.db,
            coll: r.coll,
            snapshot: 'incremental',
            position,
            initsync: false,
            // the chunk's last record says the chunk is done; the others carry the state before it
            offsetFields: i === out.rows.length - 1 ? out.after : out.before,
          },
          mapper,
        ),
      );
    }
    if (!this.host.cfg.signalChannels.includes('source')) return [];
    let signal: Signal;
    try {
      // `data` as JSON text (Debezium's form) or as an embedded document
      const data = doc.data !== null && typeof doc.data === 'object' ? BSON.EJSON.serialize(doc.data) : doc.data;
      signal = parseSignal({ id: id ?? (doc._id === undefined ? undefined : String(doc._id)), type, data });
    } catch (err) {
      this.host.ctx.log.warn(
        { collection: this.host.cfg.signalCollection?.id, position: position.resumeToken, err: (err as Error).message },
        'signal document refused',
      );
      return [];
    }
    // One after another, in the collection's order: an execute-snapshot checks the server before it is taken, and a
    // pause-snapshot written right after it must find the snapshot running.
    this.sourceSignals = this.sourceSignals
      .then(() => this.coordinator.signal(signal, 'source'))
      .then((a) => {
        if (!a.accepted) this.host.ctx.log.warn({ signal: signal.id, reason: a.reason }, 'signal refused');
      });
    return [];
  }
}
