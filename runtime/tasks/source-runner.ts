import {
  asConnectError,
  dropEncodedValue,
  type ChangeRecord,
  type Config,
  estimateSize,
  type Logger,
  partitionKey,
  type Signal,
  type SignalAnswer,
  type SnapshotProgress,
  type SourceConnectorPlugin,
  type SourceOffset,
  type SourceTask,
  type SourceTaskContext,
  traceOf,
} from '../api/index.js';
import type { WorkerMetrics } from '../metrics/metrics.js';
import type { OffsetStore } from '../offsets/store.js';
import { type PartitionOffset, SubmittedBatches } from '../offsets/submitted.js';
import { applyChain, type ChainStep } from '../transforms/chain.js';
import type { RecordConverters, Transport } from '../transport/transport.js';
import { type ErrorPolicy, logTolerated } from './error-policy.js';
import { type LogReport, LogWatch } from './log-watch.js';
import { RetryTracker, type RetryingStatus } from './retry.js';
import { openSignalChannels, type SignalChannel } from './signal-channels.js';
import { Gate, type StateListener, within } from './state.js';
import type { RecordTap } from './tap.js';

/** A task's snapshot as its status shows it (`snapshot` beside `state`), Debezium's metrics in words. */
export interface SnapshotReport {
  kind: 'initial' | 'incremental' | 'blocking';
  /** the execute-snapshot signal's id (incremental) */
  id?: string;
  running: boolean;
  paused: boolean;
  completed: boolean;
  tablesTotal: number;
  tablesRemaining: number;
  rowsScanned: number;
  durationSeconds: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * With a transport that releases records on send (direct), what waits for acknowledgement is only bookkeeping, one
 * entry per batch: this bounds it. Reached only by many small batches (a trickle of single changes), where a flush
 * is cheap; a bulk load reaches offset.flush.interval.ms first.
 */
const UNFLUSHED_BATCHES = 4096;

export interface SourceRunnerOptions {
  readonly connector: string;
  readonly taskId: number;
  readonly plugin: SourceConnectorPlugin;
  /** the task's own config (from taskConfigs), parsed, providers resolved */
  readonly taskConfig: Config;
  /** the connector config: queue knobs and errors.* */
  readonly connectorConfig: Config;
  readonly errors: ErrorPolicy;
  readonly steps: readonly ChainStep[];
  readonly converters: RecordConverters;
  readonly transport: Transport;
  readonly offsets: OffsetStore;
  readonly log: Logger;
  readonly metrics: WorkerMetrics;
  readonly flushIntervalMs: number;
  readonly flushTimeoutMs: number;
  readonly onState: StateListener;
  /** called once per topic this task writes to (Connect's active topics) */
  readonly onTopic?: (topic: string) => void;
}

/**
 * Runs one source task: poll → transforms → transport, with in-flight records and bytes bounded
 * (max.queue.size, max.queue.size.in.bytes), and commits the acknowledged prefix of offsets every
 * offset.flush.interval.ms and at stop. SourceTask.commit() runs only after the offsets are durable.
 */
export class SourceTaskRunner {
  private readonly task: SourceTask;
  private readonly abort = new AbortController();
  private readonly tracker = new SubmittedBatches();
  private readonly gate = new Gate();
  private readonly labels: { connector: string; task: string };
  private readonly maxQueue: number;
  private readonly maxBytes: number;
  /** sent records hold no memory until acknowledged (see Transport.releasesOnSend) */
  private readonly releasesOnSend: boolean;
  private loop: Promise<void> = Promise.resolve();
  private commitTimer: NodeJS.Timeout | undefined;
  /** the commit in progress; resolves to the offset store's error when the write failed */
  private committing: Promise<unknown> | undefined;
  private failure: unknown;
  private readonly topics = new Set<string>();
  private started = false;
  private stopping = false;
  private earlyFlush = false;
  private readonly logWatch: LogWatch;
  /** the event inspector, while someone watches (see RecordTap) */
  tap: RecordTap | undefined;
  private readonly retries: RetryTracker;
  /** what the task last said about its database connection (reportConnected); undefined: it never said */
  private connected: boolean | undefined;
  private readonly connectedLabels: { connector: string; task: string; plugin: string; name: string; context: string };

