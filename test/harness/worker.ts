import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from './ports.js';

/** The repository, also when this file runs compiled from dist/ (the benchmarks use the harness from there). */
export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url))).replace(/\/dist$/, '');
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface ConnectorFile {
  name: string;
  config: Record<string, string>;
}

export interface WorkerProcess {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** everything the worker wrote to stderr (its logs), for failure messages */
  readonly logs: () => string;
  readonly exited: Promise<number | null>;
  /** SIGKILL: no flush, no commit */
  kill(): Promise<void>;
  /** SIGTERM and wait for exit; returns the exit code */
  stop(): Promise<number | null>;
  /** fetch JSON from the worker's REST endpoint */
  rest<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: T }>;
}

export interface StartWorkerOptions {
  /** a directory of the test's own; worker.json and connector files are written here */
  dir: string;
  /** worker keys; `listeners` is set to a free port unless given */
  worker?: Record<string, string>;
  connectors?: ConnectorFile[];
  env?: NodeJS.ProcessEnv;
  /** wait until the REST endpoint answers (default true) */
  waitReady?: boolean;
  /** `sluice standalone` (default) or `sluice distributed` (connectors are then created through REST) */
  mode?: 'standalone' | 'distributed';
  /** the worker's working directory (default: the repository), where relative paths in configs land */
  cwd?: string;
  /**
   * Run the compiled worker (dist/, as `npm test` builds it) when it is at least as new as every source file, else
   * the sources through tsx: a test that restarts the worker many times saves seconds per start on a busy machine.
   */
  preferBuild?: boolean;
}

let buildFresh: boolean | undefined;

/** Whether dist/runtime/cli.js is newer than every .ts file under runtime/ and connectors/. */
function builtWorkerFresh(): boolean {
  if (buildFresh !== undefined) return buildFresh;
  const cli = join(repoRoot, 'dist/runtime/cli.js');
  if (!existsSync(cli)) {
    buildFresh = false;
    return false;
  }
  const built = statSync(cli).mtimeMs;
  const newest = (dir: string): number => {
    let m = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) m = Math.max(m, newest(p));
      else if (e.name.endsWith('.ts')) m = Math.max(m, statSync(p).mtimeMs);
    }
    return m;
  };
  buildFresh = Math.max(newest(join(repoRoot, 'runtime')), newest(join(repoRoot, 'connectors'))) <= built;
  return buildFresh;
}

/**
 * Starts a real worker process (`sluice standalone worker.json connector.json…`, or `sluice distributed
 * worker.json`) from the sources, so tests can SIGKILL it. Ready when its REST endpoint answers.
 */
export async function startWorker(o: StartWorkerOptions): Promise<WorkerProcess> {
  mkdirSync(o.dir, { recursive: true });
  const port = await freePort();
  const workerCfg = { listeners: `http://127.0.0.1:${port}`, 'log.format': 'json', ...o.worker };
  const workerPath = join(o.dir, 'worker.json');
  writeFileSync(workerPath, JSON.stringify(workerCfg, null, 2));
  const connectorPaths = (o.connectors ?? []).map((c) => {
    const p = join(o.dir, `connector-${c.name}.json`);
    writeFileSync(p, JSON.stringify(c, null, 2));
    return p;
  });
  const entry =
    o.preferBuild && builtWorkerFresh()
      ? [join(repoRoot, 'dist/runtime/cli.js')]
      : // tsx by its URL: a worker run from another directory resolves nothing from the repository by name.
        ['--import', tsxLoader, join(repoRoot, 'runtime/cli.ts')];
  const proc = spawn(process.execPath, [...entry, o.mode ?? 'standalone', workerPath, ...connectorPaths], {
    cwd: o.cwd ?? repoRoot,
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  proc.stderr?.on('data', (d: Buffer) => {
    logs += d.toString();
    if (logs.length > 4_000_000) logs = logs.slice(-2_000_000);
  });
  proc.stdout?.on('data', (d: Buffer) => {
    logs += d.toString();
  });
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  const url = `http://127.0.0.1:${port}`;
  const rest = async <T>(path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(url + path, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const w: WorkerProcess = {
    proc,
    port,
    url,
    logs: () => logs,
    exited,
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
    rest,
  };
  if (o.waitReady !== false) {
    const deadline = Date.now() + 60_000;
    let exitCode: number | null | undefined;
    void exited.then((c) => {
      exitCode = c;
    });
    for (;;) {
      if (exitCode !== undefined)
        throw new Error(`worker exited with ${exitCode} before it was ready:\n${logs.slice(-4000)}`);
      try {
        const r = await fetch(`${url}/connectors`);
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`worker not ready within 60 s:\n${logs.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return w;
}

/** Polls until fn returns a truthy value or the timeout passes. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs: number, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
