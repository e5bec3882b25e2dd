import type { MariaDb } from '../../harness/mariadb.js';
import type { PostgresServer } from '../../harness/postgres.js';

/** A target database of the sink tests, with what the tests need of it: its sink keys and a query. */
export interface Target {
  readonly name: 'postgresql' | 'mariadb';
  /** connection.* keys (and the usual upsert/record_key/basic settings) for a database of the server */
  config(extra?: Record<string, string>): Record<string, string>;
  /** rows of a query on the target database, values as the driver gives them */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** statements on the target database */
  exec(sql: string): Promise<void>;
  /** a quoted identifier */
  q(name: string): string;
  restart(): Promise<void>;
}

const DB = 'sinktest';

export async function pgTarget(pg: PostgresServer): Promise<Target> {
  await pg.sql(`CREATE DATABASE ${DB}`);
  const withClient = async <T>(f: (c: Awaited<ReturnType<PostgresServer['client']>>) => Promise<T>) => {
    const c = await pg.client(DB);
    try {
      return await f(c);
    } finally {
      await c.end();
    }
  };
  return {
    name: 'postgresql',
    config: (extra = {}) => ({
      'connection.url': `jdbc:postgresql://127.0.0.1:${pg.port}/${DB}`,
      'connection.username': pg.user,
      'connection.password': pg.password,
      'insert.mode': 'upsert',
      'primary.key.mode': 'record_key',
      'delete.enabled': 'true',
      'schema.evolution': 'basic',
      ...extra,
    }),
    rows: (sql) => withClient(async (c) => (await c.query(sql)).rows),
    exec: (sql) => withClient(async (c) => void (await c.query(sql))),
    q: (n) => `"${n}"`,
    restart: () => pg.restart(),
  };
}

export async function mariaTarget(db: MariaDb): Promise<Target> {
  await db.exec(`CREATE DATABASE ${DB}`);
  const withConn = async <T>(f: (c: Awaited<ReturnType<MariaDb['connect']>>) => Promise<T>) => {
    const c = await db.connect(DB);
    c.on('error', () => undefined);
    try {
      return await f(c);
    } finally {
      await c.end();
    }
  };
  return {
    name: 'mariadb',
    config: (extra = {}) => ({
      'connection.url': `jdbc:mariadb://127.0.0.1:${db.port}/${DB}`,
      'connection.username': 'root',
      'connection.password': '',
      'insert.mode': 'upsert',
      'primary.key.mode': 'record_key',
      'delete.enabled': 'true',
      'schema.evolution': 'basic',
      ...extra,
    }),
    rows: (sql) => withConn(async (c) => (await c.query(sql))[0] as Record<string, unknown>[]),
    exec: (sql) => withConn(async (c) => void (await c.query(sql))),
    q: (n) => `\`${n}\``,
    restart: () => db.restart(),
  };
}