  constructor(private readonly o: SourceRunnerOptions) {
    this.task = o.plugin.createTask();
    this.labels = { connector: o.connector, task: String(o.taskId) };
    this.maxQueue = o.connectorConfig.int('max.queue.size');
    this.maxBytes = o.connectorConfig.int('max.queue.size.in.bytes');
    this.releasesOnSend = o.transport.releasesOnSend === true;
    const warn = o.connectorConfig.get('log.retention.warn.bytes');
    this.logWatch = new LogWatch(this.labels, o.metrics, o.log, typeof warn === 'number' ? warn : 0);
    // Debezium's JMX names carry the plugin and the logical server name (topic.prefix).
    this.connectedLabels = {
      ...this.labels,
      plugin: o.plugin.name,
      name: o.taskConfig.raw['topic.prefix'] ?? o.connector,
      context: 'streaming',
    };
    o.metrics.taskRetrying.set(this.labels, 0);
    this.retries = new RetryTracker((s) => {
      o.metrics.taskRetrying.set(this.labels, s ? 1 : 0);
      this.showConnected();
    });
  }

  /** The task's last snapshot progress, for its status (undefined until it reports one). */
  snapshotReport: SnapshotReport | undefined;
  private snapshotStarted = 0;
  private snapshotLogged = 0;

  /** A signal from REST or a runtime channel (kafka, file), handed to the task; a task that takes none refuses it. */
  async signal(signal: Signal, channel = 'rest'): Promise<SignalAnswer> {
    if (!this.started || this.stopping || this.failure !== undefined)
      return { accepted: false, reason: `task ${this.o.taskId} is not running; signal not taken` };
    if (!this.task.signal) return { accepted: false, reason: 'this connector takes no signals' };
    return this.task.signal(signal, channel);
  }

  /** the kafka / file signal channels, open while the task runs */
  private channels: SignalChannel[] = [];

  private closeChannels(): void {
    for (const c of this.channels.splice(0)) void c.close();
  }

  /** What the task holds of its database's log, for the task's status (undefined until the task reports). */
  get logReport(): LogReport | undefined {
    return this.logWatch.current;
  }

  /** The retriable error the task is retrying now, with since when and how many attempts failed. */
  get retrying(): RetryingStatus | undefined {
    return this.retries.status;
  }

  /** Connected is what the task reported, and 0 while the runtime retries a failure. */
  private showConnected(): void {
    if (this.connected === undefined) return;
    this.o.metrics.connected.set(this.connectedLabels, this.connected && !this.retries.status ? 1 : 0);
  }

  start(): void {
    this.loop = this.run();
  }

  pause(): void {
    this.gate.close();
    this.o.onState('PAUSED');
  }

