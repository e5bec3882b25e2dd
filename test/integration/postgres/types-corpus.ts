/**
 * The PostgreSQL type corpus: one table with a column of every type the source maps, and a row of edge values.
 * The source's type-matrix test checks what Debezium's events say about it; the JDBC sink tests write it back.
 */

export const MATRIX_DDL = `
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
    CREATE TABLE matrix (
      id integer PRIMARY KEY,
      c_smallint smallint, c_int integer, c_bigint bigint NOT NULL,
      c_numeric numeric(30, 5), c_numeric_var numeric, c_real real, c_double double precision,
      c_bool boolean, c_text text, c_varchar varchar(10), c_char char(5), c_bytea bytea,
      c_date date, c_date_inf date, c_time time, c_time3 time(3), c_timetz timetz,
      c_ts timestamp, c_ts3 timestamp(3), c_ts_inf timestamp, c_tstz timestamptz, c_tstz_ninf timestamptz,
      c_interval interval, c_uuid uuid, c_json json, c_jsonb jsonb,
      c_int_arr integer[], c_text_arr text[], c_enum mood, c_domain posint,
      c_tstz_whole timestamptz, c_tstz3 timestamptz(3), c_numeric_trail numeric
    )`;

/** The row with id 1; the tests insert it again with other ids (`MATRIX_ROW.replace('(\\n  1,', …)`). */
export const MATRIX_ROW = `INSERT INTO matrix VALUES (
  1, 32767, -2147483648, 9223372036854775807,
  1234567890123456789012345.12345, 3.14159, 1.5, 1.7976931348623157e308,
  true, 'héllo "q"', 'abc', 'ab', '\\x00ff10',
  '2024-02-29', 'infinity', '23:59:59.999999', '12:00:00.123', '10:11:12.123456+02',
  '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123', 'infinity', '2024-01-02 03:04:05.123456+02', '-infinity',
  '1 year 2 months 3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a":  1}', '{"b": [1, 2], "a": 1}',
  '{1,NULL,3}', '{"a b",c}', 'ok', 5,
  '2024-01-02 03:04:05+02', '2024-01-02 03:04:05.1+00', 12.500)`;
