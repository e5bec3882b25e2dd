import type { Decimal } from '../data/decimal.js';
import type { SourceOffset } from '../data/record.js';

/**
 * The events capture() delivers: what a Kafka consumer of Debezium's topics gets (a key and a value, the value a
 * Debezium envelope), as plain objects whose values keep every digit:
 * - int64 columns and fields (ts_ms, lsn, txId, BIGINT, MicroTimestamp…): `bigint`
 * - DECIMAL / NUMERIC (precise mode, also NUMERIC without a scale): `Decimal`, an unscaled bigint and a scale
 * - bytes (bytea, BLOB, BINARY): `Buffer`
 * - temporal types: their Debezium number (days, ms, µs as bigint); JS `Date` only with `dates: true`
 * - JSON columns: the text as stored
 */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | Decimal
  | Date
  | Value[]
  | Map<Value, Value>
  | { [field: string]: Value };

/** A row of a table: column name to value. Give capture() your own row type to have `before`/`after` typed. */
export type Row = { [column: string]: Value };

/** `source.snapshot`: whether the event came from the snapshot, and where in it. */
export type SnapshotFlag =
  | 'true'
  | 'first'
  | 'first_in_data_collection'
  | 'last_in_data_collection'
  | 'last'
  | 'false'
  | 'incremental';

/** Fields every Debezium connector puts first in `source`. */
export interface SourceBase {
  version: string;
  connector: string;
  /** topic.prefix */
  name: string;
  /** when the change was made in the database (commit time), epoch ms */
  ts_ms: bigint;
  snapshot: SnapshotFlag | null;
  db: string;
  sequence: string | null;
  ts_us: bigint | null;
  ts_ns: bigint | null;
}

export interface PostgresSource extends SourceBase {
  schema: string;
  table: string;
  txId: bigint | null;
  lsn: bigint | null;
  xmin: bigint | null;
  origin: string | null;
  origin_lsn: bigint | null;
}

export interface MySqlSource extends SourceBase {
  table: string | null;
  server_id: bigint;
  gtid: string | null;
  file: string;
  pos: bigint;
  row: number;
  thread: bigint | null;
  query: string | null;
}

export interface MongoSource extends SourceBase {
  rs: string;
  collection: string;
  ord: number;
  lsid: string | null;
  txnNumber: bigint | null;
  wallTime: bigint | null;
}

/** `transaction` of an envelope, with `provide.transaction.metadata=true` (null otherwise). */
export interface TransactionBlock {
  id: string;
  total_order: bigint;
  data_collection_order: bigint;
}

/** c create, u update, d delete, r read (snapshot), t truncate, m message */
export type Op = 'c' | 'u' | 'd' | 'r' | 't' | 'm';

/** Debezium's change event value. */
export interface Envelope<R, S> {
  before: R | null;
  after: R | null;
  source: S;
  transaction: TransactionBlock | null;
  op: Op;
  /** when sluice processed the change, epoch ms */
  ts_ms: bigint;
  ts_us: bigint | null;
  ts_ns: bigint | null;
}

/** MongoDB's envelope: `before` and `after` are documents as extended JSON text, as Debezium writes them. */
export interface MongoEnvelope {
  before: string | null;
  after: string | null;
  updateDescription: {
    removedFields: string[] | null;
    updatedFields: string | null;
    truncatedArrays: Array<{ field: string; size: number }> | null;
  } | null;
  source: MongoSource;
  op: Op | null;
  ts_ms: bigint;
  ts_us: bigint | null;
  ts_ns: bigint | null;
  transaction: TransactionBlock | null;
}

/** The value of an event on the transaction topic (`provide.transaction.metadata=true`). */
export interface TransactionMetadata {
  status: 'BEGIN' | 'END';
  id: string;
  event_count: bigint | null;
  data_collections: Array<{ data_collection: string; event_count: bigint }> | null;
  ts_ms: bigint;
}

