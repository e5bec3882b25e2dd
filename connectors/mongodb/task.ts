import { type Document, MongoClient, type ResumeToken } from 'mongodb';
import {
  type ChangeRecord,
  type Config,
  ConfigError,
  ConnectError,
  type ErrorContext,
  type SourceOffset,
  type SourcePartition,
  type SourceTask,
  type SourceTaskContext,
} from '../../runtime/api/index.js';
import type { SnapshotCollection } from '../cdc/incremental.js';
import { type Signal, type SignalAnswer, SignalError } from '../cdc/signals.js';
import type { EventStream } from './merged-stream.js';
import { MongoChunkReader, parseCondition } from './incremental.js';
import { MongoSignals } from './signals.js';
import { crossCheck, type MongoSourceConfig, readConfig } from './config.js';
import { classifyMongoError, hostsOf, standaloneError } from './errors.js';
import { mapChangeEvent, mapSnapshotDocument, type MapperContext } from './event-mapper.js';
import { FragmentAssembler, type ChangeDoc } from './fragments.js';
import { decodeOffset, encodeOffset, sourcePartition, type StreamPosition, tokenTime } from './offsets.js';
import { heartbeatKeySchema, heartbeatValueSchema } from './schemas.js';
import { type DocumentReader, openSnapshotReader } from './parallel-snapshot.js';
import { type CollectionRef, snapshotPlan } from './snapshot.js';
import { openEvents, perCollection, type StartFrom, streamCoversSignals } from './stream.js';
import { oplogBounds, oplogReachesBack } from './oplog-check.js';
import { type ClusterTime, clusterTimeText, earlier, historyLostMessage, positionTime } from './oplog.js';

/**
 * `reopen`: a failure left no position to resume from; the next poll starts over as a restarted task would.
 * `blocking`: a blocking ad-hoc snapshot runs; the change stream waits at the position it stopped at.
 */
type Phase = 'snapshot' | 'stream' | 'blocking' | 'idle' | 'reopen';

/** A blocking snapshot (execute-snapshot, `"type": "blocking"`) from its request to the stream's resumption. */
interface BlockingRun {
  id: string;
  collections: CollectionRef[];
  /** resolves the coordinator's run(): the stream goes on */
  done: () => void;
  reader?: DocumentReader;
  held?: { doc: ChangeDoc; ref: CollectionRef };
  /** the stream's position at the stop: every record of the snapshot carries it, and the stream resumes after it */
  position?: StreamPosition;
  /** the change stream was closed at the stop (it reopens after `position` once the snapshot is read) */
  streamClosed: boolean;
}

/**
 * One task per connector: MongoDB gives one ordered change stream per replica set (or per mongos), so the work
 * does not split. Handover: the change stream is opened *before* the snapshot and read only after it, so every
 * change made while the snapshot runs is delivered afterwards (at least once; a document changed during the
 * snapshot may appear in both).
 */
export class MongoSourceTask implements SourceTask {
  private cfg!: MongoSourceConfig;
  private ctx!: SourceTaskContext;
  private client: MongoClient | undefined;
  private stream: EventStream | undefined;
  private snapshot: DocumentReader | undefined;
  private held: { doc: ChangeDoc; ref: CollectionRef } | undefined;
  private phase: Phase = 'idle';
  private mapper!: MapperContext;
  private partition!: SourcePartition;
  /** Where the stream resumes if we crash right after the snapshot; undefined when the server gave no token. */
  private snapshotStart: StreamPosition | undefined;
  private readonly pending: ChangeDoc[] = [];
  /** the collections watched one stream each (capture.scope=collection without a target), listed at start */
  private watched: CollectionRef[] = [];
  private fragments = new FragmentAssembler();
  private lastRecordAt = Date.now();
  /** the stream position up to which events were handed out (or skipped): where a reopened stream resumes */
  private lastPosition: StreamPosition | undefined;
  /** what was last reported through reportConnected */
  private connected = false;
  /** the driver's monitor sees a usable server */
  private topologyUp = true;
  /** the last poll failed with a retriable error, and none succeeded since */
  private failing = false;
  /** ends the read in flight (see open) */
  private interrupt: ((err: ConnectError) => void) | undefined;
  /** signals (every channel, through the cdc coordinator) and incremental snapshots */
  private signals!: MongoSignals;
  /** the blocking snapshot requested or running */
  private blocking: BlockingRun | undefined;

