import { type Config, type ConfigSpec, key, signalChannelKeys } from '../../runtime/api/index.js';
import type { MappingOptions } from './values.js';

/** Debezium's MySQL/MariaDB connector keys that sluice implements (same names, same meanings). */
export const mysqlConfigSpec: ConfigSpec = [
  key('database.hostname', 'string', 'Host of the MySQL/MariaDB server', { importance: 'HIGH', group: 'Connection' }),
  key('database.port', 'int', 'Port of the server', { default: 3306, group: 'Connection' }),
  key('database.user', 'string', 'User with SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE and REPLICATION CLIENT', {
    importance: 'HIGH',
    group: 'Connection',
  }),
  key('database.password', 'password', 'Password of the user', { default: '', group: 'Connection' }),
  key(
    'database.server.id',
    'long',
    'Replica server id the connector registers with; unique among all replicas of the server',
    { importance: 'HIGH', min: 1, group: 'Connection' },
  ),
  key('database.ssl.mode', 'string', 'TLS: disabled, preferred, required, verify_ca, verify_identity', {
    default: 'preferred',
    validValues: ['disabled', 'preferred', 'required', 'verify_ca', 'verify_identity'],
    group: 'Connection',
  }),
  key('connect.timeout.ms', 'int', 'Connection timeout', { default: 30000 }),
  key('topic.prefix', 'string', 'Prefix of every topic, and the logical server name in offsets and source blocks', {
    importance: 'HIGH',
  }),
  key('database.include.list', 'list', 'Regular expressions of databases to capture', {
    default: null,
    group: 'Filters',
  }),
  key('database.exclude.list', 'list', 'Regular expressions of databases not to capture', {
    default: null,
    group: 'Filters',
  }),
  key('table.include.list', 'list', 'Regular expressions of `db.table` to capture', {
    default: null,
    group: 'Filters',
  }),
  key('table.exclude.list', 'list', 'Regular expressions of `db.table` not to capture', {
    default: null,
    group: 'Filters',
  }),
  key('column.include.list', 'list', 'Regular expressions of `db.table.column` to emit', {
    default: null,
    group: 'Filters',
  }),
  key('column.exclude.list', 'list', 'Regular expressions of `db.table.column` not to emit', {
    default: null,
    group: 'Filters',
  }),
  key('snapshot.mode', 'string', 'When to snapshot: initial, initial_only, no_data, never, when_needed, recovery', {
    default: 'initial',
    validValues: [
      'initial',
      'initial_only',
      'no_data',
      'schema_only',
      'never',
      'when_needed',
      'recovery',
      'schema_only_recovery',
    ],
  }),
  key(
    'snapshot.locking.mode',
    'string',
    'Global read lock during the snapshot: minimal (only while reading the position and schemas), extended (whole snapshot), none',
    {
      default: 'minimal',
      validValues: ['minimal', 'extended', 'none', 'minimal_percona'],
    },
  ),
  key(
    'snapshot.lock.timeout.ms',
    'long',
    'How long the snapshot waits for the global read lock (the session lock_wait_timeout) before it fails and retries',
    { default: 10000, min: 1 },
  ),
  key('snapshot.fetch.size', 'int', 'Rows buffered per table read during the snapshot', { default: 2000, min: 1 }),
  key(
    'snapshot.max.threads',
    'int',
    "Connections that read the initial snapshot at once, each in a consistent-snapshot transaction started while the global read lock holds (snapshot.locking.mode=none on MariaDB: started until all see the same binlog position), so all read the same instant: tables are read concurrently, and a table with a single-column integer primary key is split into key ranges (`snapshot.max.threads` × `snapshot.max.threads.multiplier` of them) read in parallel. 1 reads tables one after another, as Debezium's default.",
    { default: 1, min: 1, max: 64 },
  ),
  key(
    'snapshot.resumable',
    'boolean',
    'sluice: read the initial snapshot (snapshot.mode initial or when_needed) as watermarked chunks of incremental.snapshot.chunk.size rows beside the stream, with the incremental snapshot machinery: a crash resumes at the last committed chunk instead of starting over, and streaming is not held back. Needs signal.data.collection (the watermarks; or read.only=true on MariaDB) and a primary key on every captured table. Events are `op: "r"` with `source.snapshot` = `incremental`.',
    { default: false },
  ),
  key(
    'snapshot.max.threads.multiplier',
    'int',
    'With snapshot.max.threads > 1, each splittable table is split into this many key ranges per thread (more, smaller ranges spread uneven tables better across the threads).',
    { default: 1, min: 1, max: 100 },
  ),
  key('include.schema.changes', 'boolean', 'Emit schema-change events on the topic named by topic.prefix', {
    default: true,
  }),
  key(
    'schema.history.internal',
    'class',
    'Schema history store: io.debezium.storage.file.history.FileSchemaHistory or io.debezium.storage.kafka.history.KafkaSchemaHistory',
    {
      default: 'io.debezium.storage.file.history.FileSchemaHistory',
      validate: (v) =>
        /(FileSchemaHistory|KafkaSchemaHistory)$/.test(String(v))
          ? undefined
          : 'use io.debezium.storage.file.history.FileSchemaHistory or io.debezium.storage.kafka.history.KafkaSchemaHistory',
      group: 'Schema history',
    },
  ),
  key('schema.history.internal.file.filename', 'string', 'File of the schema history (FileSchemaHistory)', {
    default: null,
    group: 'Schema history',
  }),
  key('schema.history.internal.kafka.topic', 'string', 'Topic of the schema history (KafkaSchemaHistory)', {
    default: null,
    group: 'Schema history',
  }),
  key(
    'schema.history.internal.kafka.bootstrap.servers',
    'string',
    'Brokers of the schema history topic (KafkaSchemaHistory); schema.history.internal.producer.* / .consumer.* set their client security keys',
    { default: null, group: 'Schema history' },
  ),
  key(
    'schema.history.internal.kafka.recovery.poll.interval.ms',
    'int',
    'KafkaSchemaHistory: with recovery.attempts, how long reading the topic at start may take (their product, at least 10 s)',
    { default: 100, min: 1, group: 'Schema history' },
  ),
  key('schema.history.internal.kafka.recovery.attempts', 'int', 'KafkaSchemaHistory: see recovery.poll.interval.ms', {
    default: 100,
    min: 1,
    group: 'Schema history',
  }),
  key('schema.history.internal.kafka.query.timeout.ms', 'int', 'KafkaSchemaHistory: timeout of broker requests', {
    default: 3000,
    min: 1,
    group: 'Schema history',
  }),
  key('schema.history.internal.kafka.create.timeout.ms', 'int', 'KafkaSchemaHistory: timeout of creating the topic', {
    default: 30000,
    min: 1,
    group: 'Schema history',
  }),
  key(
    'schema.history.internal.store.only.captured.databases.ddl',
    'boolean',
    'Keep (and write to the schema-change topic) only the DDL of captured databases; by default, as Debezium, that of every non-system database',
    { default: false, group: 'Schema history' },
  ),
  key('decimal.handling.mode', 'string', 'DECIMAL as precise (Connect Decimal), double or string', {
    default: 'precise',
    validValues: ['precise', 'double', 'string'],
  }),
  key(
    'time.precision.mode',
    'string',
    "Temporal mapping: adaptive_time_microseconds, connect, isostring, microseconds or nanoseconds (Debezium's binlog connectors refuse 'adaptive')",
    {
      default: 'adaptive_time_microseconds',
      validValues: ['adaptive_time_microseconds', 'connect', 'isostring', 'microseconds', 'nanoseconds'],
    },
  ),
  key(
    'enable.time.adjuster',
    'boolean',
    'Read two-digit years in DATE/DATETIME as MySQL does: 0-69 as 2000-2069, 70-99 as 1970-1999',
    { default: true },
  ),
  key('bigint.unsigned.handling.mode', 'string', 'BIGINT UNSIGNED as long (wraps above 2^63-1) or precise (Decimal)', {
    default: 'long',
    validValues: ['long', 'precise'],
  }),
  key('binary.handling.mode', 'string', 'Binary columns as bytes, base64, base64-url-safe or hex', {
    default: 'bytes',
    validValues: ['bytes', 'base64', 'base64-url-safe', 'hex'],
  }),
  key(
    'heartbeat.interval.ms',
    'int',
    'Interval of heartbeat records (topic __debezium-heartbeat.<prefix>) and of the server binlog heartbeat; 0 disables records',
    { default: 0, min: 0 },
  ),
  key(
    'event.processing.failure.handling.mode',
    'string',
    'What a binlog value that cannot be decoded (an invalid date) does: fail the task (naming table, column and position), warn and write the epoch instead, or skip/ignore (the epoch, silently)',
    { default: 'fail', validValues: ['fail', 'warn', 'skip', 'ignore'] },
  ),
  key('tombstones.on.delete', 'boolean', 'Emit a tombstone after each delete', { default: true }),
  key(
    'gtid.source.includes',
    'list',
    'Regular expressions of GTID sources (MySQL server UUIDs, MariaDB domain-server) whose GTIDs position the binlog stream on restart and whose transactions are captured',
    { default: null },
  ),
  key(
    'gtid.source.excludes',
    'list',
    'Regular expressions of GTID sources left out of the restart position and whose transactions are not captured',
    { default: null },
  ),
  key(
    'signal.data.collection',
    'string',
    'The signal table, `database.table`, with columns `id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048)`. Signals inserted into it are read from the binlog, in order with the data (the `source` channel); incremental snapshots write their watermark rows to it, so the connector user needs INSERT on it. Its own rows become events only when the table filters capture it.',
    { default: null, group: 'Signals' },
  ),
  ...signalChannelKeys.map((k) => ({ ...k, group: 'Signals' })),
  key(
    'incremental.snapshot.chunk.size',
    'int',
    'Rows per chunk of an incremental snapshot (each chunk is one query between two watermarks, held in memory until its close watermark comes back through the binlog).',
    { default: 1024, min: 1, max: 1_000_000, group: 'Signals' },
  ),
  key(
    'read.only',
    'boolean',
    "Incremental snapshots without writing to the database (Debezium's read-only incremental snapshot): each chunk is read in a consistent-snapshot transaction whose exact binlog position (MariaDB's binlog_snapshot_position) bounds its window, instead of watermark rows in the signal table. MariaDB only.",
    { default: false, group: 'Signals' },
  ),
  key(
    'gtid.source.filter.dml.events',
    'boolean',
    'Skip the row changes of transactions whose GTID source gtid.source.includes/excludes leaves out',
    { default: true },
  ),
];

