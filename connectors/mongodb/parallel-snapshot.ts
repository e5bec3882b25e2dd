import type { Document, FindCursor, MongoClient } from 'mongodb';
import type { MongoSourceConfig } from './config.js';
import { idAfter, idUpTo } from './incremental.js';
import { type CollectionRef, SnapshotReader } from './snapshot.js';

/** What the task reads a snapshot through: one cursor at a time, or several at once. */
export interface DocumentReader {
  readonly plan: readonly CollectionRef[];
  readonly rowsScanned: number;
  /** collections not yet read to their end */
  readonly remaining: number;
  next(): Promise<{ doc: Document; ref: CollectionRef } | null>;
  close(): Promise<void>;
}

/** The reader `snapshot.max.threads` asks for. */
export function openSnapshotReader(
  client: MongoClient,
  plan: readonly CollectionRef[],
  cfg: MongoSourceConfig,
): DocumentReader {
  return cfg.snapshotThreads > 1
    ? new ParallelSnapshotReader(client, plan, cfg.snapshotFetchSize, cfg.snapshotThreads)
    : new SnapshotReader(client, plan, cfg.snapshotFetchSize);
}

/** A collection with fewer documents than this (estimated) is read by one cursor: splitting it costs more. */
const SPLIT_MIN = 20_000;

/** One piece of work: a collection, or an `_id` range of a large one. */
interface Piece {
  ref: CollectionRef;
  range?: Document;
}

const READ = { promoteValues: false, bsonRegExp: true, promoteBuffers: false } as const;

/**
 * `snapshot.max.threads` > 1 (Debezium's key: collections read concurrently), and beyond Debezium a large
 * collection split into `_id` ranges (one per thread, bounds found by `_id` order, ranges across BSON types as the
 * incremental snapshot's chunks) read concurrently too. The threads are cursors in flight at once on one client;
 * documents meet in a bounded buffer, so memory stays at a few cursor batches. Order across documents is not kept
 * (a MongoDB snapshot has no cross-document order to keep: every change made while it runs comes after it from the
 * change stream, which was opened before it).
 */
export class ParallelSnapshotReader implements DocumentReader {
  rowsScanned = 0;
  private readonly buffer: Array<{ doc: Document; ref: CollectionRef }> = [];
  private readonly limit: number;
  private consumer?: () => void;
  private readonly producers: Array<() => void> = [];
  private started?: Promise<void>;
  private running = 0;
  private finished = false;
  private failure: unknown;
  private closed = false;
  private readonly cursors = new Set<FindCursor<Document>>();
  /** pieces left per collection id */
  private readonly left = new Map<string, number>();

  constructor(
    private readonly client: MongoClient,
    readonly plan: readonly CollectionRef[],
    private readonly fetchSize: number,
    private readonly threads: number,
  ) {
    this.limit = Math.max(1000, (fetchSize > 0 ? fetchSize : 1000) * threads);
    for (const r of plan) this.left.set(idOf(r), 1);
  }

  get remaining(): number {
    let n = 0;
    for (const v of this.left.values()) if (v > 0) n++;
    return n;
  }

  async next(): Promise<{ doc: Document; ref: CollectionRef } | null> {
    this.started ??= this.start();
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const item = this.buffer.shift();
      if (item) {
        this.rowsScanned++;
        if (this.buffer.length < this.limit / 2) for (const wake of this.producers.splice(0)) wake();
        return item;
      }
      if (this.finished) return null;
      await new Promise<void>((resolve) => {
        this.consumer = resolve;
      });
    }
  }

  private wakeConsumer(): void {
    const c = this.consumer;
    this.consumer = undefined;
    c?.();
  }

  private async start(): Promise<void> {
    try {
      const pieces: Piece[] = [];
      for (const ref of this.plan) {
        const ranges = await this.split(ref);
        this.left.set(idOf(ref), ranges.length);
        pieces.push(...ranges);
      }
      this.running = Math.min(this.threads, pieces.length);
      if (this.running === 0) {
        this.finished = true;
        this.wakeConsumer();
        return;
      }
      for (let i = 0; i < this.running; i++) void this.work(pieces);
    } catch (err) {
      this.failure = err;
      this.wakeConsumer();
    }
  }

  /** A large collection as `threads` `_id` ranges of about equal size; others whole. */
  private async split(ref: CollectionRef): Promise<Piece[]> {
    const coll = this.client.db(ref.db).collection(ref.coll);
    const count = ref.filter ? 0 : await coll.estimatedDocumentCount();
    if (count < SPLIT_MIN) return [{ ref }];
    const bounds: unknown[] = [];
    for (let k = 1; k < this.threads; k++) {
      const at = await coll
        .find({}, { ...READ, projection: { _id: 1 } })
        .sort({ _id: 1 })
        .skip(Math.floor((count * k) / this.threads))
        .limit(1)
        .next();
      if (at) bounds.push(at._id);
    }
    const pieces: Piece[] = [];
    for (let i = 0; i <= bounds.length; i++) {
      const parts: Document[] = [];
      if (i > 0) parts.push(idAfter(bounds[i - 1]));
      if (i < bounds.length) parts.push(idUpTo(bounds[i]));
      pieces.push({ ref, range: parts.length === 1 ? parts[0] : { $and: parts } });
    }
    return pieces;
  }

  private async work(pieces: Piece[]): Promise<void> {
    try {
      for (let piece = pieces.shift(); piece && !this.closed; piece = pieces.shift()) {
        const { ref, range } = piece;
        const filter = range && ref.filter ? { $and: [range, ref.filter] } : (range ?? ref.filter ?? {});
        const cursor = this.client
          .db(ref.db)
          .collection(ref.coll)
          .find(filter, { ...READ, ...(this.fetchSize > 0 ? { batchSize: this.fetchSize } : {}) });
        this.cursors.add(cursor);
        try {
          for (let doc = await cursor.next(); doc && !this.closed; doc = await cursor.next()) {
            this.buffer.push({ doc, ref });
            this.wakeConsumer();
            if (this.buffer.length >= this.limit)
              await new Promise<void>((resolve) => {
                this.producers.push(resolve);
              });
          }
        } finally {
          this.cursors.delete(cursor);
          await cursor.close().catch(() => undefined);
        }
        const id = idOf(ref);
        this.left.set(id, (this.left.get(id) ?? 1) - 1);
      }
    } catch (err) {
      this.failure ??= err;
    } finally {
      if (--this.running === 0) this.finished = true;
      this.wakeConsumer();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.producers.splice(0)) wake();
    await Promise.all([...this.cursors].map((c) => c.close().catch(() => undefined)));
  }
}

const idOf = (r: CollectionRef) => `${r.db}.${r.coll}`;
