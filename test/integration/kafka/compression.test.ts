import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeRecord, type Logger, Schemas } from '../../../runtime/api/index.js';
import { StringConverter } from '../../../runtime/converters/simple.js';
import { KafkaTransport } from '../../../runtime/transport/kafka/transport.js';
import type { SinkHandler } from '../../../runtime/transport/transport.js';
import { type KafkaCluster, printKafkaLogOnFailure, requireKafka, startKafka } from '../../harness/kafka.js';

/**
 * Kafka's record-batch codecs against the broker's own (Java) ones. Producing: the broker decompresses every
 * compressed batch it accepts to validate its records (a corrupt LZ4 frame is refused, docs/FACTS.md), so a batch
 * our codec wrote that Java cannot read fails the send. Consuming: a topic whose `compression.type` differs from
 * the producer's is recompressed by the broker with Java's codec, so the sink reads batches written by lz4-java,
 * snappy-java and zstd-jni.
 */

const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' }) as unknown as Logger;
let kafka: KafkaCluster;
const strings = { key: new StringConverter(), value: new StringConverter(), header: new StringConverter() };
const COUNT = 300;

beforeAll(async () => {
  requireKafka();
  kafka = await startKafka();
});

afterEach((ctx) => printKafkaLogOnFailure(kafka, ctx.task.result?.state));

afterAll(async () => {
  await kafka?.stop();
});

async function createTopic(topic: string, configs: Record<string, string>): Promise<void> {
  const admin = new Kafka({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 1,
        replicationFactor: 1,
        configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
      },
    ],
  });
  await admin.disconnect();
}

/** Repetitive values (they compress) with a key each, one request. */
function records(topic: string): ChangeRecord[] {
  return Array.from({ length: COUNT }, (_, i) => ({
    topic,
    keySchema: Schemas.string(),
    key: `key-${i}`,
    valueSchema: Schemas.string(),
    value: `value ${i} ${'lorem ipsum dolor sit amet '.repeat(20)}`,
    headers: [],
    sourcePartition: {},
    sourceOffset: {},
  }));
}

async function produce(worker: Record<string, string>, topic: string): Promise<unknown> {
  const transport = new KafkaTransport({ worker: { 'bootstrap.servers': kafka.bootstrap, ...worker }, log });
  await transport.start();
  try {
    return await new Promise<unknown>((resolve) => {
      void transport.send({ connector: 'src', taskId: 0, records: records(topic), converters: strings }, (err) =>
        resolve(err ?? 'ok'),
      );
    });
  } finally {
    await transport.stop();
  }
}

/** Everything on the topic, through a sluice sink consumer (which decompresses with our codecs). */
async function consume(topic: string): Promise<string[]> {
  const transport = new KafkaTransport({ worker: { 'bootstrap.servers': kafka.bootstrap }, log, flushIntervalMs: 500 });
  await transport.start();
  const got: string[] = [];
  const failures: unknown[] = [];
  const sink: SinkHandler = {
    connector: `read-${topic}`,
    taskId: 0,
    taskCount: 1,
    topics: [topic],
    converters: strings,
    put: async (rs) => {
      for (const r of rs) got.push(String(r.value));
    },
    flush: async () => undefined,
    transportFailed: (err) => failures.push(err),
  };
  try {
    await transport.addSink(sink);
    const deadline = Date.now() + 30_000;
    while (got.length < COUNT && failures.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await transport.removeSink(sink);
  } finally {
    await transport.stop();
  }
  if (failures.length) throw failures[0];
  return got;
}

const expected = records('x').map((r) => String(r.value));

describe('record batch compression', () => {
  it.each(['gzip', 'snappy', 'lz4'])(
    'produces %s batches the broker (Java) decompresses, and reads them back',
    async (codec) => {
      const topic = `produced-${codec}`;
      await createTopic(topic, { 'compression.type': 'producer' });
      expect(await produce({ 'compression.type': codec }, topic)).toBe('ok');
      expect(await consume(topic)).toEqual(expected);
    },
  );

  it.each(['snappy', 'lz4', 'zstd'])('reads batches the broker recompressed with Java’s %s', async (codec) => {
    const topic = `recompressed-${codec}`;
    await createTopic(topic, { 'compression.type': codec });
    expect(await produce({}, topic)).toBe('ok');
    expect(await consume(topic)).toEqual(expected);
  });

  it('refuses to produce zstd, naming the key', async () => {
    const err = await produce({ 'producer.compression.type': 'zstd' }, 'never').catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/compression\.type=zstd is not available/);
  });
});
