import type { ConformanceCase } from '../framework/suite.js';

/**
 * The MySQL/MariaDB corpus: one table (or a few) per case in database `conf`, a snapshot part written before
 * both connectors start and a streaming part written once both stream. Type cases insert the same edge values
 * again while streaming (the binlog's binary row format and the snapshot's text protocol are different decoders),
 * then update and delete a row.
 */
export interface MySqlCase extends ConformanceCase {
  /** the database of its tables (default DB) */
  database?: string;
  /** DDL and rows present before the connectors start */
  setup: readonly string[];
  /** statements written while both stream */
  stream: readonly string[];
}

export const DB = 'conf';
/** a second captured database (tables are named apart from DB's: cases are found by table name) */
export const DB2 = 'conf_b';
/** databases of the failure cases, one per variant that expects Debezium to fail */
export const FAIL_DBS = {
  yearZero: 'conf_f_year',
  timeConnect: 'conf_f_time',
  invalidDate: 'conf_f_date',
  invalidDateWarn: 'conf_f_date_warn',
  invalidDateSkip: 'conf_f_date_skip',
  invalidDateSnapshot: 'conf_f_date_snap',
} as const;

/** the incremental_snapshot case's database, captured only by variant `incremental`, and its signal table */
export const INCR_DB = 'conf_incr';
export const INCR_SIGNAL = `${INCR_DB}.conf_signal`;
export const INCREMENTAL_ROWS = 25;
/**
 * the blocking_snapshot case's database, captured only by variant `blocking`, and its own signal table (one shared
 * with the incremental case would start both snapshots)
 */
export const BLOCKING_DB = 'conf_blk';
export const BLOCKING_SIGNAL = `${BLOCKING_DB}.conf_signal`;
/** rows the blocking snapshot's filter selects (the table has 5 more) */
export const BLOCKING_ROWS = 25;

/** `INSERT INTO conf.<t> VALUES (<id>, <row>)…` for rows given as SQL literal lists. */
function insert(table: string, firstId: number, rows: readonly string[]): string {
  return `INSERT INTO ${DB}.${table} VALUES ${rows.map((r, i) => `(${firstId + i}, ${r})`).join(', ')}`;
}

/**
 * A type case: `columns` after `id INT PRIMARY KEY`; `rows` inserted with ids 1.. before the connectors start and
 * with ids 101.. while streaming; then row 101 is updated (`update` sets its columns) and row 102 deleted.
 */
function typeCase(
  name: string,
  description: string,
  columns: string,
  rows: readonly string[],
  update: string,
  tableOptions = '',
): MySqlCase {
  return {
    name,
    description,
    setup: [`CREATE TABLE ${DB}.${name} (id INT PRIMARY KEY, ${columns})${tableOptions}`, insert(name, 1, rows)],
    stream: [
      insert(name, 101, rows),
      `UPDATE ${DB}.${name} SET ${update} WHERE id = 101`,
      ...(rows.length > 1 ? [`DELETE FROM ${DB}.${name} WHERE id = 102`] : []),
    ],
  };
}

