import type pg from 'pg';
import {
  type ChangeRecord,
  type Config,
  ConnectError,
  type ErrorContext,
  type SourceOffset,
  type SourcePartition,
  type SourceTask,
  type SourceTaskContext,
} from '../../runtime/api/index.js';
import { TypeCatalog } from './catalog.js';
import { type PostgresSettings, readSettings } from './config.js';
import { capturedTables, checkServer, dropSlot, ensurePublication } from './setup.js';
import { clientConfig, connectNegotiated } from './connection.js';
import { explain } from './errors.js';
import { formatLsn } from './lsn.js';
import { type PgOffset, readStoredOffset } from './offsets.js';
import { type PgOutputMessage, parsePgOutput } from './pgoutput.js';
import { ReplicationConnection } from './replication.js';
import { currentWalLsn, slotLogStatus } from './slot.js';
import { Snapshotter } from './snapshot.js';
import { checkStoredOffset, type ExportedSnapshot, slotFailure, snapshotComplete, startPoint } from './startup.js';
import { ChangeEventCoordinator, type SourcePlan } from '../cdc/coordinator.js';
import { RecordQueue } from '../cdc/record-queue.js';
import { IncrementalSnapshotter, type SnapshotCollection, stateFromOffset } from '../cdc/incremental.js';
import { type Signal, type SignalAnswer, SignalError } from '../cdc/signals.js';
import { ChangeEvents } from './changes.js';
import { type ChunkRow, PgChunkReader } from './incremental.js';
import { heartbeatRecord } from '../cdc/transaction.js';

export type { PgOffset } from './offsets.js';

type InboxItem = { kind: 'data'; lsn: number; message: PgOutputMessage } | { kind: 'keepalive'; walEnd: number };

/** How often the slot's retained WAL is sampled for metrics and status. */
const LOG_REPORT_MS = 5000;

/** `incremental_snapshot_id` of a resumable initial snapshot (snapshot.resumable=true) */
const INITIAL_SNAPSHOT_ID = 'initial-snapshot';

/** Inbox items held before the socket is paused; each is one WAL message, usually small. */
const INBOX_LIMIT = 4096;

/**
 * One run of the connector: connections, slot, snapshot and stream. After a retriable failure the task
 * (source-task.ts) replaces it with a fresh one instead of mending its state.
 */
export class PostgresSession implements SourceTask {
  private s!: PostgresSettings;
  private ctx!: SourceTaskContext;
  private partition!: SourcePartition;
  private errorContext: ErrorContext = {};
  private meta?: pg.Client;
  private repl?: ReplicationConnection;
  /** the snapshot's temporary slot connection (an existing slot re-snapshotted), until the snapshot is read */
  private tempRepl?: ReplicationConnection;
  private serverVersion = 0;
  private readonly types = new TypeCatalog();

  private queue!: RecordQueue;
  private coordinator!: ChangeEventCoordinator;
  /** incremental snapshots (signals); its offset fields go on every record while one runs */
  private incremental!: IncrementalSnapshotter<ChunkRow>;
  private chunks!: PgChunkReader;
  /** the stream's messages as change events */
  private changes!: ChangeEvents;
  private readonly inbox: InboxItem[] = [];
  private inboxHead = 0;
  private pumping = false;
  private stopped = false;
  private streaming = false;

  private committedLsn = 0;
  private lastHeartbeat = 0;
  private heartbeatDue = false;
  /** highest lsn_proc of a record handed to the queue: once committed, everything handed out is */
  private pushedProc = 0;
  /**
   * The server's position from a keepalive that came while nothing was open (no transaction, no snapshot): WAL up
   * to it holds nothing more for us. Confirmed once every record handed out is committed; forgotten when data
   * arrives.
   */
  private idleEnd?: number;
  /** true until the snapshot's last record is queued: offsets then say the snapshot is not complete */
  private snapshotPhase = false;
  /** a snapshot to read once the stream reaches `lsn` (the catch-up handover with an existing slot) */
  private barrier?: { lsn: number; run: () => Promise<void> };
  /** the task has nothing more to do (initial_only) */
  private ended = false;
  /** settles when the task stops or fails: a wait of the stream (a signal's answer) must not outlive the task */
  private halt!: () => void;
  private readonly halted = new Promise<void>((resolve) => {
    this.halt = resolve;
  });

