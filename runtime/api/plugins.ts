import type { ByteBuilder, ChangeRecord, Schema, SourceOffset, SourcePartition } from '../data/index.js';
import type { Config, ConfigSpec } from './config-spec.js';
import type { ConfigIssue } from './errors.js';
import type { ValueEncoding } from './encoded.js';
import type { Signal, SignalAnswer } from './signals.js';

/** The logging surface tasks get (pino-compatible, bound to connector and task). */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface OffsetReader {
  /** Last committed offset of one source partition, or null on a first start. */
  offset(partition: SourcePartition): Promise<SourceOffset | null>;
}

/** Snapshot progress a source reports for metrics and status (all fields optional). */
export interface SnapshotProgress {
  tablesTotal?: number;
  tablesRemaining?: number;
  rowsScanned?: number;
  rowsEstimated?: number;
  running?: boolean;
  /** an incremental snapshot paused by a pause-snapshot signal */
  paused?: boolean;
  /** `initial` (the snapshot before streaming), `incremental` or `blocking` (signalled) */
  kind?: 'initial' | 'incremental' | 'blocking';
  /** the execute-snapshot signal's id */
  snapshotId?: string;
  /** rows read so far from one table (Debezium's RowsScanned is per table) */
  table?: { name: string; rows: number };
  /** the snapshot was stopped before its end (stop-snapshot) */
  aborted?: boolean;
}

/**
 * How much of its database's log a source task holds back, and how close it is to losing its place (all fields
 * optional: each source reports what its log has). The runtime turns it into metrics, the task's status and the
 * `log.retention.warn.bytes` warning.
 */
export interface LogStatus {
  /** bytes of log the server keeps because of this task (PostgreSQL: current WAL − the slot's restart_lsn) */
  retainedBytes?: number;
  /**
   * bytes from the committed position to the end of the log (PostgreSQL: current WAL − confirmed_flush_lsn;
   * MySQL/MariaDB: binlog bytes after the committed file and position)
   */
  behindBytes?: number;
  /** seconds left before the committed position falls out of the log (MongoDB: the oplog window left) */
  windowSeconds?: number;
  /** the committed position in the database's own terms (an LSN, file:pos, a cluster time) */
  position?: string;
}

