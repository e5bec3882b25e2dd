import type { ConformanceSuite, Variant } from '../framework/suite.js';
import { BLOCKING_DB, BLOCKING_SIGNAL, FAIL_DBS, INCR_DB, INCR_SIGNAL, mysqlCases } from './corpus.js';
import { mysqlDepartures } from './departures.js';

/**
 * Every value Debezium's MariaDB connector accepts for decimal.handling.mode, time.precision.mode,
 * binary.handling.mode and tombstones.on.delete, spread over five variants (the first is all defaults), plus
 * bigint.unsigned.handling.mode both ways; then the variants of the failure cases, each on a database of its own.
 */
/** The cases a variant on a database of its own runs besides its own: what every capture sees. */
const SHARED = ['database', 'other_databases', 'control'];

export const mysqlVariants: readonly Variant[] = [
  { name: 'defaults', config: {} },
  {
    name: 'double-connect-base64',
    config: {
      'decimal.handling.mode': 'double',
      'time.precision.mode': 'connect',
      'binary.handling.mode': 'base64',
      'tombstones.on.delete': 'false',
      'bigint.unsigned.handling.mode': 'precise',
    },
  },
  {
    name: 'string-isostring-urlsafe',
    config: {
      'decimal.handling.mode': 'string',
      'time.precision.mode': 'isostring',
      'binary.handling.mode': 'base64-url-safe',
    },
  },
  {
    name: 'precise-micro-hex',
    config: {
      'decimal.handling.mode': 'precise',
      'time.precision.mode': 'microseconds',
      'binary.handling.mode': 'hex',
      'tombstones.on.delete': 'false',
    },
  },
  {
    name: 'double-nano',
    config: {
      'decimal.handling.mode': 'double',
      'time.precision.mode': 'nanoseconds',
      'bigint.unsigned.handling.mode': 'precise',
    },
  },
  {
    name: 'fail-year-zero-snapshot',
    only: SHARED,
    config: { 'database.include.list': FAIL_DBS.yearZero },
    debeziumFails: 'IllegalArgumentException',
  },
  {
    name: 'fail-time-connect',
    only: SHARED,
    config: { 'database.include.list': FAIL_DBS.timeConnect, 'time.precision.mode': 'connect' },
    debeziumFails: 'null used for required field: "c_t"',
    sluiceFails: 'time_connect_range.*c_t.*time\\.precision\\.mode',
  },
  {
    name: 'fail-invalid-date',
    only: SHARED,
    config: { 'database.include.list': FAIL_DBS.invalidDate },
    debeziumFails: "Invalid date 'FEBRUARY 30'",
    sluiceFails: 'invalid_date_stream.*event\\.processing\\.failure\\.handling\\.mode',
  },
  {
    name: 'invalid-date-warn',
    only: SHARED,
    config: { 'database.include.list': FAIL_DBS.invalidDateWarn, 'event.processing.failure.handling.mode': 'warn' },
  },
  {
    name: 'invalid-date-skip',
    only: SHARED,
    config: { 'database.include.list': FAIL_DBS.invalidDateSkip, 'event.processing.failure.handling.mode': 'skip' },
  },
  {
    name: 'invalid-date-snapshot',
    only: SHARED,
    config: { 'database.include.list': FAIL_DBS.invalidDateSnapshot },
  },
  {
    // no initial snapshot: the table's rows come only from the incremental snapshot the stream's signal starts
    name: 'incremental',
    only: SHARED,
    config: {
      'database.include.list': INCR_DB,
      'snapshot.mode': 'no_data',
      'signal.data.collection': INCR_SIGNAL,
      'incremental.snapshot.chunk.size': '10',
      // its rows (the signal, both sides' watermarks) are not compared: each side sees the other's too
      'table.exclude.list': `${INCR_SIGNAL.replace('.', '\\.')}`,
    },
  },
  {
    // no initial snapshot: the table's rows come only from the blocking snapshot the stream's signal starts
    name: 'blocking',
    only: SHARED,
    config: {
      'database.include.list': BLOCKING_DB,
      'snapshot.mode': 'no_data',
      'signal.data.collection': BLOCKING_SIGNAL,
      'table.exclude.list': `${BLOCKING_SIGNAL.replace('.', '\\.')}`,
    },
  },
];

export const mysqlSuite: ConformanceSuite = {
  id: 'mysql',
  title: 'MySQL / MariaDB',
  reference:
    "Debezium's MariaDB connector 3.5.0.Final (`io.debezium.connector.mariadb.MariaDbConnector`, the newest " +
    "served on Maven Central; Debezium 3.6.1's MySqlConnector refuses MariaDB 10.11) on MariaDB 10.11 from Debian 12",
  cases: mysqlCases.map(({ name, description, tables, empty, variants }) => ({
    name,
    description,
    tables,
    empty,
    variants,
  })),
  variants: mysqlVariants,
  departures: mysqlDepartures,
  notes: [
    'Not compared: `source` positions and timestamps (`file`, `pos`, `row`, `gtid`, `thread`, `server_id`, ' +
      "`sequence`, `ts_ms`/`ts_us`/`ts_ns`), the envelope's `ts_*`, and `source.version`/`name`/`connector`.",
  ],
};
