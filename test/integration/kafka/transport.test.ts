import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeRecord, type ConnectError, type Logger, Schemas } from '../../../runtime/api/index.js';
import { JsonConverter } from '../../../runtime/converters/json.js';
import { StringConverter } from '../../../runtime/converters/simple.js';
import { KafkaOffsetStore } from '../../../runtime/offsets/kafka-store.js';
import { partitionForKey } from '../../../runtime/transport/kafka/partitioner.js';
import { KafkaTransport } from '../../../runtime/transport/kafka/transport.js';
import type { RecordConverters, SinkHandler } from '../../../runtime/transport/transport.js';
import {
  describeProducers,
  type KafkaCluster,
  printKafkaLogOnFailure,
  requireKafka,
  startKafka,
} from '../../harness/kafka.js';

const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }) as unknown as Logger;

const jsonConverters = (schemas: boolean): RecordConverters => ({
  key: new JsonConverter({ schemasEnable: schemas, decimalFormat: 'BASE64' }),
  value: new JsonConverter({ schemasEnable: schemas, decimalFormat: 'BASE64' }),
  header: new StringConverter(),
});

let kafka: KafkaCluster;
const raw = () => new Kafka({ clientId: 'test', brokers: kafka.brokers as string[], logLevel: logLevel.NOTHING });

/** Reads every message of a topic from the beginning until `count` arrived (or the timeout). */
async function readTopic(topic: string, count: number, timeoutMs = 30_000) {
  const consumer = raw().consumer({ groupId: `reader-${Math.random()}` });
  const out: Array<{
    partition: number;
    offset: string;
    key: string | null;
    value: string | null;
    headers: Record<string, string>;
  }> = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      out.push({
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        headers,
      });
      if (out.length >= count) resolveDone();
    },
  });
  await Promise.race([done, new Promise((r) => setTimeout(r, timeoutMs))]);
  await consumer.disconnect();
  return out;
}

function record(topic: string, id: number, seq: number): ChangeRecord {
  return {
    topic,
    keySchema: Schemas.struct([['id', Schemas.int32()]]),
    key: { id },
    valueSchema: Schemas.struct([
      ['id', Schemas.int32()],
      ['seq', Schemas.int64()],
    ]),
    value: { id, seq: BigInt(seq) },
    headers: [{ key: 'h', value: `v${seq}` }],
    timestamp: 1_700_000_000_000 + seq,
    sourcePartition: { src: 'test' },
    sourceOffset: { pos: seq },
  };
}

/** A sink handler that keeps what it was given and counts flushes; `durable` is what a flush covered. */
class MemorySink implements SinkHandler {
  readonly taskId = 0;
  readonly taskCount = 1;
  readonly put_: ChangeRecord[] = [];
  durable = 0;
  flushes = 0;
  constructor(
    readonly connector: string,
    readonly topics: readonly string[],
    readonly converters: RecordConverters,
    readonly topicsRegex?: RegExp,
  ) {}
  async put(records: readonly ChangeRecord[]): Promise<void> {
    this.put_.push(...records);
  }
  async flush(): Promise<void> {
    this.flushes++;
    this.durable = this.put_.length;
  }
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  requireKafka();
  kafka = await startKafka();
  console.log(`Kafka broker ready in ${kafka.startupMillis} ms`);
});

afterEach((ctx) => printKafkaLogOnFailure(kafka, ctx.task.result?.state));

afterAll(async () => {
  await kafka?.stop();
});