  /**
   * `resume`: the offset of the last record handed to the runtime by an earlier session of this task, when it is
   * ahead of the committed one (`ctx.offsets`); streaming goes on after it while the slot keeps the committed LSN.
   */
  async start(config: Config, ctx: SourceTaskContext, resume?: PgOffset): Promise<void> {
    this.s = readSettings(config);
    this.ctx = ctx;
    this.partition = { server: this.s.prefix };
    this.errorContext = { connector: ctx.connector, task: ctx.taskId };
    this.queue = new RecordQueue(this.s.maxQueue, this.s.maxBatch, () => this.stopped);
    this.coordinator = new ChangeEventCoordinator(ctx.log);
    this.chunks = new PgChunkReader(this.s, this.types, () => this.meta!, this.errorContext);
    this.incremental = new IncrementalSnapshotter(this.chunks, {
      // A chunk goes out whole when its window closes: the next is read only once the queue has room again, so a
      // snapshot never runs further ahead of delivery (and of committed offsets) than one chunk and the queue.
      ready: () => this.streaming && !this.snapshotPhase && !this.barrier && this.processing && !this.queue.full,
      fail: (err) => this.fail(err),
      progress: (p) => ctx.reportSnapshotProgress?.(p),
      log: ctx.log,
    });
    this.coordinator.onSignal((signal) => this.onSignal(signal));
    this.coordinator.onBlockingSnapshot(
      {
        resolve: (id, req) => {
          if (!this.streaming || this.snapshotPhase || this.barrier)
            throw new SignalError(`signal ${id}: the stream has not started or the initial snapshot is running`);
          return this.chunks.resolve(id, req, true);
        },
        run: (id, collections) => this.blockingSnapshot(id, collections),
      },
      (err) => this.fail(err),
    );
    const session = this;
    this.changes = new ChangeEvents({
      s: this.s,
      ctx,
      partition: this.partition,
      errorContext: this.errorContext,
      types: this.types,
      get meta() {
        return session.meta!;
      },
      incremental: this.incremental,
      coordinator: this.coordinator,
      get snapshotPhase() {
        return session.snapshotPhase;
      },
      push: (r) => this.push(r),
    });
    ctx.signal.addEventListener('abort', () => this.queue.notify(), { once: true });
    const s = this.s;
    try {
      const { client, tls } = await connectNegotiated(s, `sluice-${ctx.connector}-meta`, this.errorContext);
      this.meta = client;
      // prefer / allow settled on one kind of connection; the replication and snapshot connections use it too.
      if (s.sslmode === 'prefer' || s.sslmode === 'allow') s.sslmode = tls ? 'require' : 'disable';
    } catch (err) {
      throw explain(
        err,
        `cannot connect to PostgreSQL at ${s.host}:${s.port} as "${s.user}"`,
        this.errorContext,
        s.user,
      );
    }
    this.meta.on('error', (err) => this.fail(explain(err, 'metadata connection failed', this.errorContext, s.user)));
    this.serverVersion = await checkServer(this.meta, s, this.errorContext);
    await this.types.load(this.meta);
    const captured = await capturedTables(this.meta, s, this.errorContext);
    const signalTable = s.signalTable;
    const published =
      signalTable && !captured.some((t) => t.schema === signalTable.schema && t.table === signalTable.table)
        ? [...captured, signalTable]
        : captured;
    await ensurePublication(this.meta, s, this.errorContext, published);

    const committed = readStoredOffset(await ctx.offsets.offset(this.partition), s.prefix, this.errorContext);
    const stored = resume ?? committed;
    const current = await currentWalLsn(this.meta);
    checkStoredOffset(stored, current, ctx.connector, this.errorContext);
    try {
      this.incremental.restore(stateFromOffset(stored as unknown as Record<string, unknown> | null));
    } catch (err) {
      throw new ConnectError(
        `the stored offset cannot be used: ${(err as Error).message}. Fix: set a valid one (PATCH /connectors/${ctx.connector}/offsets) or delete the offsets.`,
        { context: this.errorContext },
      );
    }
    this.repl = new ReplicationConnection(clientConfig(s, `sluice-${ctx.connector}`));
    try {
      await this.repl.connect();
    } catch (err) {
      throw explain(
        err,
        `cannot open a replication connection to ${s.host}:${s.port} as "${s.user}"`,
        this.errorContext,
        s.user,
      );
    }
    this.repl.onError((err) => this.fail(explain(err, 'replication connection failed', this.errorContext, s.user)));
    const { startLsn, snapshot, chunked, snapshotDone } = await startPoint({
      s,
      ctx,
      meta: this.meta,
      serverVersion: this.serverVersion,
      errorContext: this.errorContext,
      stored,
      operator: resume === undefined && committed?.operator === true,
      serverLsn: current,
      repl: this.repl,
      onTemp: (temp) => {
        this.tempRepl = temp;
      },
    });
    if (stored && snapshotDone && stored.lsn_proc < stored.lsn_commit) {
      this.changes.skip = { commitLsn: stored.lsn_commit, lsn: stored.lsn, event: stored.event ?? 0 };
    }
    this.changes.safeLsn = startLsn;
    // Records an earlier session of this task handed out may still be uncommitted: the idle position may be
    // confirmed only once they are (releaseIdle), so they count as handed out here too.
    this.pushedProc = resume ? resume.lsn_proc : 0;
    this.committedLsn = snapshotComplete(committed) ? committed!.lsn_proc : 0;

    const snapshotTables =
      snapshot || chunked
        ? captured.filter(
            (t) => s.snapshotInclude.length === 0 || s.snapshotInclude.some((r) => r.test(`${t.schema}.${t.table}`)),
          )
        : [];
    // Begun before the stream starts, so that every record carries the snapshot's state in its offset.
    if (chunked) await this.beginChunkedSnapshot(snapshotTables);
    void this.run(snapshot, snapshotTables, startLsn).catch((err) => this.fail(err));
  }

