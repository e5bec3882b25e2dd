/**
 * The library against the CLI (issue 18): the same backlog of PostgreSQL changes drained (a) by `sluice standalone`
 * into a FileStreamSink (JSON, schemas.enable=false) and (b) by a `for await` consumer of capture() in a process of
 * its own, committing every batch to a file offset store. Events/s, peak RSS and CPU of each.
 *
 * CLI and library (as capture() runs by default: it sets the CLI's V8 heap flags when it starts, runtime/v8-flags.ts)
 * run twice each, in the order CLI, library, library, CLI, so that a drift of the machine's load weighs on both alike;
 * each figure is the mean of its two runs. Then the library once with `v8Flags: false` (V8's defaults), to show what
 * those flags are worth.
 *
 * Run: `npm run build && node dist/bench/library.js [changes]` — writes bench/results/library.md.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type PostgresServer, startPostgres } from '../test/harness/postgres.js';
import { machine, repoRoot, startBenchWorker } from './support/worker-process.js';

const CHANGES = Number(process.argv[2] ?? 1_000_000);
const RESULTS = process.env.BENCH_LIB_RESULTS ?? 'bench/results/library.md';

const TABLE = `CREATE TABLE orders (
  id bigserial PRIMARY KEY, customer_id int, status text, amount numeric(12,2), payload jsonb,
  created_at timestamptz, updated_at timestamptz)`;
const ROW_SELECT = `SELECT (g % 10000)::int, 'created', (g % 100000) / 100.0,
  jsonb_build_object('sku', 'SKU-' || g, 'qty', g % 7, 'note', repeat('n', 60), 'tags', jsonb_build_array('a', 'b')),
  now(), now()`;

function sourceConfig(pg: PostgresServer, name: string): Record<string, string> {
  return {
    ...pg.connectorConfig(),
    'topic.prefix': 'bench',
    'slot.name': `${name}_slot`,
    'publication.name': 'bench_pub',
    'publication.autocreate.mode': 'filtered',
    'table.include.list': 'public\\.orders',
    'snapshot.mode': 'no_data',
  };
}

interface Result {
  seconds: number;
  perSecond: number;
  peakRssMiB: number;
  cpuSeconds: number;
  load: string;
}

/** VmHWM (bytes) and user + system CPU (s) of a process, from /proc. */
function usage(pid: number): { peak: number; cpu: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      peak: Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024,
      cpu: (Number(fields[11]) + Number(fields[12])) / 100,
    };
  } catch {
    return { peak: 0, cpu: 0 };
  }
}

function result(seconds: number, peak: number, cpu: number): Result {
  return {
    seconds: Math.round(seconds * 1000) / 1000,
    perSecond: Math.round(CHANGES / seconds),
    peakRssMiB: Math.round((peak / 1048576) * 10) / 10,
    cpuSeconds: Math.round(cpu * 100) / 100,
    load: loadavg()
      .map((l) => l.toFixed(1))
      .join(' / '),
  };
}

/** Lines of a growing file, reading only what is new. */
function lineCounter(path: string): () => number {
  let pos = 0;
  let lines = 0;
  return () => {
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch {
      return lines;
    }
    for (let i = pos; i < buf.length; i++) if (buf[i] === 10) lines++;
    pos = buf.length;
    return lines;
  };
}

/** The mean of two runs of one side, with each run's figure. */
interface Pair {
  mean: Result;
  runs: [Result, Result];
}

function pair(a: Result, b: Result): Pair {
  const avg = (x: number, y: number, digits: number) => Math.round(((x + y) / 2) * 10 ** digits) / 10 ** digits;
  const seconds = avg(a.seconds, b.seconds, 3);
  return {
    mean: {
      seconds,
      perSecond: Math.round(CHANGES / seconds),
      peakRssMiB: avg(a.peakRssMiB, b.peakRssMiB, 1),
      cpuSeconds: avg(a.cpuSeconds, b.cpuSeconds, 2),
      load: `${a.load}; ${b.load}`,
    },
    runs: [a, b],
  };
}

