import {
  type ChangeRecord,
  type Config,
  ConfigError,
  type ErrorContext,
  type SourceOffset,
  type SourcePartition,
  type SourceTask,
  type SourceTaskContext,
} from '../../runtime/api/index.js';
import { ChangeEventCoordinator, type SourcePlan } from '../cdc/coordinator.js';
import { RecordQueue } from '../cdc/record-queue.js';
import type { Signal, SignalAnswer } from '../cdc/signals.js';
import { MongoBlockingSnapshot } from './blocking.js';
import { ChangeStreamSource } from './change-stream.js';
import { crossCheck, type MongoSourceConfig, readConfig } from './config.js';
import { closeWithin, MongoConnection } from './connection.js';
import { classifyMongoError, hostsOf } from './errors.js';
import type { MapperContext } from './event-mapper.js';
import { InitialSnapshot } from './initial-snapshot.js';
import { decodeOffset, sourcePartition, type StreamPosition } from './offsets.js';
import { oplogBounds } from './oplog-check.js';
import { type ClusterTime, clusterTimeText, positionTime } from './oplog.js';
import { openSnapshotReader } from './parallel-snapshot.js';
import { MongoSignals } from './signals.js';
import { type CollectionRef, snapshotPlan } from './snapshot.js';
import { startPoint } from './start-point.js';
import { perCollection } from './stream.js';

/** What the run is doing now: signals and the incremental snapshot's chunks act only while it streams. */
type Phase = 'idle' | 'snapshot' | 'stream' | 'blocking';

/**
 * One run of the task, from an offset to a failure or the task's end: the coordinator runs its snapshot and
 * stream, which hand their records to `queue`; poll() drains it.
 */
interface Run {
  queue: RecordQueue;
  abort: AbortController;
  done: Promise<void>;
  stream?: ChangeStreamSource;
}

/** `incremental_snapshot_id` of a resumable initial snapshot (snapshot.resumable=true), as PostgreSQL's */
const INITIAL_SNAPSHOT_ID = 'initial-snapshot';

/** How often the oplog window is sampled for metrics and status. */
const LOG_REPORT_MS = 5000;

/**
 * The MongoDB source task on the shared CDC skeleton: the ChangeEventCoordinator runs the initial snapshot when
 * the snapshot mode asks for one, then the change stream (opened before the snapshot: see start-point.ts), routes
 * signals (REST, the signal collection) to the incremental snapshot and blocking snapshots to
 * MongoBlockingSnapshot, and owns the heartbeat and oplog-report timers. One task per connector: MongoDB gives one
 * ordered change stream per replica set (or per mongos), so the work does not split.
 *
 * A retriable failure (the server lost, a cursor killed) ends the current run, its cursors and its client; what it
 * queued and poll() did not hand out is dropped; the runtime retries the poll with backoff, and the next poll
 * starts a new run from the offset of the last record this task handed out, as a restarted task would from a
 * committed one (a snapshot cut short starts over; a stream resumes after the last event handed out).
 */
export class MongoSourceTask implements SourceTask {
  private cfg!: MongoSourceConfig;
  private ctx!: SourceTaskContext;
  private connection!: MongoConnection;
  /** runs the snapshot and stream of each run, routes signals, owns the timers; ends with the task */
  private coordinator!: ChangeEventCoordinator;
  /** signals (every channel, through the coordinator) and incremental snapshots */
  private signals!: MongoSignals;
  private blocking!: MongoBlockingSnapshot;
  private mapper!: MapperContext;
  private partition!: SourcePartition;
  /** the collections watched one stream each (capture.scope=collection without a target), listed at start */
  private watched: CollectionRef[] = [];
  private phase: Phase = 'idle';
  /** the current run; undefined after a retriable failure until the next poll starts one */
  private current: Run | undefined;
  /** the offset stored when the task started */
  private stored: SourceOffset | null = null;
  /** the offset of the last record handed to the runtime */
  private polled: SourceOffset | undefined;
  /** the cluster time of the last committed offset (commit()), for the oplog window left */
  private committedTime?: ClusterTime;

