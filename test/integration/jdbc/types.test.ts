import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../../runtime/api/index.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { TaskDriver as MysqlDriver } from '../mysql/task-driver.js';
import { TYPES_ROW, TYPES_TABLE } from '../mysql/types-corpus.js';
import { TaskDriver as PgDriver } from '../postgres/task-driver.js';
import { MATRIX_DDL, MATRIX_ROW } from '../postgres/types-corpus.js';
import { SinkDriver } from './sink-driver.js';

/**
 * The source tests' type corpora written through the JDBC sink into the other database (and PostgreSQL into
 * PostgreSQL), then read back with a query on both sides: every value must come back as the source holds it.
 */

const missing = mariaDbAvailable();
if (missing && process.env.CI) throw new Error(missing);

let pg: PostgresServer;
let maria: MariaDb;
const pgRecords: ChangeRecord[] = [];
const myRecords: ChangeRecord[] = [];

/** A row of the corpus with every nullable column NULL (c_bigint is NOT NULL). */
const PG_NULL_ROW = 'INSERT INTO matrix (id, c_bigint) VALUES (3, 0)';
const MY_NULL_ROW = 'INSERT INTO ty.types (id) VALUES (3)';

beforeAll(async () => {
  [pg, maria] = await Promise.all([startPostgres(), missing ? Promise.resolve(undefined as never) : startMariaDb()]);
  await pg.sql(
    `${MATRIX_DDL}; ${MATRIX_ROW}; ${MATRIX_ROW.replace('(\n  1,', '(\n  2,').replace("'ok'", "'happy'")}; ${PG_NULL_ROW}`,
  );
  await pg.sql('CREATE DATABASE target');
  const d = new PgDriver({
    ...pg.connectorConfig(),
    'topic.prefix': 'srv',
    'table.include.list': 'public\\.matrix',
    'interval.handling.mode': 'string',
    'snapshot.mode': 'initial_only',
  });
  await d.start();
  try {
    pgRecords.push(...(await d.pollUntil((r) => r.length >= 3)));
  } finally {
    await d.stop();
  }
  if (missing) return;
  await maria.exec(
    `SET SESSION sql_mode = ''; SET SESSION time_zone = '+00:00'; CREATE DATABASE ty; ${TYPES_TABLE}; ${TYPES_ROW(1)}; ${TYPES_ROW(2)}; ${MY_NULL_ROW}; CREATE DATABASE target`,
  );
  const m = new MysqlDriver(maria, {
    'include.schema.changes': 'false',
    'bigint.unsigned.handling.mode': 'precise',
    'snapshot.mode': 'initial_only',
  });
  await m.start();
  try {
    await m.pollUntil((all) => all.filter((r) => r.topic === 'srv.ty.types').length >= 3);
    myRecords.push(...m.records.filter((r) => r.topic === 'srv.ty.types'));
  } finally {
    await m.stop();
  }
}, 180_000);

afterAll(async () => {
  await Promise.all([pg?.stop(), maria?.stop()]);
});

const pgUrl = (db: string) => `jdbc:postgresql://127.0.0.1:${pg.port}/${db}`;
const myUrl = (db: string) => `jdbc:mariadb://127.0.0.1:${maria.port}/${db}`;

function sinkConfig(url: string, extra: Record<string, string> = {}): Record<string, string> {
  const isPg = url.startsWith('jdbc:postgresql');
  return {
    'connection.url': url,
    'connection.username': isPg ? pg.user : 'root',
    'connection.password': isPg ? pg.password : '',
    'insert.mode': 'upsert',
    'primary.key.mode': 'record_key',
    'delete.enabled': 'true',
    'schema.evolution': 'basic',
    ...extra,
  };
}

/** Writes records twice (the second pass is redelivery: it must change nothing) through a fresh task. */
async function writeAll(config: Record<string, string>, records: readonly ChangeRecord[]): Promise<void> {
  const s = new SinkDriver(config);
  await s.start();
  try {
    await s.put(records);
    await s.put(records);
  } finally {
    await s.stop();
  }
}