  async start(config: Config, ctx: SourceTaskContext): Promise<void> {
    this.ctx = ctx;
    const issues = crossCheck(config);
    if (issues.length) throw new ConfigError(issues);
    this.cfg = readConfig(config);
    this.signals = new MongoSignals({
      cfg: this.cfg,
      ctx,
      client: () => this.client,
      streaming: () => this.phase === 'stream' && !ctx.signal.aborted,
      mapper: () => this.mapper,
      errorContext: () => this.errorContext(),
    });
    const collections = new MongoChunkReader(this.cfg, () => {
      if (!this.client) throw new SignalError('not connected to MongoDB now; send the signal again');
      return this.client;
    });
    this.signals.coordinator.onBlockingSnapshot(
      {
        resolve: (id, req) => {
          if (this.phase !== 'stream' || this.blocking)
            throw new SignalError(`signal ${id}: the stream has not started or the initial snapshot is running`);
          return collections.resolve(id, req, true);
        },
        run: (id, colls) => this.requestBlocking(id, colls),
      },
      // run() never rejects: a retriable failure reads the collections again, any other fails the poll
      (err) => ctx.log.error({ err: (err as Error).message }, 'blocking snapshot failed'),
    );
    try {
      await this.open();
    } catch (err) {
      // The runtime may retry start(): leave no client or cursor behind from this attempt.
      await this.stop();
      throw err;
    }
    this.showConnected();
  }

  /** A read that the driver's monitor losing the server ends at once, with a retriable error. */
  private interruptible<T>(read: Promise<T>): Promise<T> {
    read.catch(() => undefined);
    const interrupted = new Promise<never>((_, reject) => {
      this.interrupt = reject;
    });
    return Promise.race([read, interrupted]).finally(() => {
      this.interrupt = undefined;
    });
  }

  /** Connected: the driver sees the server and the stream is not failing. */
  private showConnected(): void {
    this.setConnected(this.topologyUp && !this.failing);
  }

  private setConnected(connected: boolean): void {
    if (connected === this.connected) return;
    this.connected = connected;
    this.ctx.reportConnected?.(connected);
  }

  private async open(): Promise<void> {
    const cfg = this.cfg;
    const client = this.newClient();
    try {
      await client.connect();
    } catch (err) {
      throw classifyMongoError(err, this.errorContext(), hostsOf(cfg.connectionString));
    }
    await this.openStreams(client);
  }

  /** A client (not yet connected: the driver connects on its first operation) whose topology events we follow. */
  private newClient(): MongoClient {
    const cfg = this.cfg;
    const client = new MongoClient(cfg.connectionString, {
      serverSelectionTimeoutMS: cfg.serverSelectionTimeoutMs,
      connectTimeoutMS: cfg.connectTimeoutMs,
      appName: `sluice-${this.ctx.connector}`,
    });
    this.client = client;
    // The driver's own view of the server (its monitor notices a lost server within heartbeatFrequencyMS) is what
    // Connected shows. A read in flight when the server goes away can wait for the driver long after its monitor
    // knows (seen: 10 s and more with mongo-java-server): it is interrupted, and the stream resumes after what was
    // handed out.
    client.on('topologyDescriptionChanged', (ev) => {
      if (this.client !== client) return;
      const up = ev.newDescription.hasDataBearingServers;
      this.topologyUp = up;
      this.showConnected();
      if (!up) {
        const why = [...ev.newDescription.servers.values()].map((d) => d.error?.message).find((m) => m);
        this.interrupt?.(
          new ConnectError(
            `MongoDB at ${hostsOf(cfg.connectionString)} became unreachable${why ? ` (${why})` : ''}; will be retried`,
            { retriable: true, context: this.errorContext(this.lastPosition) },
          ),
        );
      }
    });
    return client;
  }