/** Creates the CLI's slot for connector `name`: a worker started, then stopped once the slot exists. */
async function cliSlot(pg: PostgresServer, dir: string, name: string): Promise<void> {
  const w = startBenchWorker(dir, { 'offset.storage.file.filename': join(dir, `${name}-offsets.json`) }, [
    { name, config: { 'connector.class': 'postgres', ...sourceConfig(pg, name) } },
  ]);
  while (!(await pg.sql(`SELECT 1 FROM pg_replication_slots WHERE slot_name = '${name}_slot'`)).length) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await w.stop();
}

async function cli(pg: PostgresServer, dir: string, name: string): Promise<Result> {
  const output = join(dir, `${name}.jsonl`);
  const count = lineCounter(output);
  const started = process.hrtime.bigint();
  const w = startBenchWorker(
    dir,
    {
      'offset.storage.file.filename': join(dir, `${name}-offsets.json`),
      'offset.flush.interval.ms': '1000',
      'value.converter.schemas.enable': 'false',
    },
    [
      { name, config: { 'connector.class': 'postgres', ...sourceConfig(pg, name) } },
      { name: 'out', config: { 'connector.class': 'FileStreamSink', file: output, topics: 'bench.public.orders' } },
    ],
  );
  let peak = 0;
  let cpu = 0;
  while (count() < CHANGES) {
    const u = usage(w.proc.pid as number);
    peak = Math.max(peak, u.peak);
    cpu = Math.max(cpu, u.cpu);
    if (w.proc.exitCode !== null) throw new Error(`worker exited with ${w.proc.exitCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const u = usage(w.proc.pid as number);
  const r = result(seconds, Math.max(peak, u.peak), Math.max(cpu, u.cpu));
  await w.stop();
  rmSync(output, { force: true });
  return r;
}

/** Runs the consumer (bench/library-consumer.ts) until it has drained `expected` events, or only to create its slot. */
async function library(
  pg: PostgresServer,
  dir: string,
  name: string,
  expected: number,
  v8Flags = true,
): Promise<Result> {
  const configPath = join(dir, `${name}-config.json`);
  writeFileSync(configPath, JSON.stringify(sourceConfig(pg, name)));
  const consumer = join(repoRoot, 'dist/bench/library-consumer.js');
  const started = process.hrtime.bigint();
  const proc = spawn(
    process.execPath,
    [consumer, configPath, join(dir, `${name}-offsets.json`), String(expected), ...(v8Flags ? [] : ['no-v8-flags'])],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let peak = 0;
  let cpu = 0;
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', r));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  let drainedAt: bigint | undefined;
  while (!done) {
    const u = usage(proc.pid as number);
    peak = Math.max(peak, u.peak);
    cpu = Math.max(cpu, u.cpu);
    // The consumer prints `drained` when it has every event, then closes (commits, stops the task) and exits.
    if (drainedAt === undefined && out.includes('drained')) drainedAt = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, 50));
  }
  if ((await exited) !== 0) throw new Error(`library consumer exited with ${proc.exitCode}`);
  const seconds = Number((drainedAt ?? process.hrtime.bigint()) - started) / 1e9;
  return result(seconds, peak, cpu);
}

async function main() {
  const pg = await startPostgres({ settings: { max_wal_size: '4GB', checkpoint_timeout: '30min' } });
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-lib-'));
  try {
    await pg.sql(TABLE);
    // Every slot first (the library's by a consumer that stops at once, the CLI's by a worker started and stopped),
    // then the backlog: each drains the same changes.
    for (const name of ['lib', 'lib2', 'plain']) await library(pg, dir, name, 0);
    for (const name of ['cli', 'cli2']) await cliSlot(pg, dir, name);
    await pg.sql(`CREATE PROCEDURE bench_load(n int) LANGUAGE plpgsql AS $$
      DECLARE base bigint;
      BEGIN
        FOR i IN 0 .. n / 200 - 1 LOOP
          INSERT INTO orders (customer_id, status, amount, payload, created_at, updated_at) ${ROW_SELECT} FROM generate_series(1, 100) g;
          COMMIT;
          base := i * 100;
          UPDATE orders SET status = 'paid', amount = amount + 1, updated_at = now() WHERE id > base AND id <= base + 100;
          COMMIT;
        END LOOP;
      END $$`);
    const t0 = Date.now();
    await pg.sql(`CALL bench_load(${CHANGES})`);
    console.log(`committed ${CHANGES} changes in ${Date.now() - t0} ms`);
    // A B B A: a load that drifts during the run weighs on both sides alike.
    const c1 = await cli(pg, dir, 'cli');
    console.log('cli', c1);
    const l1 = await library(pg, dir, 'lib', CHANGES);
    console.log('library', l1);
    const l2 = await library(pg, dir, 'lib2', CHANGES);
    console.log('library', l2);
    const c2 = await cli(pg, dir, 'cli2');
    console.log('cli', c2);
    const cp = pair(c1, c2);
    const lp = pair(l1, l2);
    const c = cp.mean;
    const l = lp.mean;
    const t = await library(pg, dir, 'plain', CHANGES, false);
    console.log('library, v8Flags: false', t);
    const runs = (p: Pair, f: (r: Result) => string | number) => p.runs.map(f).join(', ');
    const pct = (r: Result) => `**${Math.round((r.perSecond / c.perSecond) * 100)}%**`;
    const md = `# Library benchmark: capture() against the CLI

Issue 18's comparison: the same backlog of ${CHANGES.toLocaleString('en')} PostgreSQL changes (the PostgreSQL
benchmark's \`orders\` table and load: half inserts, half updates, 100 rows a transaction, committed while nothing
reads the slots) drained five times, each from a slot of its own: CLI, library, library, CLI (so that a machine
whose load drifts weighs on both alike; each side's figure is the mean of its two runs, the runs in parentheses),
then the library without the V8 flags:

- **CLI**: \`sluice standalone\` (the build), PostgreSQL source → direct transport → FileStreamSink, JSON converter
  with \`schemas.enable=false\`, offsets committed every second to a file.
- **library**: a Node process (\`dist/bench/library-consumer.js\`) running \`for await (const batch of capture(…))\`,
  counting the change events and calling \`batch.commit()\` after every batch (a file offset store), until it has
  them all; as \`capture()\` runs by default (it sets the V8 heap flags the CLI sets for itself,
  \`--semi-space-growth-factor=8 --heap-growing-percent=100\`, when it starts: runtime/v8-flags.ts), once with
  \`v8Flags: false\` (V8's defaults).

Both from process start until every event is delivered (start-up and catalog reads included). Defaults otherwise
(\`max.queue.size=8192\`, \`max.batch.size=2048\`). Peak RSS is the process's VmHWM; CPU its user + system time.

Machine: ${machine()}. Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`node dist/bench/library.js${CHANGES === 1_000_000 ? '' : ` ${CHANGES}`}\`.
PostgreSQL and the benchmark share the cores with the process measured; the load average after each run is below
(above ~2.5 means other work was running too, and the rates are lower bounds: compare CPU times then, which
the other processes disturb less than wall time).

| measure | CLI → file sink | library | library, \`v8Flags: false\` | target |
|---|---|---|---|---|
| events/s | ${c.perSecond.toLocaleString('en')} (${runs(cp, (r) => `${r.seconds} s`)}) | ${l.perSecond.toLocaleString('en')} (${runs(lp, (r) => `${r.seconds} s`)}), ${pct(l)} | ${t.perSecond.toLocaleString('en')} (${t.seconds} s), ${pct(t)} | library ≥ 90% of the CLI |
| peak RSS | ${c.peakRssMiB} MiB (${runs(cp, (r) => r.peakRssMiB)}) | ${l.peakRssMiB} MiB (${runs(lp, (r) => r.peakRssMiB)}) | ${t.peakRssMiB} MiB | library ≤ the CLI |
| CPU | ${c.cpuSeconds} s (${runs(cp, (r) => r.cpuSeconds)}) | ${l.cpuSeconds} s (${runs(lp, (r) => r.cpuSeconds)}) | ${t.cpuSeconds} s | |
| load average 1/5/15 min | ${c.load} | ${l.load} | ${t.load} | |
`;
    mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(resolve(repoRoot, RESULTS), md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await pg.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