async function myRows(db: string, sql: string): Promise<Record<string, unknown>[]> {
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
function canonical(rows: Record<string, unknown>[], decimals: readonly string[] = []): Record<string, string | null>[] {
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

describe('JDBC sink: type corpora written back', () => {
  it('PostgreSQL → PostgreSQL: every column of the type matrix, infinities included, reads back as in the source', async () => {
    await writeAll(sinkConfig(pgUrl('target')), pgRecords);
    const cols = (
      await pg.sql<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'matrix' ORDER BY ordinal_position",
      )
    ).map((c) => c.column_name);
    // Debezium's ZonedTime is in UTC: the source's +02 offset is not in the event, the instant is.
    // char(n) keeps its padding only uncast (::text strips it), and the padded value is what the event carries.
    const expr = (c: string) =>
      c === 'c_timetz' ? `(${c} AT TIME ZONE 'UTC')::text AS ${c}` : c === 'c_char' ? c : `${c}::text AS ${c}`;
    const select = (table: string) =>
      `SET intervalstyle = 'iso_8601'; SELECT ${cols.map(expr).join(', ')} FROM ${table} ORDER BY id`;
    const source = await pg.sql(select('matrix'));
    const c = await pg.client('target');
    try {
      const target = (
        (await c.query(select('srv_public_matrix'))) as unknown as { rows: Record<string, unknown>[] }[]
      )[1].rows;
      const decimals = ['c_numeric_var', 'c_numeric_trail'];
      expect(canonical(target, decimals)).toEqual(canonical(source, decimals));
      expect(target).toHaveLength(3);
      const types = await c.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'srv_public_matrix' AND column_name IN ('c_bigint', 'c_numeric', 'c_ts', 'c_tstz', 'c_int_arr', 'c_json', 'c_uuid')",
      );
      expect(Object.fromEntries(types.rows.map((r) => [r.column_name, r.data_type]))).toEqual({
        c_bigint: 'bigint',
        c_numeric: 'numeric',
        c_ts: 'timestamp without time zone',
        c_tstz: 'timestamp with time zone',
        c_int_arr: 'ARRAY',
        c_json: 'json',
        c_uuid: 'uuid',
      });
    } finally {
      await c.end();
    }
  });

  it.runIf(!missing)('PostgreSQL → MariaDB: every value MariaDB can hold reads back as in the source', async () => {
    const excluded = ['c_date_inf', 'c_ts_inf', 'c_tstz_ninf'];
    await writeAll(sinkConfig(myUrl('target'), { 'field.exclude.list': excluded.join(',') }), pgRecords);
    // [column, PostgreSQL expression, MariaDB expression]: one canonical text for both sides.
    const pairs: Array<[string, string, string]> = [
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
    const source = await pg.sql(
      `SET intervalstyle = 'iso_8601'; SELECT ${pairs.map(([c, e]) => `${e} AS ${c}`).join(', ')} FROM matrix ORDER BY id`,
    );
    const target = await myRows(
      'target',
      `SELECT ${pairs.map(([c, , e]) => `${e} AS ${c}`).join(', ')} FROM srv_public_matrix ORDER BY id`,
    );
    const decimals = ['c_numeric_var', 'c_numeric_trail'];
    expect(canonical(target, decimals)).toEqual(canonical(source, decimals));
    // The excluded infinities are values MariaDB cannot hold: without the exclusion the record fails, naming them.
    const s = new SinkDriver(sinkConfig(myUrl('target'), { 'collection.name.format': 'inf_${topic}' }));
    await s.start();
    try {
      await expect(s.put(pgRecords.slice(0, 1))).rejects.toThrow(
        /topic srv\.public\.matrix, position \{.*\}, table inf_srv_public_matrix\): column c_date_inf: infinity is outside MySQL's DATE range/,
      );
    } finally {
      await s.stop();
    }
  });

  it.runIf(!missing)('MariaDB → PostgreSQL: every value PostgreSQL can hold reads back as in the source', async () => {
    await writeAll(sinkConfig(pgUrl('target'), { 'field.exclude.list': 'tm,tm0' }), myRecords);
    const pairs: Array<[string, string, string]> = [
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
    const source = await myRows(
      'ty',
      `SELECT ${pairs.map(([c, e]) => `${e} AS ${c}`).join(', ')} FROM types ORDER BY id`,
    );
    const c = await pg.client('target');
    try {
      const target = (await c.query(
        `SET TimeZone = 'UTC'; SELECT ${pairs.map(([col, , e]) => `${e} AS ${col}`).join(', ')} FROM srv_ty_types ORDER BY id`,
      )) as unknown as { rows: Record<string, unknown>[] }[];
      expect(canonical(target[1].rows)).toEqual(canonical(source));
    } finally {
      await c.end();
    }
    // TIME values beyond a day (MySQL's TIME is a duration) do not fit PostgreSQL's time: the record fails naming the column.
    const s = new SinkDriver(sinkConfig(pgUrl('target'), { 'collection.name.format': 'times_${topic}' }));
    await s.start();
    try {
      await expect(s.put(myRecords.slice(0, 1))).rejects.toThrow(
        /table times_srv_ty_types\): column tm: -12:34:56\.789012 is outside PostgreSQL's time range/,
      );
    } finally {
      await s.stop();
    }
  });
});
