/**
 * Kafka mode benchmark (issue 6). (a) PostgreSQL backlog drain into Kafka: with the worker stopped, commit N
 * changes (inserts and updates, 100 rows a transaction) to issue 3's table, then start the worker (PG source →
 * Kafka, JSON values with schemas.enable=false, 3 partitions, acks=all, idempotent) and time until every event is
 * in Kafka. (b) Kafka → FileStreamSink: a sink-only worker consumes those N events; time until the file holds them.
 * Peak RSS of the worker in both. Broker, database and worker share the machine.
 *
 * Run: `npm run build && node dist/bench/kafka.js [changes]` — writes bench/results/kafka.md.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../test/harness/kafka.js';
import { freePort } from '../test/harness/ports.js';
import { startPostgres } from '../test/harness/postgres.js';
import { machine, repoRoot, startBenchWorker, topFunctions, waitUntil } from './support/worker-process.js';

const CHANGES = Number(process.argv[2] ?? 1_000_000);
const TOPIC = 'bench.public.orders';

function countLines(path: string): number {
  if (!existsSync(path)) return 0;
  const buf = readFileSync(path);
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

async function main() {
  const loadBefore = loadavg()[1].toFixed(1);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-kafka-'));
  const [kafka, pg] = await Promise.all([startKafka(), startPostgres()]);
  const admin = new Kafka({ clientId: 'bench', brokers: [...kafka.brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const inKafka = async () =>
    (await admin.fetchTopicOffsets(TOPIC).catch(() => [])).reduce((s, p) => s + Number(p.high), 0);
  try {
    await pg.sql(`CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int, status text, amount numeric(12,2), payload jsonb,
      created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now())`);
    const worker = {
      // A port of its own: another worker on this machine may hold Connect's 8083.
      listeners: `http://127.0.0.1:${await freePort()}`,
      'bootstrap.servers': kafka.bootstrap,
      'offset.storage.topic': 'bench-offsets',
      'offset.storage.replication.factor': '1',
      'offset.flush.interval.ms': '5000',
      'value.converter.schemas.enable': 'false',
      'key.converter.schemas.enable': 'false',
      ...(process.env.BENCH_PRODUCER_MAX_REQUEST
        ? { 'producer.max.request.size': process.env.BENCH_PRODUCER_MAX_REQUEST }
        : {}),
    };
    const source = {
      name: 'pg',
      config: {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        ...pg.connectorConfig(),
        'topic.prefix': 'bench',
        'slot.name': 'bench_slot',
        'publication.name': 'bench_pub',
        'snapshot.mode': 'no_data',
        'topic.creation.default.partitions': '3',
        'topic.creation.default.replication.factor': '1',
      },
    };
    // First start: creates the slot and publication; then the worker stops and the backlog is written.
    const first = startBenchWorker(dir, worker, [source]);
    await waitUntil(
      first,
      async () => (await pg.sql('SELECT 1 FROM pg_replication_slots WHERE active')).length > 0,
      'the slot',
    );
    await first.stop();

    const client = await pg.client();
    const payload = JSON.stringify({ sku: 'ABC-123', tags: ['a', 'b'], note: 'x'.repeat(40) });
    const genStart = Date.now();
    let written = 0;
    let inserted = 0;
    while (written < CHANGES) {
      // 100 rows a transaction: inserts until a fifth of the backlog exists, then a mix of updates and inserts.
      if (inserted < 20_000 || written % 200 === 0) {
        await client.query(
          `INSERT INTO orders (customer_id, status, amount, payload) SELECT (random()*1000)::int, 'new', round((random()*1000)::numeric, 2), $1::jsonb FROM generate_series(1, 100)`,
          [payload],
        );
        inserted += 100;
      } else {
        const from = 1 + Math.floor(Math.random() * (inserted - 100));
        await client.query(
          `UPDATE orders SET status = 'paid', amount = amount + 1, updated_at = now() WHERE id BETWEEN $1 AND $2`,
          [from, from + 99],
        );
      }
      written += 100;
    }
    await client.end();
    const genSeconds = (Date.now() - genStart) / 1000;

    // (a) drain the backlog into Kafka
    const t0 = process.hrtime.bigint();
    const drainProfile = mkdtempSync(join(tmpdir(), 'sluice-bench-prof-'));
    const drain = startBenchWorker(dir, worker, [source], drainProfile);
    const drainPeak = await waitUntil(drain, async () => (await inKafka()) >= CHANGES, `${CHANGES} events in Kafka`);
    const drainSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await drain.stop();
    const produced = await inKafka();

    // (b) Kafka → FileStreamSink
    const out = join(dir, 'out.jsonl');
    const t1 = process.hrtime.bigint();
    const sinkProfile = mkdtempSync(join(tmpdir(), 'sluice-bench-prof-'));
    const sink = startBenchWorker(
      dir,
      { ...worker, 'offset.storage.topic': '' },
      [{ name: 'file', config: { 'connector.class': 'FileStreamSink', file: out, topics: TOPIC } }],
      sinkProfile,
    );
    const sinkPeak = await waitUntil(sink, async () => countLines(out) >= produced, `${produced} lines in the file`);
    const sinkSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
    await sink.stop();
    const outBytes = statSync(out).size;
    // The CPU profile is written when the worker exits.
    const drainTop = topFunctions(drainProfile, 15);
    const sinkTop = topFunctions(sinkProfile, 12);
    rmSync(drainProfile, { recursive: true, force: true });
    rmSync(sinkProfile, { recursive: true, force: true });

    const result = {
      changes: CHANGES,
      eventsInKafka: produced,
      drainSeconds: Math.round(drainSeconds * 100) / 100,
      drainEventsPerSecond: Math.round(produced / drainSeconds),
      drainPeakRssMiB: Math.round((drainPeak / 1048576) * 10) / 10,
      consumeSeconds: Math.round(sinkSeconds * 100) / 100,
      consumeEventsPerSecond: Math.round(produced / sinkSeconds),
      consumePeakRssMiB: Math.round((sinkPeak / 1048576) * 10) / 10,
      averageEventBytes: Math.round(outBytes / produced),
      brokerStartupMs: kafka.startupMillis,
      backlogWriteSeconds: Math.round(genSeconds),
    };
    console.log(JSON.stringify(result, null, 2));
    const md = `# Kafka mode benchmark

Workload (issue 3's table, issue 6's delivery): \`orders (id bigserial pk, customer_id int, status text,
amount numeric(12,2), payload jsonb, created_at, updated_at timestamptz)\`. With the worker stopped,
${CHANGES.toLocaleString('en')} changes were committed, 100 rows a transaction (20,000 inserts first, then
updates and inserts); then:

- **(a) backlog drain into Kafka**: PostgreSQL source → Kafka (JSON values and keys, \`schemas.enable=false\`,
  topic created with 3 partitions by \`topic.creation.default.*\`, idempotent producer, acks=all), offsets on
  \`offset.storage.topic\`. Time from worker start (process start-up included) until the topic's end offsets add
  up to the number of changes.
- **(b) Kafka → FileStreamSink**: a sink-only worker consumes the topic in group \`connect-file\` and writes one
  JSON value per line; time from worker start until the file holds every event.

Single runs. Broker (Kafka ${process.env.KAFKA_VERSION ?? '3.9.1'}, KRaft, one node, -Xmx512m), PostgreSQL 17 and
the worker all ran on this machine: ${machine()} (5-minute load average ${loadBefore} at the start,
${loadavg()[1].toFixed(1)} at the end; broker, database and worker share the two cores). Worker V8 flags:
\`${process.env.SLUICE_V8_FLAGS ?? '--semi-space-growth-factor=8 --heap-growing-percent=100'}\`${process.env.SLUICE_V8_FLAGS === undefined ? ' (the default, runtime/memory-mode.ts)' : ''}. Measured
${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`node dist/bench/kafka.js ${CHANGES}\`.

| measure | result | target |
|---|---|---|
| (a) events/s into Kafka | ${result.drainEventsPerSecond.toLocaleString('en')} | ≥ 30,000 |
| (a) seconds to drain ${produced.toLocaleString('en')} events | ${result.drainSeconds} | |
| (a) peak worker RSS | ${result.drainPeakRssMiB} MiB | ≤ 250 MB |
| (b) events/s Kafka → FileStreamSink | ${result.consumeEventsPerSecond.toLocaleString('en')} | |
| (b) peak worker RSS | ${result.consumePeakRssMiB} MiB | |
| average event (JSON value) | ${result.averageEventBytes} bytes | |
| broker start-up (spawn to first metadata answer) | ${result.brokerStartupMs} ms | |

Both workers ran with V8's CPU profiler on (\`--cpu-prof\`), which costs a few percent.

## Where the time goes

(a) drain worker, self time of its top functions (\`(idle)\`: waiting on the broker, the database or I/O):

| function | self % |
|---|---|
${drainTop.map((t) => `| \`${t.fn}\` | ${t.selfPct} |`).join('\n')}

(b) sink worker:

| function | self % |
|---|---|
${sinkTop.map((t) => `| \`${t.fn}\` | ${t.selfPct} |`).join('\n')}
`;
    mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench/results/kafka.md'), md);
  } finally {
    await admin.disconnect().catch(() => undefined);
    await Promise.all([kafka.stop(), pg.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