export type SnapshotMode = 'initial' | 'initial_only' | 'no_data' | 'never' | 'when_needed' | 'recovery';

export interface MySqlOptions {
  /** event.processing.failure.handling.mode: what an undecodable binlog value does */
  failureHandling: 'fail' | 'warn' | 'skip' | 'ignore';
  host: string;
  port: number;
  user: string;
  password: string;
  serverId: number;
  sslMode: string;
  connectTimeout: number;
  prefix: string;
  snapshotMode: SnapshotMode;
  lockingMode: 'minimal' | 'extended' | 'none';
  fetchSize: number;
  lockTimeoutMs: number;
  /** snapshot.max.threads and its multiplier: connections and key ranges per table of the initial snapshot */
  snapshotThreads: number;
  snapshotMultiplier: number;
  /** snapshot.resumable: the initial snapshot in watermarked chunks beside the stream */
  snapshotResumable: boolean;
  includeSchemaChanges: boolean;
  historyFile?: string;
  /** KafkaSchemaHistory instead of the file */
  historyKafka: boolean;
  mapping: MappingOptions;
  heartbeatMs: number;
  tombstones: boolean;
  gtidFilterDml: boolean;
  maxBatch: number;
  maxQueue: number;
  filters: Filters;
  /** signal.data.collection, split; undefined when no signal table is configured */
  signalTable?: { db: string; table: string; id: string };
  signalChannels: string[];
  chunkSize: number;
  /** read.only: GTID-bounded chunk windows, no watermark writes */
  readOnly: boolean;
}