  async start(config: Config, ctx: SourceTaskContext): Promise<void> {
    this.ctx = ctx;
    const issues = crossCheck(config);
    if (issues.length) throw new ConfigError(issues);
    const cfg = readConfig(config);
    this.cfg = cfg;
    this.connection = new MongoConnection(cfg, ctx, () => this.errorContext(this.position()));
    const coordinator = new ChangeEventCoordinator(ctx.log);
    this.coordinator = coordinator;
    this.signals = new MongoSignals({
      cfg,
      ctx,
      coordinator,
      client: () => this.connection.client,
      // chunks are read while the stream runs (it closes their windows), and only once delivery has caught up to
      // a batch: a chunk goes out whole when its window closes, so the snapshot never runs further ahead of
      // delivery (and of committed offsets: what a crash reads again) than a chunk and a batch
      streaming: () =>
        this.phase === 'stream' && !ctx.signal.aborted && (this.current?.queue.length ?? 0) < cfg.maxBatchSize,
      mapper: () => this.mapper,
      errorContext: () => this.errorContext(),
    });
    this.blocking = new MongoBlockingSnapshot({
      cfg,
      ctx,
      client: () => this.connection.client,
      mapper: () => this.mapper,
      fields: () => this.signals.fields,
      streaming: () => this.phase === 'stream',
    });
    // a failure while a blocking snapshot reads fails its run (the next run reads it again): nothing to fail here
    coordinator.onBlockingSnapshot(this.blocking, (err) =>
      ctx.log.error({ err: (err as Error).message }, 'blocking snapshot failed'),
    );
    if (cfg.heartbeatIntervalMs > 0)
      coordinator.every(cfg.heartbeatIntervalMs, () => this.current?.stream?.heartbeatTick());
    coordinator.every(LOG_REPORT_MS, () => void this.reportLog());
    ctx.signal.addEventListener('abort', () => this.current?.abort.abort(), { once: true });
    try {
      this.current = await this.begin(undefined);
    } catch (err) {
      // The runtime may retry start(): leave no client or cursor behind from this attempt.
      await this.stop();
      throw err;
    }
    this.connection.show();
  }

  /**
   * Connects and decides where the run starts (failing now when it cannot: no change streams, a lost resume
   * point), then runs the snapshot and the stream in the background. `from`: the offset to start from, undefined
   * for the stored one.
   */
  private async begin(from: SourceOffset | null | undefined): Promise<Run> {
    const { cfg, ctx } = this;
    const client = await this.connection.open();
    const rs = await this.connection.replicaSetName();
    this.partition = sourcePartition(cfg.topicPrefix, rs);
    this.mapper = {
      topicPrefix: cfg.topicPrefix,
      rs,
      partition: this.partition,
      captureMode: cfg.captureMode,
      tombstonesOnDelete: cfg.tombstonesOnDelete,
      fieldExcludes: cfg.fieldExcludes,
      defaultNs: defaultNs(cfg),
    };
    if (perCollection(cfg)) {
      this.watched = await snapshotPlan(client, cfg).catch((err) => {
        throw classifyMongoError(err, this.errorContext());
      });
      ctx.log.info({ collections: this.watched.map((c) => `${c.db}.${c.coll}`) }, 'one change stream per collection');
    }
    if (from === undefined) {
      this.stored = await ctx.offsets.offset(this.partition);
      // a snapshot the stored offset says was running goes on at its last committed chunk
      this.signals.restore(this.stored);
    }
    const stored = decodeOffset(from === undefined ? this.stored : from);
    const sp = await startPoint({
      client,
      cfg,
      ctx,
      partition: this.partition,
      stored,
      watched: this.watched,
      errorContext: (pos) => this.errorContext(pos),
    });

    const abort = new AbortController();
    if (ctx.signal.aborted) abort.abort();
    const queue = new RecordQueue(cfg.maxQueue, cfg.maxBatchSize, () => abort.signal.aborted);
    const run: Run = { queue, abort, done: Promise.resolve() };
    const hand = async (batch: ChangeRecord[]) => {
      for (const r of batch) queue.push(r);
      await queue.room();
    };
    const plan: SourcePlan = {};
    this.phase = 'idle';
    if (sp.kind !== 'idle') {
      let position = sp.kind === 'stream' ? sp.position : sp.start;
      if (sp.kind === 'snapshot' && cfg.snapshotResumable) {
        // The initial snapshot as watermarked chunks beside the stream: every record from now on carries its state,
        // so a restart from a committed offset resumes the stream and the snapshot at its last committed chunk.
        ctx.log.info(
          { collections: sp.plan.map((p) => `${p.db}.${p.coll}`), start: sp.start },
          'resumable initial snapshot starts: watermarked chunks beside the stream',
        );
        this.signals.begin(
          INITIAL_SNAPSHOT_ID,
          sp.plan.map((p) => ({ id: `${p.db}.${p.coll}` })),
        );
      } else if (sp.kind === 'snapshot') {
        const snapshot = new InitialSnapshot(openSnapshotReader(client, sp.plan, cfg), sp.start, cfg, ctx, this.mapper);
        this.phase = 'snapshot';
        plan.snapshot = () => snapshot.run(abort.signal, hand);
        // the stream resumes at the snapshot's start: changes made while it ran come after it
        position = sp.start;
      }
      const host = { cfg, ctx, mapper: this.mapper, partition: this.partition, signals: this.signals };
      const stream = new ChangeStreamSource(
        { ...host, watched: this.watched, read: (p) => this.connection.interruptible(p) },
        client,
        sp.events,
        sp.pending,
        position,
      );
      run.stream = stream;
      if (sp.kind === 'snapshot' && !cfg.snapshotResumable && cfg.snapshotMode === 'initial_only') {
        plan.stream = async () => {
          await stream.close();
          if (!abort.signal.aborted) this.phase = 'idle';
        };
      } else plan.stream = () => this.streamFrom(stream, abort.signal, hand);
    }
    run.done = this.coordinator.run(plan).then(
      () => {
        if (!abort.signal.aborted) this.phase = 'idle';
      },
      (err) => {
        if (abort.signal.aborted) return;
        queue.fail(classifyMongoError(err, this.errorContext(this.position()), hostsOf(cfg.connectionString)));
      },
    );
    return run;
  }

