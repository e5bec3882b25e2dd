import pg from 'pg';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from './embedded-postgres.js';

/** Where the demo's sample table lives: a throwaway embedded server, or the user's DATABASE_URL. */
export interface DemoDatabase {
  /** the connector's `database.*` keys */
  readonly connector: Record<string, string>;
  /** a psql-style URL for the user (password shown only for the throwaway server) */
  readonly display: string;
  /** the embedded server's temp dir, when there is one */
  readonly dir?: string;
  /** the embedded server started from the cached initdb (see embedded-postgres.ts) */
  readonly fromTemplate?: boolean;
  client(): Promise<pg.Client>;
  /** stops and removes what the demo created */
  close(): Promise<void>;
}

export async function embeddedDatabase(onLog?: (line: string) => void): Promise<DemoDatabase> {
  const server: EmbeddedPostgresServer = await startEmbeddedPostgres({ onLog });
  const { host, port, user, password, database } = server;
  return {
    connector: {
      'database.hostname': host,
      'database.port': String(port),
      'database.user': user,
      'database.password': password,
      'database.dbname': database,
    },
    display: `postgresql://${user}:${password}@${host}:${port}/${database}`,
    dir: server.dir,
    fromTemplate: server.fromTemplate,
    async client() {
      return connected(new pg.Client({ host, port, user, password, database }));
    },
    close: () => server.stop(),
  };
}

/** The user's server: the demo creates its schema there and drops it (and its slot and publication) at the end. */
export function externalDatabase(url: string, cleanup: (c: pg.Client) => Promise<void>): DemoDatabase {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('DATABASE_URL is not a URL (expected postgresql://user:password@host:port/database)');
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:')
    throw new Error(`DATABASE_URL must be a postgresql:// URL, not ${u.protocol}`);
  const sslmode = u.searchParams.get('sslmode');
  const connector: Record<string, string> = {
    'database.hostname': u.hostname,
    'database.port': u.port || '5432',
    'database.user': decodeURIComponent(u.username) || 'postgres',
    'database.dbname': decodeURIComponent(u.pathname.slice(1)) || 'postgres',
  };
  if (u.password) connector['database.password'] = decodeURIComponent(u.password);
  if (sslmode) connector['database.sslmode'] = sslmode;
  const masked = new URL(url);
  if (masked.password) masked.password = '***';
  const client = async () => {
    return connected(new pg.Client({ connectionString: url }));
  };
  return {
    connector,
    display: masked.toString(),
    client,
    async close() {
      const c = await client();
      try {
        await cleanup(c);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A server that goes away (Ctrl-C reaches the embedded server too) emits 'error' on idle clients, which would
 * crash the process before the demo cleans up; the failed query, if any, still rejects.
 */
async function connected(c: pg.Client): Promise<pg.Client> {
  c.on('error', () => undefined);
  await c.connect();
  return c;
}
