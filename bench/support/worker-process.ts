import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { procCpuSeconds, procPeakRss } from './proc.js';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)).replace(/\/dist\/?$/, ''));

/** The built CLI when present (benchmarks measure the build, as users run it), else the sources through tsx. */
function cliCommand(): string[] {
  const built = join(repoRoot, 'dist/runtime/cli.js');
  try {
    readFileSync(built);
    return [built];
  } catch {
    return ['--import', 'tsx', join(repoRoot, 'runtime/cli.ts')];
  }
}

export interface BenchWorker {
  proc: ChildProcess;
  /** peak resident set size so far (VmHWM), bytes */
  peakRss(): number;
  /** CPU time (user + system) used so far, seconds: a measure the other processes on the machine disturb less than wall time */
  cpuSeconds(): number;
  stop(): Promise<number | null>;
}

/** Starts `sluice standalone` for a benchmark; with `profileDir`, V8 writes a CPU profile there at exit. */
export function startBenchWorker(
  dir: string,
  worker: Record<string, string>,
  connectors: object[],
  profileDir?: string,
): BenchWorker {
  const workerPath = join(dir, 'worker.json');
  writeFileSync(workerPath, JSON.stringify({ listeners: '', 'log.format': 'json', 'log.level': 'warn', ...worker }));
  const paths = connectors.map((c, i) => {
    const p = join(dir, `connector-${i}.json`);
    writeFileSync(p, JSON.stringify(c));
    return p;
  });
  const flags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const proc = spawn(process.execPath, [...flags, ...cliCommand(), 'standalone', workerPath, ...paths], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  return {
    proc,
    peakRss: () => procPeakRss(proc.pid ?? -1),
    cpuSeconds: () => procCpuSeconds(proc.pid ?? -1),
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Top functions by self time from the V8 CPU profile in `dir`. */
export function topFunctions(
  dir: string,
  n = Number(process.env.BENCH_TOP ?? 12),
): Array<{ fn: string; selfPct: number }> {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return [];
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const counts = new Map<number, number>();
  for (const s of prof.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const byName = new Map<string, number>();
  for (const node of prof.nodes) {
    const c = counts.get(node.id) ?? 0;
    if (!c) continue;
    const url = node.callFrame.url.replace(`file://${repoRoot}/`, '').replace(/^node:/, 'node:');
    const name =
      `${node.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${node.callFrame.lineNumber + 1}` : ''}`.trim();
    byName.set(name, (byName.get(name) ?? 0) + c);
  }
  const total = prof.samples.length;
  return [...byName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, c]) => ({ fn, selfPct: Math.round((c / total) * 1000) / 10 }));
}

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}`;
}

/** Polls `done` until it holds, following the worker's peak RSS meanwhile; fails if the worker exits. */
export async function waitUntil(
  w: BenchWorker,
  done: () => Promise<boolean>,
  what: string,
  timeoutMs = 1_800_000,
): Promise<number> {
  let peak = 0;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    peak = Math.max(peak, w.peakRss());
    if (await done()) return Math.max(peak, w.peakRss());
    if (w.proc.exitCode !== null) throw new Error(`worker exited with ${w.proc.exitCode} while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
