import { readFileSync } from 'node:fs';
import type mysql from 'mysql2';
import {
  asConnectError,
  type ChangeRecord,
  type Config,
  ConnectError,
  type Logger,
  type SourceOffset,
  type SourcePartition,
  type SourceTask,
  type SourceTaskContext,
} from '../../runtime/api/index.js';
import { ChangeEventCoordinator, type SourcePlan } from '../cdc/coordinator.js';
import { IncrementalSnapshotter, stateFromOffset } from '../cdc/incremental.js';
import { RecordQueue } from '../cdc/record-queue.js';
import type { SnapshotCollection } from '../cdc/incremental.js';
import { isBlockingRequest, parseSignal, type Signal, type SignalAnswer, SignalError } from '../cdc/signals.js';
import { type BlockingTable, blockingSnapshot } from './blocking.js';
import { BinlogStream, connectOptions, type Flavor, openConnection, query } from './binlog/client.js';
import { type ChunkRow, MySqlChunkReader } from './incremental.js';
import { type MySqlOptions, readOptions } from './config.js';
import { type StreamStart, streamStart } from './positioning.js';
import { preflight } from './preflight.js';
import { RecordMaker } from './records.js';
import { FileHistoryStore, type HistoryStore, SchemaHistory } from './schema/history.js';
import { SchemaModel } from './schema/model.js';
import { runSnapshot, type SnapshotResult } from './snapshot.js';
import { BinlogReader, type ResumePoint } from './streamer.js';

/**
 * TLS per database.ssl.mode, as Debezium's modes: preferred tries TLS without verifying the certificate and falls
 * back to plain text when the server has no TLS; required encrypts without verifying; verify_ca checks the chain
 * against `database.ssl.ca` (or the system CAs); verify_identity also checks the host name.
 */
function sslOptions(c: Config, mode: string): mysql.SslOptions | undefined {
  if (mode === 'disabled') return undefined;
  // Not in the spec (Debezium's TLS keys are Java keystores); a PEM CA file is what Node can use.
  const ca = c.raw['database.ssl.ca'];
  const verify = mode === 'verify_ca' || mode === 'verify_identity';
  return {
    ca: ca && verify ? readFileSync(ca, 'utf8') : undefined,
    rejectUnauthorized: verify,
    verifyIdentity: mode === 'verify_identity',
  } as mysql.SslOptions;
}

/** What a (re)connection needs that start() learned once. */
interface Session {
  flavor: Flavor;
  checksum: boolean;
  maker: RecordMaker;
  history: SchemaHistory;
}

/**
 * One run of the task, from an offset to a failure or the task's end: the coordinator runs its snapshot and stream,
 * which hand their records to `queue`; poll() drains it.
 */
interface Run {
  queue: RecordQueue;
  abort: AbortController;
  done: Promise<void>;
}

/** `incremental_snapshot_id` of a resumable initial snapshot (snapshot.resumable=true) */
const INITIAL_SNAPSHOT_ID = 'initial-snapshot';

/** mysql2 / Node error codes and MySQL server errors after which a new connection can succeed. */
const RETRIABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_CON_COUNT_ERROR',
  'ER_LOCK_WAIT_TIMEOUT',
]);

/**
 * The MySQL/MariaDB source task on the shared CDC skeleton: the ChangeEventCoordinator runs a consistent snapshot
 * when the snapshot mode asks for one, then the binlog from the snapshot's (or the stored offset's) position, and
 * routes signals (REST, the signal table) to the incremental snapshot.
 *
 * A retriable failure (the server restarted, the dump thread was KILLed, the network cut or silent) ends the
 * current run and closes its connections; what it queued and poll() did not hand out is dropped; the runtime
 * retries the poll with backoff, and the next poll starts a new run from the offset of the last record this task
 * handed out — as a restarted task would from a committed one, so nothing is lost and nothing handed out is
 * repeated (a snapshot cut short starts over, as on restart).
 */
