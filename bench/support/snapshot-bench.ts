/**
 * What the PostgreSQL and MariaDB snapshot benchmarks (bench/snapshots.ts, bench/snapshots-mariadb.ts) share: their
 * command line, the initial-snapshot and incremental-snapshot runs of one source into the FileStreamSink, and the
 * results table. Each benchmark supplies its database: the source connector's config, how to load the table, and
 * (PostgreSQL) the server's CPU and slot clean-up.
 */
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/harness/ports.js';
import { LineCounter } from './proc.js';
import { type BenchWorker, startBenchWorker, waitUntil } from './worker-process.js';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

/**
 * `--rows`, `--chunk`, `--threads=1,2,4` (`1,4,4,1` runs each twice, ABBA), `--incremental=no`, `--profile=DIR`,
 * `--reader-threads=yes` (PostgreSQL: runs with more than one thread read in worker threads, snapshot.reader.threads)
 */
export const benchArgs = () => ({
  rows: Number(arg('rows', '5000000')),
  chunk: arg('chunk', '8192'),
  threads: arg('threads', '1,2,4')
    .split(',')
    .map((t) => Number(t)),
  incremental: arg('incremental', 'yes') !== 'no',
  profile: arg('profile', ''),
  readerThreads: arg('reader-threads', 'no') === 'yes',
});

export interface SnapshotRun {
  name: string;
  rows: number;
  seconds: number;
  perSecond: number;
  peakRssMiB: number;
  cpuSeconds: number;
  /** the database server's CPU time during the run, where the benchmark measures it */
  serverCpuSeconds?: number;
  load: string;
}

/** One benchmark's database: the source connector of a run, and what to do around each run. */
export interface SnapshotSource {
  /** the source connector named `name`, with the run's extra keys */
  connector(name: string, index: number, extra: Record<string, string>): object;
  /** the topic the source writes the table to */
  topic(name: string): string;
  /** the collection named in the incremental snapshot's signal, and its signal table */
  collection: string;
  signalTable: string;
  /** the server's CPU seconds so far (read before and after a run) */
  serverCpuSeconds?(): Promise<number>;
  /** after a run's worker stopped (PostgreSQL drops the run's slot) */
  afterRun?(name: string): Promise<void>;
}

export const loadNow = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');

export const fmt = (n: number) => n.toLocaleString('en');

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

