import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChangeRecord,
  defineSinkConnector,
  type ErrantRecordReporter,
  type SinkTaskContext,
} from '../../../runtime/api/index.js';
import { parseWorkerConfig } from '../../../runtime/config/worker.js';
import type { Herder } from '../../../runtime/worker/herder.js';
import { builtinRegistry } from '../../../runtime/worker/plugins.js';
import { createStandaloneHerder } from '../../../runtime/worker/standalone.js';
import { type KafkaCluster, printKafkaLogOnFailure, requireKafka, startKafka } from '../../harness/kafka.js';

/**
 * The sink side of the dead letter queue beyond converters: records a sink task rejects through the
 * ErrantRecordReporter (KIP-610) and records a sink transform rejects, through a real worker (herder, sink
 * runner, Kafka transport) and a real broker. No built-in sink rejects single records, so this suite registers
 * one of its own that refuses values marked `"reject": true`.
 */

let kafka: KafkaCluster;
let herder: Herder | undefined;
const accepted = new Map<string, number[]>();
const reporters = new Map<string, ErrantRecordReporter | undefined>();

const rejectingSink = defineSinkConnector({
  name: 'rejecting-test-sink',
  className: 'test.RejectingSink',
  version: '0.0.1',
  configSpec: [],
  async taskConfigs(_config, maxTasks) {
    return Array.from({ length: maxTasks }, () => ({}));
  },
  createTask() {
    let ctx: SinkTaskContext;
    return {
      async start(_config, c) {
        ctx = c;
        reporters.set(c.connector, c.errantRecordReporter);
      },
      async put(records: readonly ChangeRecord[]) {
        for (const r of records) {
          const v = r.value as { n: number; reject?: boolean };
          if (v.reject) {
            if (!ctx.errantRecordReporter) throw new Error(`record ${v.n} rejected and no reporter`);
            // not awaited, as Connect's tasks typically do: the runtime waits before committing
            void ctx.errantRecordReporter.report(r, new TypeError(`record ${v.n} cannot be written`));
            continue;
          }
          const list = accepted.get(ctx.connector) ?? [];
          list.push(v.n);
          accepted.set(ctx.connector, list);
        }
      },
      async flush() {},
      async stop() {},
    };
  },
});

const client = () => new Kafka({ clientId: 'test', brokers: [...kafka.brokers], logLevel: logLevel.NOTHING });

async function produce(topic: string, values: string[]): Promise<void> {
  const producer = client().producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((value, i) => ({ key: `k${i}`, value, headers: { i: `${i}` } })) });
  await producer.disconnect();
}

