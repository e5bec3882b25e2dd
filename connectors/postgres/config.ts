import { type Config, type ConfigSpec, key, signalChannelKeys } from '../../runtime/api/index.js';
import type { BinaryMode, DecimalMode, HstoreMode, IntervalMode, TimePrecisionMode } from './types.js';

export const SNAPSHOT_MODES = ['initial', 'always', 'initial_only', 'no_data', 'never', 'when_needed'] as const;
export type SnapshotMode = (typeof SNAPSHOT_MODES)[number];
export const AUTOCREATE_MODES = ['all_tables', 'filtered', 'disabled', 'no_tables'] as const;
export type AutocreateMode = (typeof AUTOCREATE_MODES)[number];

function validRegexList(v: unknown): string | undefined {
  for (const item of Array.isArray(v) ? v : [v]) {
    try {
      new RegExp(String(item));
    } catch (e) {
      return `Invalid regular expression ${JSON.stringify(item)}: ${(e as Error).message}`;
    }
  }
  return undefined;
}

const conn = 'Connection';
const filters = 'Filters';
const snap = 'Snapshot';
const stream = 'Streaming';
const events = 'Events';

/** Debezium's PostgreSQL connector keys, same names, defaults and meanings; the spec is the reference doc. */
export const postgresConfigSpec: ConfigSpec = [
  key(
    'topic.prefix',
    'string',
    'Logical name of the source server; prefix of every topic (`<prefix>.<schema>.<table>`), the `source.name` field and the source partition `{"server": …}`. Never change it for a running pipeline: offsets are stored under it.',
    { importance: 'HIGH', group: conn },
  ),
  key('database.hostname', 'string', 'Host name or address of the PostgreSQL server.', {
    importance: 'HIGH',
    group: conn,
  }),
  key('database.port', 'int', 'Port of the PostgreSQL server.', {
    default: 5432,
    min: 1,
    max: 65535,
    importance: 'HIGH',
    group: conn,
  }),
  key(
    'database.user',
    'string',
    'User to connect as. Needs the REPLICATION attribute (or superuser), SELECT on the captured tables, and CREATE on the database when the publication is created by the connector.',
    { importance: 'HIGH', group: conn },
  ),
  key('database.password', 'password', 'Password of database.user.', {
    default: null,
    importance: 'HIGH',
    group: conn,
  }),
  key('database.dbname', 'string', 'Database to capture.', { importance: 'HIGH', group: conn }),
  key(
    'database.sslmode',
    'string',
    'disable: no TLS; allow: without TLS, with TLS if the server refuses that; prefer: TLS when the server offers it, else without; require: TLS, the server certificate not checked; verify-ca: TLS with a server certificate signed by database.sslrootcert; verify-full: as verify-ca, and the certificate names database.hostname.',
    {
      default: 'prefer',
      validValues: ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'],
      group: conn,
    },
  ),
  key(
    'database.sslrootcert',
    'string',
    "CA certificate file (PEM) that verify-ca and verify-full check the server certificate against; Node's list of public CAs when unset.",
    { default: null, importance: 'LOW', group: conn },
  ),
  key(
    'database.sslcert',
    'string',
    'Client certificate file (PEM or DER), sent on TLS connections, for servers that ask for one (pg_hba.conf `cert`, `clientcert`).',
    { default: null, importance: 'LOW', group: conn },
  ),
  key(
    'database.sslkey',
    'string',
    "Private key of database.sslcert: PEM, PKCS#8 DER (the JDBC driver's .pk8), or a PKCS#12 file (.p12, .pfx) holding certificate and key.",
    { default: null, importance: 'LOW', group: conn },
  ),
  key('database.sslpassword', 'password', 'Password of an encrypted database.sslkey.', {
    default: null,
    importance: 'LOW',
    group: conn,
  }),
  key('database.connect.timeout.ms', 'int', 'How long to wait for a connection.', {
    default: 30000,
    min: 1,
    importance: 'LOW',
    group: conn,
  }),
  key('plugin.name', 'string', 'Logical decoding plugin. Only pgoutput (built into PostgreSQL 10+) is supported.', {
    default: 'pgoutput',
    validValues: ['pgoutput'],
    group: stream,
  }),
  key(
    'slot.name',
    'string',
    'Name of the logical replication slot. One slot per connector; two connectors must not share it.',
    {
      default: 'debezium',
      group: stream,
      validate: (v) =>
        /^[a-z0-9_]{1,63}$/.test(String(v))
          ? undefined
          : 'slot names may contain only lower case letters, digits and underscores (at most 63)',
    },
  ),
  key(
    'slot.drop.on.stop',
    'boolean',
    'Drop the slot when the task stops gracefully (connector stopped or deleted). The next start then cannot resume from the slot: use it only for tests and throw-away pipelines.',
    { default: false, group: stream },
  ),
  key(
    'slot.failover',
    'boolean',
    'Create the slot as a failover slot (PostgreSQL 17+): a standby with sync_replication_slots=on keeps a copy, so after its promotion the connector, pointed at it, resumes where it was. Applies when the connector creates the slot.',
    { default: false, group: stream },
  ),
  key('publication.name', 'string', 'Name of the PostgreSQL publication the slot streams.', {
    default: 'dbz_publication',
    group: stream,
  }),
  key(
    'publication.autocreate.mode',
    'string',
    'all_tables: create the publication FOR ALL TABLES when it is missing (needs superuser); filtered: create it, or set its tables, to exactly the tables the filters capture; no_tables: create it without tables (add them yourself); disabled: the publication must exist, the connector fails otherwise.',
    { default: 'all_tables', validValues: [...AUTOCREATE_MODES], group: stream },
  ),
  key(
    'table.include.list',
    'list',
    'Regular expressions matched against `schema.table` (whole name, case-insensitive); only matching tables are captured. Exclusive with table.exclude.list.',
    { default: null, validate: validRegexList, group: filters },
  ),
  key('table.exclude.list', 'list', 'Regular expressions of `schema.table` names not to capture.', {
    default: null,
    validate: validRegexList,
    group: filters,
  }),
  key('schema.include.list', 'list', 'Regular expressions of schema names to capture.', {
    default: null,
    validate: validRegexList,
    group: filters,
  }),
  key('schema.exclude.list', 'list', 'Regular expressions of schema names not to capture.', {
    default: null,
    validate: validRegexList,
    group: filters,
  }),
  key(
    'column.include.list',
    'list',
    'Regular expressions matched against `schema.table.column`; only matching columns appear in values. Exclusive with column.exclude.list. Key columns are kept in the key regardless.',
    { default: null, validate: validRegexList, group: filters },
  ),
  key('column.exclude.list', 'list', 'Regular expressions of `schema.table.column` names left out of values.', {
    default: null,
    validate: validRegexList,
    group: filters,
  }),
  key(
    'message.key.columns',
    'string',
    'Key columns for tables without a suitable primary key, or to override it: `<schema.table regex>:<col>,<col>;<schema.table regex>:<col>`.',
    { default: null, group: events },
  ),
  key(
    'snapshot.mode',
    'string',
    'initial: snapshot when no offset exists (or an earlier snapshot did not finish), then stream; always: snapshot at every start, then stream; initial_only: snapshot, then stop producing; no_data: never snapshot data, stream from the slot; never: like no_data; when_needed: snapshot when no offset exists or the offset cannot be resumed from the slot.',
    { default: 'initial', validValues: [...SNAPSHOT_MODES], importance: 'HIGH', group: snap },
  ),
  key('snapshot.fetch.size', 'int', 'Rows read per round trip during the snapshot; bounds snapshot memory.', {
    default: 10240,
    min: 1,
    group: snap,
  }),
  key(
    'signal.data.collection',
    'string',
    'The signal table, `schema.table`, with columns `id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048)`. Signals inserted into it are read from the WAL, in order with the data (the `source` channel); incremental snapshots write their watermark rows to it, so the connector user needs INSERT on it. It is added to a filtered publication; its own rows become events only when the table filters capture it.',
    { default: null, group: snap },
  ),
  ...signalChannelKeys.map((k) => ({ ...k, group: snap })),
  key(
    'incremental.snapshot.chunk.size',
    'int',
    'Rows per chunk of an incremental snapshot (each chunk is one query between two watermarks, held in memory until its close watermark comes back through the WAL).',
    { default: 1024, min: 1, max: 1_000_000, group: snap },
  ),
  key(
    'snapshot.max.threads',
    'int',
    "Connections that read the initial snapshot at once, all on the same exported snapshot: tables are read concurrently, and a table is split into ranges of its pages (`snapshot.max.threads` × `snapshot.max.threads.multiplier` of them) read in parallel. 1 reads tables one after another, as Debezium's default.",
    { default: 1, min: 1, max: 64, group: snap },
  ),
  key(
    'snapshot.max.threads.multiplier',
    'int',
    'With snapshot.max.threads > 1, each table is split into this many ranges per thread (more, smaller ranges spread uneven tables better across the threads).',
    { default: 1, min: 1, max: 100, group: snap },
  ),
  key(
    'snapshot.reader.threads',
    'boolean',
    "sluice: with snapshot.max.threads > 1, the snapshot's connections read in worker threads (one fewer than the machine's cores, at least one), which also decode rows and write their values as JSON when the task's value converter is the JsonConverter and it has no transforms; the task's thread then only builds records and copies bytes. Off: every reader runs on the task's thread. Costs CPU and memory overall (two copies of every row's text, one V8 heap per thread): worth it only with cores to spare.",
    { default: false, group: snap },
  ),
  key(
    'snapshot.resumable',
    'boolean',
    'sluice: read the initial snapshot (snapshot.mode initial or when_needed) as watermarked chunks of incremental.snapshot.chunk.size rows beside the stream, with the incremental snapshot machinery: a crash resumes at the last committed chunk instead of starting over, and streaming is not held back. Needs signal.data.collection (the watermarks) and a primary key (or message.key.columns) on every table. Events are `op: "r"` with `source.snapshot` = `incremental`.',
    { default: false, group: snap },
  ),
  key(
    'snapshot.include.collection.list',
    'list',
    'Regular expressions of `schema.table` names to snapshot, a subset of the captured tables; all captured tables when unset.',
    { default: null, validate: validRegexList, group: snap },
  ),
  key(
    'heartbeat.interval.ms',
    'int',
    'Emit a heartbeat record this often (ms) when the stream is idle, so that the slot can advance over WAL of tables not captured. 0 disables heartbeats: then a quiet captured table pins WAL on the server.',
    { default: 0, min: 0, group: stream },
  ),
  key(
    'heartbeat.action.query',
    'string',
    'SQL run on each heartbeat (e.g. an UPDATE of a heartbeat table that is captured), so that a database with no captured changes still produces WAL in the slot.',
    { default: null, group: stream },
  ),
  key('topic.heartbeat.prefix', 'string', 'Prefix of the heartbeat topic, `<prefix>.<topic.prefix>`.', {
    default: '__debezium-heartbeat',
    deprecatedNames: ['heartbeat.topics.prefix'],
    group: stream,
  }),
  key(
    'tombstones.on.delete',
    'boolean',
    'Follow each delete event with a tombstone (same key, null value) so compacted topics drop the key.',
    { default: true, group: events },
  ),
  key(
    'skipped.operations',
    'list',
    'Operations not emitted: c (insert), u (update), d (delete), t (truncate), none. Debezium skips truncate by default.',
    { default: ['t'], validValues: ['c', 'u', 'd', 't', 'none'], group: events },
  ),
  key(
    'provide.transaction.metadata',
    'boolean',
    'Emit BEGIN/END records on `<prefix>.transaction` and a `transaction` block in each change event.',
    { default: false, group: events },
  ),
  key('topic.transaction', 'string', 'Name suffix of the transaction topic.', {
    default: 'transaction',
    group: events,
  }),
  key(
    'decimal.handling.mode',
    'string',
    'NUMERIC/DECIMAL/MONEY as precise (Connect Decimal; NUMERIC without precision as io.debezium.data.VariableScaleDecimal; NaN and infinities become null), double (float64, keeps NaN/Infinity) or string.',
    { default: 'precise', validValues: ['precise', 'double', 'string'], group: events },
  ),
  key(
    'time.precision.mode',
    'string',
    'adaptive: TIME/TIMESTAMP with precision ≤ 3 as milliseconds (io.debezium.time.Time / Timestamp), else microseconds (MicroTime / MicroTimestamp); adaptive_time_microseconds: TIME always MicroTime; connect: Kafka Connect Date/Time/Timestamp (milliseconds, precision lost); isostring: ISO-8601 strings (io.debezium.time.IsoDate / IsoTime / IsoTimestamp); microseconds: MicroTime / MicroTimestamp; nanoseconds: NanoTime / NanoTimestamp. TIME WITH TIME ZONE and TIMESTAMP WITH TIME ZONE are ZonedTime / ZonedTimestamp strings in every mode.',
    {
      default: 'adaptive',
      validValues: ['adaptive', 'adaptive_time_microseconds', 'connect', 'isostring', 'microseconds', 'nanoseconds'],
      group: events,
    },
  ),
  key('binary.handling.mode', 'string', 'BYTEA as bytes, base64, base64-url-safe or hex strings.', {
    default: 'bytes',
    validValues: ['bytes', 'base64', 'base64-url-safe', 'hex'],
    group: events,
  }),
  key(
    'interval.handling.mode',
    'string',
    'INTERVAL as numeric (io.debezium.time.MicroDuration, microseconds, a month = 30.4375 days) or string (io.debezium.time.Interval, ISO-8601).',
    { default: 'numeric', validValues: ['numeric', 'string'], group: events },
  ),
  key(
    'hstore.handling.mode',
    'string',
    'hstore as json (io.debezium.data.Json text of the key/value object) or map (a Connect map of strings, values optional).',
    { default: 'json', validValues: ['json', 'map'], group: events },
  ),
  key(
    'include.unknown.datatypes',
    'boolean',
    'Columns of types Debezium has no mapping for (line, box, polygon, tsquery, pg_lsn, composites, multiranges, most extension types…) are left out of events; true sends them as bytes of their text form, per binary.handling.mode.',
    { default: false, group: events },
  ),
  key(
    'unavailable.value.placeholder',
    'string',
    'Value given to an unchanged TOASTed column that PostgreSQL did not send (UPDATE without REPLICA IDENTITY FULL): strings and json get this text, bytes its UTF-8 bytes.',
    { default: '__debezium_unavailable_value', group: events },
  ),
  key(
    'status.update.interval.ms',
    'int',
    'How often (ms) the connector reports its committed position to the server even when not asked.',
    { default: 10000, min: 100, importance: 'LOW', group: stream },
  ),
];