export class MySqlSourceTask implements SourceTask {
  private options!: MySqlOptions;
  private ctx!: SourceTaskContext;
  private log!: Logger;
  private session: Session | undefined;
  /** the current run; undefined after a retriable failure until the next poll starts one */
  private current: Run | undefined;
  private stream: BinlogStream | undefined;
  private readonly stopController = new AbortController();
  private ssl: mysql.SslOptions | undefined;
  private historyStore: HistoryStore | undefined;
  /** the offset stored when the task started */
  private stored: SourceOffset | null = null;
  /** the offset of the last record handed to the runtime */
  private polled: SourceOffset | undefined;
  /** routes signals (REST, the signal table) to the incremental snapshot; ends with the task */
  private coordinator!: ChangeEventCoordinator;
  /** incremental snapshots (signals); its offset fields go on every record while one runs */
  private incremental!: IncrementalSnapshotter<ChunkRow>;
  private chunks?: MySqlChunkReader;
  /** the binlog reader of the current phase, once it streams */
  private reader?: BinlogReader;
  /** a failure of the incremental snapshot's own work (chunk reads), thrown by the next poll */
  private failure?: unknown;
  /** a blocking snapshot the coordinator started, waiting for the stream to stop between transactions */
  private blockingWanted?: {
    id: string;
    collections: SnapshotCollection[];
    resolve: () => void;
    reject: (err: unknown) => void;
  };
  /**
   * A blocking snapshot signalled in the binlog (the source channel) and not yet taken or refused by the coordinator:
   * the stream holds at the end of the signal's transaction meanwhile, so the snapshot's rows come right after the
   * signal, before any later change (as Debezium, which pauses streaming on the signal's event).
   */
  private blockingPending?: Promise<unknown>;

  async start(config: Config, ctx: SourceTaskContext): Promise<void> {
    this.options = readOptions(config);
    this.ctx = ctx;
    this.log = ctx.log.child({ connector: ctx.connector, task: ctx.taskId });
    this.ssl = sslOptions(config, this.options.sslMode);
    ctx.signal.addEventListener('abort', () => this.stopController.abort(), { once: true });
    let flavor: Flavor;
    let checksum: boolean;
    for (;;) {
      const conn = openConnection({ ...this.connectOptions() });
      try {
        const info = await preflight(conn, this.options.serverId);
        flavor = info.flavor;
        checksum = info.checksum;
        break;
      } catch (err) {
        if (
          this.options.sslMode === 'preferred' &&
          this.ssl &&
          /does not support secure connection/i.test(String(err))
        ) {
          this.log.info({}, 'the server has no TLS; database.ssl.mode=preferred connects without it');
          this.ssl = undefined;
          continue;
        }
        throw this.wrap(err);
      } finally {
        conn.destroy();
      }
    }
    const maker = new RecordMaker(this.options.prefix, flavor, this.options.tombstones);
    let store: HistoryStore;
    if (this.options.historyKafka) {
      // kafkajs loads only for a connector that keeps its history in Kafka.
      const { KafkaHistoryStore, kafkaHistoryOptions } = await import('./schema/kafka-history.js');
      store = new KafkaHistoryStore(kafkaHistoryOptions(config), this.log, `sluice-${ctx.connector}-schemahistory`);
    } else store = new FileHistoryStore(this.options.historyFile ?? `${this.options.prefix}.schema-history.jsonl`);
    await store.start();
    this.historyStore = store;
    const history = new SchemaHistory(store);
    this.stored = await ctx.offsets.offset(maker.partition);
    this.startSignals(maker);
    this.restoreIncremental(this.stored);
    this.session = { flavor, checksum, maker, history };
    ctx.reportConnected?.(true);
    this.current = this.begin(this.session, this.stored, false);
  }

  /** Starts a run from `from`; its failure wakes the poll, which throws it. */
  private begin(session: Session, from: SourceOffset | null, reconnect: boolean): Run {
    const abort = new AbortController();
    const queue = new RecordQueue(
      this.options.maxQueue,
      this.options.maxBatch,
      () => abort.signal.aborted || this.stopController.signal.aborted,
    );
    const run: Run = { queue, abort, done: Promise.resolve() };
    if (this.stopController.signal.aborted) abort.abort();
    else this.stopController.signal.addEventListener('abort', () => abort.abort(), { once: true });
    run.done = this.execute(session, from, reconnect, run).catch((err) => {
      if (!abort.signal.aborted) queue.fail(this.wrap(err));
    });
    return run;
  }

