import type { Departure } from '../framework/suite.js';

/**
 * Where sluice's PostgreSQL events differ from Debezium's PostgreSQL connector 3.6.1, and why. The suite fails on
 * any difference not listed here, and on any entry here that it no longer sees. Unless `variants` says otherwise,
 * a departure is expected in every variant that runs its case.
 */

/** Variants whose dates, times and timestamps are numbers (every time.precision.mode but isostring). */
const NUMERIC_TIME = ['defaults', 'double-connect-base64-map', 'string-micro-hex', 'microseconds', 'nanoseconds'];
/** Variants whose plain timestamps are MicroTimestamp (adaptive with 6 digits, microseconds). */
const MICRO_TIMESTAMP = ['defaults', 'string-micro-hex', 'microseconds'];
/** Variants whose timestamp(0)/(3) are millisecond Timestamps (adaptive, connect). */
const MILLI_TIMESTAMP = ['defaults', 'double-connect-base64-map', 'string-micro-hex'];
const ISO = ['isostring-urlsafe'];

const BC_SNAPSHOT =
  "Debezium's snapshot reads a BC date through java.sql.Date and loses the era (0001-12-31 BC becomes 0001-12-31 AD, " +
  '4713-01-01 BC becomes 4713 AD); its streaming is right. sluice writes the date PostgreSQL holds, in the snapshot too.';
const DATE_INFINITY =
  "Debezium has no value for a date 'infinity' / '-infinity': it writes the day count of the JDBC driver's sentinel " +
  '(different numbers in its snapshot and its streaming, dates near year 292 million in isostring mode). sluice writes ' +
  'the int32 bounds (2147483647 / -2147483648), or the words `infinity` / `-infinity` in isostring mode.';
const TIMESTAMP_INFINITY =
  "Debezium writes a timestamp 'infinity' / '-infinity' as a value computed from the JDBC driver's sentinel (a date in " +
  'year 294247 / -290308, or its milliseconds scaled); only its nanoseconds mode uses the int64 bounds. sluice uses ' +
  'the int64 bounds in every numeric mode (as Debezium does for nanoseconds) and the words in isostring mode.';
const TIMESTAMP_BEYOND_INT64 =
  'A timestamp after year 292277 (PostgreSQL goes to 294276) has no int64 count of microseconds: Debezium overflows ' +
  '(a negative number) or saturates depending on the precision; sluice writes null, as Debezium does for timestamps ' +
  'that nanoseconds cannot hold.';
const INTERVAL_INFINITY =
  "PostgreSQL 17's interval 'infinity' / '-infinity' reach Debezium as a zero interval (the JDBC driver's PGInterval " +
  'parses them to nothing): 0, or P0Y0M0DT0H0M0S. sluice writes the int64 bounds (as an interval beyond them ' +
  'saturates in Debezium too), or the words `infinity` / `-infinity` in string mode.';