export interface PostgresSettings {
  prefix: string;
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  sslmode: string;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  sslpassword?: string;
  connectTimeoutMs: number;
  slot: string;
  dropSlotOnStop: boolean;
  failover: boolean;
  publication: string;
  autocreate: AutocreateMode;
  tableInclude: RegExp[];
  tableExclude: RegExp[];
  schemaInclude: RegExp[];
  schemaExclude: RegExp[];
  columnInclude: RegExp[];
  columnExclude: RegExp[];
  snapshotInclude: RegExp[];
  keyColumns: Array<{ table: RegExp; columns: string[] }>;
  snapshotMode: SnapshotMode;
  fetchSize: number;
  /** snapshot.max.threads and its multiplier: connections and page ranges per table of the initial snapshot */
  snapshotThreads: number;
  snapshotMultiplier: number;
  /** snapshot.reader.threads: the parallel snapshot's readers in worker threads */
  snapshotReaderThreads: boolean;
  /** snapshot.resumable: the initial snapshot in watermarked chunks beside the stream */
  snapshotResumable: boolean;
  heartbeatMs: number;
  heartbeatQuery?: string;
  heartbeatTopic: string;
  tombstones: boolean;
  skipped: Set<string>;
  transactionMetadata: boolean;
  transactionTopic: string;
  decimal: DecimalMode;
  time: TimePrecisionMode;
  binary: BinaryMode;
  interval: IntervalMode;
  hstore: HstoreMode;
  includeUnknown: boolean;
  placeholder: string;
  statusIntervalMs: number;
  maxBatch: number;
  maxQueue: number;
  /** signal.data.collection, split; undefined when no signal table is configured */
  signalTable?: { schema: string; table: string; id: string };
  signalChannels: string[];
  chunkSize: number;
}