  /** Hands a batch to poll(); waits while the queue is full (backpressure reaches the binlog socket). */
  private async hand(run: Run, batch: readonly ChangeRecord[]): Promise<void> {
    for (const r of batch) run.queue.push(r);
    await run.queue.room();
  }

  /** Signals and incremental snapshots: the coordinator routes signals, the snapshotter reads chunks. */
  private startSignals(maker: RecordMaker): void {
    const ctx = this.ctx;
    this.coordinator = new ChangeEventCoordinator(this.log);
    this.chunks = new MySqlChunkReader(
      this.options,
      maker.flavor,
      () => this.connectOptions(),
      maker,
      (db, table) => this.reader?.shapeOf(db, table),
      { connector: ctx.connector, task: ctx.taskId },
    );
    this.incremental = new IncrementalSnapshotter(this.chunks, {
      // chunks wait while a blocking snapshot runs (the stream that closes their windows is stopped)
      // and while the queue is full: a chunk goes out whole when its window closes, so the snapshot never runs more
      // than a chunk and the queue ahead of delivery (and of committed offsets: what a crash reads again)
      ready: () =>
        this.reader !== undefined &&
        !this.stopController.signal.aborted &&
        this.coordinator.blockingSnapshot === undefined &&
        this.current?.queue.full !== true,
      fail: (err) => {
        // a chunk read cut off by a disconnect or stop is read again from the offset; only a streaming task fails
        if (this.reader && !this.stopController.signal.aborted) this.failure ??= err;
        else this.log.debug({ err: (err as Error).message }, 'incremental snapshot chunk abandoned');
      },
      progress: (p) => ctx.reportSnapshotProgress?.(p),
      log: this.log,
    });
    // kafka and file channels are read by the runtime and arrive through signal()
    this.coordinator.onSignal((signal) => this.incremental.signal(signal));
    this.coordinator.onBlockingSnapshot(
      {
        resolve: (id, req) => {
          if (!this.reader || !this.chunks)
            throw new SignalError(`signal ${id}: the stream has not started or the initial snapshot is running`);
          return this.chunks.resolve(id, req, true);
        },
        // taken by the stream at its next place between transactions (streamBinlog)
        run: (id, collections) =>
          new Promise<void>((resolve, reject) => {
            this.blockingWanted = { id, collections, resolve, reject };
          }),
      },
      // a failure fails the run the snapshot ran in (streamBinlog throws it), which the task's poll reports
      () => undefined,
    );
  }

  /**
   * A blocking snapshot, run by the stream stopped between transactions: the named tables' rows as the initial
   * snapshot emits them, each with the stream's offset at the stop; the stream then reads on from there (binlog
   * events that arrived meanwhile waited in the connection's queue and the socket).
   */
  private async runBlocking(run: Run, reader: BinlogReader, id: string, collections: SnapshotCollection[]) {
    const stop = reader.stopPoint();
    this.log.info({ signal: id, file: stop.file, pos: stop.pos }, 'blocking snapshot: streaming paused');
    const tables: BlockingTable[] = collections.map((c) => {
      const dot = c.id.indexOf('.');
      const db = c.id.slice(0, dot);
      const table = c.id.slice(dot + 1);
      const shape = reader.shapeOf(db, table);
      if (!shape)
        throw new ConnectError(`blocking snapshot ${id}: table ${c.id} is not in the schema the stream has`, {
          context: { connector: this.ctx.connector, task: this.ctx.taskId, table: c.id },
        });
      return { db, table, shape, def: reader.definitionOf(db, table), filter: c.filter };
    });
    const ctx = {
      id,
      options: this.options,
      maker: this.session!.maker,
      connect: () => this.connectOptions(),
      stop,
      signal: run.abort.signal,
      log: this.log,
      progress: this.ctx.reportSnapshotProgress?.bind(this.ctx),
    };
    for await (const batch of blockingSnapshot(ctx, tables)) await this.hand(run, batch);
  }

  /** The incremental snapshot an offset says was running: it goes on at its last committed chunk. */
  private restoreIncremental(offset: SourceOffset | null | undefined): void {
    try {
      this.incremental.restore(stateFromOffset(offset as Record<string, unknown> | null | undefined));
    } catch (err) {
      throw new ConnectError(
        `the stored offset cannot be used: ${(err as Error).message}. Fix: set a valid one (PATCH /connectors/${this.ctx.connector}/offsets) or delete the offsets.`,
        { context: { connector: this.ctx.connector, task: this.ctx.taskId } },
      );
    }
  }

