import { randomBytes } from 'node:crypto';
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
import { describeTable, type TableCatalog, TypeCatalog } from './catalog.js';
import { type PostgresSettings, readSettings, tableCaptured } from './config.js';
import { capturedTables, checkServer, dropSlot, ensurePublication, slotInfo as checkedSlot } from './setup.js';
import { clientConfig, connectNegotiated } from './connection.js';
import { explain } from './errors.js';
import { formatLsn } from './lsn.js';
import { highestLsn, type PgOffset, readStoredOffset } from './offsets.js';
import { PG_EPOCH_MICROS, type PgOutputMessage, parsePgOutput, type TupleValue, UNCHANGED_TOAST } from './pgoutput.js';
import { ReplicationConnection } from './replication.js';
import {
  currentWalLsn,
  lostPositionMessage,
  readSlot,
  type SlotState,
  slotHolder,
  slotInUse,
  slotLost,
} from './slot.js';
import { Snapshotter } from './snapshot.js';
import { ChangeEventCoordinator, type SourcePlan } from '../cdc/coordinator.js';
import { RecordQueue } from '../cdc/record-queue.js';
import { TransactionCounts } from '../cdc/transaction.js';
import { IncrementalSnapshotter, type SnapshotCollection, stateFromOffset } from '../cdc/incremental.js';
import { parseSignal, type Signal, type SignalAnswer, SignalError, WINDOW_CLOSE, WINDOW_OPEN } from '../cdc/signals.js';
import { type ChunkRow, keyString, PgChunkReader } from './incremental.js';
import {
  heartbeatKeySchema,
  processingTimes,
  heartbeatValueSchema,
  sourceValue,
  transactionKeySchema,
  transactionValueSchema,
} from './source.js';
import { decodeFailure, TableModel } from './table.js';

export type { PgOffset } from './offsets.js';

interface OpenTx {
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

type InboxItem = { kind: 'data'; lsn: number; message: PgOutputMessage } | { kind: 'keepalive'; walEnd: number };

const NO_HEADERS: ChangeRecord['headers'] = Object.freeze([]);

/** How often the slot's retained WAL is sampled for metrics and status. */
const LOG_REPORT_MS = 5000;

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
  private readonly relations = new Map<number, TableModel | null>();

  private queue!: RecordQueue;
  private coordinator!: ChangeEventCoordinator;
  /** incremental snapshots (signals); its offset fields go on every record while one runs */
  private incremental!: IncrementalSnapshotter<ChunkRow>;
  /** relation id of the signal table in the stream, and whether its own rows become events */
  private signalRel?: number;
  private signalEmit = false;
  private readonly inbox: InboxItem[] = [];
  private inboxHead = 0;
  private pumping = false;
  private stopped = false;
  private streaming = false;

  private tx?: OpenTx;
  /** last change of the open transaction, released at the next change or, marked complete, at COMMIT */
  private held?: { record: ChangeRecord; offset: PgOffset };
  /** end LSN of the last transaction fully handed to the queue: the safe flush point */
  private safeLsn = 0;
  private lastCommitLsn: number | null = null;
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
  /** resume inside a partly delivered transaction: skip its records up to this LSN and event */
  private skip?: { commitLsn: number; lsn: number; event: number };
  /** LSN of the last released record and its `event` number */
  private eventLsn = -1;
  private event = 0;