  /**
   * snapshot.resumable: the initial snapshot read as watermarked chunks beside the stream (the incremental
   * snapshot's machinery), its progress in every offset, so a restart goes on at the last committed chunk.
   */
  private async beginChunkedSnapshot(tables: Array<{ schema: string; table: string }>): Promise<void> {
    this.incremental.begin(INITIAL_SNAPSHOT_ID, await this.chunks.initialCollections(INITIAL_SNAPSHOT_ID, tables));
  }

  private async run(
    snapshot: ExportedSnapshot | undefined,
    tables: Array<{ schema: string; table: string }>,
    startLsn: number,
  ): Promise<void> {
    const initialOnly = this.s.snapshotMode === 'initial_only';
    if (!snapshot && initialOnly) {
      this.ctx.log.info('snapshot.mode=initial_only and the snapshot is complete: nothing to do');
      await this.repl?.close();
      return;
    }
    const plan: SourcePlan = {
      // initial_only ends after the snapshot (read() closes the stream's connection)
      stream: () => (this.ended || this.stopped ? Promise.resolve() : this.stream(startLsn)),
    };
    if (snapshot) {
      const read = async () => {
        await this.snapshotter().run(tables, snapshot.exported, snapshot.lsn);
        await snapshot.temp?.close();
        this.tempRepl = undefined;
        this.snapshotPhase = false;
        this.changes.safeLsn = Math.max(this.changes.safeLsn, snapshot.lsn);
        this.incremental.kick();
        if (initialOnly && !this.stopped) {
          this.ctx.log.info('snapshot.mode=initial_only: snapshot complete, not streaming');
          this.ended = true;
          await this.repl?.close();
        }
      };
      this.snapshotPhase = true;
      plan.snapshot = read;
      if (snapshot.temp) {
        // An existing slot: the stream catches up to the snapshot's point first, then reads it (drainInbox).
        plan.snapshotInStream = true;
        this.barrier = { lsn: snapshot.lsn, run: read };
      }
    }
    await this.coordinator.run(plan);
  }

