import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeRecord, type Logger, Schemas } from '../../../runtime/api/index.js';
import { JsonConverter } from '../../../runtime/converters/json.js';
import { StringConverter } from '../../../runtime/converters/simple.js';
import { KafkaTransport } from '../../../runtime/transport/kafka/transport.js';
import { type KafkaCluster, printKafkaLogOnFailure, requireKafka, startKafka } from '../../harness/kafka.js';

/** Three KRaft nodes: a broker dies mid-stream and acks=all delivery goes on, in order per key, nothing lost. */

const log = pino({ level: process.env.LOG_LEVEL ?? 'error' }) as unknown as Logger;
let kafka: KafkaCluster;

beforeAll(async () => {
  requireKafka();
  // A dead follower leaves the ISR after replica.lag.time.max.ms; 5 s keeps the test short.
  kafka = await startKafka({ nodes: 3, heap: '384m', properties: { 'replica.lag.time.max.ms': '5000' } });
  console.log(`3-node Kafka ready in ${kafka.startupMillis} ms`);
});

afterEach((ctx) => printKafkaLogOnFailure(kafka, ctx.task.result?.state));

afterAll(async () => {
  await kafka?.stop();
});

const converters = {
  key: new JsonConverter({ schemasEnable: false, decimalFormat: 'BASE64' }),
  value: new JsonConverter({ schemasEnable: false, decimalFormat: 'BASE64' }),
  header: new StringConverter(),
};

function record(id: number, seq: number): ChangeRecord {
  return {
    topic: 'replicated',
    keySchema: Schemas.int32(),
    key: id,
    valueSchema: Schemas.int64(),
    value: BigInt(seq),
    headers: [],
    sourcePartition: { s: 1 },
    sourceOffset: { seq },
  };
}

describe('Kafka transport on a three-node cluster', () => {
  it('keeps delivering with acks=all when a broker is killed mid-stream', async () => {
    const transport = new KafkaTransport({
      worker: { 'bootstrap.servers': kafka.bootstrap },
      log,
      connectorConfig: () => ({
        'topic.creation.default.partitions': '3',
        'topic.creation.default.replication.factor': '3',
      }),
    });
    await transport.start();
    const results: unknown[] = [];
    const batches = 60;
    for (let b = 0; b < batches; b++) {
      const records = Array.from({ length: 100 }, (_, i) => record((b * 100 + i) % 23, b * 100 + i));
      await transport.send({ connector: 'c', taskId: 0, records, converters }, (err) => results.push(err ?? 'ok'));
      if (b === 20) await kafka.nodes[1].kill();
    }
    await transport.flush();
    const failures = results
      .filter((r) => r !== 'ok')
      .map((r) => (r instanceof Error ? `${r.message} <- ${String((r.cause as Error)?.message)}` : String(r)));
    expect(failures).toEqual([]);
    expect(results).toHaveLength(batches);
    await transport.stop();

    const client = new Kafka({
      clientId: 'test',
      brokers: [kafka.brokers[0], kafka.brokers[2]],
      logLevel: logLevel.NOTHING,
    });
    const admin = client.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets('replicated');
    await admin.disconnect();
    const total = ends.reduce((s, p) => s + Number(p.high), 0);
    const consumer = client.consumer({ groupId: 'check' });
    const got: Array<{ partition: number; key: number; seq: number }> = [];
    await consumer.connect();
    await consumer.subscribe({ topics: ['replicated'], fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 60_000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          got.push({ partition, key: Number(String(message.key)), seq: Number(String(message.value)) });
          if (got.length >= total) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(got.length, `consumed vs end offsets ${JSON.stringify(ends)}`).toBe(total);
    expect(new Set(got.map((g) => g.seq)).size).toBe(batches * 100);
    // per key, first occurrences in increasing order (a resent request may duplicate, never reorder)
    const last = new Map<number, number>();
    const seen = new Set<number>();
    for (const g of got) {
      if (seen.has(g.seq)) continue;
      seen.add(g.seq);
      expect(g.seq).toBeGreaterThan(last.get(g.key) ?? -1);
      last.set(g.key, g.seq);
    }
  });
});
