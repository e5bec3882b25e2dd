import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeRecord, type Logger, Schemas } from '../../../runtime/api/index.js';
import { StringConverter } from '../../../runtime/converters/simple.js';
import { KafkaTransport } from '../../../runtime/transport/kafka/transport.js';
import type { SinkHandler } from '../../../runtime/transport/transport.js';
import { type KafkaCluster, printKafkaLogOnFailure, requireKafka, startKafka } from '../../harness/kafka.js';

/** security.protocol / sasl.* / ssl.* mapped onto the client, against a broker that enforces them. */

const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' }) as unknown as Logger;
let kafka: KafkaCluster;

beforeAll(async () => {
  requireKafka();
  kafka = await startKafka({ secure: true });
});

afterEach((ctx) => printKafkaLogOnFailure(kafka, ctx.task.result?.state));

afterAll(async () => {
  await kafka?.stop();
});

const strings = { key: new StringConverter(), value: new StringConverter(), header: new StringConverter() };

function rec(topic: string, value: string): ChangeRecord {
  return {
    topic,
    keySchema: Schemas.string(),
    key: 'k',
    valueSchema: Schemas.string(),
    value,
    headers: [],
    sourcePartition: {},
    sourceOffset: {},
  };
}

/** Produces one record through a transport with these settings and consumes it back through a sink of the same. */
async function roundTrip(worker: Record<string, string>, topic: string): Promise<string[]> {
  const transport = new KafkaTransport({ worker, log, flushIntervalMs: 500 });
  await transport.start();
  try {
    const acked = await new Promise<unknown>((resolve) => {
      void transport.send(
        { connector: 'src', taskId: 0, records: [rec(topic, `hello ${topic}`)], converters: strings },
        (err) => resolve(err ?? 'ok'),
      );
    });
    expect(acked).toBe('ok');
    const got: string[] = [];
    const sink: SinkHandler = {
      connector: `sink-${topic}`,
      taskId: 0,
      taskCount: 1,
      topics: [topic],
      converters: strings,
      put: async (records) => {
        for (const r of records) got.push(String(r.value));
      },
      flush: async () => undefined,
    };
    await transport.addSink(sink);
    const deadline = Date.now() + 30_000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await transport.removeSink(sink);
    return got;
  } finally {
    await transport.stop();
  }
}

const jaas = (module: 'plain' | 'scram', user: string, password: string) =>
  `org.apache.kafka.common.security.${module}.${module === 'plain' ? 'PlainLoginModule' : 'ScramLoginModule'} required username="${user}" password="${password}";`;

describe('Kafka security mapping against a real broker', () => {
  it.each([
    ['PLAIN', 'plain'],
    ['SCRAM-SHA-256', 'scram'],
    ['SCRAM-SHA-512', 'scram'],
  ] as const)('SASL_PLAINTEXT with %s', async (mechanism, module) => {
    const s = kafka.secure!;
    const topic = `sasl-${mechanism.toLowerCase()}`;
    const got = await roundTrip(
      {
        'bootstrap.servers': s.saslPlaintext,
        'security.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanism': mechanism,
        'sasl.jaas.config': jaas(module, s.user, s.password),
      },
      topic,
    );
    expect(got).toEqual([`hello ${topic}`]);
  });

  it('SSL with a PEM trust store (ssl.truststore.type=PEM, ssl.truststore.location)', async () => {
    const s = kafka.secure!;
    const got = await roundTrip(
      {
        'bootstrap.servers': s.ssl,
        'security.protocol': 'SSL',
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': s.caPem,
      },
      'tls-only',
    );
    expect(got).toEqual(['hello tls-only']);
  });

  it('SASL_SSL with SCRAM-SHA-512 and the PEM trust store', async () => {
    const s = kafka.secure!;
    const got = await roundTrip(
      {
        'bootstrap.servers': s.saslSsl,
        'security.protocol': 'SASL_SSL',
        'sasl.mechanism': 'SCRAM-SHA-512',
        'sasl.jaas.config': jaas('scram', s.user, s.password),
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': s.caPem,
      },
      'sasl-tls',
    );
    expect(got).toEqual(['hello sasl-tls']);
  });

  it('refuses to start with a wrong password, and says it is not worth retrying', async () => {
    const s = kafka.secure!;
    const transport = new KafkaTransport({
      worker: {
        'bootstrap.servers': s.saslPlaintext,
        'security.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanism': 'SCRAM-SHA-256',
        'sasl.jaas.config': jaas('scram', s.user, 'wrong'),
      },
      log,
    });
    const err = await transport.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await transport.stop();
    expect(String((err as Error).message)).toMatch(/authentication failed|SASL/i);
    expect((err as { retriable: boolean }).retriable).toBe(false);
  });

  it('does not trust a broker certificate signed by an unknown CA', async () => {
    const s = kafka.secure!;
    const transport = new KafkaTransport({
      worker: { 'bootstrap.servers': s.ssl, 'security.protocol': 'SSL', 'request.timeout.ms': '5000' },
      log,
    });
    const err = await transport.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await transport.stop();
    expect(String((err as Error).message)).toMatch(/certificate/i);
  });
});