export const postgresDepartures: readonly Departure[] = [
  // dates: BC in the snapshot, infinities
  {
    case: 'dates',
    variants: NUMERIC_TIME,
    path: 'value.payload.after.c_date',
    debezium: '-718798',
    sluice: '-719163',
    kind: 'debezium-bug',
    reason: BC_SNAPSHOT,
  },
  {
    case: 'dates',
    variants: NUMERIC_TIME,
    path: 'value.payload.after.c_date',
    debezium: '1001860',
    sluice: '-2440550',
    kind: 'debezium-bug',
    reason: BC_SNAPSHOT,
  },
  {
    case: 'dates',
    variants: ISO,
    path: 'value.payload.after.c_date',
    debezium: '"0001-12-31Z"',
    sluice: '"0000-12-31Z"',
    kind: 'debezium-bug',
    reason: `${BC_SNAPSHOT} ISO 8601 numbers 1 BC as year 0000.`,
  },
  {
    case: 'dates',
    variants: ISO,
    path: 'value.payload.after.c_date',
    debezium: '"4713-01-01Z"',
    sluice: '"-4712-01-01Z"',
    kind: 'debezium-bug',
    reason: `${BC_SNAPSHOT} ISO 8601 numbers 4713 BC as year -4712.`,
  },
  ...['2147483647', '-2147483648'].map(
    (v): Departure => ({
      case: 'dates',
      variants: NUMERIC_TIME,
      path: 'value.payload.after.c_date',
      debezium: '*',
      sluice: v,
      kind: 'debezium-bug',
      reason: DATE_INFINITY,
    }),
  ),
  ...['"infinity"', '"-infinity"'].map(
    (v): Departure => ({
      case: 'dates',
      variants: ISO,
      path: 'value.payload.after.c_date',
      debezium: '*',
      sluice: v,
      kind: 'debezium-bug',
      reason: DATE_INFINITY,
    }),
  ),
  {
    case: 'arrays_1d',
    variants: NUMERIC_TIME,
    path: 'value.payload.after.c_date[1]',
    debezium: '*',
    sluice: '2147483647',
    kind: 'debezium-bug',
    reason: DATE_INFINITY,
  },
  {
    case: 'arrays_1d',
    variants: ISO,
    path: 'value.payload.after.c_date[1]',
    debezium: '*',
    sluice: '"infinity"',
    kind: 'debezium-bug',
    reason: DATE_INFINITY,
  },
  // timestamps: infinities, beyond int64
  ...[
    ['c_ts', MICRO_TIMESTAMP, '9223372036854775807'],
    ['c_ts0', MILLI_TIMESTAMP, '-9223372036854775808'],
    ['c_ts3', MILLI_TIMESTAMP, '9223372036854775807'],
    ['c_ts', ['double-connect-base64-map'], '9223372036854775807'],
    ['c_ts0', ['microseconds'], '-9223372036854775808'],
    ['c_ts3', ['microseconds'], '9223372036854775807'],
    ['c_ts', ISO, '"infinity"'],
    ['c_ts0', ISO, '"-infinity"'],
    ['c_ts3', ISO, '"infinity"'],
  ].map(
    ([column, variants, sluice]): Departure => ({
      case: 'timestamps',
      variants: variants as string[],
      path: `value.payload.after.${column as string}`,
      debezium: '*',
      sluice: sluice as string,
      kind: 'debezium-bug',
      reason: TIMESTAMP_INFINITY,
    }),
  ),
  {
    case: 'timestamps',
    variants: MICRO_TIMESTAMP,
    path: 'value.payload.after.c_ts',
    debezium: '-9223372036853775810',
    sluice: 'null',
    kind: 'debezium-bug',
    reason: TIMESTAMP_BEYOND_INT64,
  },
  {
    case: 'timestamps',
    variants: ['microseconds'],
    path: 'value.payload.after.c_ts0',
    debezium: '9223372036854775807',
    sluice: 'null',
    kind: 'deliberate',
    reason: TIMESTAMP_BEYOND_INT64,
  },
  // interval infinities
  ...[
    ['9223372036854775807', '0'],
    ['-9223372036854775808', '0'],
  ].map(
    ([sluice, debezium]): Departure => ({
      case: 'interval_infinity',
      variants: ['defaults', 'string-micro-hex', 'isostring-urlsafe', 'microseconds', 'nanoseconds'],
      path: 'value.payload.after.c_iv',
      debezium,
      sluice,
      kind: 'debezium-bug',
      reason: INTERVAL_INFINITY,
    }),
  ),
  ...['"infinity"', '"-infinity"'].map(
    (sluice): Departure => ({
      case: 'interval_infinity',
      variants: ['double-connect-base64-map'],
      path: 'value.payload.after.c_iv',
      debezium: '"P0Y0M0DT0H0M0S"',
      sluice,
      kind: 'debezium-bug',
      reason: INTERVAL_INFINITY,
    }),
  ),
  // multi-dimensional text arrays
  {
    case: 'arrays_nd',
    variants: ['defaults', 'double-connect-base64-map', 'string-micro-hex'],
    path: 'value.payload.after.c_text2d[*]',
    debezium: '*',
    sluice: 'null',
    kind: 'debezium-bug',
    reason:
      "Debezium writes each sub-array of a multi-dimensional text array as the Java object's identity " +
      '(`"[Ljava.lang.String;@5d96ab87"`, different in every run). sluice writes null for each, as Debezium does for ' +
      'the sub-arrays of number arrays (the schema, an array of strings, cannot hold the nested values).',
  },
  // column defaults
  ...['value.schema.fields[*].fields[c_varchar].default', 'value.payload.before.c_varchar'].map(
    (path): Departure => ({
      case: 'column_defaults',
      path,
      debezium: '"v"',
      sluice: '"v\'q"',
      kind: 'debezium-bug',
      reason:
        "Debezium reads a default literal up to its first quote, so DEFAULT 'v''q' becomes \"v\" (and a key-only " +
        "before image gets it); sluice reads the whole literal, v'q.",
    }),
  ),
  // name columns while streaming
  {
    case: 'strings',
    variants: ['defaults'],
    path: 'value.payload.after.c_name',
    debezium: 'null',
    sluice: '*',
    kind: 'debezium-bug',
    reason:
      "Debezium's streaming has no decoder for the `name` type (ReplicationMessageColumnValueResolver), so every " +
      'streamed `name` value is null; its snapshot has them. sluice writes the value in both.',
  },
  {
    case: 'timetz_seconds',
    variants: ['defaults'],
    path: 'value.payload.after.c_timetz',
    debezium: 'null',
    sluice: '*',
    kind: 'debezium-bug',
    reason:
      "Debezium's snapshot writes null for a time with time zone whose offset has seconds (+01:02:03); its " +
      'streaming stops on one (timetz_seconds_stream). sluice writes the time in UTC (10:11:12+01:02:03 → 09:09:09Z).',
  },
  // types without a mapping, with include.unknown.datatypes
  ...['c_line', 'c_lseg', 'c_box', 'c_path', 'c_polygon', 'c_circle'].map(
    (column): Departure => ({
      case: 'geometric',
      variants: ['double-connect-base64-map', 'string-micro-hex'],
      path: `value.payload.after.${column}`,
      debezium: '*',
      sluice: '*',
      kind: 'debezium-bug',
      reason:
        'With include.unknown.datatypes, Debezium sends the bytes of a geometric value as its streaming receives it ' +
        "(PostgreSQL's text) but its snapshot re-spells it through the JDBC driver's classes (`{1,2,3}` becomes " +
        '`{1.0,2.0,3.0}`, `-1e10` becomes `-1.0E10`): one value, two spellings. sluice sends the text PostgreSQL ' +
        'writes, in both. Only snapshot rows differ.',
    }),
  ),
  // values Debezium's engine stops on
  {
    case: 'interval_hours',
    variants: ['interval-hours'],
    path: '<run>',
    debezium: 'fails',
    sluice: 'streams',
    kind: 'debezium-fails',
    reason:
      'The JDBC driver Debezium reads intervals with keeps hours in an int: an interval of more than 2147483647 ' +
      'hours (PostgreSQL allows 2562047788) stops the connector ("NumberFormatException: For input string: ' +
      '"2562047788""). sluice writes the MicroDuration, saturated at the int64 bounds as Debezium saturates.',
  },
  {
    case: 'timetz_seconds_stream',
    variants: ['timetz-seconds'],
    path: '<run>',
    debezium: 'fails',
    sluice: 'streams',
    kind: 'debezium-fails',
    reason:
      "Debezium's streaming cannot parse a time with time zone whose offset has seconds (`10:11:12.5+01:02:03`, " +
      'DateTimeParseException) and stops. sluice writes the ZonedTime in UTC.',
  },
  {
    case: 'not_null',
    variants: ['not-null-nanoseconds'],
    path: '<run>',
    debezium: 'fails',
    sluice: 'streams',
    kind: 'debezium-fails',
    reason:
      'In nanoseconds mode Debezium has no fallback for a NOT NULL timestamp missing from a key-only before image ' +
      '(a DELETE under REPLICA IDENTITY DEFAULT): "Invalid value: null used for required field", and it stops. ' +
      'sluice writes the fallback Debezium uses in every other mode, 0.',
  },
  {
    case: 'blocking_snapshot',
    variants: ['blocking'],
    path: '<record>',
    debezium: 'written',
    sluice: '(absent)',
    kind: 'deliberate',
    reason:
      'As in incremental_snapshot: Debezium writes the rows of the uncaptured signal table (here the signal) as ' +
      'change events; sluice only when the table filters capture it.',
  },
  {
    case: 'incremental_snapshot',
    variants: ['incremental'],
    path: '<record>',
    debezium: 'written',
    sluice: '(absent)',
    kind: 'deliberate',
    reason:
      'Debezium writes the rows of the signal table (signal.data.collection: the signal, and every watermark row of ' +
      'both connectors sharing it) as change events of `<prefix>.public.conf_signal` although table.include.list ' +
      'leaves the table out; sluice writes them only when the table filters capture it (docs/signals.md). The ' +
      'incremental snapshot\'s own `op: "r"` events are identical.',
  },
];