  /** A signal from REST or a channel the runtime reads (kafka, file). */
  signal(signal: Signal, channel = 'rest'): Promise<SignalAnswer> {
    return this.coordinator.signal(signal, channel);
  }

  /** A row of the signal table read from the binlog (the `source` channel). */
  private onSignalRow(row: { id: string; type: unknown; data: unknown }, position: string): void {
    if (!this.options.signalChannels.includes('source')) return;
    let signal: Signal;
    try {
      signal = parseSignal(row);
    } catch (err) {
      this.log.warn({ position, err: (err as Error).message }, 'signal row refused');
      return;
    }
    const answer = this.coordinator.signal(signal, 'source').then((a) => {
      if (!a.accepted) this.log.warn({ signal: signal.id, position, reason: a.reason }, 'signal refused');
    });
    if (isBlockingRequest(signal)) {
      // checked with the database asynchronously: until then the reader stops at the end of this transaction
      if (this.reader) this.reader.stopBetweenTransactions = true;
      const pending: Promise<unknown> = answer.finally(() => {
        if (this.blockingPending === pending) this.blockingPending = undefined;
      });
      this.blockingPending = pending;
    }
  }

  private connectOptions() {
    return connectOptions(this.options, this.ssl);
  }

  private wrap(err: unknown): ConnectError {
    const e = asConnectError(err, { connector: this.ctx.connector, task: this.ctx.taskId });
    const code = (err as { code?: string }).code;
    if (!(err instanceof ConnectError) && code !== undefined && RETRIABLE_CODES.has(code)) {
      return new ConnectError(`cannot reach ${this.options.host}:${this.options.port}: ${e.message}`, {
        retriable: true,
        context: e.context,
        cause: err,
      });
    }
    return e;
  }

  private async streamStart(flavor: Flavor, from: ResumePoint): Promise<StreamStart> {
    const conn = openConnection(this.connectOptions());
    try {
      return await streamStart(conn, flavor, from, this.options.filters);
    } catch (err) {
      throw this.wrap(err);
    } finally {
      conn.destroy();
    }
  }

  private async binlogFiles(): Promise<string[]> {
    const conn = openConnection(this.connectOptions());
    try {
      return (await query<Record<string, string>>(conn, 'SHOW BINARY LOGS')).map((r) => r.Log_name);
    } finally {
      conn.destroy();
    }
  }

