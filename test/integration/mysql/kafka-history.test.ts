import { existsSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaCluster, printKafkaLogOnFailure, requireKafka, startKafka } from '../../harness/kafka.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { env, TaskDriver } from './task-driver.js';

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

describe.runIf(!missing)('mysql source with KafkaSchemaHistory (MariaDB 10.11, Kafka 3.9 KRaft)', () => {
  let db: MariaDb;
  let kafka: KafkaCluster;
  beforeAll(async () => {
    requireKafka();
    [db, kafka] = await Promise.all([startMariaDb(), startKafka()]);
    await db.exec('CREATE DATABASE kh; CREATE TABLE kh.t (id INT PRIMARY KEY, x INT)');
  }, 120_000);
  afterEach((ctx) => printKafkaLogOnFailure(kafka, ctx.task.result?.state));
  afterAll(async () => {
    await Promise.all([db?.stop(), kafka?.stop()]);
  });

  const history = (topic: string) => ({
    'schema.history.internal': 'io.debezium.storage.kafka.history.KafkaSchemaHistory',
    'schema.history.internal.kafka.topic': topic,
    'schema.history.internal.kafka.bootstrap.servers': kafka.bootstrap,
    'database.server.id': '6301',
    'table.include.list': 'kh\\.t',
  });

  it('keeps the schema history on a one-partition topic and decodes old rows after a restart from it', async () => {
    const d = new TaskDriver(db, history('srv-schema-history'));
    await d.start();
    try {
      await d.pollUntil(() => d.offsets.size > 0 && !('snapshot' in [...d.offsets.values()][0]));
    } finally {
      await d.stop();
    }
    // Rows under three shapes of the table, written while the connector is down: only the history can say which
    // columns each binlog row has.
    await db.exec('INSERT INTO kh.t VALUES (1, 10)');
    await db.exec('ALTER TABLE kh.t ADD COLUMN y VARCHAR(5) FIRST');
    await db.exec('INSERT INTO kh.t VALUES ("yy", 2, 20)');
    await db.exec('ALTER TABLE kh.t DROP COLUMN x');
    await db.exec('INSERT INTO kh.t VALUES ("zz", 3)');

    const again = new TaskDriver(db, history('srv-schema-history'), d.historyFile);
    for (const [k, v] of d.offsets) again.offsets.set(k, v);
    await again.start();
    try {
      await again.pollUntil((all) => all.filter((r) => r.topic === 'srv.kh.t').length >= 3);
      expect(again.records.filter((r) => r.topic === 'srv.kh.t').map((r) => env(r).after)).toEqual([
        { id: 1, x: 10 },
        { y: 'yy', id: 2, x: 20 },
        { y: 'zz', id: 3 },
      ]);
    } finally {
      await again.stop();
    }
    // Nothing went to the file named by the driver: the topic is the history.
    expect(existsSync(d.historyFile)).toBe(false);

    const client = new Kafka({ brokers: [...kafka.brokers], logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets('srv-schema-history');
      expect(offsets.length).toBe(1);
      // The snapshot's model, then the two ALTERs.
      expect(Number(offsets[0].high)).toBe(3);
      const configs = await admin.describeConfigs({
        resources: [{ type: 2, name: 'srv-schema-history', configNames: ['retention.ms', 'cleanup.policy'] }],
        includeSynonyms: false,
      });
      const entries = Object.fromEntries(configs.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
      expect(entries).toEqual({ 'retention.ms': '9223372036854775807', 'cleanup.policy': 'delete' });
    } finally {
      await admin.disconnect();
    }
  });

  it('a restart whose history topic is empty stops with an error naming snapshot.mode=recovery', async () => {
    const d = new TaskDriver(db, { ...history('srv-history-a'), 'database.server.id': '6302' });
    await d.start();
    try {
      await d.pollUntil(() => d.offsets.size > 0 && !('snapshot' in [...d.offsets.values()][0]));
    } finally {
      await d.stop();
    }
    const other = new TaskDriver(db, { ...history('srv-history-b'), 'database.server.id': '6302' });
    for (const [k, v] of d.offsets) other.offsets.set(k, v);
    await expect(other.start().then(() => other.pollUntil(() => false, 5000))).rejects.toThrow(
      /Kafka topic srv-history-b.*missing.*snapshot\.mode=recovery/s,
    );
    await other.stop();
  });
});
