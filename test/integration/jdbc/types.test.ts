import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../../runtime/api/index.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { TaskDriver as MysqlDriver } from '../mysql/task-driver.js';
import { TYPES_ROW, TYPES_TABLE } from '../mysql/types-corpus.js';
import { TaskDriver as PgDriver } from '../postgres/task-driver.js';
import { MATRIX_DDL, MATRIX_ROW } from '../postgres/types-corpus.js';
import { canonical, MY_TO_PG, myRows, PG_TO_MY } from './compare.js';
import { SinkDriver } from './driver.js';

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

  it('PostgreSQL → PostgreSQL without the array columns: the rows go through one unnest statement and read back as in the source', async () => {
    // Array columns keep the VALUES statement; without them every column's type is one the sink writes through
    // `INSERT … SELECT * FROM unnest($1::…[], …)` (PostgresDialect.unnestRows), the put's rows in one statement.
    const excluded = ['c_int_arr', 'c_text_arr'];
    await writeAll(
      sinkConfig(pgUrl('target'), {
        'field.exclude.list': excluded.join(','),
        'collection.name.format': 'unnest_matrix',
      }),
      pgRecords,
    );
    const cols = (
      await pg.sql<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'matrix' ORDER BY ordinal_position",
      )
    )
      .map((c) => c.column_name)
      .filter((c) => !excluded.includes(c));
    const expr = (c: string) =>
      c === 'c_timetz' ? `(${c} AT TIME ZONE 'UTC')::text AS ${c}` : c === 'c_char' ? c : `${c}::text AS ${c}`;
    const select = (table: string) =>
      `SET intervalstyle = 'iso_8601'; SELECT ${cols.map(expr).join(', ')} FROM ${table} ORDER BY id`;
    const source = await pg.sql(select('matrix'));
    const c = await pg.client('target');
    try {
      const target = ((await c.query(select('unnest_matrix'))) as unknown as { rows: Record<string, unknown>[] }[])[1]
        .rows;
      const decimals = ['c_numeric_var', 'c_numeric_trail'];
      expect(target).toHaveLength(3);
      expect(canonical(target, decimals)).toEqual(canonical(source, decimals));
      // The unnest statement was the one used (prepared under its name on the sink's connection, so it cannot be
      // seen from here): the target's columns are all of the plain types it takes.
      const udts = await c.query(
        "SELECT DISTINCT udt_name FROM information_schema.columns WHERE table_name = 'unnest_matrix' ORDER BY 1",
      );
      expect(udts.rows.map((r) => r.udt_name)).not.toContain('_int4');
    } finally {
      await c.end();
    }
  });

  it.runIf(!missing)('PostgreSQL → MariaDB: every value MariaDB can hold reads back as in the source', async () => {
    const excluded = ['c_date_inf', 'c_ts_inf', 'c_tstz_ninf'];
    await writeAll(sinkConfig(myUrl('target'), { 'field.exclude.list': excluded.join(',') }), pgRecords);
    const pairs = PG_TO_MY;
    const source = await pg.sql(
      `SET intervalstyle = 'iso_8601'; SELECT ${pairs.map(([c, e]) => `${e} AS ${c}`).join(', ')} FROM matrix ORDER BY id`,
    );
    const target = await myRows(
      maria,
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
    const pairs = MY_TO_PG;
    const source = await myRows(
      maria,
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