  /**
   * `resume`: the offset of the last record handed to the runtime by an earlier session of this task, when it is
   * ahead of the committed one (`ctx.offsets`); streaming goes on after it while the slot keeps the committed LSN.
   */
  async start(config: Config, ctx: SourceTaskContext, resume?: PgOffset): Promise<void> {
    this.s = readSettings(config);
    this.ctx = ctx;
    this.queue = new RecordQueue(this.s.maxQueue, this.s.maxBatch, () => this.stopped);
    this.coordinator = new ChangeEventCoordinator(ctx.log);
    const reader = new PgChunkReader(this.s, this.types, () => this.meta!, this.errorContext);
    this.incremental = new IncrementalSnapshotter(reader, {
      ready: () => this.streaming && !this.snapshotPhase && !this.barrier && this.processing,
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
          return reader.resolve(id, req, true);
        },
        run: (id, collections) => this.blockingSnapshot(id, collections),
      },
      (err) => this.fail(err),
    );
    this.partition = { server: this.s.prefix };
    this.errorContext = { connector: ctx.connector, task: ctx.taskId };
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
    if (stored && highestLsn(stored) > current) {
      // Confirming such a position would tell the slot to drop WAL the server has not even written yet: every
      // change until the server got there would be lost for good, even after the right offsets came back.
      throw new ConnectError(
        `the stored offset is at LSN ${formatLsn(highestLsn(stored))}, beyond the server's current WAL position ${formatLsn(current)} (pg_current_wal_lsn()): it was not written against this server's WAL (a restored backup, another server, or a hand-set offset). Refusing to start rather than confirm it to the slot. Fix: set a start point this server has reached (PATCH /connectors/${ctx.connector}/offsets with {"lsn": …} while the connector is stopped), or delete the offsets and snapshot again.`,
        { context: { ...this.errorContext, position: formatLsn(highestLsn(stored)) } },
      );
    }
    try {
      this.incremental.restore(stateFromOffset(stored as unknown as Record<string, unknown> | null));
    } catch (err) {
      throw new ConnectError(
        `the stored offset cannot be used: ${(err as Error).message}. Fix: set a valid one (PATCH /connectors/${ctx.connector}/offsets) or delete the offsets.`,
        { context: this.errorContext },
      );
    }
    let slot = await this.slotInfo();
    const complete = (o: PgOffset | null) => o !== null && !(o.snapshot === true && o.last_snapshot_record !== true);
    const snapshotDone = complete(stored);
    const mode = s.snapshotMode;
    // An operator's start point (PATCH …/offsets) accepts that what came before it is not delivered.
    const operator = resume === undefined && committed?.operator === true;
    if (slot?.active) {
      // Another connector fails this one now, before a snapshot or a temporary slot; a holder that may let go
      // (our own earlier connection, a client that is not sluice) is met again at START_REPLICATION, retried there.
      const busy = slotInUse(
        s.slot,
        await slotHolder(this.meta, slot.activePid),
        slot.activePid,
        ctx.connector,
        this.errorContext,
      );
      if (!busy.retriable) throw busy;
    }
    if (slot && slotLost(slot)) {
      const at = formatLsn(stored ? stored.lsn_proc : (slot.restartLsn ?? slot.confirmedFlush ?? 0));
      if (mode === 'when_needed' || mode === 'always' || operator) {
        ctx.log.warn(
          { slot: s.slot, walStatus: slot.walStatus, reason: slot.invalidation, from: at },
          `replication slot was invalidated by the server; dropping it and ${operator ? 'streaming from the start point set by hand' : `taking a new snapshot (snapshot.mode=${mode})`}`,
        );
        await this.dropSlot(false);
        slot = undefined;
      } else {
        throw new ConnectError(
          lostPositionMessage(
            `replication slot "${s.slot}" was invalidated by the server (wal_status ${slot.walStatus ?? '?'}${slot.invalidation ? `, ${slot.invalidation}` : ''}): the WAL it kept from ${formatLsn(slot.restartLsn ?? 0)} was removed, as max_slot_wal_keep_size allows (or a standby conflict).`,
            at,
            ctx.connector,
          ),
          { context: { ...this.errorContext, position: at } },
        );
      }
    }
    if (!slot && snapshotDone && !operator && !s.dropSlotOnStop && mode !== 'when_needed' && mode !== 'always') {
      const at = formatLsn(stored!.lsn_proc);
      throw new ConnectError(
        lostPositionMessage(
          `replication slot "${s.slot}" does not exist, although this connector has offsets (up to ${at}): it was dropped, or this is a server the slot was never on (a failover to a standby without failover slots: see slot.failover).`,
          at,
          ctx.connector,
        ),
        { context: { ...this.errorContext, position: at } },
      );
    }
    const needSnapshot =
      mode === 'always' ||
      ((mode === 'initial' || mode === 'initial_only') && !snapshotDone) ||
      (mode === 'when_needed' && (!snapshotDone || !slot));
    ctx.log.info(
      { snapshotMode: mode, needSnapshot, slotExists: !!slot, offset: stored, serverLsn: formatLsn(current) },
      'postgres source starting',
    );

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