  /**
   * One run from `stored`: where to start, then the coordinator runs a snapshot when one is due and the binlog.
   * `reconnect`: resuming after a retriable failure of this task, from an offset it handed out itself (its schema
   * history is known good).
   */
  private async execute(
    { flavor, checksum, maker, history }: Session,
    stored: SourceOffset | null,
    reconnect: boolean,
    run: Run,
  ): Promise<void> {
    const o = this.options;
    const signal = run.abort.signal;
    let resume: ResumePoint | undefined;
    let model: SchemaModel | undefined;
    const snapshotDone = stored !== null && stored.snapshot !== true && typeof stored.file === 'string';
    let needSnapshot: 'data' | 'schema' | undefined;
    let start: StreamStart | undefined;
    if (!snapshotDone) {
      if (o.snapshotMode === 'initial' || o.snapshotMode === 'initial_only' || o.snapshotMode === 'when_needed')
        needSnapshot = 'data';
      else if (o.snapshotMode === 'no_data' || o.snapshotMode === 'recovery') needSnapshot = 'schema';
    } else {
      resume = {
        file: String(stored.file),
        pos: Number(stored.pos),
        event: Number(stored.event ?? 0),
        row: Number(stored.row ?? 0),
        gtids: typeof stored.gtids === 'string' && stored.gtids !== '' ? stored.gtids : null,
      };
      start = await this.streamStart(flavor, resume);
      if (!start.ok) {
        if (o.snapshotMode === 'when_needed') {
          this.log.warn(
            { file: resume.file, gtids: resume.gtids, why: start.why },
            'stored binlog position was purged; snapshotting again (snapshot.mode=when_needed)',
          );
          resume = undefined;
          start = undefined;
          needSnapshot = 'data';
        } else {
          throw new ConnectError(
            `The stored offset cannot be resumed: ${start.why}. Changes since then are lost to the binlog. Two ways out: set snapshot.mode=when_needed to snapshot again automatically (or delete the connector's offsets and use snapshot.mode=initial), or set a start point by hand — PATCH /connectors/${this.ctx.connector}/offsets with {"offsets":[{"partition":{"server":"${o.prefix}"},"offset":{"file":"<binlog file>","pos":4}}]} (or {"gtids":"…"}) while the connector is stopped — to stream from there, accepting the gap.`,
            {
              context: {
                connector: this.ctx.connector,
                task: this.ctx.taskId,
                position: `${resume.file}:${resume.pos}${resume.gtids ? ` gtids ${resume.gtids}` : ''}`,
              },
            },
          );
        }
      } else if (!reconnect && (o.snapshotMode === 'recovery' || !(await history.exists()))) {
        // A start point set by hand (PATCH …/offsets) has no history of its own: rebuilt as recovery would.
        if (o.snapshotMode === 'recovery' || o.snapshotMode === 'when_needed' || stored.operator === true) {
          // Rebuild the history from the current schemas, stamped at the resume position (valid if no DDL since).
          const snap: { value?: SnapshotResult } = {};
          for await (const _ of runSnapshot(
            {
              ...this.snapshotContext(flavor, maker, history, false, signal),
              options: { ...o, includeSchemaChanges: false },
            },
            snap,
          )) {
            // schema only: no records to deliver
          }
          history.recordSnapshot({ file: resume.file, pos: 0 }, (snap.value as SnapshotResult).model);
          await history.flush();
        } else {
          throw new ConnectError(
            `The schema history (${history.description}) is missing, so binlog rows from ${resume.file}:${resume.pos} cannot be decoded with the right columns. Restore the file, or set snapshot.mode=recovery (rebuilds it from the current schemas; correct only if no DDL ran since the offset).`,
          );
        }
      }
      if (resume) model = await history.recover({ file: resume.file, pos: resume.pos });
    }
    // snapshot.resumable: a schema-only snapshot, then every captured table in watermarked chunks beside the stream;
    // the chunks' state is in the completed offset and every offset after it, so a restart reads on from there.
    const resumable = needSnapshot === 'data' && o.snapshotResumable;
    if (resumable) needSnapshot = 'schema';
    const plan: SourcePlan = {};
    /** initial_only after its snapshot: nothing to stream */
    let ended = false;
    if (needSnapshot) {
      const data = needSnapshot === 'data';
      plan.snapshot = async () => {
        if (resumable && this.chunks) {
          const collections = await this.chunks.initialCollections(INITIAL_SNAPSHOT_ID);
          this.incremental.begin(INITIAL_SNAPSHOT_ID, collections);
          this.log.info(
            { tables: collections.length },
            'snapshot.resumable: the initial snapshot is read in watermarked chunks while the binlog streams',
          );
        }
        const snap: { value?: SnapshotResult } = {};
        for await (const batch of runSnapshot(this.snapshotContext(flavor, maker, history, data, signal), snap))
          await this.hand(run, batch);
        if (signal.aborted) return;
        const r = snap.value as SnapshotResult;
        if (o.snapshotMode === 'initial_only') {
          this.log.info({}, 'snapshot.mode=initial_only: snapshot done, not streaming');
          ended = true;
          return;
        }
        resume = { file: r.position.file, pos: r.position.pos, event: 0, row: 0, gtids: r.position.gtids };
        model = r.model;
        start = await this.streamStart(flavor, resume);
        if (!start.ok)
          throw new ConnectError(`The snapshot's binlog position is already gone: ${start.why}`, { retriable: true });
      };
    }
    plan.stream = async () => {
      if (!ended && !signal.aborted)
        await this.streamBinlog(run, { flavor, checksum, maker, history }, resume, model, start);
    };
    await this.coordinator.run(plan);
  }