export interface Filters {
  database(db: string): boolean;
  /**
   * Whether a database's DDL goes to the schema history and the schema-change topic: every non-system database, as
   * Debezium (schema.history.internal.store.only.captured.databases.ddl=false), or only captured ones.
   */
  schemaDatabase(db: string): boolean;
  table(db: string, table: string): boolean;
  column(db: string, table: string, column: string): boolean;
  gtidSource(source: string): boolean;
}

const SYSTEM_DATABASES = new Set(['mysql', 'sys', 'information_schema', 'performance_schema']);

function patterns(list: string[]): RegExp[] {
  return list.map((p) => new RegExp(`^(?:${p.trim()})$`, 'i'));
}

function includeExclude(include: string[], exclude: string[]): (s: string) => boolean {
  const inc = patterns(include);
  const exc = patterns(exclude);
  return (s) => (inc.length === 0 || inc.some((r) => r.test(s))) && !exc.some((r) => r.test(s));
}

export function buildFilters(c: Config): Filters {
  const db = includeExclude(c.list('database.include.list'), c.list('database.exclude.list'));
  const tbl = includeExclude(c.list('table.include.list'), c.list('table.exclude.list'));
  const col = includeExclude(c.list('column.include.list'), c.list('column.exclude.list'));
  const gtid = includeExclude(c.list('gtid.source.includes'), c.list('gtid.source.excludes'));
  return {
    database: (d) => !SYSTEM_DATABASES.has(d.toLowerCase()) && db(d),
    schemaDatabase: (d) =>
      !SYSTEM_DATABASES.has(d.toLowerCase()) &&
      (!c.bool('schema.history.internal.store.only.captured.databases.ddl') || db(d)),
    table: (d, t) => !SYSTEM_DATABASES.has(d.toLowerCase()) && db(d) && tbl(`${d}.${t}`),
    column: (d, t, cname) => col(`${d}.${t}.${cname}`),
    gtidSource: gtid,
  };
}

