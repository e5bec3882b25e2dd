import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './ports.js';

/**
 * A private MariaDB server (Debian's mariadb-server, installed by scripts/install-mariadb.sh) in a temp datadir
 * on a free port, with the binlog settings a CDC source needs. Root has no password and is reachable over TCP.
 */
export interface MariaDb {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly datadir: string;
  /** A new utf8mb4 connection as root (the caller closes it). */
  connect(database?: string): Promise<mysql.Connection>;
  /** Runs statements on a shared root connection. */
  exec(sql: string, values?: unknown[]): Promise<unknown>;
  /** Stops the server (SIGTERM) and starts it again on the same datadir and port. */
  restart(): Promise<void>;
  /** Shuts the server down (SIGTERM, a clean shutdown; `kill`: SIGKILL, a crash), keeping its data directory. */
  stopServer(how?: 'shutdown' | 'kill'): Promise<void>;
  /** Starts the stopped server again on the same port and data directory; resolves once it accepts connections. */
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface MariaDbOptions {
  /** extra mariadbd flags, e.g. `--binlog-format=STATEMENT` for error tests; replace defaults of the same name */
  args?: string[];
  /** omit `--log-bin` (for the binlog-off error test) */
  noBinlog?: boolean;
}

function findBinary(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name} || ls /usr/sbin/${name} 2>/dev/null`], { encoding: 'utf8' });
  const out = r.stdout.trim().split('\n')[0];
  return out ? out : undefined;
}

export function mariaDbAvailable(): string | undefined {
  if (!findBinary('mariadbd')) return 'mariadbd not found: run scripts/install-mariadb.sh (as root)';
  if (!findBinary('mariadb-install-db')) return 'mariadb-install-db not found: run scripts/install-mariadb.sh';
  return undefined;
}

export async function startMariaDb(options: MariaDbOptions = {}): Promise<MariaDb> {
  const missing = mariaDbAvailable();
  if (missing) throw new Error(missing);
  const root = mkdtempSync(join(tmpdir(), 'sluice-mariadb-'));
  const datadir = join(root, 'data');
  const socket = join(root, 'mysqld.sock');
  const asRoot = process.getuid?.() === 0;
  chmodSync(root, 0o777);
  // A temp dir of its own and no my.cnf: with Debian's defaults (tmpdir=/tmp) parallel bootstraps on a busy
  // machine failed now and then removing their temporary tables ("Could not remove temporary table
  // '/tmp/#sql-temptable-…', error: 2", then "Unknown table 'mysql.tmp_proxies_priv'").
  const tmp = join(root, 'tmp');
  mkdirSync(tmp);
  chmodSync(tmp, 0o777);
  const install = spawnSync(
    findBinary('mariadb-install-db') as string,
    [
      '--no-defaults',
      ...(asRoot ? ['--user=mysql'] : []),
      `--datadir=${datadir}`,
      `--tmpdir=${tmp}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}${install.stdout}`);
  const port = await freePort();
  const defaults: Record<string, string | null> = {
    '--log-bin': options.noBinlog ? null : join(datadir, 'binlog'),
    '--server-id': '1',
    '--binlog-format': 'ROW',
    '--binlog-row-metadata': 'FULL',
    '--innodb-buffer-pool-size': '64M',
    '--innodb-log-file-size': '48M',
    '--max-connections': '60',
  };
  for (const a of options.args ?? []) {
    const [k, v] = a.split('=');
    defaults[k] = v ?? '';
  }
  const flags = Object.entries(defaults)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`));
  const daemonArgs = [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--tmpdir=${tmp}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${socket}`,
    `--pid-file=${join(root, 'mysqld.pid')}`,
    '--skip-name-resolve=0',
    ...flags,
  ];
  const host = '127.0.0.1';
  const connect = (database?: string) =>
    mysql.createConnection({
      host,
      port,
      user: 'root',
      password: '',
      database,
      charset: 'utf8mb4',
      multipleStatements: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
    });
  let child: ChildProcess;
  let exited: Promise<void>;
  let conn: mysql.Connection;
  /** Starts mariadbd on the datadir and port, and waits until it takes a connection (the shared one). */
  const launch = async () => {
    const c: ChildProcess = asRoot
      ? spawn('runuser', ['-u', 'mysql', '--', findBinary('mariadbd') as string, ...daemonArgs], {
          stdio: ['ignore', 'ignore', 'pipe'],
        })
      : spawn(findBinary('mariadbd') as string, daemonArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let stderr = '';
    c.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`mariadbd exited with ${c.exitCode}: ${stderr}`);
      try {
        conn = await connect();
        // The server going away (stop, restart) must not crash the test process.
        conn.on('error', () => undefined);
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          c.kill('SIGKILL');
          throw new Error(`mariadbd did not accept connections in 60 s: ${(err as Error).message}\n${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  };
  // runuser passes SIGTERM on to mariadbd; a SIGKILL would end only runuser, so a crash goes to mariadbd's pid.
  const serverPid = () => {
    const r = spawnSync('cat', [join(root, 'mysqld.pid')], { encoding: 'utf8' });
    return Number(r.stdout.trim()) || undefined;
  };
  const halt = async (how: 'shutdown' | 'kill' = 'shutdown') => {
    await conn.end().catch(() => undefined);
    if (child.exitCode === null && child.signalCode === null) {
      const pid = how === 'kill' ? serverPid() : undefined;
      if (pid) process.kill(pid, 'SIGKILL');
      else child.kill(how === 'kill' ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
  };
  await launch();
  return {
    host,
    port,
    user: 'root',
    password: '',
    datadir,
    connect,
    exec: async (sql, values) => (await conn.query(sql, values))[0],
    async restart() {
      await halt();
      await launch();
    },
    stopServer: (how) => halt(how),
    startServer: () => launch(),
    async stop() {
      await halt();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
