import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopic } from '../../harness/kafka.js';
import { kafkaSuite } from '../../harness/kafka-suite.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, waitFor } from '../../harness/worker.js';
import { myRows } from './compare.js';
import { killAndCompare, pgToMaria } from './pipeline.js';

/**
 * The JDBC sink fed from Kafka (consumer group `connect-<name>`): PostgreSQL → Kafka → MariaDB with a SIGKILL
 * mid-stream, and a record MariaDB refuses going to the dead letter queue with Connect's error headers.
 */

const missing = mariaDbAvailable();
if (missing && process.env.CI) throw new Error(missing);

const suite = kafkaSuite({ logTail: 6000 });

describe.runIf(!missing)('JDBC sink through Kafka', () => {
  let pg: PostgresServer;
  let maria: MariaDb;

  beforeAll(async () => {
    [pg, maria] = await Promise.all([startPostgres(), startMariaDb()]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([pg?.stop(), maria?.stop()]);
  });

  const workerConfig = (dir: string) => ({
    'bootstrap.servers': suite.kafka.bootstrap,
    'offset.storage.file.filename': `${dir}/offsets.json`,
    'offset.flush.interval.ms': '500',
    // A SIGKILLed worker stays in the sink's group until its session times out, so the restarted one waits that
    // long. Not the broker's minimum of 6 s: kafkajs heartbeats only between batches, and a batch of a few thousand
    // events (JSON parsing, then the database) can take longer than that on a loaded machine; the member is then
    // removed and the sink consumer fails ("The coordinator is not aware of this member"; reported, runtime/transport).
    'consumer.session.timeout.ms': '20000',
    'consumer.heartbeat.interval.ms': '2000',
    'topic.creation.default.partitions': '2',
    'topic.creation.default.replication.factor': '1',
  });

  it('PostgreSQL → Kafka → MariaDB: the target equals the source after a SIGKILL mid-stream', async () => {
    const dir = suite.tempDir('sluice-jdbc-kafka-');
    const side = await pgToMaria(pg, maria, 'kp2m');
    await killAndCompare({ side, dir, worker: workerConfig(dir), workers: suite.workers });
  }, 300_000);

  it('a record the target refuses goes to the dead letter queue with the reason in its headers; the others are written (JDBC and HTTP sinks)', async () => {
    const dir = suite.tempDir('sluice-jdbc-dlq-');
    // The HTTP sink's endpoint: takes every batch unless it holds the code 'abcd' (400).
    const posted: string[] = [];
    const http = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const bad = body.includes('"abcd"');
        if (!bad) posted.push(body);
        res.writeHead(bad ? 400 : 200).end(bad ? 'code too long' : '');
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    suite.onEnd(() => new Promise<void>((r) => http.close(() => r())));
    await pg.sql(
      "CREATE TABLE codes (id int PRIMARY KEY, code text); INSERT INTO codes VALUES (1, 'abc'), (2, 'abcd'), (3, 'xyz')",
    );
    await maria.exec('CREATE DATABASE dlqtarget; CREATE TABLE dlqtarget.codes (id int PRIMARY KEY, code varchar(3))');
    const w = await startWorker({
      dir,
      worker: workerConfig(dir),
      connectors: [
        {
          name: 'codes-source',
          config: {
            'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
            ...pg.connectorConfig(),
            'topic.prefix': 'dlq',
            'slot.name': 'codes_slot',
            'publication.name': 'codes_pub',
            'publication.autocreate.mode': 'filtered',
            'table.include.list': 'public\\.codes',
          },
        },
        {
          name: 'codes-sink',
          config: {
            'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
            topics: 'dlq.public.codes',
            'connection.url': `jdbc:mariadb://${maria.host}:${maria.port}/dlqtarget`,
            'connection.username': 'root',
            'insert.mode': 'upsert',
            'primary.key.mode': 'record_key',
            'collection.name.format': '${source.table}',
            'errors.tolerance': 'all',
            'errors.deadletterqueue.topic.name': 'codes.dlq',
            'errors.deadletterqueue.topic.replication.factor': '1',
            'errors.deadletterqueue.context.headers.enable': 'true',
          },
        },
        {
          name: 'codes-http',
          config: {
            'connector.class': 'HttpSink',
            topics: 'dlq.public.codes',
            'http.url': `http://127.0.0.1:${(http.address() as AddressInfo).port}/codes`,
            'http.format': 'ndjson',
            'errors.tolerance': 'all',
            'errors.deadletterqueue.topic.name': 'codes-http.dlq',
            'errors.deadletterqueue.topic.replication.factor': '1',
            'errors.deadletterqueue.context.headers.enable': 'true',
          },
        },
      ],
      waitReady: false,
    });
    suite.workers.push(w);
    await pg.sql("INSERT INTO codes VALUES (4, 'ok')");
    await waitFor(
      async () => (await myRows(maria, 'dlqtarget', 'SELECT id FROM codes ORDER BY id').catch(() => [])).length === 3,
      90_000,
      'the accepted rows in MariaDB',
    );
    expect(
      (await myRows(maria, 'dlqtarget', 'SELECT id, code FROM codes ORDER BY id')).map((r) => [Number(r.id), r.code]),
    ).toEqual([
      [1, 'abc'],
      [3, 'xyz'],
      [4, 'ok'],
    ]);
    const dead = await waitFor(
      async () => {
        const m = await readTopic(suite.kafka, 'codes.dlq').catch(() => []);
        return m.length > 0 ? m : undefined;
      },
      60_000,
      'the dead letter',
    );
    expect(dead).toHaveLength(1);
    const value = JSON.parse(dead[0].value as string);
    expect(value.payload.after).toEqual({ id: 2, code: 'abcd' });
    expect(dead[0].headers).toMatchObject({
      '__connect.errors.topic': 'dlq.public.codes',
      '__connect.errors.connector.name': 'codes-sink',
      '__connect.errors.stage': 'TASK_PUT',
      '__connect.errors.class.name': 'org.apache.kafka.connect.sink.SinkTask',
    });
    expect(dead[0].headers['__connect.errors.exception.message']).toMatch(
      /topic dlq\.public\.codes, partition \d, offset \d+, table codes, column code|table codes\): column code: a text of 4 characters does not fit varchar\(3\)/,
    );
    const status = await waitFor(
      async () => {
        const r = await fetch(`${w.url}/connectors/codes-sink/status`).catch(() => undefined);
        return r?.ok ? ((await r.json()) as { tasks: Array<{ state: string }> }) : undefined;
      },
      30_000,
      'the sink status',
    );
    expect(status.tasks.map((t) => t.state)).toEqual(['RUNNING']);
    // The HTTP sink: the same record in its own dead letter queue, every other one posted, in order.
    const httpDead = await waitFor(
      async () => {
        const m = await readTopic(suite.kafka, 'codes-http.dlq').catch(() => []);
        return m.length > 0 ? m : undefined;
      },
      60_000,
      'the HTTP dead letter',
    );
    expect(httpDead.map((d) => JSON.parse(d.value as string).payload.after.code)).toEqual(['abcd']);
    expect(httpDead[0].headers['__connect.errors.exception.message']).toMatch(/HTTP 400: code too long/);
    await waitFor(() => posted.join('').includes('"ok"'), 60_000, 'the last record posted');
    const codes = posted
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).payload.after.code);
    expect(codes).toEqual(['abc', 'xyz', 'ok']);
  }, 300_000);
});
