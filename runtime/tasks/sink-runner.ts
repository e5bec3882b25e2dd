import {
  asConnectError,
  type ChangeRecord,
  type Config,
  ConnectError,
  dropEncodedValue,
  type ErrantRecordReporter,
  type Logger,
  type SinkConnectorPlugin,
  type SinkTask,
  traceOf,
} from '../api/index.js';
import type { WorkerMetrics } from '../metrics/metrics.js';
import { applyChain, type ChainStep, TransformError } from '../transforms/chain.js';
import type { DeadLetterFailure, RecordConverters, SinkHandler, Transport } from '../transport/transport.js';
import { type ErrorPolicy, logTolerated } from './error-policy.js';
import { RetryTracker, type RetryingStatus } from './retry.js';
import { Gate, type StateListener, within } from './state.js';
import type { RecordTap } from './tap.js';

export interface SinkRunnerOptions {
  readonly connector: string;
  readonly taskId: number;
  readonly taskCount: number;
  readonly plugin: SinkConnectorPlugin;
  readonly taskConfig: Config;
  readonly connectorConfig: Config;
  readonly errors: ErrorPolicy;
  readonly steps: readonly ChainStep[];
  readonly converters: RecordConverters;
  readonly transport: Transport;
  readonly log: Logger;
  readonly metrics: WorkerMetrics;
  readonly onState: StateListener;
}

/**
 * Runs one sink task as a transport's SinkHandler: transforms, then put; flush on the transport's request.
 * Retriable errors from put/flush are retried (the same records again); anything else fails the task.
 */
export class SinkTaskRunner implements SinkHandler {
  readonly connector: string;
  readonly taskId: number;
  readonly taskCount: number;
  readonly topics: readonly string[];
  readonly topicsRegex?: RegExp;
  readonly converters: RecordConverters;
  private readonly task: SinkTask;
  private readonly abort = new AbortController();
  private readonly gate = new Gate();
  private readonly labels: { connector: string; task: string };
  private readonly retries: RetryTracker;
  private failure: ConnectError | undefined;
  private started = false;
  private attached = false;
  /** dead letters on their way; a flush waits for them, so no consumer offset passes an undelivered one */
  private readonly deadLetters = new Set<Promise<void>>();
  /** the event inspector, while someone watches (see RecordTap) */
  tap: RecordTap | undefined;

  constructor(private readonly o: SinkRunnerOptions) {
    this.task = o.plugin.createTask();
    this.connector = o.connector;
    this.taskId = o.taskId;
    this.taskCount = o.taskCount;
    this.converters = o.converters;
    this.topics = o.connectorConfig.list('topics');
    const regex = o.connectorConfig.optionalString('topics.regex');
    if (regex) this.topicsRegex = new RegExp(`^(?:${regex})$`);
    this.labels = { connector: o.connector, task: String(o.taskId) };
    o.metrics.taskRetrying.set(this.labels, 0);
    this.retries = new RetryTracker(() => this.showRetrying());
  }

  /** What the transport retries for this task (its Kafka consumer restarting), apart from the task's own retries. */
  private transportRetry: RetryingStatus | undefined;

  /** The retriable error the task is retrying now, with since when and how many attempts failed. */
  get retrying(): RetryingStatus | undefined {
    return this.retries.status ?? this.transportRetry;
  }

  private showRetrying(): void {
    this.o.metrics.taskRetrying.set(this.labels, this.retrying ? 1 : 0);
  }