  /** The streaming source's loop: batches of the change stream, a blocking snapshot when one is requested. */
  private async streamFrom(
    stream: ChangeStreamSource,
    signal: AbortSignal,
    hand: (batch: ChangeRecord[]) => Promise<void>,
  ): Promise<void> {
    if (signal.aborted) return;
    this.phase = 'stream';
    void this.reportLog();
    // an incremental snapshot restored from the offset, or signalled during the initial snapshot, reads on now
    this.signals.kick();
    try {
      while (!signal.aborted) {
        if (this.blocking.wanted) {
          this.phase = 'blocking';
          const read = await this.blocking.read(stream, signal, hand, (p) => this.connection.interruptible(p));
          if (!read || signal.aborted) return;
          this.phase = 'stream';
          continue;
        }
        const batch = await stream.next(signal);
        if (batch.length) await hand(batch);
      }
    } finally {
      await stream.close();
    }
  }

  async poll(): Promise<ChangeRecord[] | null> {
    if (this.ctx.signal.aborted) return null;
    let batch: ChangeRecord[] | null;
    try {
      const chunkFailure = this.signals.takeFailure();
      if (chunkFailure !== undefined) throw chunkFailure;
      if (!this.current) {
        const from = this.polled ?? this.stored;
        this.ctx.log.info({ from }, 'reconnecting after a retriable failure');
        this.current = await this.begin(from);
      }
      batch = await this.current.queue.poll(500);
    } catch (err) {
      const e = classifyMongoError(err, this.errorContext(this.position()), hostsOf(this.cfg.connectionString));
      // Chunks released into the lost batch (or a window in flight) must be read again: the incremental snapshot
      // goes back to where the last record handed out left it, as a restart from that offset would.
      this.signals.reset();
      if (e.retriable) {
        this.connection.pollFailed(true);
        await this.disconnect();
      }
      throw e;
    }
    this.connection.pollFailed(false);
    // chunks held back by a queue not yet drained read on
    this.signals.kick();
    if (!batch || batch.length === 0) return null;
    this.polled = batch[batch.length - 1].sourceOffset;
    this.signals.handedOut(this.polled);
    return batch;
  }

  /** Ends the run that failed, its cursors and its client; the next poll starts a new one. */
  private async disconnect(): Promise<void> {
    const run = this.current;
    this.current = undefined;
    this.phase = 'idle';
    run?.abort.abort();
    run?.queue.notify();
    await closeWithin(run?.stream?.close());
    await this.connection?.close();
    await closeWithin(run?.done);
  }

  /** A signal from REST or a channel the runtime reads (kafka, file). */
  signal(signal: Signal, channel = 'rest'): Promise<SignalAnswer> {
    return this.coordinator.signal(signal, channel);
  }

  async commit(committed: ReadonlyMap<string, { partition: SourcePartition; offset: SourceOffset }>): Promise<void> {
    for (const { offset } of committed.values()) {
      const pos = decodeOffset(offset)?.position;
      const t = pos && positionTime(pos);
      if (t) this.committedTime = t;
    }
  }

  async stop(): Promise<void> {
    this.coordinator?.stop();
    await this.disconnect();
  }

  /**
   * The oplog window left: seconds between the oplog's oldest entry and the committed position. When it reaches
   * 0 the position falls out of the oplog and the connector cannot resume from it. Sampled every few seconds.
   */
  private async reportLog(): Promise<void> {
    const client = this.connection.client;
    if (!this.ctx.reportLog || this.phase !== 'stream' || !client) return;
    try {
      const bounds = await oplogBounds(client);
      const last = this.position();
      const at = this.committedTime ?? (last && positionTime(last));
      if (!bounds || !at) return;
      this.ctx.reportLog({ windowSeconds: Math.max(0, at.sec - bounds.oldest.sec), position: clusterTimeText(at) });
    } catch (err) {
      this.ctx.log.debug({ err: (err as Error).message }, 'oplog bounds not read');
    }
  }

  /** The stream position of the last record handed out. */
  private position(): StreamPosition | undefined {
    return this.polled ? decodeOffset(this.polled)?.position : undefined;
  }

  private errorContext(pos?: StreamPosition): ErrorContext {
    return {
      connector: this.ctx.connector,
      task: this.ctx.taskId,
      table: this.cfg?.target,
      position: pos ? (pos.resumeToken ?? `${pos.sec}:${pos.ord}`) : undefined,
    };
  }
}

function defaultNs(cfg: MongoSourceConfig): { db: string; coll: string } | undefined {
  if (cfg.scope !== 'collection' || !cfg.target) return undefined;
  const [db, ...rest] = cfg.target.split('.');
  return { db, coll: rest.join('.') };
}
