/**
 * The MySQL/MariaDB type corpus: a table `ty.types` with a column of every type the source maps, and a row of
 * edge values per id. The source's type test checks Debezium's events for it; the JDBC sink tests write it back.
 */

export const TYPES_TABLE = `CREATE TABLE ty.types (
  id INT PRIMARY KEY,
  b BOOLEAN, ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
  i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
  d DECIMAL(30,10), f FLOAT, db DOUBLE, bt1 BIT(1), bt BIT(12),
  dt DATE, tm TIME(6), tm0 TIME, dtm DATETIME(6), dtm3 DATETIME(3), ts TIMESTAMP(6) NULL, ts0 TIMESTAMP NULL, y YEAR,
  c CHAR(5), vc VARCHAR(20), l1 VARCHAR(10) CHARACTER SET latin1, tx TEXT, bn BINARY(4), vb VARBINARY(10), bl BLOB,
  e ENUM('red','green'), st SET('a','b','c'), j JSON, g GEOMETRY, p POINT, zd DATE NULL, zdt DATETIME NULL
) DEFAULT CHARSET=utf8mb4`;

export const TYPES_ROW = (id: number) => `INSERT INTO ty.types VALUES (${id},
  TRUE, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,
  '12345678901234567890.0123456789', 1.5, 2.25, b'1', b'101000000011',
  '2024-02-29', '-12:34:56.789012', '838:59:59', '2024-02-29 23:59:59.999999', '1969-12-31 23:59:59.500',
  '2024-02-29 12:00:00.000001', '2038-01-19 03:14:07', 2024,
  'ab', 'héllo wörld ✓', 'café', 'text 😀', X'0102', X'00FF', X'DEADBEEF',
  'green', 'c,a', '{"k": [1, 2.5, "x"]}', ST_GeomFromText('LINESTRING(0 0, 1 1)'), ST_GeomFromText('POINT(1 2)'),
  '0000-00-00', '0000-00-00 00:00:00')`;