/** Follows the worker until the output holds `rows` lines; the clock starts at `t0`. */
async function measure(
  w: BenchWorker,
  src: SnapshotSource,
  name: string,
  rows: number,
  output: string,
  t0: bigint,
  serverCpu0: number | undefined,
): Promise<SnapshotRun> {
  const counter = new LineCounter(output);
  let cpu = 0;
  const peak = await waitUntil(
    w,
    async () => {
      cpu = Math.max(cpu, w.cpuSeconds());
      return counter.update() >= rows;
    },
    `${rows} rows of ${name}`,
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  cpu = Math.max(cpu, w.cpuSeconds());
  const serverCpu = serverCpu0 === undefined ? undefined : (await src.serverCpuSeconds!()) - serverCpu0;
  const load = loadNow();
  await w.stop();
  return {
    name,
    rows: counter.lines,
    seconds: round(seconds, 3),
    perSecond: Math.round(rows / seconds),
    peakRssMiB: round(peak / 1048576, 1),
    cpuSeconds: round(cpu, 2),
    ...(serverCpu === undefined ? {} : { serverCpuSeconds: round(serverCpu, 2) }),
    load,
  };
}

const sinkConfig = (src: SnapshotSource, name: string, output: string) => ({
  name: `${name}-out`,
  config: { 'connector.class': 'FileStreamSink', file: output, topics: src.topic(name) },
});

/** The worker's settings: offsets in a file, and the JSON the results describe (values without schemas). */
const offsets = (dir: string, name: string) => ({
  'offset.storage.file.filename': join(dir, `${name}-offsets.json`),
  'offset.flush.interval.ms': '1000',
  'key.converter.schemas.enable': 'false',
  'value.converter.schemas.enable': 'false',
});

/** An initial snapshot with `snapshot.max.threads=threads`: time from worker start until the output holds every row. */
export async function initialRun(
  src: SnapshotSource,
  dir: string,
  rows: number,
  threads: number,
  index: number,
  profileDir?: string,
  /** connector settings of this run beyond snapshot.mode and snapshot.max.threads, and what the run is called by */
  variant?: { label: string; config: Record<string, string> },
): Promise<SnapshotRun> {
  // a thread count may be listed twice (ABBA order): each run has its own connector, offsets (and slot)
  const name = `init${threads}${index ? `r${index}` : ''}`;
  const output = join(dir, `${name}.jsonl`);
  const serverCpu0 = await src.serverCpuSeconds?.();
  const t0 = process.hrtime.bigint();
  const w = startBenchWorker(
    dir,
    offsets(dir, name),
    [
      src.connector(name, index, {
        'snapshot.mode': 'initial_only',
        'snapshot.max.threads': String(threads),
        ...variant?.config,
      }),
      sinkConfig(src, name, output),
    ],
    profileDir ? join(profileDir, name) : undefined,
  );
  const label = `initial snapshot, snapshot.max.threads=${threads}${variant ? `, ${variant.label}` : ''}`;
  const run = await measure(w, src, label, rows, output, t0, serverCpu0);
  await src.afterRun?.(name);
  rmSync(output, { force: true });
  return run;
}

/** An incremental snapshot of the table sent by REST signal to a streaming task: time from the signal on. */
export async function incrementalRun(
  src: SnapshotSource,
  dir: string,
  rows: number,
  chunk: string,
): Promise<SnapshotRun> {
  const name = 'incr';
  const output = join(dir, `${name}.jsonl`);
  const url = `http://127.0.0.1:${await freePort()}`;
  const w = startBenchWorker(dir, { listeners: url, ...offsets(dir, name) }, [
    src.connector(name, 99, {
      'snapshot.mode': 'no_data',
      'signal.data.collection': src.signalTable,
      'incremental.snapshot.chunk.size': chunk,
    }),
    sinkConfig(src, name, output),
  ]);
  // The task streams before the signal is sent: the clock starts with the signal, not the worker.
  await waitUntil(
    w,
    async () => {
      try {
        const res = await fetch(`${url}/connectors/${name}/status`);
        const body = (await res.json()) as { tasks?: Array<{ state: string }> };
        return res.ok && body.tasks?.[0]?.state === 'RUNNING';
      } catch {
        return false;
      }
    },
    'the incremental connector to run',
    120_000,
  );
  const serverCpu0 = await src.serverCpuSeconds?.();
  let t0 = process.hrtime.bigint();
  const giveUp = Date.now() + 60_000;
  for (;;) {
    t0 = process.hrtime.bigint();
    const res = await fetch(`${url}/connectors/${name}/signals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'bench-1',
        type: 'execute-snapshot',
        data: { 'data-collections': [src.collection], type: 'incremental' },
      }),
    });
    if (res.status === 202) break;
    // refused while the task is still starting its stream (409, or 400 "not running"): sent again
    const text = await res.text();
    if (Date.now() > giveUp) throw new Error(`signal refused: ${res.status} ${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const run = await measure(w, src, `incremental snapshot (REST signal, chunk ${chunk})`, rows, output, t0, serverCpu0);
  await src.afterRun?.(name);
  rmSync(output, { force: true });
  return run;
}

/** The runs' table and the targets' table of a results file. */
export function resultTables(
  runs: SnapshotRun[],
  inc: SnapshotRun | undefined,
  opts: { serverCpu?: string; fourThreadsTarget: string },
): string {
  // a thread count run more than once (`--threads=1,4,4,1`) counts with its mean rate
  const rate = (threads: number) => {
    const of = runs.filter((r) => r.name.endsWith(`=${threads}`) || r.name.includes(`=${threads}, `));
    return of.length ? of.reduce((sum, r) => sum + r.perSecond, 0) / of.length : undefined;
  };
  const one = rate(1);
  const four = rate(4);
  const ratio = one && four ? round(four / one, 2) : undefined;
  const incShare = one && inc ? Math.round((inc.perSecond / one) * 100) : undefined;
  const all = [...runs, ...(inc ? [inc] : [])];
  const peak = Math.max(...all.map((r) => r.peakRssMiB));
  const server = opts.serverCpu;
  return `| run | rows/s | seconds | peak RSS | worker CPU |${server ? ` ${server} |` : ''} load average 1/5/15 min |
|---|---|---|---|---|${server ? '---|' : ''}---|
${all.map((r) => `| ${r.name} | ${fmt(r.perSecond)} | ${r.seconds} | ${r.peakRssMiB} MiB | ${r.cpuSeconds} s |${server ? ` ${r.serverCpuSeconds} s |` : ''} ${r.load} |`).join('\n')}

| target | result |
|---|---|
| ${opts.fourThreadsTarget} | ${ratio === undefined ? 'not measured' : `${ratio} ×`} |
| incremental ≥ 50% of the initial snapshot's rate (1 thread) | ${incShare === undefined ? 'not measured' : `${incShare}%`} |
| peak RSS ≤ 250 MiB in every run | ${peak} MiB |
`;
}
