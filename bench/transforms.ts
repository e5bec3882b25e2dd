/**
 * One million Debezium-shaped change events through ExtractNewRecordState → RegexRouter → ReplaceField →
 * InsertField (guarded by TopicNameMatches): records/s and bytes allocated per record.
 *
 * Run: `npx tsx bench/transforms.ts` (or `node dist/bench/transforms.js` after `npm run build`). The script
 * runs itself twice as a child: once with V8's default heap for throughput (three runs of 1M, median), once with
 * a large young generation so that allocation can be read from the heap without a scavenge in between.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type ChangeRecord, LogicalSchemas, type Schema, Schemas } from '../runtime/api/index.js';
import { applyChain, buildChain } from '../runtime/transforms/chain.js';
import { transformPlugins } from '../runtime/transforms/index.js';
import { PluginRegistry } from '../runtime/worker/registry.js';

const TOTAL = 1_000_000;
const POOL = 4096;
const ALLOC_BATCH = 100_000;

const gc = (globalThis as { gc?: () => void }).gc;
const mode = process.env.SLUICE_BENCH_MODE;
if (!gc || mode === undefined) {
  // Two child runs: throughput with V8's default heap settings, allocation with a young generation large enough
  // that a batch allocates without a scavenge (heap growth = bytes allocated).
  const runs: Array<[string, string[]]> = [
    ['throughput', ['--expose-gc']],
    ['allocation', ['--expose-gc', '--min-semi-space-size=256', '--max-semi-space-size=256']],
  ];
  const merged: Record<string, unknown> = {};
  for (const [m, flags] of runs) {
    const r = spawnSync(process.execPath, [...process.execArgv, ...flags, fileURLToPath(import.meta.url)], {
      env: { ...process.env, SLUICE_BENCH_MODE: m },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
    Object.assign(merged, JSON.parse(r.stdout));
  }
  console.log(JSON.stringify(merged, null, 2));
  process.exit(0);
}

const row: Schema = Schemas.struct(
  [
    ['id', Schemas.int32()],
    ['first_name', Schemas.string()],
    ['last_name', Schemas.string(true)],
    ['email', Schemas.string()],
    ['balance', Schemas.int64()],
    ['updated_at', LogicalSchemas.microTimestamp()],
  ],
  true,
  { name: 'server1.inventory.customers.Value' },
);
const source: Schema = Schemas.struct(
  [
    ['version', Schemas.string()],
    ['connector', Schemas.string()],
    ['name', Schemas.string()],
    ['ts_ms', Schemas.int64()],
    ['db', Schemas.string()],
    ['schema', Schemas.string()],
    ['table', Schemas.string()],
    ['lsn', Schemas.int64(true)],
  ],
  false,
  { name: 'io.debezium.connector.postgresql.Source' },
);
const envelope: Schema = Schemas.struct(
  [
    ['before', row],
    ['after', row],
    ['source', source],
    ['op', Schemas.string()],
    ['ts_ms', Schemas.int64(true)],
  ],
  false,
  { name: 'server1.inventory.customers.Envelope', version: 1 },
);
const keySchema = Schemas.struct([['id', Schemas.int32()]], false, { name: 'server1.inventory.customers.Key' });

function makeRecord(i: number): ChangeRecord {
  const op = i % 10 === 0 ? 'c' : 'u';
  const state = (v: number) => ({
    id: i,
    first_name: `First${i}`,
    last_name: i % 3 === 0 ? null : `Last${i}`,
    email: `user${i}@example.com`,
    balance: 1000n * BigInt(i) + BigInt(v),
    updated_at: 1_700_000_000_000_000 + i,
  });
  // Every fourth table is not `customers`, so the predicate both passes and skips.
  const table = i % 4 === 0 ? 'orders' : 'customers';
  return {
    topic: `server1.inventory.${table}`,
    keySchema,
    key: { id: i },
    valueSchema: envelope,
    value: {
      before: op === 'u' ? state(0) : null,
      after: state(1),
      source: {
        version: '0.1.0',
        connector: 'postgresql',
        name: 'server1',
        ts_ms: 1_700_000_000_000 + i,
        db: 'postgres',
        schema: 'inventory',
        table,
        lsn: 33_816_832 + i,
      },
      op,
      ts_ms: 1_700_000_000_100 + i,
    },
    headers: [],
    timestamp: 1_700_000_000_200 + i,
    sourcePartition: { server: 'server1' },
    sourceOffset: { lsn: 33_816_832 + i },
  };
}

const { steps, issues } = buildChain(new PluginRegistry().register(...transformPlugins), {
  transforms: 'unwrap,route,fields,insert',
  'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
  'transforms.unwrap.add.fields': 'op,source.ts_ms',
  'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
  'transforms.route.regex': '([^.]+)\\.([^.]+)\\.([^.]+)',
  'transforms.route.replacement': '$3',
  'transforms.fields.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value',
  'transforms.fields.exclude': 'email',
  'transforms.fields.renames': 'first_name:given_name',
  'transforms.insert.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
  'transforms.insert.static.field': 'origin',
  'transforms.insert.static.value': 'sluice',
  'transforms.insert.timestamp.field': 'event_ts',
  'transforms.insert.predicate': 'isCustomers',
  predicates: 'isCustomers',
  'predicates.isCustomers.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
  'predicates.isCustomers.pattern': 'customers',
});
if (issues.length) throw new Error(JSON.stringify(issues));

const pool = Array.from({ length: POOL }, (_, i) => makeRecord(i));

// Sanity: the chain does what the benchmark claims.
const sample = applyChain(steps, pool[1])!;
if (sample.topic !== 'customers' || !('origin' in (sample.value as object)) || 'email' in (sample.value as object)) {
  throw new Error(`unexpected chain output: ${sample.topic}`);
}

let sink = 0;
function run(n: number, offset: number): void {
  for (let i = 0; i < n; i++) {
    const out = applyChain(steps, pool[(offset + i) & (POOL - 1)]);
    if (out !== null) sink += out.topic.length;
  }
}

// Warm-up so the JIT has settled before timing.
run(200_000, 0);

if (mode === 'throughput') {
  // Wall-clock rate, and the rate per CPU-second of this process: on a shared machine the second is what one
  // core does (it counts V8's helper threads too, so it errs low).
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    gc!();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    run(TOTAL, 7 + rep);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    rates.push(Math.round(TOTAL / seconds));
    cpuRates.push(Math.round(TOTAL / ((c.user + c.system) / 1e6)));
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const cpuSorted = [...cpuRates].sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      records: TOTAL,
      recordsPerSecondRuns: rates,
      recordsPerSecondMedian: sorted[1],
      recordsPerCpuSecondRuns: cpuRates,
      recordsPerCpuSecondMedian: cpuSorted[1],
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      checksum: sink,
    }),
  );
} else {
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  gc!();
  await new Promise((r) => setTimeout(r, 50));
  const gcsBefore = gcs;
  const h0 = process.memoryUsage().heapUsed;
  run(ALLOC_BATCH, 11);
  const h1 = process.memoryUsage().heapUsed;
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  console.log(
    JSON.stringify({
      bytesPerRecord: Math.round((h1 - h0) / ALLOC_BATCH),
      // false would mean a scavenge ran inside the batch and the figure is too low
      allocationMeasurementClean: gcs === gcsBefore,
    }),
  );
}