  resume(): void {
    this.gate.open();
    if (!this.failure) this.o.onState('RUNNING');
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  private context(): SourceTaskContext {
    const { connector, taskId, log, metrics } = this.o;
    const store = this.o.offsets;
    let cache: Promise<Map<string, SourceOffset>> | undefined;
    return {
      connector,
      taskId,
      signal: this.abort.signal,
      log,
      offsets: {
        async offset(partition) {
          cache ??= store.read(connector).then((all) => new Map(all.map((e) => [partitionKey(e.partition), e.offset])));
          return (await cache).get(partitionKey(partition)) ?? null;
        },
      },
      reportSnapshotProgress: (p) => {
        const l = this.labels;
        this.reportSnapshot(p);
        if (p.tablesTotal !== undefined) metrics.snapshot.set({ ...l, measure: 'tables_total' }, p.tablesTotal);
        if (p.tablesRemaining !== undefined)
          metrics.snapshot.set({ ...l, measure: 'tables_remaining' }, p.tablesRemaining);
        if (p.rowsScanned !== undefined) metrics.snapshot.set({ ...l, measure: 'rows_scanned' }, p.rowsScanned);
        if (p.rowsEstimated !== undefined) metrics.snapshot.set({ ...l, measure: 'rows_estimated' }, p.rowsEstimated);
        if (p.running !== undefined) metrics.snapshot.set({ ...l, measure: 'running' }, p.running ? 1 : 0);
      },
      reportLag: (ms) => this.logWatch.lag(ms),
      reportLog: (status) => this.logWatch.update(status),
      reportConnected: (connected) => {
        this.connected = connected;
        this.showConnected();
      },
      // Pre-encoded values only where nothing between the source and the converter changes a value.
      valueEncoding: this.o.steps.length ? undefined : this.o.converters.value.valueEncoding?.(),
    };
  }

  /** Status and Debezium's snapshot metrics from a progress report. */
  private reportSnapshot(p: SnapshotProgress): void {
    const prev = this.snapshotReport;
    const kind = p.kind ?? prev?.kind ?? 'initial';
    if (p.running && (!prev?.running || prev.kind !== kind)) this.snapshotStarted = Date.now();
    const next: SnapshotReport = {
      kind,
      ...((p.snapshotId ?? prev?.id) ? { id: p.snapshotId ?? prev?.id } : {}),
      running: p.running ?? prev?.running ?? false,
      paused: p.paused ?? false,
      completed: p.running === false && !p.aborted,
      tablesTotal: p.tablesTotal ?? prev?.tablesTotal ?? 0,
      tablesRemaining: p.tablesRemaining ?? prev?.tablesRemaining ?? 0,
      rowsScanned: p.rowsScanned ?? prev?.rowsScanned ?? 0,
      durationSeconds: this.snapshotStarted ? Math.round((Date.now() - this.snapshotStarted) / 1000) : 0,
    };
    if (next.running && next.paused) next.running = false;
    this.snapshotReport = next;
    // The worker's console: a signalled snapshot's progress every 10 s (the initial one logs its own start and end).
    if (kind !== 'initial' && next.running && Date.now() - this.snapshotLogged >= 10_000) {
      this.snapshotLogged = Date.now();
      this.o.log.info(
        {
          snapshot: next.id,
          kind,
          tables: `${next.tablesTotal - next.tablesRemaining}/${next.tablesTotal}`,
          rows: next.rowsScanned,
          seconds: next.durationSeconds,
        },
        'snapshot progress',
      );
    }
    const m = this.o.metrics;
    // Debezium reports a blocking snapshot through the (initial) snapshot's metrics
    const l = { ...this.labels, context: kind === 'incremental' ? 'incremental' : 'snapshot' };
    m.dbz.TotalTableCount.set(l, next.tablesTotal);
    m.dbz.RemainingTableCount.set(l, next.tablesRemaining);
    m.dbz.SnapshotRunning.set(l, next.running ? 1 : 0);
    m.dbz.SnapshotPaused.set(l, next.paused ? 1 : 0);
    m.dbz.SnapshotCompleted.set(l, next.completed ? 1 : 0);
    m.dbz.SnapshotAborted.set(l, p.aborted ? 1 : 0);
    m.dbz.SnapshotDurationInSeconds.set(l, next.durationSeconds);
    if (p.table) m.dbzRowsScanned.set({ ...l, table: p.table.name }, p.table.rows);
  }

  private async run(): Promise<void> {
    const { log, errors, connector, taskId } = this.o;
    const where = { connector, task: taskId };
    const signal = this.abort.signal;
    try {
      await this.retries.run(
        () => this.task.start(this.o.taskConfig, this.context()),
        errors.retry,
        where,
        signal,
        (e, n, d) => log.warn({ err: e.describe(), attempt: n, delayMs: d }, 'Source task start failed; retrying'),
      );
      this.started = true;
      if (signal.aborted) return;
      if (this.task.signal)
        this.channels = openSignalChannels({
          raw: this.o.taskConfig.raw,
          connector,
          taskId,
          log,
          deliver: (s, channel) => this.signal(s, channel),
        });
      this.o.onState(this.gate.isClosed ? 'PAUSED' : 'RUNNING');
      this.commitTimer = setInterval(() => void this.commit(), this.o.flushIntervalMs);
      while (!signal.aborted) {
        await this.gate.pass(signal);
        if (signal.aborted) break;
        if (this.full()) {
          // Ask downstream to make what it holds durable, so acknowledgements can free the queue.
          void this.o.transport.flush().catch((err) => this.fail(err));
          await this.tracker.waitForAck(200);
          continue;
        }
        const records = await this.retries.run(
          () => this.task.poll(),
          errors.retry,
          where,
          signal,
          (e, n, d) => log.warn({ err: e.describe(), attempt: n, delayMs: d }, 'Source poll failed; retrying'),
        );
        if (records && records.length > 0) {
          await this.deliver(records);
          this.flushEarly();
        }
        // Polls and puts that complete without real I/O resolve as microtasks only; without this turn of the
        // event loop, timers (offset commits), REST requests and signals would wait for the source to idle.
        await yieldToEventLoop();
      }
    } catch (err) {
      if (!this.stopping || !signal.aborted) this.fail(err);
    }
  }

  /**
   * Half-way to full, ask downstream to flush without waiting, so acknowledgements arrive before the source must
   * stop. Where the transport holds records until acknowledged (Kafka), they are then acknowledged while young: on a
   * fast pipeline they die in V8's young generation instead of being promoted, which halved peak RSS of the file
   * benchmark.
   */
  private flushEarly(): void {
    const half = this.releasesOnSend
      ? this.tracker.unacked >= UNFLUSHED_BATCHES / 2
      : this.tracker.inFlightRecords >= this.maxQueue / 2;
    if (this.earlyFlush || !half) return;
    this.earlyFlush = true;
    this.o.transport
      .flush()
      .catch((err) => this.fail(err))
      .finally(() => {
        this.earlyFlush = false;
      });
  }

  /**
   * Whether the source must wait for acknowledgements before polling again. Records the transport still holds count
   * against max.queue.size (and max.queue.size.in.bytes); records a direct transport has already handed to its
   * sinks do not: delivery never waits for durability, which follows offset.flush.interval.ms (DESIGN §1).
   */
  private full(): boolean {
    if (this.releasesOnSend) return this.tracker.unacked >= UNFLUSHED_BATCHES;
    return (
      this.tracker.inFlightRecords >= this.maxQueue ||
      (this.maxBytes > 0 && this.tracker.inFlightBytes >= this.maxBytes)
    );
  }

  private async deliver(records: ChangeRecord[]): Promise<void> {
    const { metrics, errors, log } = this.o;
    metrics.recordsPolled.inc(this.labels, records.length);
    metrics.batchSize.observe(this.labels, records.length);
    let out: ChangeRecord[] = records;
    if (this.o.steps.length) {
      out = [];
      for (const r of records) {
        let t: ChangeRecord | null;
        // No bytes encoded before a transform may outlive it (runtime/api/encoded.ts).
        dropEncodedValue(r.value);
        try {
          t = applyChain(this.o.steps, r);
        } catch (err) {
          const e = asConnectError(err, { connector: this.o.connector, task: this.o.taskId });
          if (!errors.tolerateAll) throw e;
          metrics.recordsSkipped.inc({ ...this.labels, stage: e.context.stage ?? 'transform' });
          logTolerated(errors, log, e, r);
          continue;
        }
        if (t === null) metrics.recordsFiltered.inc(this.labels);
        else out.push(t);
      }
    }
    this.tap?.(this.o.taskId, records, out, this.o.converters);
    if (this.o.onTopic) {
      for (const r of out) {
        if (!this.topics.has(r.topic)) {
          this.topics.add(r.topic);
          this.o.onTopic(r.topic);
        }
      }
    }
    let bytes = 0;
    if (this.maxBytes > 0 && !this.releasesOnSend) for (const r of records) bytes += estimateSize(r);
    const batch = this.tracker.submit(records, bytes);
    metrics.queueRecords.set(this.labels, this.tracker.inFlightRecords);
    metrics.queueBytes.set(this.labels, this.tracker.inFlightBytes);
    // The acknowledgement callback must not hold the records: a transport that has converted them (Kafka) lets
    // them go long before the broker acknowledges.
    const written = out.length;
    await this.o.transport.send(
      {
        connector: this.o.connector,
        taskId: this.o.taskId,
        records: out,
        converters: this.o.converters,
        signal: this.abort.signal,
      },
      (err) => {
        if (err !== undefined) return this.fail(err);
        this.tracker.ack(batch);
        metrics.recordsWritten.inc(this.labels, written);
        metrics.queueRecords.set(this.labels, this.tracker.inFlightRecords);
        metrics.queueBytes.set(this.labels, this.tracker.inFlightBytes);
      },
    );
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.closeChannels();
    const e = asConnectError(err, { connector: this.o.connector, task: this.o.taskId });
    this.o.log.error({ err: traceOf(e) }, 'Source task failed');
    this.o.onState('FAILED', traceOf(e), e);
    this.abort.abort();
    this.disconnected();
  }

  /** A failed or stopped task holds no connection, whatever it said last. */
  private disconnected(): void {
    if (this.connected === undefined) return;
    this.connected = false;
    this.showConnected();
  }

  /** Commits the acknowledged prefix; then lets the connector release its log up to there. */
  commit(): Promise<void> {
    return this.commitRound().then(() => undefined);
  }

  /**
   * The library's `commit()`: after any commit in progress (which took its offsets before the caller's
   * acknowledgements), commits what is acknowledged now; rejects when the offset store could not write it (the
   * offsets then stay pending for the next commit).
   */
  async commitAcknowledged(): Promise<void> {
    while (this.committing) await this.committing;
    const err = await this.commitRound();
    if (err !== undefined) throw asConnectError(err, { connector: this.o.connector, task: this.o.taskId });
  }

  private commitRound(): Promise<unknown> {
    this.committing ??= this.doCommit().finally(() => {
      this.committing = undefined;
    });
    return this.committing;
  }

  /** Resolves to the offset store's error when the write failed (logged, offsets kept for the next commit). */
  private async doCommit(): Promise<unknown> {
    // As Connect flushes its producer before committing: ask downstream to make what it holds durable, so the
    // acknowledged prefix covers what was delivered up to now (bounded by offset.flush.timeout.ms).
    if (this.tracker.unacked > 0 && !this.failure) {
      const flushed = this.o.transport.flush().catch((err) => this.fail(err));
      await within(flushed, this.o.flushTimeoutMs);
    }
    const taken = this.tracker.takeCommittable();
    if (taken.size === 0) return undefined;
    const { metrics, log, connector } = this.o;
    const started = process.hrtime.bigint();
    try {
      await this.o.offsets.write(
        [...taken.values()].map((p) => ({ connector, partition: p.partition, offset: p.offset })),
      );
    } catch (err) {
      this.tracker.restore(taken);
      metrics.offsetCommitFailures.inc(this.labels);
      log.error({ err: traceOf(err) }, 'Offset commit failed; will retry at the next interval');
      return err;
    }
    metrics.offsetCommits.inc(this.labels);
    metrics.offsetCommitSeconds.observe(this.labels, Number(process.hrtime.bigint() - started) / 1e9);
    if (!this.task.commit || !this.started) return undefined;
    try {
      await this.task.commit(taken as ReadonlyMap<string, PartitionOffset>);
    } catch (err) {
      // The offsets are durable; a connector that cannot release its log now will release more next time.
      log.warn({ err: traceOf(err) }, 'Source task commit callback failed');
    }
    return undefined;
  }

  /**
   * Graceful stop: stop polling, let downstream flush what it holds, wait (up to the timeout) for
   * acknowledgements, commit, stop the task.
   */
  async stop(gracefulMs: number): Promise<void> {
    this.stopping = true;
    this.closeChannels();
    this.abort.abort();
    this.gate.open();
    const deadline = Date.now() + gracefulMs;
    await within(this.loop, Math.max(0, deadline - Date.now()));
    if (!this.failure) {
      await within(this.o.transport.flush(), Math.max(0, deadline - Date.now())).catch(() => undefined);
      const ackDeadline = Math.min(deadline, Date.now() + this.o.flushTimeoutMs);
      while (this.tracker.unacked > 0 && Date.now() < ackDeadline) {
        await this.tracker.waitForAck(Math.max(1, ackDeadline - Date.now()));
      }
    }
    clearInterval(this.commitTimer);
    await within(this.commit(), Math.max(0, deadline - Date.now()));
    if (this.started) {
      const stopped = await within(this.task.stop(), Math.max(1000, deadline - Date.now()));
      if (!stopped) this.o.log.warn('Source task did not stop within task.shutdown.graceful.timeout.ms');
    }
    this.disconnected();
  }
}