/** Debezium's filters are whole-name matches, case-insensitive. */
function regexes(list: string[]): RegExp[] {
  return list.map((r) => new RegExp(`^(?:${r})$`, 'i'));
}

export function parseKeyColumns(text: string | undefined): Array<{ table: RegExp; columns: string[] }> {
  if (!text) return [];
  return text
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const colon = entry.lastIndexOf(':');
      if (colon < 0) throw new Error(`message.key.columns entry "${entry}" is not <table regex>:<columns>`);
      return {
        table: new RegExp(`^(?:${entry.slice(0, colon).trim()})$`, 'i'),
        columns: entry
          .slice(colon + 1)
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean),
      };
    });
}

function optionalInt(config: Config, name: string, fallback: number): number {
  const v = config.get(name);
  if (typeof v === 'number') return v;
  const raw = config.raw[name];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : fallback;
}

export function readSettings(config: Config): PostgresSettings {
  const prefix = config.string('topic.prefix');
  return {
    prefix,
    host: config.string('database.hostname'),
    port: config.int('database.port'),
    user: config.string('database.user'),
    password: config.optionalString('database.password'),
    database: config.string('database.dbname'),
    sslmode: config.string('database.sslmode'),
    sslrootcert: config.optionalString('database.sslrootcert'),
    sslcert: config.optionalString('database.sslcert'),
    sslkey: config.optionalString('database.sslkey'),
    sslpassword: config.optionalString('database.sslpassword'),
    connectTimeoutMs: config.int('database.connect.timeout.ms'),
    slot: config.string('slot.name'),
    dropSlotOnStop: config.bool('slot.drop.on.stop'),
    failover: config.bool('slot.failover'),
    publication: config.string('publication.name'),
    autocreate: config.string('publication.autocreate.mode') as AutocreateMode,
    tableInclude: regexes(config.list('table.include.list')),
    tableExclude: regexes(config.list('table.exclude.list')),
    schemaInclude: regexes(config.list('schema.include.list')),
    schemaExclude: regexes(config.list('schema.exclude.list')),
    columnInclude: regexes(config.list('column.include.list')),
    columnExclude: regexes(config.list('column.exclude.list')),
    snapshotInclude: regexes(config.list('snapshot.include.collection.list')),
    keyColumns: parseKeyColumns(config.optionalString('message.key.columns')),
    snapshotMode: config.string('snapshot.mode') as SnapshotMode,
    fetchSize: config.int('snapshot.fetch.size'),
    snapshotThreads: config.int('snapshot.max.threads'),
    snapshotMultiplier: config.int('snapshot.max.threads.multiplier'),
    snapshotReaderThreads: config.bool('snapshot.reader.threads'),
    snapshotResumable: resumable(config),
    heartbeatMs: config.int('heartbeat.interval.ms'),
    heartbeatQuery: config.optionalString('heartbeat.action.query') || undefined,
    heartbeatTopic: `${config.string('topic.heartbeat.prefix')}.${prefix}`,
    tombstones: config.bool('tombstones.on.delete'),
    skipped: new Set(config.list('skipped.operations').filter((o) => o !== 'none')),
    transactionMetadata: config.bool('provide.transaction.metadata'),
    transactionTopic: `${prefix}.${config.string('topic.transaction')}`,
    decimal: config.string('decimal.handling.mode') as DecimalMode,
    time: config.string('time.precision.mode') as TimePrecisionMode,
    binary: config.string('binary.handling.mode') as BinaryMode,
    interval: config.string('interval.handling.mode') as IntervalMode,
    hstore: config.string('hstore.handling.mode') as HstoreMode,
    includeUnknown: config.bool('include.unknown.datatypes'),
    placeholder: config.string('unavailable.value.placeholder'),
    statusIntervalMs: config.int('status.update.interval.ms'),
    // Runtime queue knobs (sourceCommonSpec): the task's own buffer follows them so memory stays bounded.
    maxBatch: optionalInt(config, 'max.batch.size', 2048),
    maxQueue: optionalInt(config, 'max.queue.size', 8192),
    signalTable: signalTable(config.optionalString('signal.data.collection')),
    signalChannels: config.list('signal.enabled.channels'),
    chunkSize: config.int('incremental.snapshot.chunk.size'),
  };
}