  async start(): Promise<void> {
    const { log, errors, connector, taskId, converters } = this.o;
    try {
      await this.retries.run(
        () =>
          this.task.start(this.o.taskConfig, {
            connector,
            taskId,
            signal: this.abort.signal,
            log,
            // A converter whose bytes are not text (Avro) reads the topic; the sink writes with its text form.
            keyConverter: converters.key.textForm?.() ?? converters.key,
            valueConverter: converters.value.textForm?.() ?? converters.value,
            errantRecordReporter: this.errantRecordReporter(),
          }),
        errors.retry,
        { connector, task: taskId },
        this.abort.signal,
        (e, n, d) => log.warn({ err: e.describe(), attempt: n, delayMs: d }, 'Sink task start failed; retrying'),
      );
      this.started = true;
      await this.o.transport.addSink(this);
      this.attached = true;
      this.o.onState(this.gate.isClosed ? 'PAUSED' : 'RUNNING');
    } catch (err) {
      this.fail(err);
    }
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

  async put(records: readonly ChangeRecord[]): Promise<void> {
    if (this.failure) throw this.failure;
    await this.gate.pass(this.abort.signal);
    const { metrics, errors, log, connector, taskId } = this.o;
    let out: readonly ChangeRecord[] = records;
    if (this.o.steps.length) {
      const kept: ChangeRecord[] = [];
      for (const r of records) {
        // No bytes a source encoded may outlive a transform (runtime/api/encoded.ts).
        dropEncodedValue(r.value);
        try {
          const t = applyChain(this.o.steps, r);
          if (t === null) metrics.recordsFiltered.inc(this.labels);
          else kept.push(t);
        } catch (err) {
          const e = asConnectError(err, { connector, task: taskId });
          if (!errors.tolerateAll) throw this.fail(e);
          metrics.recordsSkipped.inc({ ...this.labels, stage: e.context.stage ?? 'transform' });
          logTolerated(errors, log, e, r);
          // As Connect, a record a sink transform rejects goes to the dead letter queue (the original message).
          const className =
            err instanceof TransformError ? (this.o.connectorConfig.raw[`transforms.${err.alias}.type`] ?? '') : '';
          const cause = err instanceof TransformError && err.cause !== undefined ? err.cause : err;
          void this.deadLetter(r, { stage: 'TRANSFORMATION', className, error: cause }).catch(() => undefined);
        }
      }
      out = kept;
    }
    this.tap?.(this.o.taskId, records, out, this.o.converters);
    if (out.length === 0) return;
    try {
      await this.retries.run(
        () => this.task.put(out),
        errors.retry,
        { connector, task: taskId, stage: 'put' },
        this.abort.signal,
        (e, n, d) =>
          log.warn({ err: e.describe(), attempt: n, delayMs: d }, 'Sink put failed; retrying the same records'),
      );
    } catch (err) {
      throw this.fail(err);
    }
    metrics.recordsWritten.inc(this.labels, out.length);
    metrics.batchSize.observe(this.labels, out.length);
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    await Promise.all(this.deadLetters);
    if (this.failure) throw this.failure;
    const { errors, log, connector, taskId } = this.o;
    try {
      await this.retries.run(
        () => this.task.flush(),
        errors.retry,
        { connector, task: taskId, stage: 'flush' },
        this.abort.signal,
        (e, n, d) => log.warn({ err: e.describe(), attempt: n, delayMs: d }, 'Sink flush failed; retrying'),
      );
    } catch (err) {
      throw this.fail(err);
    }
  }

  transportFailed(err: unknown): void {
    this.fail(err);
  }

  transportRetrying(err: ConnectError | undefined): void {
    const prev = this.transportRetry;
    this.transportRetry =
      err === undefined
        ? undefined
        : { since: prev?.since ?? Date.now(), attempt: (prev?.attempt ?? 0) + 1, error: err.describe() };
    this.showRetrying();
  }

  /** Connect gives a sink task a reporter only when a dead letter queue or error logging is configured. */
  private errantRecordReporter(): ErrantRecordReporter | undefined {
    const dlq = this.o.connectorConfig.optionalString('errors.deadletterqueue.topic.name') ?? '';
    if (dlq.trim() === '' && !this.o.errors.logErrors) return undefined;
    return { report: (record, error) => this.reportErrant(record, error) };
  }

  /**
   * Connect's executeFailed for stage TASK_PUT: log, dead-letter, then, unless errors.tolerance=all, fail the task
   * ("Tolerance exceeded in error handler"). The promise given to the task is marked handled: a task need not
   * await it, the runner fails the task on its own.
   */
  private reportErrant(record: ChangeRecord, error: unknown): Promise<void> {
    const { errors, log, metrics, connector, taskId } = this.o;
    const e = asConnectError(error instanceof Error ? error : new Error(String(error)), {
      connector,
      task: taskId,
      stage: 'TASK_PUT',
    });
    logTolerated(errors, log, e, record);
    const delivered = this.deadLetter(record, {
      stage: 'TASK_PUT',
      className: 'org.apache.kafka.connect.sink.SinkTask',
      error,
    });
    const outcome = delivered.then(() => {
      if (this.failure) throw this.failure;
      if (!errors.tolerateAll) {
        throw this.fail(
          new ConnectError(`Tolerance exceeded in error handler: ${e.message}`, {
            cause: error,
            context: { connector, task: taskId, stage: 'TASK_PUT' },
          }),
        );
      }
      metrics.recordsSkipped.inc({ ...this.labels, stage: 'TASK_PUT' });
    });
    outcome.catch(() => undefined);
    return outcome;
  }

  /** Hands a rejected record to the transport's dead letter queue and tracks it until durable. */
  private deadLetter(record: ChangeRecord, failure: DeadLetterFailure): Promise<void> {
    const sent = Promise.resolve()
      .then(() => this.o.transport.deadLetter?.(this, record, failure))
      .catch((err) => {
        throw this.fail(
          asConnectError(err, { connector: this.o.connector, task: this.o.taskId, stage: 'DEAD_LETTER_QUEUE' }),
        );
      });
    const tracked = sent.then(
      () => undefined,
      () => undefined,
    );
    this.deadLetters.add(tracked);
    void tracked.then(() => this.deadLetters.delete(tracked));
    return sent;
  }

  private fail(err: unknown): ConnectError {
    if (this.failure) return this.failure;
    const e = asConnectError(err, { connector: this.o.connector, task: this.o.taskId });
    this.failure = e instanceof ConnectError ? e : new ConnectError(String(err));
    this.o.log.error({ err: traceOf(e) }, 'Sink task failed');
    this.o.onState('FAILED', traceOf(e));
    return this.failure;
  }

  /** Detaches from the transport (which flushes what this sink holds), then stops the task. */
  async stop(gracefulMs: number): Promise<void> {
    this.gate.open();
    if (this.attached) {
      this.attached = false;
      await within(this.o.transport.removeSink(this), gracefulMs);
    }
    this.abort.abort();
    if (this.started) {
      const stopped = await within(this.task.stop(), Math.max(1000, gracefulMs));
      if (!stopped) this.o.log.warn('Sink task did not stop within task.shutdown.graceful.timeout.ms');
    }
  }
}