  private async openStreams(client: MongoClient): Promise<void> {
    const cfg = this.cfg;
    const ctx = this.ctx;
    const rs = await this.replicaSetName();
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
    const raw = await ctx.offsets.offset(this.partition);
    const stored = decodeOffset(raw);
    this.signals.restore(raw);
    const mode = cfg.snapshotMode;
    const snapshotAllowed = mode === 'initial' || mode === 'initial_only' || mode === 'when_needed';
    let needSnapshot = snapshotAllowed && (stored === null || stored.initsync);
    if (mode === 'initial_only' && stored && !stored.initsync) {
      ctx.log.info({ offset: stored }, 'snapshot.mode=initial_only and the snapshot is complete: nothing to do');
      this.phase = 'idle';
      return;
    }

    if (!needSnapshot && stored?.position) {
      // Read the oplog's bounds first: a server that does not raise ChangeStreamHistoryLost (mongo-java-server
      // restarts at its oldest entry) must not resume silently past a gap.
      const bounds = await oplogBounds(client);
      const at = positionTime(stored.position);
      if (bounds && at && earlier(at, bounds.oldest) && !(await oplogReachesBack(client, at))) {
        if (mode === 'when_needed') {
          ctx.log.warn(
            { offset: stored, oldest: clusterTimeText(bounds.oldest) },
            'resume point older than the oplog; snapshot.mode=when_needed: new snapshot',
          );
          needSnapshot = true;
        } else {
          throw new ConnectError(
            historyLostMessage(
              clusterTimeText(at),
              clusterTimeText(bounds.oldest),
              ctx.connector,
              JSON.stringify(this.partition),
            ),
            { context: this.errorContext(stored.position) },
          );
        }
      }
    }
    if (!needSnapshot && stored?.position) {
      this.stream = openEvents(client, cfg, { kind: 'resumeAfter', position: stored.position }, this.watched);
      try {
        // The first read surfaces a lost resume point now, while we can still choose to snapshot.
        const first = await this.stream.tryNext();
        if (first) this.pending.push(first as unknown as ChangeDoc);
      } catch (err) {
        const e = classifyMongoError(err, this.errorContext(stored.position), hostsOf(cfg.connectionString));
        if (mode === 'when_needed' && /ChangeStreamHistoryLost/.test(e.message)) {
          ctx.log.warn({ offset: stored }, 'resume token lost from the oplog; snapshot.mode=when_needed: new snapshot');
          await closeWithin(this.stream.close());
          this.stream = undefined;
          needSnapshot = true;
        } else {
          throw e;
        }
      }
      if (this.stream) {
        ctx.log.info({ offset: stored }, 'resuming the change stream');
        this.lastPosition = stored.position;
        this.phase = 'stream';
        return;
      }
    }

    this.stream = openEvents(client, cfg, { kind: 'now' }, this.watched);
    if (!needSnapshot) {
      await this.probeStream();
      ctx.log.info({ snapshotMode: mode }, 'streaming changes from now on, no snapshot');
      this.phase = 'stream';
      return;
    }
    this.snapshotStart = await this.probeStream();
    const plan = await snapshotPlan(client, cfg).catch((err) => {
      throw classifyMongoError(err, this.errorContext());
    });
    if (cfg.snapshotResumable) {
      // The initial snapshot as watermarked chunks beside the stream: every record from now on carries its state,
      // so a restart from a committed offset resumes the stream and the snapshot at its last committed chunk.
      ctx.log.info(
        { collections: plan.map((p) => `${p.db}.${p.coll}`), start: this.snapshotStart },
        'resumable initial snapshot starts: watermarked chunks beside the stream',
      );
      this.lastPosition = this.snapshotStart;
      this.signals.begin(
        INITIAL_SNAPSHOT_ID,
        plan.map((p) => ({ id: `${p.db}.${p.coll}` })),
      );
      this.phase = 'stream';
      return;
    }
    ctx.log.info({ collections: plan.map((p) => `${p.db}.${p.coll}`), start: this.snapshotStart }, 'snapshot starts');
    this.snapshot = openSnapshotReader(client, plan, cfg);
    this.phase = 'snapshot';
    this.reportSnapshot(true);
  }