export function readOptions(c: Config): MySqlOptions {
  let snapshotMode = c.string('snapshot.mode') as string;
  if (snapshotMode === 'schema_only') snapshotMode = 'no_data';
  if (snapshotMode === 'schema_only_recovery') snapshotMode = 'recovery';
  let locking = c.string('snapshot.locking.mode');
  if (locking === 'minimal_percona') locking = 'minimal';
  return {
    failureHandling: c.string('event.processing.failure.handling.mode') as MySqlOptions['failureHandling'],
    host: c.string('database.hostname'),
    port: c.int('database.port'),
    user: c.string('database.user'),
    password: c.optionalString('database.password') ?? '',
    serverId: c.int('database.server.id'),
    sslMode: c.string('database.ssl.mode'),
    connectTimeout: c.int('connect.timeout.ms'),
    prefix: c.string('topic.prefix'),
    snapshotMode: snapshotMode as SnapshotMode,
    lockingMode: locking as MySqlOptions['lockingMode'],
    fetchSize: c.int('snapshot.fetch.size'),
    lockTimeoutMs: c.int('snapshot.lock.timeout.ms'),
    snapshotThreads: c.int('snapshot.max.threads'),
    snapshotMultiplier: c.int('snapshot.max.threads.multiplier'),
    snapshotResumable: resumable(c, snapshotMode),
    includeSchemaChanges: c.bool('include.schema.changes'),
    historyFile: c.optionalString('schema.history.internal.file.filename'),
    historyKafka: /KafkaSchemaHistory$/.test(c.string('schema.history.internal')),
    mapping: {
      decimalHandling: c.string('decimal.handling.mode') as MappingOptions['decimalHandling'],
      timePrecision: c.string('time.precision.mode') as MappingOptions['timePrecision'],
      bigintUnsigned: c.string('bigint.unsigned.handling.mode') as MappingOptions['bigintUnsigned'],
      binaryHandling: c.string('binary.handling.mode') as MappingOptions['binaryHandling'],
      timeAdjuster: c.bool('enable.time.adjuster'),
    },
    heartbeatMs: c.int('heartbeat.interval.ms'),
    tombstones: c.bool('tombstones.on.delete'),
    gtidFilterDml: c.bool('gtid.source.filter.dml.events'),
    // Both are the runtime's common source keys (Connect's max.batch.size / max.queue.size).
    maxBatch: c.has('max.batch.size') ? c.int('max.batch.size') : 2048,
    maxQueue: c.has('max.queue.size') ? Math.max(16, c.int('max.queue.size')) : 8192,
    filters: buildFilters(c),
    signalTable: signalTable(c.optionalString('signal.data.collection')),
    signalChannels: c.list('signal.enabled.channels'),
    chunkSize: c.int('incremental.snapshot.chunk.size'),
    readOnly: c.bool('read.only'),
  };
}

/** `database.table` (Debezium's MySQL form); names with dots cannot be told apart and are refused. */
function signalTable(v: string | undefined): MySqlOptions['signalTable'] {
  if (!v) return undefined;
  const parts = v.split('.');
  if (parts.length !== 2 || parts.some((p) => p === ''))
    throw new Error(`signal.data.collection "${v}" is not database.table`);
  return { db: parts[0], table: parts[1], id: v };
}

function resumable(c: Config, mode: string): boolean {
  const on = c.bool('snapshot.resumable');
  if (on && mode !== 'initial' && mode !== 'when_needed')
    throw new Error(
      `snapshot.resumable=true applies to snapshot.mode initial or when_needed, not ${mode}: a resumable snapshot streams while it reads`,
    );
  if (on && !c.optionalString('signal.data.collection') && !c.bool('read.only'))
    throw new Error(
      'snapshot.resumable=true writes the watermarks of its chunks to the signal table: set signal.data.collection (or read.only=true on MariaDB)',
    );
  return on;
}
