import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  connectionSettings,
  consumerSettings,
  parseJaasConfig,
  producerSettings,
  roleProperties,
  tlsOptions,
} from '../../../runtime/transport/kafka/settings.js';
import { ruleFor, topicCreationRules } from '../../../runtime/transport/kafka/topic-creation.js';

describe('Kafka client settings from worker keys', () => {
  it('applies producer./consumer./admin. overrides to their role only', () => {
    const worker = {
      'bootstrap.servers': 'a:9092',
      'client.id': 'w',
      'producer.client.id': 'p',
      'consumer.fetch.min.bytes': '5',
      'admin.request.timeout.ms': '7',
    };
    expect(roleProperties(worker, 'producer')).toEqual({ 'bootstrap.servers': 'a:9092', 'client.id': 'p' });
    expect(roleProperties(worker, 'consumer')).toEqual({
      'bootstrap.servers': 'a:9092',
      'client.id': 'w',
      'fetch.min.bytes': '5',
    });
    expect(connectionSettings(roleProperties(worker, 'admin'), 'admin').requestTimeoutMs).toBe(7);
  });

  it('maps bootstrap.servers, with or without a listener name prefix', () => {
    expect(connectionSettings({ 'bootstrap.servers': 'PLAINTEXT://h1:9092, h2:9093' }, 'producer').brokers).toEqual([
      'h1:9092',
      'h2:9093',
    ]);
    expect(() => connectionSettings({ 'bootstrap.servers': '' }, 'producer')).toThrow(/at least one broker/);
  });

  it('maps SASL_SSL with SCRAM-SHA-512 and a JAAS line', () => {
    const s = connectionSettings(
      {
        'bootstrap.servers': 'h:9093',
        'security.protocol': 'SASL_SSL',
        'sasl.mechanism': 'SCRAM-SHA-512',
        'sasl.jaas.config':
          'org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="s3cr\\"et";',
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.certificates': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      },
      'producer',
    );
    expect(s.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'alice', password: 's3cr"et' });
    expect(s.ssl?.ca).toContain('BEGIN CERTIFICATE');
  });

  it('maps SASL_PLAINTEXT PLAIN without TLS, and refuses unknown mechanisms and protocols', () => {
    const s = connectionSettings(
      {
        'bootstrap.servers': 'h:1',
        'security.protocol': 'sasl_plaintext',
        'sasl.mechanism': 'PLAIN',
        'sasl.jaas.config': 'x.PlainLoginModule required username=bob password=pw;',
      },
      'consumer',
    );
    expect(s.sasl).toEqual({ mechanism: 'plain', username: 'bob', password: 'pw' });
    expect(s.ssl).toBeUndefined();
    expect(() =>
      connectionSettings(
        {
          'bootstrap.servers': 'h:1',
          'security.protocol': 'SASL_PLAINTEXT',
          'sasl.mechanism': 'GSSAPI',
          'sasl.jaas.config': 'x',
        },
        'admin',
      ),
    ).toThrow(/GSSAPI/);
    expect(() => connectionSettings({ 'bootstrap.servers': 'h:1', 'security.protocol': 'TLS' }, 'admin')).toThrow(
      /security.protocol/,
    );
    expect(() => parseJaasConfig('x required username="u";')).toThrow(/password/);
  });

  it('reads PEM stores from files and refuses JKS with the conversion to do', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-ssl-'));
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const tls = tlsOptions({
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': pem,
      'ssl.endpoint.identification.algorithm': '',
    });
    expect(tls.ca).toContain('AAAA');
    expect(tls.checkServerIdentity?.('h', {} as never)).toBeUndefined();
    expect(() => tlsOptions({ 'ssl.truststore.location': '/etc/kafka/truststore.jks' })).toThrow(
      /JKS is a Java-only format.*keytool/s,
    );
    expect(() => tlsOptions({ 'ssl.keystore.type': 'JKS', 'ssl.keystore.location': '/k.jks' })).toThrow(
      /ssl.keystore.type=PEM/,
    );
    const keystore = join(dir, 'client.pem');
    writeFileSync(
      keystore,
      '-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nC\n-----END CERTIFICATE-----\n',
    );
    const ks = tlsOptions({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': keystore, 'ssl.key.password': 'kp' });
    expect(ks.key).toContain('PRIVATE KEY');
    expect(ks.passphrase).toBe('kp');
  });

  it('producer: idempotent acks=all by default; acks=0 and idempotence without acks=all are refused', () => {
    const p = producerSettings({});
    expect(p).toMatchObject({
      idempotent: true,
      acks: -1,
      maxRequestBytes: 1048576,
      lingerMs: 0,
      deliveryTimeoutMs: 120000,
      compression: 'none',
    });
    expect(
      producerSettings({ 'enable.idempotence': 'false', acks: '1', 'linger.ms': '5', 'compression.type': 'gzip' }),
    ).toMatchObject({ idempotent: false, acks: 1, lingerMs: 5, compression: 'gzip' });
    expect(() => producerSettings({ acks: '0' })).toThrow(/acks=0/);
    expect(() => producerSettings({ acks: '1' })).toThrow(/enable.idempotence/);
    expect(producerSettings({ 'compression.type': 'lz4' }).compression).toBe('lz4');
    expect(producerSettings({ 'compression.type': 'snappy' }).compression).toBe('snappy');
    // zstd batches are read (fzstd) but there is no compressor to write them: a config error naming the key
    expect(() => producerSettings({ 'compression.type': 'zstd' })).toThrow(/^compression\.type=zstd is not available/);
    expect(() => producerSettings({ 'linger.ms': 'soon' })).toThrow(/not a number/);
  });

  it('consumer: earliest by default, as Connect sets it for sink tasks', () => {
    expect(consumerSettings({}).fromBeginning).toBe(true);
    expect(consumerSettings({ 'auto.offset.reset': 'latest' }).fromBeginning).toBe(false);
    expect(() => consumerSettings({ 'auto.offset.reset': 'none' })).toThrow(/earliest or latest/);
  });
});

describe('topic creation rules (KIP-158)', () => {
  it('is off unless the default group has replication.factor and partitions', () => {
    expect(topicCreationRules({})).toEqual([]);
    expect(topicCreationRules({ 'topic.creation.default.partitions': '3' })).toEqual([]);
    expect(
      topicCreationRules(
        { 'topic.creation.default.partitions': '3', 'topic.creation.default.replication.factor': '1' },
        false,
      ),
    ).toEqual([]);
  });

  it('tries groups in order, honours include/exclude, falls back to default, and inherits counts only', () => {
    const rules = topicCreationRules({
      'topic.creation.groups': 'compacted,big',
      'topic.creation.default.replication.factor': '3',
      'topic.creation.default.partitions': '1',
      'topic.creation.default.retention.ms': '1000',
      'topic.creation.compacted.include': 'db\\.users,db\\.accounts.*',
      'topic.creation.compacted.cleanup.policy': 'compact',
      'topic.creation.big.include': 'db\\..*',
      'topic.creation.big.exclude': 'db\\.tiny',
      'topic.creation.big.partitions': '12',
      'topic.creation.big.replication.factor': '-1',
    });
    expect(ruleFor(rules, 'db.users')).toMatchObject({
      group: 'compacted',
      partitions: 1,
      replicationFactor: 3,
      configs: { 'cleanup.policy': 'compact' },
    });
    expect(ruleFor(rules, 'db.accounts_2024')?.group).toBe('compacted');
    expect(ruleFor(rules, 'db.orders')).toMatchObject({
      group: 'big',
      partitions: 12,
      replicationFactor: -1,
      configs: {},
    });
    expect(ruleFor(rules, 'db.tiny')).toMatchObject({ group: 'default', configs: { 'retention.ms': '1000' } });
    // include patterns match the whole topic name, as Java's Pattern.matches
    expect(ruleFor(rules, 'xdb.users')?.group).toBe('default');
  });

  it('refuses invalid counts', () => {
    expect(() =>
      topicCreationRules({
        'topic.creation.default.partitions': '0',
        'topic.creation.default.replication.factor': '1',
      }),
    ).toThrow(/positive integer or -1/);
  });
});