  /** The streaming source: the binlog from `resume` (from its first file when there is none: snapshot.mode=never). */
  private async streamBinlog(
    run: Run,
    { flavor, checksum, maker, history }: Session,
    resumeAt: ResumePoint | undefined,
    modelAt: SchemaModel | undefined,
    startAt: StreamStart | undefined,
  ): Promise<void> {
    const o = this.options;
    const signal = run.abort.signal;
    let resume = resumeAt;
    let model = modelAt;
    let start = startAt;
    if (!resume) {
      // snapshot.mode=never: read the whole binlog that is left, schemas from its DDL and TABLE_MAP metadata.
      const files = await this.binlogFiles();
      resume = { file: files[0], pos: 4, event: 0, row: 0, gtids: null };
      model = new SchemaModel();
      history.recordSnapshot({ file: resume.file, pos: 4 }, model);
      await history.flush();
      start = { ok: true, byGtid: false, dump: { file: resume.file, position: 4 } };
    }
    if (!start?.ok) throw new ConnectError('internal: no binlog start position');
    if (start.byGtid) resume = { ...resume, byGtid: true };
    this.stream = await BinlogStream.open({
      ...this.connectOptions(),
      flavor,
      serverId: o.serverId,
      start: start.dump,
      heartbeatMs: o.heartbeatMs > 0 ? o.heartbeatMs : 10_000,
      maxQueuedEvents: o.maxQueue,
    }).catch((err) => {
      throw this.wrap(err);
    });
    if (signal.aborted) {
      // the run ended while the connection opened (a disconnect or stop): it is not this run's to keep
      this.stream.close();
      return;
    }
    this.ctx.reportConnected?.(true);
    this.log.info(
      {
        file: resume.file,
        pos: resume.pos,
        gtids: start.byGtid ? (start.dump.mariaGtidState ?? start.dump.mysqlGtidSet) : undefined,
        event: resume.event,
        row: resume.row,
      },
      'streaming binlog',
    );
    const reader = new BinlogReader(
      this.stream,
      model as SchemaModel,
      history,
      maker,
      o,
      flavor,
      this.log,
      resume,
      checksum,
      {
        fields: () => this.incremental.fields,
        watching: (t) => this.incremental.watching(t),
        changed: (t, k) => this.incremental.changed(t, k),
        truncated: (t) => this.incremental.truncated(t),
        watermark: (id, open) => this.incremental.watermark(id, open),
        signalRow: (row, position) => this.onSignalRow(row, position),
        awaiting: () => this.chunks?.awaiting,
        reached: () => {
          const a = this.chunks?.awaiting;
          if (!a || !this.chunks) return undefined;
          this.chunks.awaiting = undefined;
          return this.incremental.watermark(`${a.id}-close`, false);
        },
      },
    );
    this.reader = reader;
    // an incremental snapshot restored from the offset, or signalled during the initial snapshot, reads on now
    this.incremental.kick();
    while (!signal.aborted) {
      const want = this.blockingWanted;
      const pending = this.blockingPending;
      reader.stopBetweenTransactions = want !== undefined || pending !== undefined;
      if (!want && pending && reader.betweenTransactions) {
        // a blocking snapshot signalled in the log: it is taken (blockingWanted) or refused before the stream goes on
        await untilAborted(pending, signal);
        continue;
      }
      if (want && reader.betweenTransactions) {
        this.blockingWanted = undefined;
        reader.stopBetweenTransactions = false;
        try {
          await this.runBlocking(run, reader, want.id, want.collections);
        } catch (err) {
          want.reject(err);
          throw this.wrap(err);
        }
        if (signal.aborted) want.reject(new Error(`blocking snapshot ${want.id} cut short: the run ended`));
        else want.resolve();
        continue;
      }
      let batch: ChangeRecord[];
      try {
        batch = await reader.next(signal, 500);
      } catch (err) {
        throw this.wrap(err);
      }
      if (batch.length) await this.hand(run, batch);
    }
  }

  private snapshotContext(
    flavor: Flavor,
    maker: RecordMaker,
    history: SchemaHistory,
    data: boolean,
    signal: AbortSignal,
  ) {
    return {
      options: this.options,
      flavor,
      maker,
      history,
      log: this.log,
      signal,
      data,
      ssl: this.ssl,
      progress: this.ctx.reportSnapshotProgress?.bind(this.ctx),
      offsetFields: () => this.incremental.fields,
    };
  }

