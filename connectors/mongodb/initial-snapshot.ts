import type { ChangeRecord, SourceTaskContext } from '../../runtime/api/index.js';
import type { MongoSourceConfig } from './config.js';
import { type MapperContext, mapSnapshotDocument } from './event-mapper.js';
import type { ChangeDoc } from './fragments.js';
import type { StreamPosition } from './offsets.js';
import type { DocumentReader } from './parallel-snapshot.js';
import type { CollectionRef } from './snapshot.js';

/** A document read and not yet emitted: the snapshot's last record is marked `last`, so each waits for the next. */
export interface HeldDocument {
  doc: ChangeDoc;
  ref: CollectionRef;
}

/** Reports snapshot progress every this many documents. */
const PROGRESS_EVERY = 10_000;

/**
 * Reads a snapshot's documents in batches of `max.batch.size` records: `op: "r"`, `source.snapshot` `true`, the
 * very last `last` (Debezium's MongoDB snapshot writes no `first` or per-collection markers). `record` makes each
 * record (the initial and the blocking snapshot differ in their offsets). Yields nothing once `signal` aborts.
 */
export async function* snapshotBatches(
  reader: DocumentReader,
  cfg: MongoSourceConfig,
  signal: AbortSignal,
  record: (h: HeldDocument, snapshot: 'true' | 'last') => ChangeRecord,
  progress: (running: boolean) => void,
  read: <T>(p: Promise<T>) => Promise<T> = (p) => p,
): AsyncGenerator<ChangeRecord[]> {
  let held: HeldDocument | undefined;
  progress(true);
  while (!signal.aborted) {
    const out: ChangeRecord[] = [];
    let done = false;
    while (out.length < cfg.maxBatchSize) {
      const next = await read(reader.next());
      if (!next) {
        if (held) out.push(record(held, 'last'));
        held = undefined;
        done = true;
        break;
      }
      if (held) out.push(record(held, 'true'));
      held = { doc: next.doc, ref: next.ref };
    }
    if (signal.aborted) return;
    if (!done && reader.rowsScanned % PROGRESS_EVERY < out.length) progress(true);
    if (out.length) yield out;
    if (done) {
      progress(false);
      return;
    }
  }
}

/**
 * The initial snapshot's source (Debezium's SnapshotChangeEventSource for MongoDB): every captured collection, each
 * record at the stream's start position with `initsync` set until the last one, so that a restart from any of
 * them snapshots again.
 */
export class InitialSnapshot {
  constructor(
    private readonly reader: DocumentReader,
    /** where the stream resumes after the snapshot; undefined when the server gave no token */
    private readonly start: StreamPosition | undefined,
    private readonly cfg: MongoSourceConfig,
    private readonly ctx: SourceTaskContext,
    private readonly mapper: MapperContext,
  ) {}

  /** Reads the snapshot, handing each batch to `hand`; closes the reader at the end or on failure. */
  async run(signal: AbortSignal, hand: (batch: ChangeRecord[]) => Promise<void>): Promise<void> {
    const r = this.reader;
    this.ctx.log.info({ collections: r.plan.map((p) => `${p.db}.${p.coll}`), start: this.start }, 'snapshot starts');
    try {
      for await (const batch of snapshotBatches(
        r,
        this.cfg,
        signal,
        (h, snapshot) => this.record(h, snapshot),
        (running) => this.progress(running),
      ))
        await hand(batch);
    } finally {
      await r.close().catch(() => undefined);
    }
    if (!signal.aborted) this.ctx.log.info({ documents: r.rowsScanned }, 'snapshot complete; streaming');
  }

  private record(h: HeldDocument, snapshot: 'true' | 'last'): ChangeRecord {
    return mapSnapshotDocument(
      {
        doc: h.doc,
        db: h.ref.db,
        coll: h.ref.coll,
        snapshot,
        position: this.start,
        // Without a known start position even the last record must not mark the snapshot complete.
        initsync: snapshot === 'true' || this.start === undefined,
      },
      this.mapper,
    );
  }

  private progress(running: boolean): void {
    const r = this.reader;
    this.ctx.reportSnapshotProgress?.({
      running,
      tablesTotal: r.plan.length,
      tablesRemaining: running ? r.remaining : 0,
      rowsScanned: r.rowsScanned,
    });
  }
}
