import type { MariaDb } from '../../harness/mariadb.js';

/** How the sink tests compare a source table with its copy: one canonical text per value, from a query on each side. */

// [column, PostgreSQL expression, MariaDB expression]: one canonical text for both sides.
export const PG_TO_MY: ReadonlyArray<readonly [string, string, string]> = [
  ['id', 'id::text', 'CAST(id AS CHAR)'],
  ['c_smallint', 'c_smallint::text', 'CAST(c_smallint AS CHAR)'],
  ['c_int', 'c_int::text', 'CAST(c_int AS CHAR)'],
  ['c_bigint', 'c_bigint::text', 'CAST(c_bigint AS CHAR)'],
  ['c_numeric', 'c_numeric::text', 'CAST(c_numeric AS CHAR)'],
  ['c_numeric_var', 'c_numeric_var::text', 'CAST(c_numeric_var AS CHAR)'],
  ['c_real', 'c_real::text', 'CAST(c_real AS CHAR)'],
  ['c_double', "replace(c_double::text, 'e+', 'e')", 'CAST(c_double AS CHAR)'],
  ['c_bool', 'c_bool::int::text', 'CAST(c_bool AS CHAR)'],
  ['c_text', 'c_text', 'c_text'],
  ['c_varchar', 'c_varchar', 'c_varchar'],
  ['c_char', 'c_char', 'c_char'],
  ['c_bytea', "encode(c_bytea, 'hex')", 'LOWER(HEX(c_bytea))'],
  ['c_date', 'c_date::text', 'CAST(c_date AS CHAR)'],
  ['c_time', 'c_time::text', 'CAST(c_time AS CHAR)'],
  ['c_time3', 'c_time3::text', 'CAST(c_time3 AS CHAR)'],
  ['c_timetz', "(c_timetz AT TIME ZONE 'UTC')::time::text", 'CAST(c_timetz AS CHAR)'],
  ['c_ts', 'c_ts::text', 'CAST(c_ts AS CHAR)'],
  ['c_ts3', 'c_ts3::text', 'CAST(c_ts3 AS CHAR)'],
  ['c_tstz', "(c_tstz AT TIME ZONE 'UTC')::text", 'CAST(c_tstz AS CHAR)'],
  ['c_interval', 'c_interval::text', 'c_interval'],
  ['c_uuid', 'c_uuid::text', 'c_uuid'],
  ['c_json', 'c_json::text', "CONCAT('', c_json)"],
  ['c_jsonb', 'c_jsonb::text', "CONCAT('', c_jsonb)"],
  ['c_int_arr', 'array_to_json(c_int_arr)::text', "CONCAT('', c_int_arr)"],
  ['c_text_arr', 'array_to_json(c_text_arr)::text', "CONCAT('', c_text_arr)"],
  ['c_enum', 'c_enum::text', 'CAST(c_enum AS CHAR)'],
  ['c_domain', 'c_domain::text', 'CAST(c_domain AS CHAR)'],
  ['c_tstz_whole', "(c_tstz_whole AT TIME ZONE 'UTC')::text", 'CAST(c_tstz_whole AS CHAR)'],
  ['c_tstz3', "(c_tstz3 AT TIME ZONE 'UTC')::text", 'CAST(c_tstz3 AS CHAR)'],
  ['c_numeric_trail', 'c_numeric_trail::text', 'CAST(c_numeric_trail AS CHAR)'],
];

/** The MariaDB corpus (MariaDB expression, PostgreSQL expression) without tm and tm0, whose values PostgreSQL's time cannot hold. */
export const MY_TO_PG: ReadonlyArray<readonly [string, string, string]> = [
  ['id', 'CAST(id AS CHAR)', 'id::text'],
  ['b', 'CAST(b AS CHAR)', 'b::text'],
  ['ti', 'CAST(ti AS CHAR)', 'ti::text'],
  ['tiu', 'CAST(tiu AS CHAR)', 'tiu::text'],
  ['si', 'CAST(si AS CHAR)', 'si::text'],
  ['siu', 'CAST(siu AS CHAR)', 'siu::text'],
  ['mi', 'CAST(mi AS CHAR)', 'mi::text'],
  ['miu', 'CAST(miu AS CHAR)', 'miu::text'],
  ['i', 'CAST(i AS CHAR)', 'i::text'],
  ['iu', 'CAST(iu AS CHAR)', 'iu::text'],
  ['bi', 'CAST(bi AS CHAR)', 'bi::text'],
  ['biu', 'CAST(biu AS CHAR)', 'biu::text'],
  ['d', 'CAST(d AS CHAR)', 'd::text'],
  ['f', 'CAST(f AS CHAR)', 'f::text'],
  ['db', 'CAST(db AS CHAR)', 'db::text'],
  ['bt1', 'CAST(bt1 + 0 AS CHAR)', 'bt1::int::text'],
  ['bt', 'BIN(bt)', "ltrim(bt::text, '0')"],
  ['dt', 'CAST(dt AS CHAR)', 'dt::text'],
  ['dtm', 'CAST(dtm AS CHAR)', 'dtm::text'],
  ['dtm3', 'CAST(dtm3 AS CHAR)', 'dtm3::text'],
  ['ts', 'CAST(ts AS CHAR)', "(ts AT TIME ZONE 'UTC')::text"],
  ['ts0', 'CAST(ts0 AS CHAR)', "(ts0 AT TIME ZONE 'UTC')::text"],
  ['y', 'CAST(y AS CHAR)', 'y::text'],
  ['c', 'c', 'c'],
  ['vc', 'vc', 'vc'],
  ['l1', 'l1', 'l1'],
  ['tx', 'tx', 'tx'],
  ['bn', 'LOWER(HEX(bn))', "encode(bn, 'hex')"],
  ['vb', 'LOWER(HEX(vb))', "encode(vb, 'hex')"],
  ['bl', 'LOWER(HEX(bl))', "encode(bl, 'hex')"],
  ['e', 'CAST(e AS CHAR)', 'e'],
  ['st', 'CAST(st AS CHAR)', 'st'],
  ['j', "CONCAT('', j)", 'j::text'],
  // No PostGIS in the target: the geometry keeps its WKB in a bytea column.
  ['g', 'LOWER(HEX(ST_AsBinary(g)))', "encode(g, 'hex')"],
  ['p', "CONCAT('(', ST_X(p), ',', ST_Y(p), ')')", 'p::text'],
  // Debezium turns MySQL's zero dates into null.
  ['zd', "NULLIF(CAST(zd AS CHAR), '0000-00-00')", 'zd::text'],
  ['zdt', "NULLIF(CAST(zdt AS CHAR), '0000-00-00 00:00:00')", 'zdt::text'],
];

/** Rows of a MariaDB query, in UTC. */
export async function myRows(maria: MariaDb, db: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = await maria.connect(db);
  try {
    await c.query("SET time_zone = '+00:00'");
    return (await c.query(sql))[0] as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}

const TIME_LIKE = /^(\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\.\d+$/;

/**
 * Values as text for a comparison that ignores the drivers' types; decimals (the listed columns) and fractional
 * seconds without trailing zeros, since MariaDB writes `05.000000` where PostgreSQL writes `05`.
 */
export function canonical(
  rows: Record<string, unknown>[],
  decimals: readonly string[] = [],
): Record<string, string | null>[] {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => {
        if (v === null || v === undefined) return [k, null];
        let t = Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'object' ? JSON.stringify(v) : String(v);
        if ((decimals.includes(k) && t.includes('.')) || TIME_LIKE.test(t)) t = t.replace(/0+$/, '').replace(/\.$/, '');
        return [k, t];
      }),
    ),
  );
}