  private snapshotter(): Snapshotter {
    return new Snapshotter(this.s, this.types, this.ctx, this.partition, {
      push: (r) => this.push(r),
      room: () => this.queue.room(),
      full: () => this.queue.full,
      stopped: () => this.stopped || this.queue.failed !== undefined,
    });
  }

  private async stream(startLsn: number): Promise<void> {
    const repl = this.repl!;
    this.ctx.log.info({ slot: this.s.slot, from: formatLsn(startLsn) }, 'streaming changes');
    const { done } = await this.startReplication(repl, startLsn, {
      onData: (lsn, payload) => {
        // Parsed now: `pg` hands out views into its read buffer, which it overwrites as more data arrives.
        try {
          // Checked here too, not only after a pump: a pump waiting on the catalog (a Relation message) would
          // otherwise let the socket flood the inbox meanwhile.
          if (this.inbox.length - this.inboxHead > INBOX_LIMIT) repl.pause();
          this.inbox.push({ kind: 'data', lsn, message: parsePgOutput(payload) });
        } catch (err) {
          this.fail(
            new ConnectError(`cannot parse pgoutput message at ${formatLsn(lsn)}: ${(err as Error).message}`, {
              context: { ...this.errorContext, position: formatLsn(lsn) },
              cause: err,
            }),
          );
          return;
        }
        this.pump();
      },
      onKeepalive: (walEnd, reply) => {
        if (reply) this.sendStatusQuietly(this.committedLsn);
        this.inbox.push({ kind: 'keepalive', walEnd });
        this.pump();
      },
    });
    this.streaming = true;
    this.incremental.kick();
    repl.onEnd(() => {
      if (!this.stopped && !this.ended)
        this.fail(
          new ConnectError('replication connection closed by the server', {
            retriable: true,
            context: this.errorContext,
          }),
        );
    });
    if (this.committedLsn > 0) repl.sendStatus(this.committedLsn);
    // While catching up to a snapshot point, ask for keepalives: an idle server would send one only every
    // wal_sender_timeout / 2, and the snapshot waits for the stream to pass its point.
    this.coordinator.until(500, () => {
      if (!this.barrier) return false;
      if (this.streaming && !this.ended) this.sendStatusQuietly(this.committedLsn, true);
      return true;
    });
    // Asking for a reply makes an idle server say where it is, which lets releaseIdle() move the slot even when
    // the walsender has no reason of its own to send a keepalive.
    this.coordinator.every(
      this.s.statusIntervalMs,
      () => this.streaming && this.sendStatusQuietly(this.committedLsn, true),
    );
    if (this.s.heartbeatMs > 0) this.coordinator.every(this.s.heartbeatMs, () => void this.heartbeatTick());
    this.coordinator.every(LOG_REPORT_MS, () => void this.reportLog());
    void this.reportLog();
    try {
      await done;
      if (!this.stopped && !this.ended)
        throw new ConnectError('replication stream ended unexpectedly', { retriable: true });
    } catch (err) {
      if (this.stopped || this.ended) return;
      throw (
        (await this.slotFailure(err)) ??
        explain(err, `streaming from slot "${this.s.slot}" failed`, this.errorContext, this.s.user)
      );
    }
  }