function resumable(config: Config): boolean {
  const on = config.bool('snapshot.resumable');
  const mode = config.string('snapshot.mode');
  if (on && mode !== 'initial' && mode !== 'when_needed')
    throw new Error(
      `snapshot.resumable=true applies to snapshot.mode initial or when_needed, not ${mode}: a resumable snapshot streams while it reads`,
    );
  if (on && !config.optionalString('signal.data.collection'))
    throw new Error(
      'snapshot.resumable=true writes the watermarks of its chunks to the signal table: set signal.data.collection',
    );
  return on;
}

/** `schema.table` (PostgreSQL's `database.schema.table` form too, as Debezium accepts it) */
function signalTable(v: string | undefined): PostgresSettings['signalTable'] {
  if (!v) return undefined;
  const parts = v.split('.');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === ''))
    throw new Error(`signal.data.collection "${v}" is not schema.table`);
  const [schema, table] = parts.slice(-2);
  return { schema, table, id: `${schema}.${table}` };
}

/** Whether a table (`schema.table`) is captured under the filters. */
export function tableCaptured(s: PostgresSettings, schema: string, table: string): boolean {
  if (schema === 'pg_catalog' || schema === 'information_schema' || schema.startsWith('pg_toast')) return false;
  if (s.schemaInclude.length && !s.schemaInclude.some((r) => r.test(schema))) return false;
  if (s.schemaExclude.some((r) => r.test(schema))) return false;
  const id = `${schema}.${table}`;
  if (s.tableInclude.length && !s.tableInclude.some((r) => r.test(id))) return false;
  return !s.tableExclude.some((r) => r.test(id));
}

/**
 * The order Debezium snapshots tables in (RelationalSnapshotChangeEventSource#addSignalingCollectionAndSort): for
 * each table.include.list pattern in turn, the tables it matches by Java's string order of `schema.table`; all
 * tables in that order when there is no include list. It decides which rows are `first` / `last`.
 */
export function snapshotOrder<T extends { schema: string; table: string }>(
  s: PostgresSettings,
  tables: readonly T[],
): T[] {
  const id = (t: T) => `${t.schema}.${t.table}`;
  const sorted = [...tables].sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
  if (!s.tableInclude.length) return sorted;
  const out = new Set<T>();
  for (const r of s.tableInclude) for (const t of sorted) if (r.test(id(t))) out.add(t);
  return [...out];
}

export function columnCaptured(s: PostgresSettings, schema: string, table: string, column: string): boolean {
  const id = `${schema}.${table}.${column}`;
  if (s.columnInclude.length && !s.columnInclude.some((r) => r.test(id))) return false;
  return !s.columnExclude.some((r) => r.test(id));
}
