import type { ChangeRecord, SourceTaskContext } from '../../runtime/api/index.js';
import type { BlockingSnapshotSource } from '../cdc/coordinator.js';
import type { SnapshotCollection } from '../cdc/incremental.js';
import { type SnapshotRequest, SignalError } from '../cdc/signals.js';
import type { ChangeStreamSource } from './change-stream.js';
import type { MongoSourceConfig } from './config.js';
import { mapSnapshotDocument, type MapperContext } from './event-mapper.js';
import { MongoChunkReader, parseCondition } from './incremental.js';
import { type HeldDocument, snapshotBatches } from './initial-snapshot.js';
import type { StreamPosition } from './offsets.js';
import { type DocumentReader, openSnapshotReader } from './parallel-snapshot.js';
import type { CollectionRef } from './snapshot.js';
import type { MongoClient } from 'mongodb';

/** What the blocking snapshot borrows from the task. */
export interface BlockingHost {
  readonly cfg: MongoSourceConfig;
  readonly ctx: SourceTaskContext;
  client(): MongoClient | undefined;
  mapper(): MapperContext;
  /** offset fields of a running incremental snapshot */
  fields(): Record<string, unknown> | undefined;
  /** whether the stream runs (a blocking snapshot can start only then) */
  streaming(): boolean;
}

/** A blocking snapshot from its request to the stream's resumption. */
interface Request {
  id: string;
  collections: CollectionRef[];
  /** resolves the coordinator's run(): the stream goes on */
  done: () => void;
  reader?: DocumentReader;
}

/**
 * MongoDB's part of a blocking ad-hoc snapshot (execute-snapshot, `"type": "blocking"`, Debezium's
 * BlockingSnapshot). The streaming source takes a request at its next batch boundary — not a transaction
 * boundary as on PostgreSQL and MySQL: a change stream has no place between transactions to stop at, and a
 * resume token after any whole event is a place it can reopen at — stops the stream there, reads the collections
 * as the initial snapshot does (`op: "r"`, `source.snapshot` `true`, the last `last`), every record carrying the
 * stream's position at the stop, then reopens the stream after that position.
 *
 * A run that fails while it reads (a lost server) leaves the request standing: the next run's stream takes it at
 * once and reads the collections again from the start (what was handed out already comes again; a replay by key
 * absorbs it), so the snapshot is not lost with the run as it is on the other connectors.
 */
export class MongoBlockingSnapshot implements BlockingSnapshotSource {
  private request: Request | undefined;
  private readonly collections: MongoChunkReader;

  constructor(private readonly host: BlockingHost) {
    this.collections = new MongoChunkReader(host.cfg, () => {
      const client = host.client();
      if (!client) throw new SignalError('not connected to MongoDB now; send the signal again');
      return client;
    });
  }

  /** A blocking snapshot is requested or running. */
  get wanted(): boolean {
    return this.request !== undefined;
  }

  resolve(signalId: string, req: SnapshotRequest): Promise<SnapshotCollection[]> {
    if (!this.host.streaming() || this.request)
      throw new SignalError(`signal ${signalId}: the stream has not started or the initial snapshot is running`);
    return this.collections.resolve(signalId, req, true);
  }

  /** Taken by the stream at its next batch boundary; resolves once the stream reads on. */
  run(id: string, colls: SnapshotCollection[]): Promise<void> {
    return new Promise<void>((done) => {
      const collections = colls.map((c) => {
        const dot = c.id.indexOf('.');
        const ref = { db: c.id.slice(0, dot), coll: c.id.slice(dot + 1) };
        return c.filter === undefined
          ? ref
          : { ...ref, filter: parseCondition(c.filter, `signal ${id}: additional-conditions for ${c.id}`) };
      });
      this.request = { id, collections, done };
    });
  }

  /**
   * Run by the streaming source between batches: stops the stream, reads the collections, handing their records
   * on as batches, and resumes the stream. Returns false when the run ended first (the request stays for the next).
   */
  async read(
    stream: ChangeStreamSource,
    signal: AbortSignal,
    hand: (batch: ChangeRecord[]) => Promise<void>,
    read: <T>(p: Promise<T>) => Promise<T>,
  ): Promise<boolean> {
    const b = this.request!;
    const { cfg, ctx } = this.host;
    await stream.halt();
    const position = stream.position;
    const reader = openSnapshotReader(this.host.client()!, b.collections, cfg);
    b.reader = reader;
    ctx.log.info(
      { signal: b.id, collections: b.collections.map((c) => `${c.db}.${c.coll}`), position },
      'blocking snapshot: change stream stopped',
    );
    try {
      for await (const batch of snapshotBatches(
        reader,
        cfg,
        signal,
        (h, snapshot) => this.record(h, snapshot, position),
        (running) => this.progress(b, running),
        read,
      ))
        await hand(batch);
    } finally {
      b.reader = undefined;
      await reader.close().catch(() => undefined);
    }
    if (signal.aborted) {
      ctx.log.warn({ signal: b.id }, 'blocking snapshot interrupted; its collections are read again');
      return false;
    }
    stream.resume();
    this.request = undefined;
    ctx.log.info({ signal: b.id, documents: reader.rowsScanned }, 'blocking snapshot read; streaming resumes');
    b.done();
    return true;
  }

  /** The task stops: the snapshot ends unread; the signal can be sent again. */
  abandon(why: string): void {
    const b = this.request;
    if (!b) return;
    this.request = undefined;
    this.host.ctx.log.warn({ signal: b.id }, `blocking snapshot abandoned: ${why}; send the signal again`);
    this.progress(b, false);
    b.done();
  }

  private record(h: HeldDocument, snapshot: 'true' | 'last', position: StreamPosition | undefined): ChangeRecord {
    return mapSnapshotDocument(
      {
        doc: h.doc,
        db: h.ref.db,
        coll: h.ref.coll,
        snapshot,
        position,
        initsync: false,
        offsetFields: this.host.fields(),
      },
      this.host.mapper(),
    );
  }

  private progress(b: Request, running: boolean): void {
    this.host.ctx.reportSnapshotProgress?.({
      kind: 'blocking',
      snapshotId: b.id,
      running,
      tablesTotal: b.collections.length,
      tablesRemaining: b.reader?.remaining ?? b.collections.length,
      rowsScanned: b.reader?.rowsScanned ?? 0,
    });
  }
}