export const mysqlCases: readonly MySqlCase[] = [
  {
    name: 'database',
    description: "the snapshot's database-level schema changes (SET character_set_server, DROP/CREATE DATABASE, USE)",
    tables: [],
    setup: [],
    stream: [],
  },
  {
    name: 'other_databases',
    description:
      "schema changes of databases the connector does not capture: Debezium's history, and so its schema-change " +
      'topic, keeps the DDL of every non-system database (schema.history.internal.store.only.captured.databases.ddl=false)',
    tables: [],
    setup: [],
    stream: [
      'CREATE DATABASE conf_uncaptured',
      'CREATE TABLE conf_uncaptured.t (id INT PRIMARY KEY, v VARCHAR(5))',
      'INSERT INTO conf_uncaptured.t VALUES (1, 1)',
      'ALTER TABLE conf_uncaptured.t ADD COLUMN w INT',
    ],
  },
  typeCase(
    'int_signed',
    'TINYINT, SMALLINT, MEDIUMINT, INT, BIGINT at min, max, 0 and NULL',
    'c_tiny TINYINT, c_small SMALLINT, c_medium MEDIUMINT, c_int INT, c_big BIGINT',
    [
      '-128, -32768, -8388608, -2147483648, -9223372036854775808',
      '127, 32767, 8388607, 2147483647, 9223372036854775807',
      '0, 0, 0, 0, 0',
      'NULL, NULL, NULL, NULL, NULL',
    ],
    'c_big = -1, c_tiny = 1',
  ),
  typeCase(
    'int_unsigned',
    'every integer width UNSIGNED at 0 and max (BIGINT UNSIGNED 18446744073709551615), and ZEROFILL',
    'c_tiny TINYINT UNSIGNED, c_small SMALLINT UNSIGNED, c_medium MEDIUMINT UNSIGNED, c_int INT UNSIGNED, ' +
      'c_big BIGINT UNSIGNED, c_zero INT(6) UNSIGNED ZEROFILL',
    [
      '0, 0, 0, 0, 0, 0',
      '255, 65535, 16777215, 4294967295, 18446744073709551615, 42',
      '1, 1, 1, 1, 9223372036854775808, 999999',
      'NULL, NULL, NULL, NULL, NULL, NULL',
    ],
    'c_big = 9223372036854775807',
  ),
  typeCase(
    'bool_bit',
    'BOOLEAN (TINYINT(1)), BIT(1), BIT(8), BIT(12), BIT(64)',
    'c_bool BOOLEAN, c_bit1 BIT(1), c_bit8 BIT(8), c_bit12 BIT(12), c_bit64 BIT(64)',
    [
      "TRUE, b'1', b'10000001', b'101000000011', b'1111111111111111111111111111111111111111111111111111111111111111'",
      "FALSE, b'0', b'0', b'0', b'0'",
      "2, b'1', b'1', b'100000000000', b'1000000000000000000000000000000000000000000000000000000000000001'",
      'NULL, NULL, NULL, NULL, NULL',
    ],
    "c_bit12 = b'111'",
  ),
  typeCase(
    'decimals',
    'DECIMAL/NUMERIC with precision and scale at their extremes (65,30), (65,0), (1,0), (5,5), UNSIGNED',
    'c_65_30 DECIMAL(65,30), c_65_0 DECIMAL(65,0), c_10_2 DECIMAL(10,2), c_1_0 DECIMAL(1,0), ' +
      'c_5_5 NUMERIC(5,5), c_uns DECIMAL(20,4) UNSIGNED, c_plain DECIMAL',
    [
      "'99999999999999999999999999999999999.999999999999999999999999999999', " +
        "'99999999999999999999999999999999999999999999999999999999999999999', '12345678.91', 9, 0.99999, " +
        "'9999999999999999.9999', 9999999999",
      "'-99999999999999999999999999999999999.999999999999999999999999999999', " +
        "'-99999999999999999999999999999999999999999999999999999999999999999', '-0.01', -9, -0.99999, 0, -9999999999",
      "'0.000000000000000000000000000001', 0, 0, 0, 0.00001, '0.0001', 0",
      'NULL, NULL, NULL, NULL, NULL, NULL, NULL',
    ],
    "c_10_2 = '-12345678.91'",
  ),
  typeCase(
    'floats',
    'FLOAT, DOUBLE, REAL, FLOAT(M,D), FLOAT(p>23): extremes, denormals, -0, 0.1, 1e7',
    'c_float FLOAT, c_double DOUBLE, c_real REAL, c_float_md FLOAT(10,3), c_float53 FLOAT(53), c_dp DOUBLE PRECISION',
    [
      '3.40282e38, 1.7976931348623157e308, 1.7976931348623157e308, 9999999.999, 1.7976931348623157e308, 0.1',
      '-3.40282e38, -1.7976931348623157e308, -2.2250738585072014e-308, -9999999.999, 4.9e-324, -0.0',
      '1.17549e-38, 2.2250738585072014e-308, 4.9e-324, 0.001, 0.1, 10000000',
      '0.1, 0.1, 1e7, 1.5, 123456789.123456789, 1e-3',
      '0, 0, 0, 0, 0, 0',
      'NULL, NULL, NULL, NULL, NULL, NULL',
    ],
    'c_float = 1.5, c_double = -2.5',
  ),
  typeCase(
    'dates',
    'DATE: 0001-01-01, 1000-01-01, 9999-12-31, epoch, before the epoch, leap day, zero date, zero month and day',
    "c_date DATE, c_date_nn DATE NOT NULL, c_date_dflt DATE NOT NULL DEFAULT '1999-12-31'",
    [
      "'0001-01-01', '0001-01-01', '0069-12-31'",
      "'1000-01-01', '1000-01-01', '0070-01-01'",
      "'9999-12-31', '9999-12-31', '0099-12-31'",
      "'1970-01-01', '1970-01-01', '0100-01-01'",
      "'1969-12-31', '1969-12-31', '1969-12-31'",
      "'2024-02-29', '2024-02-29', '2024-02-29'",
      "'0000-00-00', '0000-00-00', '0000-00-00'",
      "'2020-00-00', '2020-00-00', '2020-01-00'",
      "NULL, '1999-01-01', '0000-00-00'",
    ],
    "c_date = '2000-01-01'",
  ),
  typeCase(
    'datetimes',
    'DATETIME with 0–6 fractional digits: extremes, epoch, before the epoch, zero datetime',
    'c_dt0 DATETIME, c_dt1 DATETIME(1), c_dt2 DATETIME(2), c_dt3 DATETIME(3), c_dt4 DATETIME(4), ' +
      "c_dt5 DATETIME(5), c_dt6 DATETIME(6), c_dt_nn DATETIME NOT NULL, c_dt_dflt DATETIME(3) NOT NULL DEFAULT '2000-01-01 00:00:00.5'",
    [
      "'1000-01-01 00:00:00', '1000-01-01 00:00:00.1', '1000-01-01 00:00:00.12', '1000-01-01 00:00:00.123', " +
        "'1000-01-01 00:00:00.1234', '1000-01-01 00:00:00.12345', '1000-01-01 00:00:00.123456', '1000-01-01 00:00:00', '0050-06-15 12:00:00'",
      "'9999-12-31 23:59:59', '9999-12-31 23:59:59.9', '9999-12-31 23:59:59.99', '9999-12-31 23:59:59.999', " +
        "'9999-12-31 23:59:59.9999', '9999-12-31 23:59:59.99999', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999'",
      "'1970-01-01 00:00:00', '1970-01-01 00:00:00.0', '1969-12-31 23:59:59.99', '1969-12-31 23:59:59.999', " +
        "'1969-12-31 23:59:59.9999', '1969-12-31 23:59:59.00001', '1969-12-31 23:59:59.999999', '1970-01-01 00:00:00', '1969-12-31 23:59:59.999'",
      "'0000-00-00 00:00:00', '0000-00-00 00:00:00.0', '0000-00-00 00:00:00', '0000-00-00 00:00:00', " +
        "'0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00'",
      "'2024-02-29 12:34:56', '0001-01-01 00:00:00.5', '2024-02-29 12:34:56.07', '2024-02-29 12:34:56.007', " +
        "'2024-02-29 12:34:56.0007', '2024-02-29 12:34:56.00007', '2024-02-29 12:34:56.000007', '2024-02-29 12:34:56', '0099-01-01 00:00:00.001'",
      "NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2000-01-01 00:00:00', '2000-02-02 00:00:00'",
    ],
    "c_dt6 = '2001-02-03 04:05:06.789012'",
  ),
  typeCase(
    'timestamps',
    'TIMESTAMP with 0–6 fractional digits: 1970-01-01 00:00:01, 2038-01-19 03:14:07.999999, zero timestamp',
    'c_ts0 TIMESTAMP NULL, c_ts1 TIMESTAMP(1) NULL, c_ts3 TIMESTAMP(3) NULL, c_ts6 TIMESTAMP(6) NULL, ' +
      "c_ts_nn TIMESTAMP NOT NULL DEFAULT '2000-01-01 00:00:00'",
    [
      "'1970-01-01 00:00:01', '1970-01-01 00:00:01.1', '1970-01-01 00:00:01.001', '1970-01-01 00:00:01.000001', '1970-01-01 00:00:01'",
      "'2038-01-19 03:14:07', '2038-01-19 03:14:07.9', '2038-01-19 03:14:07.999', '2038-01-19 03:14:07.999999', '2038-01-19 03:14:07'",
      "'0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00'",
      "'2024-02-29 12:34:56', '2024-02-29 12:34:56.5', '2024-02-29 12:34:56.010', '2024-02-29 12:34:56.000100', '2024-02-29 12:34:56'",
      "'2001-01-01 00:00:00', '2001-01-01 00:00:00.0', '2001-01-01 00:00:00.000', '2001-01-01 00:00:00.000000', '2001-01-01 00:00:00'",
      "NULL, NULL, NULL, NULL, '2001-01-01 00:00:00'",
    ],
    "c_ts6 = '2001-02-03 04:05:06.789012'",
  ),
  typeCase(
    'times',
    'TIME with 0–6 fractional digits: -838:59:59, 838:59:59, negative, over 24 h, zero, NULL (NOT NULL: within a day)',
    'c_t0 TIME, c_t1 TIME(1), c_t3 TIME(3), c_t6 TIME(6), c_t_nn TIME NOT NULL',
    [
      "'-838:59:59', '-838:59:59.9', '-838:59:59.999', '-838:59:59.999999', '23:59:59'",
      "'838:59:59', '838:59:59.9', '838:59:59.999', '838:59:59.999999', '00:00:00'",
      "'-00:00:01', '-00:00:00.1', '-00:00:00.001', '-00:00:00.000001', '12:00:00'",
      "'25:00:00', '100:00:00.5', '24:00:00.001', '48:00:00.000001', '01:02:03'",
      "'00:00:00', '00:00:00.0', '00:00:00.000', '00:00:00.000000', '00:00:00'",
      "'12:34:56', '12:34:56.7', '12:34:56.789', '12:34:56.789012', '23:59:59'",
      "NULL, NULL, NULL, NULL, '00:00:01'",
    ],
    "c_t6 = '-12:00:00.5'",
  ),
  typeCase(
    'years',
    'YEAR at 1901, 2155, 1970, 2000 and NULL (YEAR 0 only while streaming: see year_zero)',
    'c_year YEAR, c_year_nn YEAR NOT NULL',
    ['1901, 1901', '2155, 2155', '1970, 1970', '2000, 2000', 'NULL, 2024'],
    'c_year = 1999',
  ),
  {
    name: 'year_zero',
    description: 'YEAR 0000 written while streaming (Debezium 3.5 fails a snapshot of it: see year_zero_snapshot)',
    setup: [`CREATE TABLE ${DB}.year_zero (id INT PRIMARY KEY, c_year YEAR, c_year_nn YEAR NOT NULL)`],
    stream: [
      `INSERT INTO ${DB}.year_zero VALUES (1, 0, 0), (2, '0000', 2000)`,
      `UPDATE ${DB}.year_zero SET c_year = 0 WHERE id = 2`,
    ],
  },
  typeCase(
    'strings',
    'CHAR/VARCHAR/TEXT in latin1, ascii, utf8mb3, utf8mb4, cp1251, gbk, utf16, utf32, binary collation; ' +
      'unicode, emoji, empty strings, trailing spaces',
    'c_char CHAR(10) CHARACTER SET latin1, c_vc VARCHAR(40) CHARACTER SET utf8mb4, ' +
      'c_vc3 VARCHAR(40) CHARACTER SET utf8mb3, c_ascii CHAR(5) CHARACTER SET ascii, ' +
      'c_cp1251 VARCHAR(20) CHARACTER SET cp1251, c_gbk VARCHAR(20) CHARACTER SET gbk, ' +
      'c_utf16 VARCHAR(20) CHARACTER SET utf16, c_utf32 CHAR(4) CHARACTER SET utf32, ' +
      'c_bin_coll VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, c_tiny TINYTEXT, ' +
      'c_text TEXT CHARACTER SET utf8mb4, c_medium MEDIUMTEXT, c_long LONGTEXT CHARACTER SET utf8mb4',
    [
      "'café', 'héllo wörld ✓ 😀', 'ü€', 'abc', 'Привет', '中文', 'ÅΩ😀', 'z😀', 'CaSe', 'tiny', 'text 😀', 'medium', 'long'",
      "'', '', '', '', '', '', '', '', '', '', '', '', ''",
      "'pad  ', 'trail  ', ' lead', 'a ', 'я ', '字 ', ' ', 'x ', 'B ', ' t ', ' \\\\ \\\" \\n\\t', 'q''uote', '\\0nul'",
      'NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL',
    ],
    "c_vc = 'updated ✓'",
    ' DEFAULT CHARSET=latin1',
  ),
  typeCase(
    'binaries',
    'BINARY (zero-padded), VARBINARY, TINYBLOB, BLOB, MEDIUMBLOB, LONGBLOB, VARCHAR CHARACTER SET binary',
    'c_bin BINARY(4), c_varbin VARBINARY(10), c_tinyblob TINYBLOB, c_blob BLOB, c_mediumblob MEDIUMBLOB, ' +
      'c_longblob LONGBLOB, c_vc_bin VARCHAR(8) CHARACTER SET binary',
    [
      "X'01020304', X'00FF', X'DEADBEEF', X'FBFF', X'000000', X'7F80', 'abc'",
      "X'01', X'', X'', X'', X'', X'', ''",
      "X'00000000', X'00', X'FF', X'3E3F', X'FFFFFFFF', X'00', X'00'",
      'NULL, NULL, NULL, NULL, NULL, NULL, NULL',
    ],
    "c_blob = X'CAFE'",
  ),
  typeCase(
    'enums_sets',
    "ENUM and SET: members with spaces and quotes, the empty member, the error value '', empty and full sets",
    "c_enum ENUM('a','b','c d','it''s',''), c_enum_nn ENUM('x','y') NOT NULL, c_set SET('p','q','r s'), " +
      "c_set_nn SET('one','two') NOT NULL",
    [
      "'a', 'x', 'p', 'one'",
      "'c d', 'y', 'p,q,r s', 'one,two'",
      "'it''s', 'x', '', ''",
      "'', 'y', 'q', 'two'",
      "'nonsense', 'nonsense', 'q,nonsense', 'one'",
      "NULL, 'x', NULL, ''",
    ],
    "c_enum = 'b', c_set = 'r s'",
  ),
  typeCase(
    'json_values',
    'JSON (MariaDB: LONGTEXT with a json_valid check): objects, arrays, scalars, unicode, escapes, big numbers',
    'c_json JSON',
    [
      `'{"a":1,"b":[1,2,{"c":null}],"d":"x"}'`,
      `'[1,"two",3.5,true,false,null]'`,
      `'"just a string"'`,
      "'42'",
      "'12345678901234567890123'",
      "'1.5e300'",
      "'true'",
      "'null'",
      `'{"unicode":"héllo ✓ 😀","esc":"line\\\\nbreak \\\\"q\\\\"","u":"\\\\u00e9"}'`,
      "'{}'",
      "'[]'",
      `'{"big": 18446744073709551616, "neg": -9223372036854775809, "f": 0.1, "e": 1E+2}'`,
      `'  { "spaced" : [ 1 , 2 ] }  '`,
      'NULL',
    ],
    `c_json = '{"updated":true}'`,
  ),
  typeCase(
    'geometries',
    'GEOMETRY, POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON, GEOMETRYCOLLECTION, SRID 0 and 4326',
    'c_geom GEOMETRY, c_point POINT, c_line LINESTRING, c_poly POLYGON, c_mpoint MULTIPOINT, ' +
      'c_mline MULTILINESTRING, c_mpoly MULTIPOLYGON, c_coll GEOMETRYCOLLECTION',
    [
      "ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POINT(-1.5 2.25)'), ST_GeomFromText('LINESTRING(0 0,1 1,2 0)'), " +
        "ST_GeomFromText('POLYGON((0 0,4 0,4 4,0 4,0 0),(1 1,2 1,2 2,1 2,1 1))'), ST_GeomFromText('MULTIPOINT(0 0,1 1)'), " +
        "ST_GeomFromText('MULTILINESTRING((0 0,1 1),(2 2,3 3))'), " +
        "ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((2 2,3 2,3 3,2 2)))'), " +
        "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))')",
      "ST_GeomFromText('LINESTRING(0 0,1 1)', 4326), ST_GeomFromText('POINT(13.4 52.5)', 4326), " +
        "ST_GeomFromText('LINESTRING(1 1,2 2)', 4326), ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4326), " +
        "ST_GeomFromText('MULTIPOINT(5 5)', 4326), ST_GeomFromText('MULTILINESTRING((0 0,1 1))', 4326), " +
        "ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)))', 4326), ST_GeomFromText('GEOMETRYCOLLECTION(POINT(2 2))', 4326)",
      'NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL',
    ],
    "c_point = ST_GeomFromText('POINT(0 0)')",
  ),
  {
    name: 'defaults',
    description:
      'column defaults of every kind (numbers, strings with quotes, temporal, CURRENT_TIMESTAMP, expressions, ' +
      'ENUM/SET/BIT, NULL) in the schemas and in tableChanges; rows that take them',
    setup: [
      `CREATE TABLE ${DB}.defaults (id INT PRIMARY KEY AUTO_INCREMENT, ` +
        'c_int INT DEFAULT 42, c_int_nn INT NOT NULL DEFAULT -7, c_null INT DEFAULT NULL, c_none INT NOT NULL, ' +
        'c_big BIGINT UNSIGNED DEFAULT 18446744073709551615, c_dec DECIMAL(10,2) DEFAULT 1.50, ' +
        "c_float FLOAT DEFAULT 1.5, c_double DOUBLE DEFAULT -2.5e10, c_str VARCHAR(20) DEFAULT 'dflt', " +
        "c_quote VARCHAR(20) DEFAULT 'it''s \\\\ \"q\"', c_empty VARCHAR(5) NOT NULL DEFAULT '', " +
        "c_enum ENUM('x','y') DEFAULT 'y', c_set SET('p','q') DEFAULT 'p,q', c_bit BIT(3) DEFAULT b'101', " +
        "c_bool BOOLEAN DEFAULT TRUE, c_date DATE DEFAULT '2020-01-02', " +
        "c_dt DATETIME(3) DEFAULT '2020-01-02 03:04:05.678', c_dt_now DATETIME DEFAULT CURRENT_TIMESTAMP, " +
        "c_ts TIMESTAMP NOT NULL DEFAULT '2021-06-07 08:09:10', c_time TIME DEFAULT '-12:34:56', " +
        "c_year YEAR DEFAULT 2000, c_bin VARBINARY(4) DEFAULT X'0102', c_text TEXT DEFAULT 'txt', " +
        "c_expr INT DEFAULT (1 + 1), c_zero_date DATE NOT NULL DEFAULT '0000-00-00')",
      `INSERT INTO ${DB}.defaults (id, c_none, c_dt_now) VALUES (1, 0, '2022-02-02 02:02:02')`,
    ],
    stream: [
      `INSERT INTO ${DB}.defaults (id, c_none, c_dt_now) VALUES (101, 1, '2023-03-03 03:03:03')`,
      `UPDATE ${DB}.defaults SET c_int = NULL, c_str = NULL WHERE id = 101`,
    ],
  },
  {
    name: 'keys',
    description: 'a composite primary key (INT, VARCHAR), a table without a primary key, a UNIQUE key only',
    tables: ['composite_key', 'keyless', 'unique_only'],
    setup: [
      `CREATE TABLE ${DB}.composite_key (a INT, b VARCHAR(10), v INT, PRIMARY KEY (b, a))`,
      `INSERT INTO ${DB}.composite_key VALUES (1, 'x', 1), (2, 'y', 2)`,
      `CREATE TABLE ${DB}.keyless (a INT, v VARCHAR(10))`,
      `INSERT INTO ${DB}.keyless VALUES (1, 'one'), (1, 'one')`,
      `CREATE TABLE ${DB}.unique_only (a INT NOT NULL, v INT, UNIQUE KEY uq (a))`,
      `INSERT INTO ${DB}.unique_only VALUES (1, 1)`,
    ],
    stream: [
      `INSERT INTO ${DB}.composite_key VALUES (3, 'z', 3)`,
      `UPDATE ${DB}.composite_key SET v = 20 WHERE a = 2`,
      `DELETE FROM ${DB}.composite_key WHERE a = 1`,
      `INSERT INTO ${DB}.keyless VALUES (2, 'two')`,
      `UPDATE ${DB}.keyless SET v = 'uno' WHERE a = 1`,
      `DELETE FROM ${DB}.keyless WHERE a = 2`,
      `INSERT INTO ${DB}.unique_only VALUES (2, 2)`,
      `UPDATE ${DB}.unique_only SET v = 10 WHERE a = 1`,
      `DELETE FROM ${DB}.unique_only WHERE a = 2`,
    ],
  },
  {
    name: 'dml',
    description:
      'multi-row inserts, updates and deletes in one transaction, INSERT … ON DUPLICATE KEY UPDATE, REPLACE, ' +
      'an update that changes nothing',
    setup: [
      `CREATE TABLE ${DB}.dml (id INT PRIMARY KEY, v VARCHAR(20), n INT)`,
      `INSERT INTO ${DB}.dml VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)`,
    ],
    stream: [
      `START TRANSACTION; INSERT INTO ${DB}.dml VALUES (10, 'x', 10), (11, 'y', 11); ` +
        `UPDATE ${DB}.dml SET n = n + 100 WHERE id IN (1, 2, 10); DELETE FROM ${DB}.dml WHERE id IN (3, 11); COMMIT`,
      `INSERT INTO ${DB}.dml VALUES (1, 'dup', 0) ON DUPLICATE KEY UPDATE v = 'dup'`,
      `REPLACE INTO ${DB}.dml VALUES (2, 'replaced', 2)`,
      `UPDATE ${DB}.dml SET v = v WHERE id = 1`,
    ],
  },
  {
    name: 'pk_change',
    description:
      'an UPDATE that changes the primary key: a delete (and tombstone) under the old key, a create under the new',
    setup: [
      `CREATE TABLE ${DB}.pk_change (id INT PRIMARY KEY, v VARCHAR(10))`,
      `INSERT INTO ${DB}.pk_change VALUES (1, 'one'), (2, 'two')`,
    ],
    stream: [`UPDATE ${DB}.pk_change SET id = 10 WHERE id = 1`, `UPDATE ${DB}.pk_change SET id = id + 100`],
  },
  {
    name: 'truncate',
    description: 'TRUNCATE TABLE while streaming (Debezium skips truncate events by default), then an insert',
    setup: [
      `CREATE TABLE ${DB}.truncate_me (id INT PRIMARY KEY, v INT)`,
      `INSERT INTO ${DB}.truncate_me VALUES (1, 1), (2, 2)`,
    ],
    tables: ['truncate_me'],
    stream: [`TRUNCATE TABLE ${DB}.truncate_me`, `INSERT INTO ${DB}.truncate_me VALUES (3, 3)`],
  },
  {
    name: 'ddl_add_column',
    description: 'ALTER TABLE ADD COLUMN (with a default, FIRST, AFTER) mid-stream, rows before and after',
    setup: [`CREATE TABLE ${DB}.ddl_add (id INT PRIMARY KEY, a INT)`, `INSERT INTO ${DB}.ddl_add VALUES (1, 1)`],
    tables: ['ddl_add'],
    stream: [
      `INSERT INTO ${DB}.ddl_add VALUES (2, 2)`,
      `ALTER TABLE ${DB}.ddl_add ADD COLUMN b VARCHAR(10) DEFAULT 'dflt'`,
      `ALTER TABLE ${DB}.ddl_add ADD COLUMN z INT FIRST, ADD COLUMN m DECIMAL(5,2) DEFAULT 1.25 AFTER a`,
      `INSERT INTO ${DB}.ddl_add (id, a) VALUES (3, 3)`,
      `UPDATE ${DB}.ddl_add SET b = 'set', z = 9 WHERE id = 1`,
    ],
  },
  {
    name: 'ddl_drop_column',
    description: 'ALTER TABLE DROP COLUMN mid-stream, rows before and after',
    setup: [
      `CREATE TABLE ${DB}.ddl_drop (id INT PRIMARY KEY, a INT, b VARCHAR(10))`,
      `INSERT INTO ${DB}.ddl_drop VALUES (1, 1, 'x')`,
    ],
    tables: ['ddl_drop'],
    stream: [
      `INSERT INTO ${DB}.ddl_drop VALUES (2, 2, 'y')`,
      `ALTER TABLE ${DB}.ddl_drop DROP COLUMN b`,
      `INSERT INTO ${DB}.ddl_drop VALUES (3, 3)`,
      `DELETE FROM ${DB}.ddl_drop WHERE id = 1`,
    ],
  },
  {
    name: 'ddl_modify_column',
    description: 'ALTER TABLE MODIFY (type, nullability) and CHANGE (rename) COLUMN mid-stream',
    setup: [
      `CREATE TABLE ${DB}.ddl_modify (id INT PRIMARY KEY, a INT, b VARCHAR(5))`,
      `INSERT INTO ${DB}.ddl_modify VALUES (1, 1, 'x')`,
    ],
    tables: ['ddl_modify'],
    stream: [
      `ALTER TABLE ${DB}.ddl_modify MODIFY COLUMN a BIGINT NOT NULL DEFAULT 5`,
      `INSERT INTO ${DB}.ddl_modify (id, b) VALUES (2, 'y')`,
      `ALTER TABLE ${DB}.ddl_modify CHANGE COLUMN b b_renamed VARCHAR(20) CHARACTER SET utf8mb4`,
      `INSERT INTO ${DB}.ddl_modify VALUES (3, 3, 'z ✓')`,
      `UPDATE ${DB}.ddl_modify SET b_renamed = 'w' WHERE id = 1`,
    ],
  },
  {
    name: 'ddl_rename_table',
    description: 'RENAME TABLE and ALTER TABLE … RENAME mid-stream: rows go to the new topic',
    tables: ['ren_a', 'ren_b', 'ren_c'],
    setup: [`CREATE TABLE ${DB}.ren_a (id INT PRIMARY KEY, v INT)`, `INSERT INTO ${DB}.ren_a VALUES (1, 1)`],
    stream: [
      `INSERT INTO ${DB}.ren_a VALUES (2, 2)`,
      `RENAME TABLE ${DB}.ren_a TO ${DB}.ren_b`,
      `INSERT INTO ${DB}.ren_b VALUES (3, 3)`,
      `ALTER TABLE ${DB}.ren_b RENAME TO ${DB}.ren_c`,
      `UPDATE ${DB}.ren_c SET v = 10 WHERE id = 1`,
    ],
  },
  {
    name: 'ddl_create_drop_table',
    description:
      'CREATE TABLE mid-stream with types as users write them (JSON, BOOLEAN, SERIAL, defaults), CREATE TABLE … ' +
      'LIKE, DROP TABLE, DROP TABLE IF EXISTS of two tables at once',
    tables: ['created', 'created_like', 'drop_a'],
    setup: [],
    stream: [
      `CREATE TABLE ${DB}.created (id INT PRIMARY KEY, v VARCHAR(10) NOT NULL DEFAULT 'new', d DATETIME(6), ` +
        "j JSON, b BOOLEAN DEFAULT TRUE, u BIGINT UNSIGNED, e ENUM('a','b') DEFAULT 'a', t TIMESTAMP(3) NULL, " +
        "n DECIMAL(8,3) DEFAULT '1.5', i INTEGER(5) ZEROFILL, f FLOAT(7,2), s SERIAL, x TEXT CHARACTER SET utf8mb4, " +
        'r REAL, nm NUMERIC(6,2), bo BOOL, nc NCHAR(3), i8 INT8, de DEC(4,1), dp DOUBLE PRECISION, iu INTEGER UNSIGNED)',
      `INSERT INTO ${DB}.created (id, d, j, u, t, i, f, x) VALUES (1, '2020-01-01 00:00:00.000001', '{"k": [1, 2]}', ` +
        "18446744073709551615, '2020-01-01 00:00:00.5', 4294967295, 12345.67, 'é ✓')",
      `INSERT INTO ${DB}.created (id, r, nm, bo, nc, i8, de, dp, iu) VALUES (2, 1.5, 1234.56, TRUE, 'abc', ` +
        '-9223372036854775808, 123.4, 0.1, 4294967295)',
      `CREATE TABLE ${DB}.created_like LIKE ${DB}.created`,
      `INSERT INTO ${DB}.created_like SELECT * FROM ${DB}.created`,
      `DROP TABLE ${DB}.created`,
      `CREATE TABLE ${DB}.drop_a (id INT PRIMARY KEY)`,
      `DROP TABLE IF EXISTS ${DB}.drop_a, ${DB}.created_like`,
    ],
  },
  {
    name: 'excluded_table',
    description:
      'a table left out by table.exclude.list: no data records, but its DDL is on the schema-change topic (as Debezium keeps it)',
    tables: ['ignored'],
    setup: [`CREATE TABLE ${DB}.ignored (id INT PRIMARY KEY, v INT)`, `INSERT INTO ${DB}.ignored VALUES (1, 1)`],
    stream: [`INSERT INTO ${DB}.ignored VALUES (2, 2)`, `ALTER TABLE ${DB}.ignored ADD COLUMN w INT`],
  },
  {
    name: 'second_database',
    description: 'a second captured database: the snapshot schema changes of both, rows of both',
    database: DB2,
    tables: ['other'],
    setup: [
      `CREATE DATABASE ${DB2} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      `CREATE TABLE ${DB2}.other (id INT PRIMARY KEY, v VARCHAR(10))`,
      `INSERT INTO ${DB2}.other VALUES (1, 'ü')`,
    ],
    stream: [`INSERT INTO ${DB2}.other VALUES (2, 'ß')`, `UPDATE ${DB2}.other SET v = 'x' WHERE id = 1`],
  },
  {
    name: 'control',
    description: 'the sentinel row written last (in every database), by which the suite knows both sides are done',
    setup: [`CREATE TABLE ${DB}.control (id INT PRIMARY KEY, note VARCHAR(20))`],
    stream: [],
  },
  ...failureCases(),
  {
    name: 'incremental_snapshot',
    description: `an incremental snapshot (execute-snapshot from the signal table, ${INCREMENTAL_ROWS} rows in chunks of 10, a composite key and a few types) of a table not in the initial snapshot (snapshot.mode=no_data): the op "r" events with source.snapshot "incremental"`,
    database: INCR_DB,
    tables: ['incr_snap'],
    variants: ['incremental'],
    setup: [
      `CREATE DATABASE ${INCR_DB}`,
      `CREATE TABLE ${INCR_DB}.control (id INT PRIMARY KEY, note VARCHAR(20))`,
      `CREATE TABLE ${INCR_SIGNAL} (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))`,
      `CREATE TABLE ${INCR_DB}.incr_snap (k1 INT, k2 VARCHAR(10), amount DECIMAL(10,2), at DATETIME(6), flag BOOLEAN, b VARBINARY(4), PRIMARY KEY (k1, k2))`,
      `INSERT INTO ${INCR_DB}.incr_snap SELECT seq DIV 2, CONCAT('k', seq MOD 2), seq * 1.25, TIMESTAMP '2024-03-04 05:06:07.123456' + INTERVAL seq MINUTE, seq MOD 3 = 0, UNHEX(HEX(seq)) FROM ${INCR_DB}.seq_1_to_${INCREMENTAL_ROWS}`,
    ],
    stream: [
      `INSERT INTO ${INCR_SIGNAL} VALUES ('conf-incr-1', 'execute-snapshot', '{"data-collections": ["${INCR_DB}.incr_snap"], "type": "incremental"}')`,
    ],
  },
  {
    name: 'blocking_snapshot',
    description: `a blocking snapshot (execute-snapshot "type": "blocking" from the signal table, ${BLOCKING_ROWS} rows chosen by a SELECT in additional-conditions, a few types, then a streamed insert) of a table not in the initial snapshot (snapshot.mode=no_data): the schema changes and op "r" events it writes, their source.snapshot markers, and the streamed event after them`,
    database: BLOCKING_DB,
    tables: ['blk_snap'],
    variants: ['blocking'],
    setup: [
      `CREATE DATABASE ${BLOCKING_DB}`,
      `CREATE TABLE ${BLOCKING_DB}.control (id INT PRIMARY KEY, note VARCHAR(20))`,
      `CREATE TABLE ${BLOCKING_SIGNAL} (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))`,
      `CREATE TABLE ${BLOCKING_DB}.blk_snap (id INT PRIMARY KEY, name VARCHAR(20), amount DECIMAL(10,2), at DATETIME(6), ts TIMESTAMP(3) NULL, note TEXT)`,
      `INSERT INTO ${BLOCKING_DB}.blk_snap SELECT seq, CONCAT('row ', seq), seq * 2.5, TIMESTAMP '2024-03-04 05:06:07.123456' + INTERVAL seq MINUTE, TIMESTAMP '2024-05-06 07:08:09.456' + INTERVAL seq HOUR, IF(seq MOD 4 = 0, NULL, REPEAT('x', seq)) FROM ${BLOCKING_DB}.seq_1_to_${BLOCKING_ROWS + 5}`,
    ],
    stream: [
      // Debezium's blocking snapshot takes a whole SELECT as the filter; the insert after it is not among its rows
      `INSERT INTO ${BLOCKING_SIGNAL} VALUES ('conf-blk-1', 'execute-snapshot', '{"data-collections": ["${BLOCKING_DB}.blk_snap"], "type": "blocking", "additional-conditions": [{"data-collection": "${BLOCKING_DB}.blk_snap", "filter": "SELECT * FROM ${BLOCKING_DB}.blk_snap WHERE id <= ${BLOCKING_ROWS}"}]}')`,
      `INSERT INTO ${BLOCKING_DB}.blk_snap VALUES (${BLOCKING_ROWS + 100}, 'after', 1, '2025-01-02 03:04:05.678901', '2025-01-02 03:04:05.678', 'streamed')`,
    ],
  },
];

/**
 * Cases where Debezium stops with an error, each in a database of its own captured only by its own variant (see
 * suite.ts), so that the other variants run on.
 */
function failureCases(): MySqlCase[] {
  const own = (
    name: string,
    database: string,
    variant: string,
    description: string,
    setup: string[],
    stream: string[],
  ) => ({
    name,
    description,
    database,
    variants: [variant],
    setup: [
      `CREATE DATABASE ${database}`,
      `CREATE TABLE ${database}.control (id INT PRIMARY KEY, note VARCHAR(20))`,
      ...setup,
    ],
    stream,
  });
  return [
    own(
      'year_zero_snapshot',
      FAIL_DBS.yearZero,
      'fail-year-zero-snapshot',
      'YEAR 0000 in the snapshot: Debezium 3.5 fails reading it (inside mariadb-java-client); sluice writes 0',
      [
        `CREATE TABLE ${FAIL_DBS.yearZero}.year_zero_snapshot (id INT PRIMARY KEY, c_year YEAR, c_year_nn YEAR NOT NULL)`,
        `INSERT INTO ${FAIL_DBS.yearZero}.year_zero_snapshot VALUES (1, 0, 0), (2, 2000, 2000)`,
      ],
      [`INSERT INTO ${FAIL_DBS.yearZero}.year_zero_snapshot VALUES (3, 0, 2001)`],
    ),
    own(
      'time_connect_range',
      FAIL_DBS.timeConnect,
      'fail-time-connect',
      "TIME 25:00:00 in a NOT NULL column under time.precision.mode=connect (Connect's Time holds one day): both fail",
      [
        `CREATE TABLE ${FAIL_DBS.timeConnect}.time_connect_range (id INT PRIMARY KEY, c_t TIME NOT NULL)`,
        `INSERT INTO ${FAIL_DBS.timeConnect}.time_connect_range VALUES (1, '25:00:00')`,
      ],
      [],
    ),
    own(
      'invalid_date_stream',
      FAIL_DBS.invalidDate,
      'fail-invalid-date',
      'an invalid date (2021-02-30, with sql_mode ALLOW_INVALID_DATES) written while streaming: both fail',
      [
        `CREATE TABLE ${FAIL_DBS.invalidDate}.invalid_date_stream (id INT PRIMARY KEY, d DATE)`,
        `INSERT INTO ${FAIL_DBS.invalidDate}.invalid_date_stream VALUES (1, '2021-02-28')`,
      ],
      [`INSERT INTO ${FAIL_DBS.invalidDate}.invalid_date_stream VALUES (2, '2021-02-30')`],
    ),
    own(
      'invalid_date_warn',
      FAIL_DBS.invalidDateWarn,
      'invalid-date-warn',
      'the same invalid date under event.processing.failure.handling.mode=warn: both write the epoch (1970-01-01), log it and go on',
      [
        `CREATE TABLE ${FAIL_DBS.invalidDateWarn}.invalid_date_warn (id INT PRIMARY KEY, d DATE)`,
        `INSERT INTO ${FAIL_DBS.invalidDateWarn}.invalid_date_warn VALUES (1, '2021-02-28')`,
      ],
      [
        `INSERT INTO ${FAIL_DBS.invalidDateWarn}.invalid_date_warn VALUES (2, '2021-02-30'), (3, '2021-03-01')`,
        `INSERT INTO ${FAIL_DBS.invalidDateWarn}.invalid_date_warn VALUES (4, '2021-03-02')`,
      ],
    ),
    own(
      'invalid_date_skip',
      FAIL_DBS.invalidDateSkip,
      'invalid-date-skip',
      'the same invalid date under event.processing.failure.handling.mode=skip',
      [
        `CREATE TABLE ${FAIL_DBS.invalidDateSkip}.invalid_date_skip (id INT PRIMARY KEY, d DATE, dt DATETIME)`,
        `INSERT INTO ${FAIL_DBS.invalidDateSkip}.invalid_date_skip VALUES (1, '2021-02-28', '2021-02-28 10:00:00')`,
      ],
      [
        `INSERT INTO ${FAIL_DBS.invalidDateSkip}.invalid_date_skip VALUES (2, '2021-02-30', '2021-04-31 10:00:00'), (3, '2021-03-01', NULL)`,
        `INSERT INTO ${FAIL_DBS.invalidDateSkip}.invalid_date_skip VALUES (4, '2021-03-02', '2021-03-02 00:00:00')`,
      ],
    ),
    own(
      'invalid_date_snapshot',
      FAIL_DBS.invalidDateSnapshot,
      'invalid-date-snapshot',
      'invalid dates (2021-02-30, 2021-04-31) read by the snapshot: both read them leniently, as 2021-03-02 and 2021-05-01',
      [
        `CREATE TABLE ${FAIL_DBS.invalidDateSnapshot}.invalid_date_snapshot (id INT PRIMARY KEY, d DATE, dt DATETIME)`,
        `INSERT INTO ${FAIL_DBS.invalidDateSnapshot}.invalid_date_snapshot VALUES (1, '2021-02-30', '2021-04-31 10:00:00')`,
      ],
      [],
    ),
  ];
}

/** Written last, in every database: every record before it in the binlog has been emitted once its record is. */
export function sentinels(): { database: string; sql: string }[] {
  return [DB, ...Object.values(FAIL_DBS), INCR_DB, BLOCKING_DB].map((d) => ({
    database: d,
    sql: `INSERT INTO ${d}.control VALUES (1, 'done')`,
  }));
}

/**
 * Databases on a second server: an invalid date in the binlog fails every Debezium reading that binlog (it decodes
 * the rows of every table before filtering), so those cases cannot share a server with the others.
 */
export const SECOND_SERVER_DBS: ReadonlySet<string> = new Set([
  FAIL_DBS.invalidDate,
  FAIL_DBS.invalidDateWarn,
  FAIL_DBS.invalidDateSkip,
]);
