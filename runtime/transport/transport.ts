import type { ChangeRecord, ConnectError, Converter } from '../api/index.js';

/** A source connector's converters; the Kafka transport serializes with them, the direct one does not. */
export interface RecordConverters {
  readonly key: Converter;
  readonly value: Converter;
  readonly header: Converter;
}

export interface SourceBatch {
  readonly connector: string;
  readonly taskId: number;
  readonly records: readonly ChangeRecord[];
  readonly converters: RecordConverters;
  /** aborted when the task stops: a transport waiting on something (a schema registry that is down) gives up */
  readonly signal?: AbortSignal;
}

/**
 * The sink side of a transport: the sink task runner. The transport calls `put` with records in order per
 * topic partition; `flush` makes everything put durable. A transport acknowledges a record upstream (direct)
 * or commits its consumer offset (Kafka) only after a `flush` that followed its `put` resolved.
 */
export interface SinkHandler {
  readonly connector: string;
  readonly taskId: number;
  /** how many tasks the sink connector has (the direct transport spreads topics over them) */
  readonly taskCount: number;
  /** topic filter from `topics` / `topics.regex` */
  readonly topics: readonly string[];
  readonly topicsRegex?: RegExp;
  readonly converters: RecordConverters;
  put(records: readonly ChangeRecord[]): Promise<void>;
  flush(): Promise<void>;
  /**
   * The transport cannot feed this sink any more (Kafka: a record its converter rejects with
   * errors.tolerance=none, a consumer that gave up): the task must show FAILED rather than sit RUNNING idle.
   */
  transportFailed?(err: unknown): void;
  /**
   * The transport lost its way to this sink for now and retries by itself (Kafka: the consumer lost the broker and
   * restarts): the task stays RUNNING and its status says `retrying` with this error; undefined once it is back.
   */
  transportRetrying?(err: ConnectError | undefined): void;
}

/** What went wrong with a record sent to a dead letter queue, in the terms of Connect's error context headers. */
export interface DeadLetterFailure {
  readonly stage: 'TASK_PUT' | 'TRANSFORMATION';
  /** Connect's `__connect.errors.class.name`: the transform's class, or `org.apache.kafka.connect.sink.SinkTask` */
  readonly className: string;
  readonly error: unknown;
}

/**
 * Moves records from source runners to their destination (DESIGN §1.3). `send` resolves once the batch is
 * accepted (it may wait: that is the transport's backpressure). `done` is called exactly once per batch: with
 * no argument when every record of the batch is durable downstream, or with the error that made delivery fail.
 */
export interface Transport {
  readonly kind: 'direct' | 'kafka';
  /**
   * True when `send` resolves only after every sink has taken the batch (`put` returned), so records a source has
   * sent hold no memory while they wait for acknowledgement: only their offsets wait for the next flush. A source
   * then bounds what it polls by delivery alone, and durability (fsync, offset commit) follows
   * offset.flush.interval.ms. False or absent: the transport holds the records until it acknowledges them (Kafka
   * holds them until the broker's ack), and max.queue.size bounds them.
   */
  readonly releasesOnSend?: boolean;
  start(): Promise<void>;
  send(batch: SourceBatch, done: (err?: unknown) => void): Promise<void>;
  /** Asks downstream to make accepted records durable now (commit time, shutdown, a source blocked on acks). */
  flush(): Promise<void>;
  addSink(handler: SinkHandler): Promise<void>;
  /** Removing a sink flushes what it holds first. The connector keeps its claim on its topics (a restart). */
  removeSink(handler: SinkHandler): Promise<void>;
  /** The sink connector is gone (deleted or stopped): its topics are no longer held for it. */
  releaseSink?(connector: string): Promise<void>;
  /**
   * Writes a record a sink rejected (its task through the ErrantRecordReporter, or a sink transform) to the
   * connector's dead letter queue, the original message when the transport still has it; resolves once durable.
   * Absent or a no-op where there is no queue (direct mode, no `errors.deadletterqueue.topic.name`).
   */
  deadLetter?(handler: SinkHandler, record: ChangeRecord, failure: DeadLetterFailure): Promise<void>;
  stop(): Promise<void>;
}