    // Where streaming starts: the committed flush point; 0 lets the server use the slot's confirmed_flush_lsn.
    let startLsn = stored && snapshotDone ? stored.lsn_proc : 0;
    let snapshot: { exported: string | null; lsn: number; temp?: ReplicationConnection } | undefined;
    if (needSnapshot && !slot) {
      // First start: the slot's own exported snapshot is the exact handover point.
      const created = await this.replCall(
        () => this.repl!.createSlot(s.slot, true, false, s.failover),
        'cannot create replication slot',
      );
      snapshot = { exported: created.snapshotName, lsn: created.consistentPoint };
      startLsn = created.consistentPoint;
    } else if (needSnapshot) {
      // The slot exists (a crash mid-snapshot, snapshot.mode=always, …). It is kept: the stream first catches up
      // to the point of a new exported snapshot (from a temporary slot), then the snapshot is read, then the stream
      // goes on. Rows a consumer saw from an unfinished earlier snapshot thus get their deletes and updates, and
      // every key's events stay in order.
      const temp = new ReplicationConnection(clientConfig(s, `sluice-${ctx.connector}-snapshot`));
      // Kept on the session at once: whatever fails from here on, stop() closes it and the temporary slot with it.
      this.tempRepl = temp;
      await this.replCall(() => temp.connect(), 'cannot open a replication connection for the snapshot');
      temp.onError(() => {});
      // Unique per session: two connectors (or two sessions) in one process must not collide on the name.
      const name = `${s.slot.slice(0, 36)}_snap_${process.pid}_${randomBytes(3).toString('hex')}`;
      const created = await this.replCall(
        () => temp.createSlot(name, true, true),
        'cannot create a temporary replication slot',
      );
      snapshot = { exported: created.snapshotName, lsn: created.consistentPoint, temp };
    } else if (!slot) {
      if (snapshotDone) {
        ctx.log.warn(
          { slot: s.slot, from: formatLsn(stored!.lsn_proc) },
          operator
            ? 'replication slot is missing: creating it and streaming from the start point set by hand; changes before the new slot are not delivered'
            : 'replication slot is gone although offsets exist (slot.drop.on.stop): changes made while it was missing are lost',
        );
      }
      const created = await this.replCall(
        () => this.repl!.createSlot(s.slot, false, false, s.failover),
        'cannot create replication slot',
      );
      if (!stored || !snapshotDone || created.consistentPoint > startLsn) startLsn = created.consistentPoint;
    }
    if (stored && snapshotDone && stored.lsn_proc < stored.lsn_commit) {
      this.skip = { commitLsn: stored.lsn_commit, lsn: stored.lsn, event: stored.event ?? 0 };
    }
    this.safeLsn = startLsn;
    // Records an earlier session of this task handed out may still be uncommitted: the idle position may be
    // confirmed only once they are (releaseIdle), so they count as handed out here too.
    this.pushedProc = resume ? resume.lsn_proc : 0;
    this.committedLsn = complete(committed) ? committed!.lsn_proc : 0;