  async poll(): Promise<ChangeRecord[] | null> {
    if (this.ctx.signal.aborted) return null;
    let out: ChangeRecord[] | null;
    try {
      if (this.phase === 'reopen') {
        this.ctx.log.info('reconnecting after a retriable failure; no stream position yet, so starting over');
        await this.open();
      }
      const chunkFailure = this.signals.takeFailure();
      if (chunkFailure !== undefined) throw chunkFailure;
      switch (this.phase) {
        case 'snapshot':
          out = await this.pollSnapshot();
          break;
        case 'stream':
          out = this.blocking ? await this.pollBlocking() : await this.pollStream();
          break;
        case 'blocking':
          out = await this.pollBlocking();
          break;
        default:
          await this.sleep(this.cfg.pollIntervalMs);
          return null;
      }
    } catch (err) {
      const e = classifyMongoError(err, this.errorContext(this.lastPosition), hostsOf(this.cfg.connectionString));
      // Chunks released into the lost batch (or a window in flight) must be read again: the incremental snapshot
      // goes back to where the last batch handed out left it, as a restart from that offset would.
      this.signals.reset();
      if (e.retriable) {
        this.failing = true;
        this.showConnected();
        await this.recover().catch((re) =>
          this.ctx.log.warn({ err: (re as Error).message }, 'closing the failed cursor failed'),
        );
      }
      throw e;
    }
    if (this.failing) {
      this.failing = false;
      this.showConnected();
    }
    return out;
  }

  /**
   * After a retriable failure the cursors may be dead, and the runtime will poll again. A snapshot starts over
   * (its records so far carry initsync offsets, so re-reading only duplicates); a stream reopens after the last
   * event it returned, dropping partial fragments and read-ahead that the reopened stream delivers again.
   */
  private async recover(): Promise<void> {
    if (this.phase === 'blocking') return this.recoverBlocking();
    if (this.phase !== 'snapshot' && this.phase !== 'stream' && this.phase !== 'reopen') return;
    // The stream resumes after what was handed out; during a snapshot, at the stream's start (changes made while
    // the snapshot runs are read after it).
    const resumeAt = this.phase === 'stream' ? (this.lastPosition ?? this.snapshotStart) : this.snapshotStart;
    if (resumeAt === undefined) {
      this.abandonBlocking('the change stream was lost before it had a position');
      // No position: the change stream's start is unknown (the server gave no token before its first event), so
      // changes since it opened can only be recovered as a restarted task does — the offsets it committed are
      // those of an unfinished snapshot, so it snapshots again.
      await this.stop();
      this.pending.length = 0;
      this.fragments = new FragmentAssembler();
      this.held = undefined;
      this.snapshotStart = undefined;
      this.lastPosition = undefined;
      this.phase = 'reopen';
      this.ctx.log.warn('change stream lost before it had a position; the task starts over');
      return;
    }
    await closeWithin(this.stream?.close());
    await closeWithin(this.snapshot?.close());
    // A new client too: after the server came back, the old one was seen failing every attempt on a connection it
    // had already lost ("connection 3 … closed", again and again, against mongo-java-server).
    const stale = this.client;
    const client = this.newClient();
    void closeWithin(stale?.close());
    this.pending.length = 0;
    this.fragments = new FragmentAssembler();
    const from: StartFrom = { kind: 'resumeAfter', position: resumeAt };
    this.stream = openEvents(client, this.cfg, from, this.watched);
    if (this.phase === 'snapshot' && this.snapshot) {
      const plan = this.snapshot.plan;
      this.snapshot = openSnapshotReader(client, plan, this.cfg);
      this.held = undefined;
      this.ctx.log.warn({ collections: plan.length }, 'snapshot interrupted; it starts over');
    } else {
      this.ctx.log.warn({ from }, 'change stream reopened after an error');
    }
  }

  /** A signal from REST or a channel the runtime reads (kafka, file). */
  signal(signal: Signal, channel = 'rest'): Promise<SignalAnswer> {
    return this.signals.signal(signal, channel);
  }

  async stop(): Promise<void> {
    this.signals?.stop();
    await closeWithin(this.blocking?.reader?.close());
    this.blocking = undefined;
    await closeWithin(this.snapshot?.close());
    await closeWithin(this.stream?.close());
    await closeWithin(this.client?.close());
    this.snapshot = undefined;
    this.stream = undefined;
    this.client = undefined;
  }