  /** START_REPLICATION; a refusal (slot held, invalidated) is explained as a failure of the stream would be. */
  private async startReplication(
    repl: ReplicationConnection,
    startLsn: number,
    handlers: Parameters<ReplicationConnection['start']>[3],
  ): Promise<{ done: Promise<void> }> {
    try {
      return await repl.start(this.s.slot, startLsn, this.s.publication, handlers);
    } catch (err) {
      throw (
        (await this.slotFailure(err)) ??
        explain(err, `cannot stream from slot "${this.s.slot}"`, this.errorContext, this.s.user)
      );
    }
  }

  /** Why streaming failed, when the slot is the reason (startup.ts's slotFailure). */
  private slotFailure(err: unknown): Promise<ConnectError | undefined> {
    const { s, meta, serverVersion, errorContext, committedLsn } = this;
    return slotFailure(err, {
      s,
      meta: meta!,
      serverVersion,
      connector: this.ctx.connector,
      errorContext,
      committedLsn,
    });
  }

  /** What the slot makes the server keep, for metrics, status and log.retention.warn.bytes. */
  private async reportLog(): Promise<void> {
    if (this.stopped || !this.meta || !this.ctx.reportLog) return;
    try {
      const status = await slotLogStatus(this.meta, this.s.slot, this.serverVersion);
      if (status && !this.stopped) this.ctx.reportLog(status);
    } catch (err) {
      this.ctx.log.debug({ err: (err as Error).message }, 'slot state not read');
    }
  }

  /** Heartbeat: ask the server where it is (it answers with a keepalive), run the action query. */
  private async heartbeatTick(): Promise<void> {
    if (this.stopped || !this.streaming) return;
    this.heartbeatDue = true;
    if (this.s.heartbeatQuery) {
      try {
        await this.meta!.query(this.s.heartbeatQuery);
      } catch (err) {
        this.fail(explain(err, `heartbeat.action.query failed`, this.errorContext, this.s.user));
        return;
      }
    }
    this.sendStatusQuietly(this.committedLsn, true);
  }

  /** Whether processing may go on; once false, inbox items are left alone (and the pump must not spin on them). */
  private get processing(): boolean {
    return !this.queue.failed && !this.stopped && !this.ended;
  }

  private pump(): void {
    if (this.pumping || !this.processing) return;
    this.pumping = true;
    void this.drainInbox()
      .catch((err) => this.fail(err))
      .finally(() => {
        this.pumping = false;
        this.flowControl();
        if (this.inboxHead < this.inbox.length && !this.queue.full && this.processing) this.pump();
      });
  }

  private async drainInbox(): Promise<void> {
    while (this.inboxHead < this.inbox.length && !this.queue.full && this.processing) {
      const pending = this.changes.blockingPending;
      if (pending && !this.changes.tx) {
        // A blocking snapshot signalled in the signal table: the stream holds at the end of the signal's
        // transaction until the coordinator has taken it (then the barrier below stops right here) or refused it.
        await Promise.race([pending, this.halted]);
        continue;
      }
      const item = this.inbox[this.inboxHead++];
      if (this.inboxHead > 1024 && this.inboxHead * 2 > this.inbox.length) {
        this.inbox.splice(0, this.inboxHead);
        this.inboxHead = 0;
      }
      if (this.barrier && !this.changes.tx) {
        const at = item.kind === 'keepalive' ? item.walEnd : item.message.tag === 'begin' ? item.message.finalLsn : -1;
        if (at >= this.barrier.lsn) {
          // Everything committed before the snapshot point is queued; what follows comes after the snapshot.
          const { run } = this.barrier;
          this.barrier = undefined;
          await run();
          if (this.ended) return;
        }
      }
      if (item.kind === 'keepalive') this.onKeepalive(item.walEnd);
      else {
        if (item.message.tag === 'begin') this.idleEnd = undefined;
        const pending = this.changes.handle(item.lsn, item.message);
        if (pending) await pending;
      }
    }
  }