    const snapshotTables = needSnapshot
      ? captured.filter(
          (t) => s.snapshotInclude.length === 0 || s.snapshotInclude.some((r) => r.test(`${t.schema}.${t.table}`)),
        )
      : [];
    void this.run(snapshot, snapshotTables, startLsn).catch((err) => this.fail(err));
  }

  private async run(
    snapshot: { exported: string | null; lsn: number; temp?: ReplicationConnection } | undefined,
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
        this.safeLsn = Math.max(this.safeLsn, snapshot.lsn);
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

  /**
   * What the server said about the slot, when that is why streaming failed: held by another client (55006), or
   * invalidated while streaming (the server ends the walsender and refuses the slot from then on).
   */
  private async slotFailure(err: unknown): Promise<ConnectError | undefined> {
    const e = err as { code?: string; message?: string };
    const held = e.code === '55006';
    const lost = /can no longer get changes from replication slot|has been invalidated|invalidated because/i.test(
      e.message ?? '',
    );
    if (!held && !lost) return undefined;
    try {
      const slot = await this.slotInfo();
      if (held && slot?.active) {
        return slotInUse(
          this.s.slot,
          await slotHolder(this.meta!, slot.activePid),
          slot.activePid,
          this.ctx.connector,
          this.errorContext,
        );
      }
      if (slot && slotLost(slot)) {
        const at = formatLsn(this.committedLsn);
        return new ConnectError(
          lostPositionMessage(
            `replication slot "${this.s.slot}" was invalidated by the server while streaming (wal_status ${slot.walStatus ?? '?'}${slot.invalidation ? `, ${slot.invalidation}` : ''}): ${e.message}.`,
            at,
            this.ctx.connector,
          ),
          { context: { ...this.errorContext, position: at }, cause: err },
        );
      }
    } catch {
      // the metadata connection is gone too: the plain explanation (retriable) will do
    }
    return undefined;
  }

  /** What the slot makes the server keep, for metrics, status and log.retention.warn.bytes. */
  private async reportLog(): Promise<void> {
    if (this.stopped || !this.meta || !this.ctx.reportLog) return;
    try {
      const slot = await readSlot(this.meta, this.s.slot, this.serverVersion);
      if (!slot || this.stopped) return;
      const current = await currentWalLsn(this.meta);
      this.ctx.reportLog({
        retainedBytes: slot.restartLsn === null ? undefined : Math.max(0, current - slot.restartLsn),
        behindBytes: slot.confirmedFlush === null ? undefined : Math.max(0, current - slot.confirmedFlush),
        position: slot.confirmedFlush === null ? undefined : formatLsn(slot.confirmedFlush),
      });
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
      const item = this.inbox[this.inboxHead++];
      if (this.inboxHead > 1024 && this.inboxHead * 2 > this.inbox.length) {
        this.inbox.splice(0, this.inboxHead);
        this.inboxHead = 0;
      }
      if (this.barrier && !this.tx) {
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
        const pending = this.handle(item.lsn, item.message);
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
    if (this.tx || this.held || this.snapshotPhase || this.barrier) return;
    // Everything the server sent before this keepalive is queued and no transaction is open: a transaction not
    // sent yet commits after walEnd, so confirming walEnd loses nothing — once what was handed out is committed.
    if (walEnd > (this.idleEnd ?? 0)) this.idleEnd = walEnd;
    this.releaseIdle();
    if (!this.heartbeatDue) return;
    this.heartbeatDue = false;
    // All data before this keepalive is already queued and no transaction is open: confirming walEnd loses
    // nothing, and lets the slot move over WAL of tables we do not capture.
    const lsn = Math.max(walEnd, this.safeLsn);
    this.safeLsn = lsn;
    this.lastHeartbeat = Date.now();
    const offset: PgOffset = { lsn, lsn_proc: lsn, lsn_commit: lsn, txId: null, ts_usec: this.lastHeartbeat * 1000 };
    const fields = this.incremental.fields;
    if (fields) Object.assign(offset, fields);
    this.push({
      topic: this.s.heartbeatTopic,
      keySchema: heartbeatKeySchema,
      key: { serverName: this.s.prefix },
      valueSchema: heartbeatValueSchema,
      value: { ts_ms: this.lastHeartbeat },
      headers: [],
      timestamp: this.lastHeartbeat,
      sourcePartition: this.partition,
      sourceOffset: offset as unknown as SourceOffset,
    });
  }

  /** Handles one pgoutput message; returns a promise only when it must wait (catalog lookups). */
  private handle(lsn: number, m: PgOutputMessage): Promise<void> | undefined {
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
    if (m.columns.some((c) => !this.types.has(c.typeOid))) await this.types.load(this.meta!);
    let catalog = await describeTable(this.meta!, m.schema, m.table);
    // The walsender may send a transaction before its commit is visible to other sessions (the WAL is flushed
    // before the backend leaves the proc array): a column it added can still be missing from the catalog we read.
    // Read again, briefly, until every column the relation names is there; a column dropped since also keeps it
    // missing, so the wait is bounded and the last read is used as before.
    for (let attempt = 0; attempt < 20 && !catalogHas(catalog, m.columns); attempt++) {
      await new Promise((r) => setTimeout(r, 25));
      catalog = await describeTable(this.meta!, m.schema, m.table);
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
    void this.coordinator.signal(signal, 'source').then((a) => {
      if (!a.accepted) this.ctx.log.warn({ signal: signal.id, reason: a.reason }, 'signal refused');
    });
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
          value: {
            before: null,
            after: model.valueOf(values),
            source: sourceValue({
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
            transaction: null,
            op: 'r',
            ts_ms: now.ms,
            ts_us: now.us,
            ts_ns: now.ns,
          },
        },
        i === rows.length - 1 ? after : before,
      );
    }
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
          const lsn = Math.max(this.safeLsn, this.committedLsn);
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
    this.ctx?.log.error({ err: failure.message }, 'postgres source failed');
  }

  async poll(): Promise<ChangeRecord[] | null> {
    const batch = await this.queue.poll();
    if (batch && !this.queue.full) {
      this.flowControl();
      this.pump();
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

  private slotInfo(): Promise<SlotState | undefined> {
    return checkedSlot(this.meta!, this.s, this.serverVersion, this.errorContext);
  }

  private dropSlot(failIfActive: boolean): Promise<void> {
    return dropSlot(this.meta!, this.s, this.errorContext, failIfActive);
  }

  private async replCall<T>(fn: () => Promise<T>, what: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw explain(err, what, this.errorContext, this.s.user);
    }
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