  private async pollSnapshot(): Promise<ChangeRecord[] | null> {
    const reader = this.snapshot!;
    const out: ChangeRecord[] = [];
    while (out.length < this.cfg.maxBatchSize) {
      const next = await reader.next();
      if (!next) {
        if (this.held) out.push(this.snapshotRecord(this.held, 'last'));
        this.held = undefined;
        await reader.close();
        this.snapshot = undefined;
        this.ctx.log.info({ documents: reader.rowsScanned }, 'snapshot complete; streaming');
        this.reportSnapshot(false);
        if (this.cfg.snapshotMode === 'initial_only') {
          await closeWithin(this.stream?.close());
          this.stream = undefined;
          this.phase = 'idle';
        } else {
          this.phase = 'stream';
        }
        break;
      }
      if (this.held) out.push(this.snapshotRecord(this.held, 'true'));
      this.held = { doc: next.doc, ref: next.ref };
    }
    if (out.length) this.lastRecordAt = Date.now();
    if (this.snapshot && reader.rowsScanned % 10_000 < out.length) this.reportSnapshot(true);
    return out.length ? out : this.phase === 'stream' ? this.pollStream() : null;
  }

  private snapshotRecord(h: { doc: ChangeDoc; ref: CollectionRef }, snapshot: 'true' | 'last'): ChangeRecord {
    return mapSnapshotDocument(
      {
        doc: h.doc,
        db: h.ref.db,
        coll: h.ref.coll,
        snapshot,
        position: this.snapshotStart,
        // Without a known start position even the last record must not mark the snapshot complete.
        initsync: snapshot === 'true' || this.snapshotStart === undefined,
      },
      this.mapper,
    );
  }

  /** The cluster time of the last committed offset (commit()), for the oplog window left. */
  private committedTime?: ClusterTime;
  private lastLogReport = 0;

  async commit(committed: ReadonlyMap<string, { partition: SourcePartition; offset: SourceOffset }>): Promise<void> {
    for (const { offset } of committed.values()) {
      const pos = decodeOffset(offset)?.position;
      const t = pos && positionTime(pos);
      if (t) this.committedTime = t;
    }
  }

  /**
   * The oplog window left: seconds between the oplog's oldest entry and the committed position. When it reaches
   * 0 the position falls out of the oplog and the connector cannot resume from it. Sampled every few seconds.
   */
  private async reportLog(): Promise<void> {
    if (!this.ctx.reportLog || Date.now() - this.lastLogReport < LOG_REPORT_MS || !this.client) return;
    this.lastLogReport = Date.now();
    const bounds = await oplogBounds(this.client);
    const at = this.committedTime ?? (this.lastPosition && positionTime(this.lastPosition));
    if (!bounds || !at) return;
    this.ctx.reportLog({ windowSeconds: Math.max(0, at.sec - bounds.oldest.sec), position: clusterTimeText(at) });
  }