  private flowControl(): void {
    const backlog = this.inbox.length - this.inboxHead;
    if (backlog > INBOX_LIMIT || this.queue.full) this.repl?.pause();
    else if (backlog < INBOX_LIMIT / 2) this.repl?.resume();
  }

  private onKeepalive(walEnd: number): void {
    if (this.changes.tx || this.changes.held || this.snapshotPhase || this.barrier) return;
    // Everything the server sent before this keepalive is queued and no transaction is open: a transaction not
    // sent yet commits after walEnd, so confirming walEnd loses nothing — once what was handed out is committed.
    if (walEnd > (this.idleEnd ?? 0)) this.idleEnd = walEnd;
    this.releaseIdle();
    if (!this.heartbeatDue) return;
    this.heartbeatDue = false;
    // All data before this keepalive is already queued and no transaction is open: confirming walEnd loses
    // nothing, and lets the slot move over WAL of tables we do not capture.
    const lsn = Math.max(walEnd, this.changes.safeLsn);
    this.changes.safeLsn = lsn;
    this.lastHeartbeat = Date.now();
    const offset: PgOffset = { lsn, lsn_proc: lsn, lsn_commit: lsn, txId: null, ts_usec: this.lastHeartbeat * 1000 };
    const fields = this.incremental.fields;
    if (fields) Object.assign(offset, fields);
    this.push(
      heartbeatRecord(
        this.s.heartbeatTopic,
        this.s.prefix,
        this.partition,
        offset as unknown as SourceOffset,
        this.lastHeartbeat,
      ),
    );
  }