  /** The committed binlog position (commit()), for the binlog distance. */
  private committedAt?: { file: string; pos: number };
  private lastLogReport = 0;
  private reportingLog = false;

  async commit(committed: ReadonlyMap<string, { partition: SourcePartition; offset: SourceOffset }>): Promise<void> {
    for (const { offset } of committed.values()) {
      if (
        typeof offset.file === 'string' &&
        offset.file !== '' &&
        typeof offset.pos === 'number' &&
        offset.snapshot !== true
      ) {
        this.committedAt = { file: offset.file, pos: offset.pos };
      }
    }
  }

  /**
   * The binlog distance: bytes of binlog after the committed position (SHOW BINARY LOGS), sampled every few
   * seconds. The server does not keep them for us (binlog_expire_logs_seconds does not wait): the larger this
   * gets, the closer the position is to being purged.
   */
  private reportLog(): void {
    if (!this.ctx.reportLog || !this.committedAt || this.reportingLog || Date.now() - this.lastLogReport < 5000) return;
    this.lastLogReport = Date.now();
    this.reportingLog = true;
    const at = this.committedAt;
    const conn = openConnection(this.connectOptions());
    query<{ Log_name: string; File_size: string | number }>(conn, 'SHOW BINARY LOGS')
      .then((files) => {
        const i = files.findIndex((f) => f.Log_name === at.file);
        if (i < 0) return;
        let behind = Math.max(0, Number(files[i].File_size) - at.pos);
        for (const f of files.slice(i + 1)) behind += Number(f.File_size);
        this.ctx.reportLog?.({ behindBytes: behind, retainedBytes: behind, position: `${at.file}:${at.pos}` });
      })
      .catch((err) => this.log.debug({ err: (err as Error).message }, 'binlog sizes not read'))
      .finally(() => {
        this.reportingLog = false;
        conn.destroy();
      });
  }

  async poll(): Promise<ChangeRecord[] | null> {
    if (!this.session || this.stopController.signal.aborted) return null;
    if (this.failure !== undefined) {
      const err = this.wrap(this.failure);
      this.failure = undefined;
      if (err.retriable) await this.disconnect();
      throw err;
    }
    if (!this.current) {
      const from = this.polled ?? this.stored;
      this.log.info({ from }, 'reconnecting after a retriable failure');
      // the chunk in flight and what the lost batch held are read again from where the last record handed out stood
      this.restoreIncremental(from);
      this.current = this.begin(this.session, from, this.polled !== undefined);
    }
    this.reportLog();
    let batch: ChangeRecord[] | null;
    try {
      batch = await this.current.queue.poll(500);
    } catch (err) {
      const e = this.wrap(err);
      if (e.retriable) await this.disconnect();
      throw e;
    }
    // chunks held back by a full queue (or a blocking snapshot) read on
    if (this.incremental.running && !this.current.queue.full) this.incremental.kick();
    if (!batch || batch.length === 0) return null;
    this.polled = batch[batch.length - 1].sourceOffset;
    // Debezium's MilliSecondsBehindSource: the binlog event's time (seconds) against now, for streamed changes.
    const source = (batch[batch.length - 1].value as { source?: { ts_ms?: unknown; snapshot?: unknown } })?.source;
    if (typeof source?.ts_ms === 'number' && (source.snapshot === 'false' || source.snapshot === false)) {
      this.ctx.reportLag?.(Math.max(0, Date.now() - source.ts_ms));
    }
    return batch;
  }

  /** Ends the run that failed and its connections; the next poll starts a new one. */
  private async disconnect(): Promise<void> {
    this.ctx.reportConnected?.(false);
    this.reader = undefined;
    this.chunks?.close();
    const run = this.current;
    this.current = undefined;
    run?.abort.abort();
    this.stream?.close();
    this.stream = undefined;
    await run?.done;
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    this.coordinator?.stop();
    this.reader = undefined;
    this.chunks?.close();
    this.current?.abort.abort();
    this.stream?.close();
    await this.current?.done;
    await this.historyStore?.stop();
  }
}

/** `p` settled, or `signal` aborted, whichever comes first. */
function untilAborted(p: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    p.then(done, done);
  });
}
