/**
 * Avro benchmark (issue 19): PostgreSQL backlog drain into Kafka with AvroConverter (keys and values, a real schema
 * registry: Apicurio) beside the same drain with JsonConverter(schemas.enable=true), Debezium's two usual setups.
 * With the workers stopped, N changes are committed to issue 3's `orders` table (100 rows a transaction); then each
 * worker drains the same backlog from its own slot into its own topic (3 partitions, acks=all, idempotent). Measured:
 * events/s (worker start to the last event in Kafka), bytes per event on the topic (key + value of a sample of
 * 20,000 messages), peak worker RSS.
 *
 * Run: `npm run build && node dist/bench/avro.js [changes]` — writes bench/results/avro.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../test/harness/kafka.js';
import { freePort } from '../test/harness/ports.js';
import { startPostgres } from '../test/harness/postgres.js';
import { startRegistry } from '../test/harness/registry.js';
import { machine, repoRoot, startBenchWorker, waitUntil } from './support/worker-process.js';

const CHANGES = Number(process.argv[2] ?? 300_000);
const SAMPLE = 20_000;

async function main() {
  const loadBefore = loadavg()[1].toFixed(1);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-avro-'));
  const [kafka, pg, registry] = await Promise.all([startKafka(), startPostgres(), startRegistry()]);
  const client = new Kafka({ clientId: 'bench', brokers: [...kafka.brokers], logLevel: logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  const inKafka = async (topic: string) =>
    (await admin.fetchTopicOffsets(topic).catch(() => [])).reduce((s, p) => s + Number(p.high), 0);
  /** average key + value bytes of the first SAMPLE messages of `topic` */
  const bytesPerEvent = async (topic: string): Promise<number> => {
    const consumer = client.consumer({ groupId: `bench-size-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let n = 0;
    let bytes = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (n >= SAMPLE) return;
          n++;
          bytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
          if (n === SAMPLE) resolve();
        },
      });
    });
    await consumer.disconnect();
    return bytes / n;
  };
  try {
    await pg.sql(`CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int, status text, amount numeric(12,2), payload jsonb,
      created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now())`);
    const worker = {
      listeners: `http://127.0.0.1:${await freePort()}`,
      'bootstrap.servers': kafka.bootstrap,
      // Offsets in a file: a fresh offset topic right after the broker started sometimes refuses the worker
      // ("This server is not the leader for that topic-partition"), and the drains are about converters.
      'offset.storage.file.filename': join(dir, 'offsets.json'),
      'offset.flush.interval.ms': '5000',
    };
    const source = (name: string, converters: Record<string, string>) => ({
      name,
      config: {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        ...pg.connectorConfig(),
        'topic.prefix': name,
        'slot.name': `${name}_slot`,
        // One publication each: two connectors starting together would both try to create a shared one.
        'publication.name': `${name}_pub`,
        'snapshot.mode': 'no_data',
        'topic.creation.default.partitions': '3',
        'topic.creation.default.replication.factor': '1',
        ...converters,
      },
    });
    const json = source('json', { 'value.converter.schemas.enable': 'true', 'key.converter.schemas.enable': 'true' });
    const avro = source('avro', {
      'key.converter': 'io.confluent.connect.avro.AvroConverter',
      'key.converter.schema.registry.url': registry.url,
      'value.converter': 'io.confluent.connect.avro.AvroConverter',
      'value.converter.schema.registry.url': registry.url,
    });
    // First start: both slots and the publication; then the workers stop and the backlog is written once.
    const first = startBenchWorker(dir, worker, [json, avro]);
    await waitUntil(
      first,
      async () => (await pg.sql('SELECT 1 FROM pg_replication_slots WHERE active')).length === 2,
      'the slots',
    );
    await first.stop();

    const pgc = await pg.client();
    const payload = JSON.stringify({ sku: 'ABC-123', tags: ['a', 'b'], note: 'x'.repeat(40) });
    let written = 0;
    let inserted = 0;
    while (written < CHANGES) {
      if (inserted < 20_000 || written % 200 === 0) {
        await pgc.query(
          `INSERT INTO orders (customer_id, status, amount, payload) SELECT (random()*1000)::int, 'new', round((random()*1000)::numeric, 2), $1::jsonb FROM generate_series(1, 100)`,
          [payload],
        );
        inserted += 100;
      } else {
        const from = 1 + Math.floor(Math.random() * (inserted - 100));
        await pgc.query(
          `UPDATE orders SET status = 'paid', amount = amount + 1, updated_at = now() WHERE id BETWEEN $1 AND $2`,
          [from, from + 99],
        );
      }
      written += 100;
    }
    await pgc.end();

    const drain = async (conn: ReturnType<typeof source>) => {
      const topic = `${conn.name}.public.orders`;
      const t0 = process.hrtime.bigint();
      const w = startBenchWorker(
        join(dir, conn.name),
        { ...worker, 'offset.storage.file.filename': join(dir, conn.name, 'offsets.json') },
        [conn],
      );
      const peak = await waitUntil(w, async () => (await inKafka(topic)) >= CHANGES, `${CHANGES} events in ${topic}`);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      await w.stop();
      return {
        seconds: Math.round(seconds * 100) / 100,
        eventsPerSecond: Math.round(CHANGES / seconds),
        peakRssMiB: Math.round((peak / 1048576) * 10) / 10,
        bytesPerEvent: Math.round(await bytesPerEvent(topic)),
      };
    };
    mkdirSync(join(dir, 'json'));
    mkdirSync(join(dir, 'avro'));
    const j = await drain(json);
    const a = await drain(avro);
    const ratio = Math.round((a.bytesPerEvent / j.bytesPerEvent) * 1000) / 10;
    console.log(JSON.stringify({ changes: CHANGES, json: j, avro: a, avroBytesPercentOfJson: ratio }, null, 2));
    const md = `# Avro benchmark

Workload (issue 3's table): \`orders (id bigserial pk, customer_id int, status text, amount numeric(12,2),
payload jsonb, created_at, updated_at timestamptz)\`. With the workers stopped, ${CHANGES.toLocaleString('en')}
changes were committed, 100 rows a transaction (20,000 inserts first, then updates and inserts). Then one worker
drained the backlog from its slot into Kafka with **JsonConverter** (\`schemas.enable=true\` for keys and values,
Debezium's default), and another, from a second slot, with **AvroConverter** (keys and values, Confluent's wire
format, schemas registered in Apicurio Registry ${process.env.APICURIO_VERSION ?? '3.0.9'} through its Confluent API).
Topics with 3 partitions, idempotent producer, acks=all. Time from worker start (process start-up included) until
the topic's end offsets add up to the number of changes; bytes per event: key + value of the first
${SAMPLE.toLocaleString('en')} messages.

Single runs, one after the other. Broker (Kafka ${process.env.KAFKA_VERSION ?? '3.9.1'}, KRaft, one node), PostgreSQL 17,
the registry and the workers all ran on this machine: ${machine()} (5-minute load average ${loadBefore} at the start,
${loadavg()[1].toFixed(1)} at the end). Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with
\`node dist/bench/avro.js ${CHANGES}\`.

| measure | JsonConverter (schemas) | AvroConverter | target |
|---|---|---|---|
| events/s into Kafka | ${j.eventsPerSecond.toLocaleString('en')} | ${a.eventsPerSecond.toLocaleString('en')} | Avro ≥ JSON |
| seconds to drain | ${j.seconds} | ${a.seconds} | |
| bytes per event (key + value) | ${j.bytesPerEvent} | ${a.bytesPerEvent} (${ratio}% of JSON) | ≤ 40% |
| peak worker RSS | ${j.peakRssMiB} MiB | ${a.peakRssMiB} MiB | |
${
  Number(loadBefore) > 2 || CHANGES < 300_000
    ? `
**Not the final figures**: a smoke run (${CHANGES.toLocaleString('en')} changes, on a machine shared by other work at
the load above), where worker start-up weighs on events/s. Bytes per event do not depend on the load. To be re-run on
a quiet machine with the default 300,000 changes: \`npm run build && node dist/bench/avro.js\`.
`
    : ''
}`;
    mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench/results/avro.md'), md);
  } finally {
    await admin.disconnect().catch(() => undefined);
    await Promise.all([kafka.stop(), pg.stop(), registry.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