  /**
   * A blocking snapshot: the stream stops at the next transaction boundary (the barrier; inbox items wait), the
   * tables are read in a REPEATABLE READ transaction as the initial snapshot reads them, then the inbox drains on.
   * The records carry the stream's offset at the stop, so a crash mid-snapshot streams on from there (the blocking
   * snapshot is not redone, as in Debezium); stream events after the stop come after the snapshot's rows, so a
   * replay by key ends at the table's content.
   */
  private blockingSnapshot(id: string, collections: SnapshotCollection[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.barrier = {
        lsn: 0,
        run: async () => {
          const lsn = Math.max(this.changes.safeLsn, this.committedLsn);
          const offset: PgOffset = { lsn, lsn_proc: lsn, lsn_commit: lsn, txId: null, ts_usec: Date.now() * 1000 };
          const fields = this.incremental.fields;
          if (fields) Object.assign(offset, fields);
          this.ctx.log.info({ signal: id, at: formatLsn(lsn) }, 'blocking snapshot: streaming paused');
          const tables = collections.map((c) => {
            const dot = c.id.indexOf('.');
            return { schema: c.id.slice(0, dot), table: c.id.slice(dot + 1) };
          });
          const filters = new Map(collections.flatMap((c) => (c.filter ? [[c.id, c.filter] as const] : [])));
          await this.snapshotter()
            .run(tables, null, lsn, { id, offset, filters })
            .then(resolve, (err) => {
              // failed before the stream drains on: nothing after the stop is handed out
              this.fail(err);
              reject(err);
            });
        },
      };
      // An idle server sends nothing to stop at: ask it for keepalives until the stream has stopped.
      this.sendStatusQuietly(this.committedLsn, true);
      this.coordinator.until(500, () => {
        if (!this.barrier) return false;
        if (this.streaming) this.sendStatusQuietly(this.committedLsn, true);
        return true;
      });
    });
  }

  /** Signals from any channel (REST, the signal table). */
  private onSignal(signal: Signal): Promise<SignalAnswer> {
    return this.incremental.signal(signal);
  }

  /** A signal from REST or a channel the runtime reads (kafka, file). */
  signal(signal: Signal, channel = 'rest'): Promise<SignalAnswer> {
    return this.coordinator.signal(signal, channel);
  }

  /**
   * Bounded retention without heartbeats: with every record handed out committed, the slot may move to the
   * server's idle position, so a quiet captured table never pins the WAL that other tables write. Nothing is
   * emitted; the offset stays at the last record, and a restart from it streams from the slot's confirmed position
   * (the server skips to it), which holds nothing for us in between.
   */
  private releaseIdle(): void {
    const end = this.idleEnd;
    if (end === undefined || !this.streaming || this.stopped || this.snapshotPhase) return;
    if (this.pushedProc > this.committedLsn || end <= this.committedLsn) return;
    this.committedLsn = end;
    this.sendStatusQuietly(end);
  }

  private push(record: ChangeRecord): void {
    const proc = (record.sourceOffset as unknown as PgOffset).lsn_proc;
    if (proc > this.pushedProc) this.pushedProc = proc;
    this.queue.push(record);
  }

  private fail(err: unknown): void {
    if (this.stopped || !this.queue || this.queue.failed) return;
    const failure =
      err instanceof ConnectError ? err : explain(err, 'postgres source failed', this.errorContext, this.s?.user);
    this.queue.fail(failure);
    this.halt();
    this.ctx?.log.error({ err: failure.message }, 'postgres source failed');
  }

  async poll(): Promise<ChangeRecord[] | null> {
    const batch = await this.queue.poll();
    if (batch && !this.queue.full) {
      this.flowControl();
      this.pump();
      if (this.incremental.running) this.incremental.kick();
    }
    return batch;
  }

  async commit(committed: ReadonlyMap<string, { partition: SourcePartition; offset: SourceOffset }>): Promise<void> {
    for (const { partition, offset } of committed.values()) {
      if (partition.server !== this.s.prefix) continue;
      const o = offset as unknown as PgOffset;
      // Until the snapshot is complete the slot keeps its position: a restart catches up from there again.
      if (o.snapshot === true && o.last_snapshot_record !== true) continue;
      const lsn = o.lsn_proc;
      if (typeof lsn === 'number' && lsn > this.committedLsn) {
        this.committedLsn = lsn;
        // Never before START_REPLICATION: the idle connection may still hold the exported snapshot.
        if (this.streaming && !this.stopped) this.sendStatusQuietly(lsn);
      }
    }
    this.releaseIdle();
  }

  /** A status update on a connection that may be closing: a lost update only delays the slot, a throw would fail the task. */
  private sendStatusQuietly(lsn: number, replyRequested = false): void {
    try {
      this.repl?.sendStatus(lsn, replyRequested);
    } catch (err) {
      this.ctx.log.debug({ err: (err as Error).message }, 'status update not sent');
    }
  }

  /** `dropSlot`: slot.drop.on.stop applies to a stop of the task, not to a session replaced after a failure. */
  async stop(dropSlot = true): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.halt();
    this.coordinator?.stop();
    this.queue?.notify();
    if (this.streaming && this.committedLsn > 0) this.sendStatusQuietly(this.committedLsn);
    this.streaming = false;
    await this.repl?.close();
    // The temporary slot of a snapshot goes with its connection, and so does the exported snapshot that connection
    // holds open ("idle in transaction"): a failed, deleted or restarted task must leave neither behind.
    await this.tempRepl?.close();
    this.tempRepl = undefined;
    if (dropSlot && this.s?.dropSlotOnStop && this.meta) {
      try {
        await this.dropSlot(false);
      } catch (err) {
        this.ctx.log.warn({ err: (err as Error).message }, 'slot.drop.on.stop: could not drop the slot');
      }
    }
    await this.meta?.end().catch(() => undefined);
  }

  private dropSlot(failIfActive: boolean): Promise<void> {
    return dropSlot(this.meta!, this.s, this.errorContext, failIfActive);
  }
}