export interface TaskContext {
  readonly connector: string;
  readonly taskId: number;
  /** aborted when the task must stop; long waits inside poll() should honour it */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export interface SourceTaskContext extends TaskContext {
  readonly offsets: OffsetReader;
  /** Optional reporting hooks; the runtime turns them into metrics. */
  reportSnapshotProgress?(progress: SnapshotProgress): void;
  /** How far behind the source the last record is (ms), for the lag metric. */
  reportLag?(millis: number): void;
  /** What the task holds of the database's log (sampled by the task, every few seconds). */
  reportLog?(status: LogStatus): void;
  /**
   * Whether the task holds its connection to the database now (Debezium's streaming `Connected` metric). Report
   * true once connected and false when the connection is lost; the runtime also shows 0 while it retries a
   * retriable failure of the task.
   */
  reportConnected?(connected: boolean): void;
  /**
   * Set when the task has no transforms and its value converter can take pre-encoded values (encoded.ts): a source
   * may attach each record value's bytes, made with these settings, instead of leaving the conversion to the
   * converter. Undefined: attach nothing.
   */
  readonly valueEncoding?: ValueEncoding;
}

export interface Converter {
  /** Record value (or key) to bytes; null stays null (tombstones). */
  fromRecord(topic: string, schema: Schema | undefined, value: unknown): Buffer | null;
  /**
   * Optional fast path: appends to `out` the bytes fromRecord would return, and returns false (writing nothing)
   * where fromRecord returns null. Sinks that copy converted bytes into a buffer of their own use it to skip a
   * Buffer per record.
   */
  appendRecord?(out: ByteBuilder, topic: string, schema: Schema | undefined, value: unknown): boolean;
  toRecord(topic: string, bytes: Buffer | null): { schema?: Schema; value: unknown };
  /**
   * Optional, for converters backed by a service (a schema registry): makes fromRecord ready for this record, e.g.
   * registers its schema. The Kafka transport awaits it before fromRecord, so fromRecord stays synchronous and a
   * record never waits on the network once its schema is cached. Returns undefined when nothing needs awaiting.
   * A rejection with a retriable error is retried (errors.retry.*), like a poll.
   */
  prepareFromRecord?(topic: string, schema: Schema | undefined, value: unknown): Promise<void> | undefined;
  /** Optional: the same before toRecord (a registry converter fetches the writer schema of an id it has not seen). */
  prepareToRecord?(topic: string, bytes: Buffer | null): Promise<void> | undefined;
  /**
   * Optional, for converters whose bytes are not text (Avro): the converter that sinks writing text (file, console,
   * HTTP) use in its place. In Connect such sinks get deserialized records and print them; here they call their
   * converter, so a sink configured with AvroConverter to read an Avro topic writes JSON values.
   */
  textForm?(): Converter;
  /**
   * Optional: the settings this converter writes values with, for sources that pre-encode (encoded.ts). A converter
   * that returns one must write a value's attached bytes of that tag (`encodedValue`) as they are.
   */
  valueEncoding?(): ValueEncoding;
}

/**
 * Kafka Connect's ErrantRecordReporter (KIP-610): a sink task hands over a record it cannot write, instead of
 * failing the whole batch. With `errors.tolerance=all` the record is skipped (logged with `errors.log.enable`, and
 * in Kafka mode produced to `errors.deadletterqueue.topic.name` with Connect's error headers, stage `TASK_PUT`);
 * with `errors.tolerance=none` it is still dead-lettered, then the returned promise rejects and the task fails.
 * The promise resolves once the dead letter is durable; the runtime also waits for it before committing the
 * record's consumer offset, so a task may report and go on without awaiting.
 */
export interface ErrantRecordReporter {
  report(record: ChangeRecord, error: unknown): Promise<void>;
}

export interface SinkTaskContext extends TaskContext {
  /** The connector's converters (`key.converter`, `value.converter`, else the worker's). */
  readonly keyConverter: Converter;
  readonly valueConverter: Converter;
  /**
   * Present, as in Connect, when the connector sets `errors.deadletterqueue.topic.name` or `errors.log.enable`;
   * a task written for older runtimes checks for it and throws from `put()` without one.
   */
  readonly errantRecordReporter?: ErrantRecordReporter;
}

export interface SourceTask {
  start(config: Config, ctx: SourceTaskContext): Promise<void>;
  /** A batch, or null when there is nothing now. Waits (without spinning) until data or ctx.signal. */
  poll(): Promise<ChangeRecord[] | null>;
  /**
   * Called after offsets are durable. `committed` maps partitionKey(partition) to the committed offset.
   * Only now may the connector release its database log up to that point.
   */
  commit?(committed: ReadonlyMap<string, { partition: SourcePartition; offset: SourceOffset }>): Promise<void>;
  stop(): Promise<void>;
  /**
   * A signal from REST (`POST /connectors/{name}/signals`, channel `rest`) or a channel the runtime reads (`kafka`,
   * `file`); a refusal answers with the reason, never fails the task.
   */
  signal?(signal: Signal, channel?: string): Promise<SignalAnswer>;
}

export interface SinkTask {
  start(config: Config, ctx: SinkTaskContext): Promise<void>;
  put(records: readonly ChangeRecord[]): Promise<void>;
  /** After it resolves, everything put so far is durable. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

interface PluginBase {
  /** our short name, e.g. `postgres` */
  readonly name: string;
  /** the canonical class name shown by REST, e.g. `io.sluice.connectors.postgres.PostgresSource` */
  readonly className: string;
  /** other accepted names: Kafka's and Debezium's class names, older names */
  readonly aliases?: readonly string[];
  readonly version: string;
  readonly configSpec: ConfigSpec;
  readonly doc?: string;
}

interface ConnectorBase extends PluginBase {
  /** Checks that need more than the spec (e.g. reaching the database). */
  validate?(config: Config): Promise<ConfigIssue[]>;
  /** Splits the work: one raw config per task (Connect's taskConfigs). */
  taskConfigs(config: Config, maxTasks: number): Promise<Record<string, string>[]>;
}

/** One entry of `PATCH /connectors/{c}/offsets`: a source partition and the offset to store (null: forget it). */
export interface OffsetEntry {
  readonly partition: SourcePartition;
  readonly offset: SourceOffset | null;
}

export interface SourceConnectorPlugin extends ConnectorBase {
  readonly type: 'source';
  createTask(): SourceTask;
  /**
   * Checks offsets an operator is about to write (`PATCH /connectors/{c}/offsets`, Connect's
   * `SourceConnector.alterOffsets` of KIP-875) and returns them as they are to be stored: completed (a PostgreSQL
   * `{"lsn": N}` becomes a whole offset) or normalized. Throws a ConfigError whose issue keys name the wrong field
   * (`offset.lsn`, `partition.server`); the REST answer is then 400 with that message. May ask the database
   * (a position beyond its end, a binlog file it no longer has); when it cannot reach it, it checks what it can
   * and the task checks the rest at start.
   */
  alterOffsets?(config: Config, offsets: readonly OffsetEntry[]): Promise<readonly OffsetEntry[]>;
}

export interface SinkConnectorPlugin extends ConnectorBase {
  readonly type: 'sink';
  createTask(): SinkTask;
}

export type ConnectorPlugin = SourceConnectorPlugin | SinkConnectorPlugin;

/** A single-message transform: pure; null drops the record. */
export type Transform = (record: ChangeRecord) => ChangeRecord | null;
export type Predicate = (record: ChangeRecord) => boolean;

export interface TransformPlugin extends PluginBase {
  readonly type: 'transform';
  create(config: Config): Transform;
}

export interface PredicatePlugin extends PluginBase {
  readonly type: 'predicate';
  create(config: Config): Predicate;
}

export interface ConverterPlugin extends PluginBase {
  readonly type: 'converter';
  create(config: Config, isKey: boolean): Converter;
}

export type Plugin = ConnectorPlugin | TransformPlugin | PredicatePlugin | ConverterPlugin;

export function defineSourceConnector(p: Omit<SourceConnectorPlugin, 'type'>): SourceConnectorPlugin {
  return { type: 'source', ...p };
}
export function defineSinkConnector(p: Omit<SinkConnectorPlugin, 'type'>): SinkConnectorPlugin {
  return { type: 'sink', ...p };
}
export function defineTransform(p: Omit<TransformPlugin, 'type'>): TransformPlugin {
  return { type: 'transform', ...p };
}
export function definePredicate(p: Omit<PredicatePlugin, 'type'>): PredicatePlugin {
  return { type: 'predicate', ...p };
}
export function defineConverter(p: Omit<ConverterPlugin, 'type'>): ConverterPlugin {
  return { type: 'converter', ...p };
}

/**
 * A task whose implementation module is imported only when the task starts, so that a worker loads a database
 * driver only for the connectors it runs (pg, mysql2 and mongodb together cost ~30 MB of RSS just loaded).
 */
export function lazySourceTask(load: () => Promise<SourceTask>): SourceTask {
  let task: SourceTask | undefined;
  return {
    async start(config, ctx) {
      task = await load();
      await task.start(config, ctx);
    },
    poll: () => (task ? task.poll() : Promise.resolve(null)),
    commit: async (committed) => {
      await task?.commit?.(committed);
    },
    stop: async () => {
      await task?.stop();
    },
    signal: async (signal, channel) =>
      task?.signal ? task.signal(signal, channel) : { accepted: false, reason: 'this connector takes no signals' },
  };
}

export function lazySinkTask(load: () => Promise<SinkTask>): SinkTask {
  let task: SinkTask | undefined;
  return {
    async start(config, ctx) {
      task = await load();
      await task.start(config, ctx);
    },
    put: async (records) => {
      await task?.put(records);
    },
    flush: async () => {
      await task?.flush();
    },
    stop: async () => {
      await task?.stop();
    },
  };
}