  private async pollStream(): Promise<ChangeRecord[] | null> {
    await this.reportLog();
    const stream = this.stream!;
    const out: ChangeRecord[] = [];
    const started = Date.now();
    // The position moves only when this poll returns: events read into a batch that a failure then discards must
    // be read again by the reopened stream.
    let position = this.lastPosition;
    this.signals.kick();
    const sig = this.cfg.signalCollection;
    const signalsCaptured =
      sig !== undefined && streamCoversSignals(this.cfg) && this.cfg.filter.collection(sig.db, sig.coll);
    while (out.length < this.cfg.maxBatchSize) {
      const raw = this.pending.length ? this.pending.shift() : await this.interruptible(stream.tryNext());
      if (!raw) break;
      const ev = this.fragments.push(raw as ChangeDoc);
      if (!ev) continue;
      const mapped = mapChangeEvent(ev, this.mapper);
      position = mapped.position;
      if (mapped.kind === 'data' && sig && mapped.db === sig.db && mapped.coll === sig.coll) {
        // the signal collection: signals (the `source` channel) and the incremental snapshot's watermarks
        if (ev.operationType === 'insert') out.push(...this.signals.signalDocument(ev, mapped.position));
        if (!signalsCaptured) continue;
      }
      if (mapped.kind === 'data' && !this.cfg.filter.collection(mapped.db, mapped.coll)) {
        // Deployment and database streams carry every collection; the lists pick ours. The position still moves.
        continue;
      }
      if (mapped.kind === 'skip' && mapped.db && mapped.coll && mapped.operationType === 'drop')
        this.signals.dropped(`${mapped.db}.${mapped.coll}`);
      if (mapped.kind === 'data') {
        // A change the stream carries while a chunk window is open on its collection supersedes the document read.
        this.signals.changed(`${mapped.db}.${mapped.coll}`, (mapped.records[0].key as { id: string }).id);
        out.push(...this.signals.withFields(mapped.records));
        const wall = ev.wallTime instanceof Date ? ev.wallTime.getTime() : mapped.position.sec * 1000;
        this.ctx.reportLag?.(Math.max(0, Date.now() - wall));
      } else if (mapped.kind === 'skip' && mapped.warn) {
        this.ctx.log.warn(
          { operationType: mapped.operationType, db: mapped.db, collection: mapped.coll, position: mapped.position },
          'change event skipped: documentKey holds update operators and no post-image has an _id (mongo-java-server)',
        );
      } else if (mapped.kind === 'skip') {
        this.ctx.log.info(
          { operationType: mapped.operationType, db: mapped.db, collection: mapped.coll },
          'change event without data records',
        );
      } else {
        await this.reopenAfterInvalidate(ev._id as ResumeToken);
        break;
      }
    }
    this.lastPosition = position;
    this.signals.handedOut();
    if (out.length) {
      this.lastRecordAt = Date.now();
      return out;
    }
    const heartbeat = this.heartbeat();
    if (heartbeat) return [heartbeat];
    // Servers that do not hold getMore open (mongo-java-server) answer at once: pause instead of spinning.
    const elapsed = Date.now() - started;
    if (elapsed < 50) await this.sleep(this.cfg.pollIntervalMs);
    return null;
  }

  /**
   * A collection- or database-scoped stream ends with `invalidate` when its target is dropped or renamed.
   * `startAfter` the invalidate token keeps watching, so a re-created collection is captured again.
   */
  private async reopenAfterInvalidate(token: ResumeToken): Promise<void> {
    this.ctx.log.warn({ scope: this.cfg.scope, target: this.cfg.target }, 'change stream invalidated; reopening');
    await closeWithin(this.stream?.close());
    const from: StartFrom = { kind: 'startAfter', token };
    this.stream = openEvents(this.client!, this.cfg, from, this.watched);
  }

  /** A heartbeat carries the stream's latest position so that quiet captured collections still commit offsets. */
  private heartbeat(): ChangeRecord | undefined {
    if (this.cfg.heartbeatIntervalMs <= 0 || Date.now() - this.lastRecordAt < this.cfg.heartbeatIntervalMs) return;
    const position = this.streamToken() ?? this.lastPosition;
    if (!position) return;
    this.lastRecordAt = Date.now();
    const now = Date.now();
    return {
      topic: this.cfg.heartbeatTopic,
      keySchema: heartbeatKeySchema,
      key: { serverName: this.cfg.topicPrefix },
      valueSchema: heartbeatValueSchema,
      value: { ts_ms: now },
      headers: [],
      timestamp: now,
      sourcePartition: this.partition,
      sourceOffset: this.signals.fields
        ? ({ ...encodeOffset(position, false), ...this.signals.fields } as unknown as SourceOffset)
        : encodeOffset(position, false),
    };
  }

  /** The stream's latest resume token (the last event read, or the server's post-batch token) as a position. */
  private streamToken(): StreamPosition | undefined {
    const token = this.stream?.resumeToken as { _data?: unknown } | null | undefined;
    const data = token && typeof token._data === 'string' ? token._data : undefined;
    return data ? { ...(tokenTime(data) ?? { sec: 0, ord: 0 }), resumeToken: data } : undefined;
  }

