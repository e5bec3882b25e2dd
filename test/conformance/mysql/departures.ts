import type { Departure } from '../framework/suite.js';

/**
 * Where sluice's MySQL/MariaDB events differ from Debezium's MariaDB connector 3.5.0, and why. The suite fails on
 * any difference not listed here, and on any entry here that it no longer sees.
 */
export const mysqlDepartures: readonly Departure[] = [
  {
    case: 'defaults',
    path: 'value.schema.fields[*].fields[c_quote].default',
    debezium: '"it\'\'s \\\\\\\\ \\"q\\""',
    sluice: '"it\'s \\\\ \\"q\\""',
    kind: 'debezium-bug',
    reason:
      "The column's DEFAULT is the string it's \\ \"q\". Debezium takes the literal's text between the quotes " +
      "without undoing its escapes (it''s \\\\); sluice gives the value MySQL stores. Kafka's JsonConverter writes " +
      'this default in place of a null value, so the escaped text would reach consumers as data.',
  },
  {
    case: 'year_zero',
    path: 'value.payload.*.c_year*',
    debezium: '1900',
    sluice: '0',
    kind: 'debezium-bug',
    reason:
      "YEAR 0000 is a value MySQL stores and shows as 0000. Debezium's binlog reader adds 1900 to the stored byte " +
      'and writes 1900, a year the column cannot hold (YEAR ranges over 1901–2155 and 0000); sluice writes 0.',
  },
  {
    case: 'ddl_create_drop_table',
    path: 'value.schema.fields[*].fields[{i,iu}].type',
    debezium: '"int32"',
    sluice: '"int64"',
    kind: 'debezium-bug',
    reason:
      'A column declared INTEGER UNSIGNED (not INT UNSIGNED) in DDL: Debezium maps unsigned INT to int64 only when ' +
      'the type is spelled INT, so INTEGER UNSIGNED becomes int32 and values above 2147483647 wrap negative ' +
      '(4294967295 is written as -1). sluice maps both spellings to int64 and writes the value.',
  },
  {
    case: 'ddl_create_drop_table',
    path: 'value.payload.after.{i,iu}',
    debezium: '-1',
    sluice: '4294967295',
    kind: 'debezium-bug',
    reason: 'The INTEGER UNSIGNED value 4294967295 under the int32 schema above (see the previous row).',
  },
  {
    case: 'ddl_create_drop_table',
    path: 'value.schema.fields[*].fields[r].type',
    debezium: '"float"',
    sluice: '"double"',
    kind: 'debezium-bug',
    reason:
      "REAL is MySQL's and MariaDB's DOUBLE (unless sql_mode has REAL_AS_FLOAT), but Debezium maps a column declared " +
      'REAL to float32, which cannot hold a double: digits are lost and values beyond 3.4E38 become Infinity. ' +
      'sluice keeps a double.',
  },
  {
    case: 'year_zero_snapshot',
    path: '<run>',
    debezium: 'fails',
    sluice: 'streams',
    kind: 'debezium-fails',
    reason:
      "Debezium's MariaDB connector 3.5 fails its snapshot on a YEAR column holding 0000 (an IllegalArgumentException " +
      'inside mariadb-java-client) and stops. sluice reads the value and writes 0, as it does while streaming (see ' +
      'year_zero); the suite checks that value.',
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
      'both connectors sharing it) as change events of `<prefix>.conf_incr.conf_signal` although table.exclude.list ' +
      'leaves the table out; sluice writes them only when the table filters capture it (docs/signals.md). The ' +
      'incremental snapshot\'s own `op: "r"` events are identical.',
  },
  {
    case: 'blocking_snapshot',
    variants: ['blocking'],
    path: '<record>',
    debezium: 'written',
    sluice: '(absent)',
    kind: 'deliberate',
    reason:
      'As in incremental_snapshot: Debezium writes the row of the signal table (the signal) as a change event of ' +
      '`<prefix>.conf_blk.conf_signal` although table.exclude.list leaves the table out; sluice writes it only when ' +
      'the table filters capture it. The blocking snapshot\'s schema changes and `op: "r"` events, and the stream ' +
      'after them, are identical.',
  },
];
