import { type Config, type ConfigSpec, key } from '../../runtime/api/index.js';
import { isValidTimeZone, TimeZone } from './temporal.js';
import { type JdbcUrl, parseJdbcUrl } from './url.js';

const CONNECTION = 'Connection';
const CONNECTOR = 'Connector';

export type InsertMode = 'insert' | 'upsert' | 'update';
export type PrimaryKeyMode = 'none' | 'kafka' | 'record_key' | 'record_value' | 'record_header';
export type SchemaEvolution = 'none' | 'validate-only' | 'basic';

const PASSTHROUGH_NAMING = 'io.debezium.sink.naming.PassthroughCollectionNamingStrategy';
const DEFAULT_NAMING = 'io.debezium.sink.naming.DefaultCollectionNamingStrategy';

/** Debezium's JdbcSinkConnector keys (debezium-connector-jdbc, JdbcSinkConnectorConfig / SinkConnectorConfig). */
export const jdbcConfigSpec: ConfigSpec = [
  key(
    'connection.url',
    'string',
    'JDBC URL of the target: jdbc:postgresql://host:port/db, jdbc:mysql://… or jdbc:mariadb://….',
    {
      importance: 'HIGH',
      group: CONNECTION,
      validate: (v) => {
        try {
          parseJdbcUrl(String(v));
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
    },
  ),
  key('connection.username', 'string', 'Database user.', { importance: 'HIGH', group: CONNECTION }),
  key('connection.password', 'password', 'Password of the database user.', {
    default: '',
    importance: 'HIGH',
    group: CONNECTION,
  }),
  key('connection.pool.min_size', 'int', 'Connections kept open when idle.', {
    default: 5,
    min: 0,
    importance: 'LOW',
    group: CONNECTION,
  }),
  key('connection.pool.max_size', 'int', 'Most connections a task opens.', {
    default: 32,
    min: 1,
    max: 1000,
    importance: 'LOW',
    group: CONNECTION,
  }),
  key('connection.pool.timeout', 'long', 'Seconds to wait for a free connection of the pool.', {
    default: 1800,
    min: 1,
    importance: 'LOW',
    group: CONNECTION,
  }),
  key(
    'connection.restart.on.errors',
    'boolean',
    'Treat a lost or refused connection as retriable (reconnect and write again). Debezium defaults to false; sluice to true, so a restarted database is ridden out.',
    { default: true, importance: 'LOW', group: CONNECTION },
  ),
  key(
    'insert.mode',
    'string',
    'insert: plain INSERT; upsert: insert or update by primary key (idempotent under redelivery); update: UPDATE by primary key.',
    {
      default: 'insert',
      validValues: ['insert', 'upsert', 'update'],
      importance: 'HIGH',
      group: CONNECTOR,
      validate: (v, all) => {
        const pk = String(all.get('primary.key.mode') ?? 'none').toLowerCase();
        if ((v === 'upsert' || v === 'update') && pk === 'none')
          return `insert.mode=${v} needs a primary key: set primary.key.mode to record_key, record_value, record_header or kafka`;
        return undefined;
      },
    },
  ),
  key(
    'delete.enabled',
    'boolean',
    'Delete rows for delete events and tombstones (needs a primary key mode of record_key, record_value or record_header).',
    {
      default: false,
      importance: 'MEDIUM',
      group: CONNECTOR,
      validate: (v, all) => {
        const pk = String(all.get('primary.key.mode') ?? 'none').toLowerCase();
        if (v === true && !['record_key', 'record_value', 'record_header'].includes(pk))
          return "delete.enabled=true needs primary.key.mode 'record_key', 'record_value' or 'record_header'";
        return undefined;
      },
    },
  ),
  key('truncate.enabled', 'boolean', "Truncate the table for Debezium's truncate events (op 't').", {
    default: false,
    importance: 'MEDIUM',
    group: CONNECTOR,
  }),
  key(
    'collection.name.format',
    'string',
    "Target table name; ${topic} is the record's topic with dots replaced by underscores, ${source.<field>} a field of the event's source block. A name with a dot is schema.table (PostgreSQL) or database.table (MySQL).",
    { default: '${topic}', deprecatedNames: ['table.name.format'], importance: 'MEDIUM', group: CONNECTOR },
  ),
  key(
    'collection.naming.strategy',
    'class',
    `${DEFAULT_NAMING} (dots in the topic become underscores) or ${PASSTHROUGH_NAMING} (the topic as it is; \${source.*} not resolved).`,
    {
      default: DEFAULT_NAMING,
      deprecatedNames: ['table.naming.strategy'],
      validValues: [DEFAULT_NAMING, PASSTHROUGH_NAMING],
      importance: 'LOW',
      group: CONNECTOR,
    },
  ),
  key(
    'primary.key.mode',
    'string',
    'Where the primary key comes from: none, kafka (__connect_topic/__connect_partition/__connect_offset), record_key, record_value or record_header.',
    {
      default: 'none',
      validValues: ['none', 'kafka', 'record_key', 'record_value', 'record_header'],
      importance: 'HIGH',
      group: CONNECTOR,
    },
  ),
  key(
    'primary.key.fields',
    'string',
    'Comma-separated primary key fields: a subset of the key (record_key), of the value (record_value), or the column name of a primitive key.',
    { default: null, importance: 'MEDIUM', group: CONNECTOR },
  ),
  key(
    'schema.evolution',
    'string',
    'none: tables and columns must exist; validate-only: as none, and the tables of the listed topics are checked at start; basic: create missing tables and add missing columns.',
    { default: 'none', validValues: ['none', 'validate-only', 'basic'], importance: 'MEDIUM', group: CONNECTOR },
  ),
  key(
    'quote.identifiers',
    'boolean',
    'Keep the case of table and column names (otherwise PostgreSQL folds them to lower case).',
    {
      default: false,
      importance: 'LOW',
      group: CONNECTOR,
    },
  ),
  key(
    'use.time.zone',
    'string',
    'Time zone of the database session, in which zoned values are written to columns without a zone (MySQL DATETIME/TIME). An IANA name or an offset.',
    {
      default: 'UTC',
      deprecatedNames: ['database.time_zone'],
      importance: 'LOW',
      group: CONNECTOR,
      validate: (v) => (isValidTimeZone(String(v)) ? undefined : `Unknown time zone "${String(v)}"`),
    },
  ),
  key('batch.size', 'int', 'Most records written to one table in one statement and transaction.', {
    default: 500,
    min: 1,
    max: 100_000,
    importance: 'MEDIUM',
    group: CONNECTOR,
  }),
  key(
    'keyed.message.batch.mode',
    'string',
    'deduplication: of several changes to one key in a batch only the last is written; passthrough: each is written, the batch split where a key repeats.',
    { default: 'deduplication', validValues: ['deduplication', 'passthrough'], importance: 'LOW', group: CONNECTOR },
  ),
  key(
    'use.reduction.buffer',
    'boolean',
    'Reduce the changes a put delivers to one per key (the last) before writing, deletes included.',
    { default: false, importance: 'LOW', group: CONNECTOR },
  ),
  key('field.include.list', 'list', 'Fields to write, as `field` or `topic:field`; all when empty.', {
    default: [],
    importance: 'MEDIUM',
    group: 'Filters',
    validate: (v, all) => {
      const exclude = all.get('field.exclude.list');
      if (Array.isArray(v) && v.length > 0 && Array.isArray(exclude) && exclude.length > 0)
        return 'Cannot define both field.exclude.list and field.include.list; give only one';
      return undefined;
    },
  }),
  key('field.exclude.list', 'list', 'Fields not to write, as `field` or `topic:field`.', {
    default: [],
    importance: 'MEDIUM',
    group: 'Filters',
  }),
  key(
    'flush.max.retries',
    'int',
    'Immediate retries of a write that failed with a retriable error, before the task retries with backoff (errors.retry.*).',
    {
      default: 5,
      min: 0,
      importance: 'LOW',
      group: CONNECTOR,
    },
  ),
  key('flush.retry.delay.ms', 'long', 'Wait between those retries.', {
    default: 1000,
    min: 0,
    importance: 'LOW',
    group: CONNECTOR,
  }),
  key('dialect.postgres.postgis.schema', 'string', 'Schema where the PostGIS extension is installed.', {
    default: 'public',
    importance: 'LOW',
    group: CONNECTOR,
  }),
];

export interface JdbcSettings {
  readonly url: JdbcUrl;
  readonly rawUrl: string;
  readonly user: string;
  readonly password: string;
  readonly poolMin: number;
  readonly poolMax: number;
  readonly poolTimeoutMs: number;
  readonly restartOnErrors: boolean;
  readonly insertMode: InsertMode;
  readonly deleteEnabled: boolean;
  readonly truncateEnabled: boolean;
  readonly nameFormat: string;
  readonly passthroughNaming: boolean;
  readonly pkMode: PrimaryKeyMode;
  readonly pkFields: readonly string[];
  readonly evolution: SchemaEvolution;
  readonly quoteIdentifiers: boolean;
  readonly timeZone: TimeZone;
  readonly batchSize: number;
  readonly dedupe: boolean;
  readonly reduce: boolean;
  readonly fieldFilter: (topic: string, field: string) => boolean;
  readonly flushMaxRetries: number;
  readonly flushRetryDelayMs: number;
  readonly postgisSchema: string;
}

/**
 * Debezium's FieldFilterFactory: entries are exact names, `field` or `topic:field` (its documentation speaks of
 * regular expressions; the code compares strings). An exclude list wins over an include list.
 */
export function fieldFilter(
  include: readonly string[],
  exclude: readonly string[],
): (topic: string, field: string) => boolean {
  const make = (entries: readonly string[], inc: boolean) => {
    const parsed = entries.map((e) =>
      e
        .trim()
        .split(':')
        .map((p) => p.trim()),
    );
    return (topic: string, field: string) => {
      for (const parts of parsed) {
        if (parts.length === 1 && parts[0] === field) return inc;
        if (parts.length === 2 && parts[0] === topic && parts[1] === field) return inc;
      }
      return !inc;
    };
  };
  if (exclude.length > 0) return make(exclude, false);
  if (include.length > 0) return make(include, true);
  return () => true;
}

export function readSettings(c: Config): JdbcSettings {
  const rawUrl = c.string('connection.url');
  const pkFields = (c.optionalString('primary.key.fields') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return {
    url: parseJdbcUrl(rawUrl),
    rawUrl,
    user: c.string('connection.username'),
    password: c.optionalString('connection.password') ?? '',
    poolMin: c.int('connection.pool.min_size'),
    poolMax: c.int('connection.pool.max_size'),
    poolTimeoutMs: c.int('connection.pool.timeout') * 1000,
    restartOnErrors: c.bool('connection.restart.on.errors'),
    insertMode: c.string('insert.mode') as InsertMode,
    deleteEnabled: c.bool('delete.enabled'),
    truncateEnabled: c.bool('truncate.enabled'),
    nameFormat: c.string('collection.name.format'),
    passthroughNaming: c.string('collection.naming.strategy') === PASSTHROUGH_NAMING,
    pkMode: c.string('primary.key.mode') as PrimaryKeyMode,
    pkFields,
    evolution: c.string('schema.evolution') as SchemaEvolution,
    quoteIdentifiers: c.bool('quote.identifiers'),
    timeZone: new TimeZone(c.string('use.time.zone')),
    batchSize: c.int('batch.size'),
    dedupe: c.string('keyed.message.batch.mode') === 'deduplication',
    reduce: c.bool('use.reduction.buffer'),
    fieldFilter: fieldFilter(c.list('field.include.list'), c.list('field.exclude.list')),
    flushMaxRetries: c.int('flush.max.retries'),
    flushRetryDelayMs: c.int('flush.retry.delay.ms'),
    postgisSchema: c.string('dialect.postgres.postgis.schema'),
  };
}
