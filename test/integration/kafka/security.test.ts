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

describe('connector client overrides (KIP-458) against a broker that enforces credentials', () => {
  /** The worker itself reaches the broker over PLAINTEXT; connectors bring their own principal. */
  const scramOverrides = (client: 'producer' | 'consumer' | 'admin', password: string) => {
    const s = kafka.secure!;
    return {
      [`${client}.override.bootstrap.servers`]: s.saslPlaintext,
      [`${client}.override.security.protocol`]: 'SASL_PLAINTEXT',
      [`${client}.override.sasl.mechanism`]: 'SCRAM-SHA-256',
      [`${client}.override.sasl.jaas.config`]: jaas('scram', s.user, password),
    };
  };

  const sendOne = (transport: KafkaTransport, connector: string, topic: string) =>
    new Promise<unknown>((resolve) => {
      void transport.send(
        { connector, taskId: 0, records: [rec(topic, `from ${connector}`)], converters: strings },
        (err) => resolve(err ?? 'ok'),
      );
    });

  it('a source produces with its producer.override.* and creates topics with its admin.override.*', async () => {
    const configs: Record<string, Record<string, string>> = {
      principal: scramOverrides('producer', kafka.secure!.password),
      impostor: scramOverrides('producer', 'wrong'),
      'bad-admin': {
        'topic.creation.default.partitions': '1',
        'topic.creation.default.replication.factor': '1',
        ...scramOverrides('admin', 'wrong'),
      },
    };
    const transport = new KafkaTransport({
      worker: { 'bootstrap.servers': kafka.bootstrap },
      log,
      connectorConfig: (name) => configs[name],
    });
    await transport.start();
    try {
      expect(await sendOne(transport, 'principal', 'override-ok')).toBe('ok');
      const refused = (await sendOne(transport, 'impostor', 'override-refused')) as {
        message: string;
        retriable: boolean;
      };
      expect(refused.message).toMatch(/impostor.*authentication failed|SASL/i);
      expect(refused.retriable).toBe(false);
      const adminRefused = (await sendOne(transport, 'bad-admin', 'override-admin')) as Error;
      expect(adminRefused.message).toMatch(/bad-admin.*(authentication failed|SASL)/i);
      // the worker's own clients are untouched by a connector's overrides
      expect(await sendOne(transport, 'plain', 'override-plain')).toBe('ok');
    } finally {
      await transport.stop();
    }
    expect(await roundTrip({ 'bootstrap.servers': kafka.bootstrap }, 'override-ok')).toContain('from principal');
  });

  it('a sink consumes with its consumer.override.*, in the group consumer.override.group.id names', async () => {
    const configs: Record<string, Record<string, string>> = {
      reader: { ...scramOverrides('consumer', kafka.secure!.password), 'consumer.override.group.id': 'custom-group' },
      intruder: scramOverrides('consumer', 'wrong'),
    };
    const transport = new KafkaTransport({
      worker: { 'bootstrap.servers': kafka.bootstrap },
      log,
      flushIntervalMs: 300,
      connectorConfig: (name) => configs[name],
    });
    await transport.start();
    const got: string[] = [];
    const failures: unknown[] = [];
    const sink = (connector: string): SinkHandler => ({
      connector,
      taskId: 0,
      taskCount: 1,
      topics: ['override-in'],
      converters: strings,
      put: async (records) => {
        for (const r of records) got.push(`${connector}: ${String(r.value)}`);
      },
      flush: async () => undefined,
      transportFailed: (err) => failures.push(err),
    });
    try {
      expect(await sendOne(transport, 'feeder', 'override-in')).toBe('ok');
      const reader = sink('reader');
      const intruder = sink('intruder');
      await transport.addSink(reader);
      await transport.addSink(intruder);
      const deadline = Date.now() + 30_000;
      while ((got.length === 0 || failures.length === 0) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual(['reader: from feeder']);
      expect(failures).toHaveLength(1);
      expect(String((failures[0] as Error).message)).toMatch(/authentication failed|SASL/i);
      await transport.removeSink(reader);
      await transport.removeSink(intruder);
    } finally {
      await transport.stop();
    }
    const { Kafka, logLevel } = await import('kafkajs');
    const admin = new Kafka({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: 'custom-group', topics: ['override-in'] });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    await admin.disconnect();
    expect(committed[0].partitions[0].offset).toBe('1');
    expect(groups).not.toContain('connect-reader');
  });
});

describe('mutual TLS (a listener with ssl.client.auth=required)', () => {
  it('authenticates with a PKCS12 key store (ssl.keystore.type=PKCS12) and with a PEM key store', async () => {
    const s = kafka.secure!;
    const tls = {
      'bootstrap.servers': s.mtls,
      'security.protocol': 'SSL',
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': s.caPem,
    };
    const p12 = await roundTrip(
      {
        ...tls,
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': s.clientKeystore.pkcs12,
        'ssl.keystore.password': s.clientKeystore.password,
      },
      'mtls-p12',
    );
    expect(p12).toEqual(['hello mtls-p12']);
    const pem = await roundTrip(
      { ...tls, 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': s.clientKeystore.pem },
      'mtls-pem',
    );
    expect(pem).toEqual(['hello mtls-pem']);
  });

  it('is refused without a client certificate', async () => {
    const s = kafka.secure!;
    const transport = new KafkaTransport({
      worker: {
        'bootstrap.servers': s.mtls,
        'security.protocol': 'SSL',
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': s.caPem,
        'request.timeout.ms': '5000',
        'socket.connection.setup.timeout.ms': '5000',
      },
      log,
    });
    const err = await transport.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await transport.stop();
    expect(err).toBeInstanceOf(Error);
  });
});