  /**
   * A blocking snapshot (Debezium's BlockingSnapshot): taken by the next poll, which stops the stream between two
   * batches; resolves once the collections are read and the stream goes on.
   */
  private requestBlocking(id: string, colls: SnapshotCollection[]): Promise<void> {
    return new Promise<void>((done) => {
      const collections = colls.map((c) => {
        const dot = c.id.indexOf('.');
        const ref = { db: c.id.slice(0, dot), coll: c.id.slice(dot + 1) };
        return c.filter === undefined
          ? ref
          : { ...ref, filter: parseCondition(c.filter, `signal ${id}: additional-conditions for ${c.id}`) };
      });
      this.blocking = { id, collections, done, streamClosed: false };
    });
  }

  /**
   * Reads the blocking snapshot's collections, a batch per poll, as the initial snapshot does (`op: "r"`,
   * `source.snapshot` `true`, the last `last`), every record at the stream's position at the stop; then reopens
   * the stream after that position. The first call stops the stream: events after the last batch handed out wait
   * in the oplog (the cursor is closed, so an idle-cursor timeout cannot end it).
   */
  private async pollBlocking(): Promise<ChangeRecord[] | null> {
    const b = this.blocking!;
    if (this.phase !== 'blocking') {
      b.position = this.lastPosition ?? this.streamToken();
      this.phase = 'blocking';
      // With no position to resume from (a stream that has not yet delivered anything and has no token) or read-
      // ahead held, the cursor stays open instead and is simply not read meanwhile.
      if (b.position && this.pending.length === 0) {
        await closeWithin(this.stream?.close());
        this.stream = undefined;
        b.streamClosed = true;
      }
      b.reader = openSnapshotReader(this.client!, b.collections, this.cfg);
      this.ctx.log.info(
        { signal: b.id, collections: b.collections.map((c) => `${c.db}.${c.coll}`), position: b.position },
        'blocking snapshot: change stream stopped',
      );
      this.reportBlocking(b, true);
    }
    const reader = b.reader!;
    const out: ChangeRecord[] = [];
    while (out.length < this.cfg.maxBatchSize) {
      const next = await this.interruptible(reader.next());
      if (!next) {
        if (b.held) out.push(this.blockingRecord(b, b.held, 'last'));
        b.held = undefined;
        await reader.close();
        if (b.streamClosed) {
          this.fragments = new FragmentAssembler();
          this.stream = openEvents(
            this.client!,
            this.cfg,
            { kind: 'resumeAfter', position: b.position! },
            this.watched,
          );
        }
        this.reportBlocking(b, false);
        this.blocking = undefined;
        this.phase = 'stream';
        this.ctx.log.info({ signal: b.id, documents: reader.rowsScanned }, 'blocking snapshot read; streaming resumes');
        b.done();
        break;
      }
      if (b.held) out.push(this.blockingRecord(b, b.held, 'true'));
      b.held = { doc: next.doc, ref: next.ref };
    }
    if (out.length) this.lastRecordAt = Date.now();
    if (this.blocking && reader.rowsScanned % 10_000 < out.length) this.reportBlocking(b, true);
    return out.length ? out : null;
  }

  private blockingRecord(
    b: BlockingRun,
    h: { doc: ChangeDoc; ref: CollectionRef },
    snapshot: 'true' | 'last',
  ): ChangeRecord {
    return mapSnapshotDocument(
      {
        doc: h.doc,
        db: h.ref.db,
        coll: h.ref.coll,
        snapshot,
        position: b.position,
        initsync: false,
        offsetFields: this.signals.fields,
      },
      this.mapper,
    );
  }

  private reportBlocking(b: BlockingRun, running: boolean): void {
    this.ctx.reportSnapshotProgress?.({
      kind: 'blocking',
      snapshotId: b.id,
      running,
      tablesTotal: b.collections.length,
      tablesRemaining: b.reader?.remaining ?? b.collections.length,
      rowsScanned: b.reader?.rowsScanned ?? 0,
    });
  }