async function readAll(topic: string, count: number) {
  const consumer = client().consumer({ groupId: `reader-${Math.random()}` });
  const out: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        out.push({ key: String(message.key), value: String(message.value), headers });
        if (out.length >= count) {
          clearTimeout(t);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

async function committed(group: string, topic: string): Promise<number> {
  const admin = client().admin();
  await admin.connect();
  const r = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  await admin.disconnect();
  return Number(r[0].partitions[0].offset);
}

async function until<T>(f: () => Promise<T | undefined> | T | undefined, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  requireKafka();
  kafka = await startKafka();
  const worker = parseWorkerConfig({
    'bootstrap.servers': kafka.bootstrap,
    listeners: '',
    'offset.flush.interval.ms': '300',
  });
  herder = createStandaloneHerder({
    worker,
    log: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
    registry: builtinRegistry().register(rejectingSink),
  });
  await herder.start();
});

afterEach((ctx) => printKafkaLogOnFailure(kafka, ctx.task.result?.state));

afterAll(async () => {
  await herder?.stop();
  await kafka?.stop();
});

const sinkConfig = (topic: string, extra: Record<string, string>) => ({
  'connector.class': 'test.RejectingSink',
  topics: topic,
  'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
  'value.converter.schemas.enable': 'false',
  'errors.deadletterqueue.topic.replication.factor': '1',
  'errors.deadletterqueue.context.headers.enable': 'true',
  ...extra,
});

describe('sink-side dead letter queue', () => {
  it('errors.tolerance=all: a record the task reports and one a transform rejects land in the DLQ; every other record reaches the sink', async () => {
    const values = Array.from({ length: 20 }, (_, n) =>
      n === 7 ? '{"n":7,"reject":true}' : n === 12 ? '{"n":"twelve"}' : `{"n":${n}}`,
    );
    await produce('errant.in', values);
    await herder!.createConnector(
      'errant',
      sinkConfig('errant.in', {
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'errant.dlq',
        transforms: 'cast',
        'transforms.cast.type': 'org.apache.kafka.connect.transforms.Cast$Value',
        'transforms.cast.spec': 'n:int32',
      }),
    );
    // Committed past the end only once the sink flushed, which waits for both dead letters to be acknowledged.
    // (the group's coordinator may still be loading: ask again)
    await until(
      async () => (await committed('connect-errant', 'errant.in').catch(() => -1)) === 20,
      'offset 20 committed',
    );
    expect(accepted.get('errant')).toEqual(Array.from({ length: 20 }, (_, n) => n).filter((n) => n !== 7 && n !== 12));
    // The batch is transformed whole before put (as in Connect), so the transform's dead letter comes first.
    const dead = (await readAll('errant.dlq', 2)).sort(
      (a, b) => Number(a.headers['__connect.errors.offset']) - Number(b.headers['__connect.errors.offset']),
    );
    expect(dead.map((d) => d.value)).toEqual(['{"n":7,"reject":true}', '{"n":"twelve"}']);
    const common = {
      '__connect.errors.topic': 'errant.in',
      '__connect.errors.partition': '0',
      '__connect.errors.connector.name': 'errant',
      '__connect.errors.task.id': '0',
    };
    expect(dead[0].key).toBe('k7');
    expect(dead[0].headers).toMatchObject({
      ...common,
      i: '7',
      '__connect.errors.offset': '7',
      '__connect.errors.stage': 'TASK_PUT',
      '__connect.errors.class.name': 'org.apache.kafka.connect.sink.SinkTask',
      '__connect.errors.exception.class.name': 'TypeError',
      '__connect.errors.exception.message': 'record 7 cannot be written',
    });
    expect(dead[0].headers['__connect.errors.exception.stacktrace']).toContain('TypeError');
    expect(dead[1].headers).toMatchObject({
      ...common,
      '__connect.errors.offset': '12',
      '__connect.errors.stage': 'TRANSFORMATION',
      '__connect.errors.class.name': 'org.apache.kafka.connect.transforms.Cast$Value',
    });
    expect(dead[1].headers['__connect.errors.exception.message']).toContain('twelve');
    expect(herder!.status('errant').tasks.map((t) => t.state)).toEqual(['RUNNING']);
  });

  it('errors.tolerance=none: the reported record is still dead-lettered, then the task fails and nothing past it is committed', async () => {
    await produce(
      'strict.in',
      Array.from({ length: 10 }, (_, n) => (n === 4 ? '{"n":4,"reject":true}' : `{"n":${n}}`)),
    );
    await herder!.createConnector(
      'strict',
      sinkConfig('strict.in', { 'errors.deadletterqueue.topic.name': 'strict.dlq' }),
    );
    const task = await until(() => {
      const t = herder!.status('strict').tasks[0];
      return t?.state === 'FAILED' ? t : undefined;
    }, 'the task to fail');
    expect(task.trace).toContain('Tolerance exceeded in error handler');
    const dead = await readAll('strict.dlq', 1);
    expect(dead.map((d) => d.headers['__connect.errors.stage'])).toEqual(['TASK_PUT']);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await committed('connect-strict', 'strict.in').catch(() => -1)).toBeLessThanOrEqual(4);
  });

  it('no reporter without a dead letter queue or errors.log.enable, as in Connect', async () => {
    await produce('quiet.in', ['{"n":1}']);
    await herder!.createConnector('quiet', sinkConfig('quiet.in', { 'errors.tolerance': 'all' }));
    await herder!.createConnector(
      'logged',
      sinkConfig('quiet.in', { 'errors.tolerance': 'all', 'errors.log.enable': 'true' }),
    );
    await until(() => reporters.has('quiet') && reporters.has('logged'), 'both tasks started');
    expect(reporters.get('quiet')).toBeUndefined();
    expect(reporters.get('logged')).toBeDefined();
  });
});