describe('KafkaTransport source side', () => {
  it('produces converted records keyed and partitioned as Java Kafka, creating the topic by KIP-158 rules', async () => {
    const connectorConfig: Record<string, string> = {
      'topic.creation.default.replication.factor': '1',
      'topic.creation.default.partitions': '3',
      'topic.creation.default.cleanup.policy': 'compact',
    };
    const transport = new KafkaTransport({
      worker: { 'bootstrap.servers': kafka.bootstrap },
      log,
      connectorConfig: () => connectorConfig,
    });
    await transport.start();
    const acks: Array<unknown> = [];
    const batches = 20;
    for (let b = 0; b < batches; b++) {
      const records = Array.from({ length: 50 }, (_, i) => record('src.orders', (b * 50 + i) % 17, b * 50 + i));
      await transport.send({ connector: 'src', taskId: 0, records, converters: jsonConverters(true) }, (err) =>
        acks.push(err ?? 'ok'),
      );
    }
    await transport.flush();
    expect(acks).toEqual(Array(batches).fill('ok'));

    const admin = raw().admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: ['src.orders'] });
    expect(meta.topics[0].partitions).toHaveLength(3);
    const cfg = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: 'src.orders', configNames: ['cleanup.policy'] }],
    });
    expect(cfg.resources[0].configEntries[0].configValue).toBe('compact');
    await admin.disconnect();

    const got = await readTopic('src.orders', batches * 50);
    expect(got).toHaveLength(batches * 50);
    for (const m of got) {
      // the key bytes decide the partition exactly as Java's default partitioner would
      expect(m.partition).toBe(partitionForKey(Buffer.from(m.key as string), 3));
      expect(JSON.parse(m.key as string).payload).toEqual({ id: JSON.parse(m.value as string).payload.id });
      expect(m.headers.h).toBe(`v${JSON.parse(m.value as string).payload.seq}`);
    }
    // order per key: seq strictly increases along each partition
    const lastSeq = new Map<string, number>();
    for (const m of got.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset))) {
      const seq = JSON.parse(m.value as string).payload.seq as number;
      expect(seq).toBeGreaterThan(lastSeq.get(m.key as string) ?? -1);
      lastSeq.set(m.key as string, seq);
    }
    await transport.stop();
  });

  it('is an idempotent producer: the broker tracks its producer id and sequence; with enable.idempotence=false it does not', async () => {
    const sendAll = async (worker: Record<string, string>, topic: string) => {
      const transport = new KafkaTransport({ worker: { 'bootstrap.servers': kafka.bootstrap, ...worker }, log });
      await transport.start();
      const acks: unknown[] = [];
      for (let b = 0; b < 3; b++) {
        const records = Array.from({ length: 10 }, (_, i) => ({
          ...record(topic, 1, b * 10 + i),
          key: null,
          keySchema: undefined,
        }));
        await transport.send({ connector: 'c', taskId: 0, records, converters: jsonConverters(false) }, (e) =>
          acks.push(e ?? 'ok'),
        );
      }
      await transport.flush();
      await transport.stop();
      expect(acks).toEqual(['ok', 'ok', 'ok']);
    };
    await sendAll({}, 'idem.on');
    const producers = await describeProducers(kafka.bootstrap, 'idem.on', 0);
    expect(producers).toHaveLength(1);
    // 30 records, sequence numbers 0..29
    expect(producers[0].lastSequence).toBe(29);
    await sendAll({ 'producer.enable.idempotence': 'false', 'producer.acks': '1' }, 'idem.off');
    expect(await describeProducers(kafka.bootstrap, 'idem.off', 0)).toEqual([]);
  });

  it('splits a batch into requests of at most max.request.size, under a topic whose max.message.bytes is small', async () => {
    const admin = raw().admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: 'small.batches',
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: '20000' }],
        },
      ],
    });
    await admin.disconnect();
    // 100 records of ~1 kB: one request of 100 kB is refused by the broker; requests of at most 15 kB are not.
    const big = (seq: number): ChangeRecord => ({
      ...record('small.batches', seq, seq),
      value: { id: seq, seq: BigInt(seq) },
      headers: [{ key: 'pad', value: 'x'.repeat(1000) }],
    });
    const sendAll = async (worker: Record<string, string>) => {
      const transport = new KafkaTransport({ worker: { 'bootstrap.servers': kafka.bootstrap, ...worker }, log });
      await transport.start();
      const result = await new Promise<unknown>((resolve) => {
        void transport.send(
          {
            connector: 'c',
            taskId: 0,
            records: Array.from({ length: 100 }, (_, i) => big(i)),
            converters: jsonConverters(false),
          },
          (e) => resolve(e ?? 'ok'),
        );
      });
      await transport.stop();
      return result;
    };
    const refused = (await sendAll({})) as Error;
    expect(refused.message).toMatch(/Kafka refused the records/);
    expect(await sendAll({ 'producer.max.request.size': '15000' })).toBe('ok');
    const got = await readTopic('small.batches', 100);
    expect(got.map((m) => JSON.parse(m.value as string).seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('fails a batch whose record the converter rejects, and only that batch', async () => {
    const transport = new KafkaTransport({ worker: { 'bootstrap.servers': kafka.bootstrap }, log });
    await transport.start();
    const results = new Map<string, unknown>();
    const throwing = {
      fromRecord: (): Buffer => {
        throw new Error('boom');
      },
      toRecord: () => ({ value: null }),
    };
    await transport.send(
      { connector: 'c', taskId: 0, records: [record('src.bad', 1, 1)], converters: jsonConverters(true) },
      (e) => results.set('good', e ?? 'ok'),
    );
    await transport.send(
      {
        connector: 'c',
        taskId: 0,
        records: [record('src.bad', 1, 2)],
        converters: { ...jsonConverters(true), value: throwing },
      },
      (e) => results.set('bad', e),
    );
    await transport.flush();
    expect(results.get('good')).toBe('ok');
    expect(results.get('bad')).toBeInstanceOf(Error);
    expect((results.get('bad') as ConnectError).context.stage).toBe('VALUE_CONVERTER');
    expect(String((results.get('bad') as Error).message)).toContain('boom');
    await transport.stop();
  });
});