  /**
   * A retriable failure during a blocking snapshot: a new client reads the collections again from the start (the
   * records already handed out are duplicates a replay by key absorbs); the stream still waits at the stop.
   */
  private async recoverBlocking(): Promise<void> {
    const b = this.blocking!;
    await closeWithin(b.reader?.close());
    if (!b.streamClosed && !b.position) {
      // no position to reopen the stream at: the task recovers as a streaming one does (or starts over)
      this.abandonBlocking('the change stream was lost before it had a position');
      this.phase = 'stream';
      return this.recover();
    }
    const stale = this.client;
    const client = this.newClient();
    void closeWithin(stale?.close());
    if (!b.streamClosed) {
      // the stream was kept open (read-ahead held): it reopens after the stop, which delivers that read-ahead again
      await closeWithin(this.stream?.close());
      this.stream = undefined;
      this.pending.length = 0;
      b.streamClosed = true;
    }
    b.reader = openSnapshotReader(client, b.collections, this.cfg);
    b.held = undefined;
    this.ctx.log.warn({ signal: b.id }, 'blocking snapshot interrupted; its collections are read again');
  }

  /** The blocking snapshot cannot go on (the task starts over): it ends unread; the signal can be sent again. */
  private abandonBlocking(why: string): void {
    const b = this.blocking;
    if (!b) return;
    this.blocking = undefined;
    this.ctx.log.warn({ signal: b.id }, `blocking snapshot abandoned: ${why}; send the signal again`);
    this.reportBlocking(b, false);
    b.done();
  }

  /**
   * Reads the fresh stream once: that makes the server start it (and fail now if change streams are
   * unavailable) and, on MongoDB, yields the post-batch resume token, the handover point for the snapshot.
   */
  private async probeStream(): Promise<StreamPosition | undefined> {
    const stream = this.stream!;
    let first: Document | null;
    try {
      first = await stream.tryNext();
    } catch (err) {
      const e = classifyMongoError(err, this.errorContext(), hostsOf(this.cfg.connectionString));
      if (e.retriable || /privileges|replica set/.test(e.message)) throw e;
      throw standaloneError(this.errorContext(), err);
    }
    if (first) {
      // An event arrived already: keep it for after the snapshot; the handover point is the stream start,
      // which the server did not tell us, so the snapshot's last offset stays initsync.
      this.pending.push(first);
      return undefined;
    }
    const token = stream.resumeToken as { _data?: unknown } | null;
    if (!token || typeof token._data !== 'string') return undefined;
    const time = tokenTime(token._data);
    return time ? { ...time, resumeToken: token._data } : { sec: 0, ord: 0, resumeToken: token._data };
  }

  /** The replica set name for the partition: `setName`, `sharded` behind mongos, else `standalone`. */
  private async replicaSetName(): Promise<string> {
    try {
      // isMaster, not hello: mongo-java-server does not know `hello`.
      const hello = await this.client!.db('admin').command({ isMaster: 1 });
      if (typeof hello.setName === 'string') return hello.setName;
      if (hello.msg === 'isdbgrid') return 'sharded';
      return 'standalone';
    } catch (err) {
      throw classifyMongoError(err, this.errorContext(), hostsOf(this.cfg.connectionString));
    }
  }

  private reportSnapshot(running: boolean): void {
    const r = this.snapshot;
    this.ctx.reportSnapshotProgress?.({
      running,
      tablesTotal: r?.plan.length,
      tablesRemaining: r?.remaining ?? 0,
      rowsScanned: r?.rowsScanned,
    });
  }

  private errorContext(pos?: StreamPosition): ErrorContext {
    return {
      connector: this.ctx.connector,
      task: this.ctx.taskId,
      table: this.cfg?.target,
      position: pos ? (pos.resumeToken ?? `${pos.sec}:${pos.ord}`) : undefined,
    };
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.ctx.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** `incremental_snapshot_id` of a resumable initial snapshot (snapshot.resumable=true), as PostgreSQL's */
const INITIAL_SNAPSHOT_ID = 'initial-snapshot';

/** How often the oplog window is sampled for metrics and status. */
const LOG_REPORT_MS = 5000;

/**
 * Closing a cursor or client talks to the server (killCursors, endSessions); with the server gone that can wait as
 * long as the driver lets it. Errors are ignored, and the wait is bounded: the driver finishes in the background.
 */
async function closeWithin(closing: Promise<unknown> | undefined, ms = 3000): Promise<void> {
  if (!closing) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    closing.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

function defaultNs(cfg: MongoSourceConfig): { db: string; coll: string } | undefined {
  if (cfg.scope !== 'collection' || !cfg.target) return undefined;
  const [db, ...rest] = cfg.target.split('.');
  return { db, coll: rest.join('.') };
}