/** The value of a MySQL/MariaDB schema change event (`include.schema.changes`, on by default). */
export interface SchemaChange<S> {
  source: S;
  ts_ms: bigint;
  databaseName: string | null;
  schemaName: string | null;
  ddl: string | null;
  tableChanges: Row[];
}

export interface EventHeader {
  readonly key: string;
  readonly value: unknown;
}

/**
 * What kind of record an event is, from its value's schema: `change` (an envelope), `tombstone` (null value, after
 * a delete), `heartbeat` (heartbeat.interval.ms), `transaction` (transaction metadata), `schema-change` (MySQL DDL),
 * `other` (anything a transform reshaped, FileStreamSource's lines).
 */
export type EventKind = 'change' | 'tombstone' | 'heartbeat' | 'transaction' | 'schema-change' | 'other';

/** An event of one kind, with its key and value types. */
export interface EventOf<K extends EventKind, Key, V> {
  readonly kind: K;
  /** the Kafka topic Debezium would write it to, e.g. `inventory.public.customers` */
  readonly topic: string;
  readonly key: Key;
  readonly value: V;
  readonly headers: readonly EventHeader[];
  /** the record's timestamp, epoch ms, when the source set one */
  readonly timestamp: number | undefined;
  /** the source position right after this event (the connector's offset: LSN, binlog file/pos, resume token…) */
  readonly position: SourceOffset;
}

export type ChangeEvent<R, S, Env = Envelope<R, S>> = EventOf<'change', Partial<R> | null, Env>;
export type TombstoneEvent<R> = EventOf<'tombstone', Partial<R> | null, null>;
export type HeartbeatEvent = EventOf<'heartbeat', { serverName: string } | null, { ts_ms: bigint }>;
export type TransactionEvent = EventOf<'transaction', { id: string } | null, TransactionMetadata>;
export type SchemaChangeEvent<S> = EventOf<'schema-change', { databaseName: string } | null, SchemaChange<S>>;
export type OtherEvent = EventOf<'other', unknown, unknown>;

export type PostgresEvent<R = Row> =
  | ChangeEvent<R, PostgresSource>
  | TombstoneEvent<R>
  | HeartbeatEvent
  | TransactionEvent
  | OtherEvent;
export type MySqlEvent<R = Row> =
  | ChangeEvent<R, MySqlSource>
  | TombstoneEvent<R>
  | HeartbeatEvent
  | TransactionEvent
  | SchemaChangeEvent<MySqlSource>
  | OtherEvent;
export type MongoEvent =
  | EventOf<'change', { id: string } | null, MongoEnvelope>
  | EventOf<'tombstone', { id: string } | null, null>
  | HeartbeatEvent
  | TransactionEvent
  | OtherEvent;
/** FileStreamSource: each line a string value */
export type LineEvent = OtherEvent;

/** Any event, whatever the connector. */
export type CaptureEvent =
  | PostgresEvent
  | MySqlEvent
  | MongoEvent
  | ChangeEvent<Row, SourceBase>
  | TombstoneEvent<Row>
  | OtherEvent;

/** The event type of each source connector, by its short name (the generated SourceKinds maps every alias). */
export interface EventsByKind<R> {
  postgres: PostgresEvent<R>;
  mysql: MySqlEvent<R>;
  mariadb: MySqlEvent<R>;
  mongodb: MongoEvent;
  'file-source': LineEvent;
}

/** What one poll of the source brought, after transforms. */
export interface Batch<E> {
  readonly events: readonly E[];
  /** the source position after the batch's last event */
  readonly position: SourceOffset;
  /**
   * Commits this batch and every batch received before it: resolves once the offsets are durable in the offset
   * store and the connector was told it may release the database's log (slot flush LSN, binlog, resume token) up to
   * here. Nothing is committed or released before. Rejects when the store could not write them.
   */
  commit(): Promise<void>;
}