describe('KafkaTransport sink side', () => {
  it('feeds a sink from its consumer group and commits consumer offsets only after flush', async () => {
    const producer = raw().producer();
    await producer.connect();
    await producer.send({
      topic: 'sink.in',
      messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 3}`, value: JSON.stringify({ n: i }) })),
    });
    const transport = new KafkaTransport({
      worker: { 'bootstrap.servers': kafka.bootstrap },
      log,
      flushIntervalMs: 500,
    });
    await transport.start();
    const sink = new MemorySink('files', ['sink.in'], { ...jsonConverters(false), key: new StringConverter() });
    await transport.addSink(sink);
    await until(() => sink.put_.length >= 30, 30_000, '30 records put');
    expect(sink.put_.map((r) => (r.value as { n: number }).n)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(sink.put_[0]).toMatchObject({
      topic: 'sink.in',
      kafkaPartition: 0,
      key: 'k0',
      sourcePartition: { topic: 'sink.in', partition: 0 },
      sourceOffset: { offset: 0 },
    });

    const admin = raw().admin();
    await admin.connect();
    const committed = async () =>
      (await admin.fetchOffsets({ groupId: 'connect-files', topics: ['sink.in'] }))[0].partitions[0].offset;
    await until(async () => (await committed()) === '30', 20_000, 'offset 30 committed for group connect-files');
    expect(sink.flushes).toBeGreaterThan(0);
    expect(sink.durable).toBe(30);

    // a second sink instance in the same group resumes after the committed offset: nothing re-delivered
    await transport.removeSink(sink);
    await producer.send({ topic: 'sink.in', messages: [{ key: 'k0', value: JSON.stringify({ n: 30 }) }] });
    const again = new MemorySink('files', ['sink.in'], { ...jsonConverters(false), key: new StringConverter() });
    await transport.addSink(again);
    await until(() => again.put_.length >= 1, 30_000, 'the new record');
    expect(again.put_.map((r) => (r.value as { n: number }).n)).toEqual([30]);
    await transport.removeSink(again);
    expect(await committed()).toBe('31');
    await admin.disconnect();
    await producer.disconnect();
    await transport.stop();
  });

  it('sends an undecodable message to the dead letter queue with Connect error headers; the rest reaches the sink', async () => {
    const producer = raw().producer();
    await producer.connect();
    const messages = Array.from({ length: 10 }, (_, i) => ({
      key: `{"id":${i}}`,
      value: i === 4 ? '{"broken": ' : `{"n":${i}}`,
      headers: { origin: `o${i}` },
    }));
    await producer.send({ topic: 'dlq.in', messages });
    await producer.disconnect();
    const connectorConfig: Record<string, string> = {
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': 'dlq.out',
      'errors.deadletterqueue.topic.replication.factor': '1',
      'errors.deadletterqueue.context.headers.enable': 'true',
    };
    const transport = new KafkaTransport({
      worker: { 'bootstrap.servers': kafka.bootstrap },
      log,
      flushIntervalMs: 500,
      connectorConfig: () => connectorConfig,
    });
    await transport.start();
    const sink = new MemorySink('dlq-sink', ['dlq.in'], jsonConverters(false));
    await transport.addSink(sink);
    await until(() => sink.put_.length >= 9, 30_000, '9 good records');
    expect(sink.put_.map((r) => (r.value as { n: number }).n)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    const dead = await readTopic('dlq.out', 1);
    expect(dead).toHaveLength(1);
    expect(dead[0].value).toBe('{"broken": ');
    expect(dead[0].key).toBe('{"id":4}');
    expect(dead[0].headers).toMatchObject({
      origin: 'o4',
      '__connect.errors.topic': 'dlq.in',
      '__connect.errors.partition': '0',
      '__connect.errors.offset': '4',
      '__connect.errors.connector.name': 'dlq-sink',
      '__connect.errors.task.id': '0',
      '__connect.errors.stage': 'VALUE_CONVERTER',
      '__connect.errors.class.name': 'org.apache.kafka.connect.json.JsonConverter',
      '__connect.errors.exception.class.name': 'org.apache.kafka.connect.errors.DataException',
    });
    expect(dead[0].headers['__connect.errors.exception.message']).toContain(
      'Converting byte[] to Kafka Connect data failed',
    );
    expect(dead[0].headers['__connect.errors.exception.stacktrace'].length).toBeGreaterThan(0);
    await transport.stop();
  });
});

describe('KafkaTransport sink with topics.regex', () => {
  it('consumes every existing topic the regex matches, with headers, in group connect-<name>', async () => {
    const producer = raw().producer();
    await producer.connect();
    for (const topic of ['rx.alpha', 'rx.beta', 'other.gamma'])
      await producer.send({
        topic,
        messages: [{ key: 'k', value: JSON.stringify({ from: topic }), headers: { trace: `t-${topic}` } }],
      });
    await producer.disconnect();
    const transport = new KafkaTransport({
      worker: { 'bootstrap.servers': kafka.bootstrap },
      log,
      flushIntervalMs: 300,
    });
    await transport.start();
    const sink = new MemorySink('by-regex', [], { ...jsonConverters(false), key: new StringConverter() }, /^rx\..*$/);
    await transport.addSink(sink);
    await until(() => sink.put_.length >= 2, 30_000, 'records of both rx topics');
    await new Promise((r) => setTimeout(r, 1000));
    expect(sink.put_.map((r) => r.topic).sort()).toEqual(['rx.alpha', 'rx.beta']);
    for (const r of sink.put_) {
      expect(r.value).toEqual({ from: r.topic });
      expect(r.headers).toEqual([{ key: 'trace', value: `t-${r.topic}`, schema: expect.anything() }]);
    }
    const admin = raw().admin();
    await admin.connect();
    await until(
      async () =>
        (await admin.fetchOffsets({ groupId: 'connect-by-regex', topics: ['rx.alpha', 'rx.beta'] }))
          .map((t) => t.partitions[0].offset)
          .join() === '1,1',
      20_000,
      'offsets committed for both topics in connect-by-regex',
    );
    await admin.disconnect();
    await transport.stop();
  });
});

describe('KafkaTransport sink with topics.regex, topics created later', () => {
  it('picks up a matching topic created after it subscribed (metadata.max.age.ms), without re-delivering', async () => {
    const producer = raw().producer();
    await producer.connect();
    await producer.send({ topic: 'late.first', messages: [{ value: JSON.stringify({ n: 1 }) }] });
    const transport = new KafkaTransport({
      worker: { 'bootstrap.servers': kafka.bootstrap, 'consumer.metadata.max.age.ms': '1000' },
      log,
      flushIntervalMs: 60_000,
    });
    await transport.start();
    const sink = new MemorySink('late-regex', [], jsonConverters(false), /^late\..*$/);
    await transport.addSink(sink);
    await until(() => sink.put_.length >= 1, 30_000, 'the record of the existing topic');
    await producer.send({ topic: 'late.second', messages: [{ value: JSON.stringify({ n: 2 }) }] });
    await producer.send({ topic: 'late.first', messages: [{ value: JSON.stringify({ n: 3 }) }] });
    await until(() => sink.put_.length >= 3, 30_000, 'the records of the new topic and the old one');
    await new Promise((r) => setTimeout(r, 1500));
    // Each record once: what was put before the new subscription was flushed and committed first.
    expect(sink.put_.map((r) => `${r.topic}:${(r.value as { n: number }).n}`).sort()).toEqual([
      'late.first:1',
      'late.first:3',
      'late.second:2',
    ]);
    expect(sink.flushes).toBeGreaterThan(0);
    await producer.disconnect();
    await transport.stop();
  });
});

describe('KafkaTransport sink rebalance', () => {
  it('flushes and commits what it holds when its partitions are about to move to a new group member', async () => {
    const admin = raw().admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: 'rebal.in', numPartitions: 2, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const producer = raw().producer();
    await producer.connect();
    await producer.send({
      topic: 'rebal.in',
      messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 2, value: JSON.stringify({ n: i }) })),
    });
    // A commit interval far beyond the test: only the rebalance can make the first member flush and commit.
    const a = new KafkaTransport({ worker: { 'bootstrap.servers': kafka.bootstrap }, log, flushIntervalMs: 600_000 });
    await a.start();
    const first = new MemorySink('rebal', ['rebal.in'], jsonConverters(false));
    await a.addSink(first);
    await until(() => first.put_.length >= 40, 30_000, 'the first member to take all 40');
    expect(first.flushes).toBe(0);

    const b = new KafkaTransport({ worker: { 'bootstrap.servers': kafka.bootstrap }, log, flushIntervalMs: 600_000 });
    await b.start();
    const second = new MemorySink('rebal', ['rebal.in'], jsonConverters(false));
    await b.addSink(second);
    const committed = async () =>
      (await admin.fetchOffsets({ groupId: 'connect-rebal', topics: ['rebal.in'] }))[0].partitions
        .map((p) => p.offset)
        .sort();
    await until(
      async () => first.flushes > 0 && (await committed()).join() === '20,20',
      60_000,
      'flush and commit at the rebalance',
    );
    expect(first.durable).toBe(40);
    // After the move, new records reach one member or the other; the 40 already committed are not delivered again.
    await producer.send({
      topic: 'rebal.in',
      messages: [0, 1].map((p) => ({ partition: p, value: JSON.stringify({ n: 100 + p }) })),
    });
    await until(() => first.put_.length + second.put_.length >= 42, 30_000, 'the two new records');
    const all = [...first.put_, ...second.put_].map((r) => (r.value as { n: number }).n);
    expect(all.filter((n) => n < 40)).toHaveLength(40);
    await a.stop();
    await b.stop();
    await producer.disconnect();
    await admin.disconnect();
  });
});

describe('KafkaTransport sink side, dropped from its group', () => {
  /** A sink whose first put holds the event loop (a long GC pause, an overloaded machine): no heartbeat goes out. */
  class StallingSink extends MemorySink {
    readonly failures: unknown[] = [];
    private stalled = false;
    override async put(records: readonly ChangeRecord[]): Promise<void> {
      if (!this.stalled) {
        this.stalled = true;
        const until = Date.now() + 9_000;
        while (Date.now() < until) {} // the session (6 s) expires meanwhile
      }
      await super.put(records);
    }
    transportFailed(err: unknown): void {
      this.failures.push(err);
    }
  }

  it('rejoins by itself after its session expired mid-batch, delivers everything, and its task never fails', async () => {
    const producer = raw().producer();
    await producer.connect();
    await producer.send({
      topic: 'stall.in',
      messages: Array.from({ length: 20 }, (_, i) => ({ value: JSON.stringify({ n: i }) })),
    });
    const transport = new KafkaTransport({
      worker: {
        'bootstrap.servers': kafka.bootstrap,
        'consumer.session.timeout.ms': '6000',
        'consumer.heartbeat.interval.ms': '1000',
      },
      log,
      flushIntervalMs: 500,
    });
    await transport.start();
    const sink = new StallingSink('stall', ['stall.in'], jsonConverters(false));
    await transport.addSink(sink);
    const admin = raw().admin();
    await admin.connect();
    // The group's coordinator may move while the group churns: a failed lookup is "not yet", not an answer.
    const committed = async () =>
      (await admin.fetchOffsets({ groupId: 'connect-stall', topics: ['stall.in'] }).catch(() => undefined))?.[0]
        .partitions[0].offset;
    await until(async () => (await committed()) === '20', 90_000, 'offset 20 committed after the member rejoined');
    await producer.send({ topic: 'stall.in', messages: [{ value: JSON.stringify({ n: 20 }) }] });
    await until(() => sink.put_.some((r) => (r.value as { n: number }).n === 20), 30_000, 'a record sent after');
    expect(sink.failures).toEqual([]);
    const seen = new Set(sink.put_.map((r) => (r.value as { n: number }).n));
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    await transport.removeSink(sink);
    await transport.stop();
    await admin.disconnect();
    await producer.disconnect();
  });
});

describe('KafkaOffsetStore', () => {
  it('writes Connect-format offsets to a compacted topic and a fresh store reads them back', async () => {
    const opts = {
      worker: { 'bootstrap.servers': kafka.bootstrap },
      topic: 'connect-offsets',
      partitions: 5,
      replicationFactor: 1,
      log,
    };
    const store = new KafkaOffsetStore(opts);
    await store.start();
    expect(await store.read('pg')).toEqual([]);
    await store.write([
      { connector: 'pg', partition: { server: 'db1' }, offset: { lsn: 100, txId: 7 } },
      { connector: 'other', partition: { file: '/x' }, offset: { position: 3 } },
    ]);
    await store.write([{ connector: 'pg', partition: { server: 'db1' }, offset: { lsn: 250, txId: 9 } }]);
    await store.write([{ connector: 'gone', partition: { p: 1 }, offset: { x: 1 } }]);
    await store.write([{ connector: 'gone', partition: { p: 1 }, offset: null }]);
    expect(await store.read('pg')).toEqual([{ partition: { server: 'db1' }, offset: { lsn: 250, txId: 9 } }]);
    await store.stop();

    const fresh = new KafkaOffsetStore(opts);
    await fresh.start();
    expect(await fresh.read('pg')).toEqual([{ partition: { server: 'db1' }, offset: { lsn: 250, txId: 9 } }]);
    expect(await fresh.read('other')).toEqual([{ partition: { file: '/x' }, offset: { position: 3 } }]);
    expect(await fresh.read('gone')).toEqual([]);
    await fresh.stop();

    const records = await readTopic('connect-offsets', 5);
    const pg = records.filter((r) => r.key === '["pg",{"server":"db1"}]');
    expect(pg.map((r) => r.value)).toEqual(['{"lsn":100,"txId":7}', '{"lsn":250,"txId":9}']);
    // the same partition as a Java producer would choose for that key
    expect(pg[0].partition).toBe(partitionForKey(Buffer.from('["pg",{"server":"db1"}]'), 5));
    expect(records.find((r) => r.key === '["gone",{"p":1}]' && r.value === null)).toBeDefined();

    const admin = raw().admin();
    await admin.connect();
    const cfg = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: 'connect-offsets', configNames: ['cleanup.policy'] }],
    });
    expect(cfg.resources[0].configEntries[0].configValue).toBe('compact');
    await admin.disconnect();
  });
});
