import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CdcEvent,
  expectNoChangeMissing,
  expectPerKeyOrder,
  randomPause,
  startLoad,
  tableState,
  waitForReplay,
} from '../../harness/cdc.js';
import { kafkaSuite } from '../../harness/kafka-suite.js';
import { readEvents } from '../../harness/file-sink.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { type ConnectorFile, startWorker, waitFor } from '../../harness/worker.js';

/**
 * PostgreSQL source → Kafka (3 partitions per table, keyed) → FileStreamSink consuming from Kafka, under
 * continuous writes, with the worker SIGKILLed three times; offsets on offset.storage.topic.
 */

const TABLES = ['ka', 'kb', 'kc'];
const suite = kafkaSuite({ logTail: 3000 });
const { workers, tempDir } = suite;
let pgs: PostgresServer;

beforeAll(async () => {
  pgs = await startPostgres();
});

afterAll(async () => {
  await pgs?.stop();
});

describe('PostgreSQL → Kafka → FileStreamSink', () => {
  it('under continuous writes with three SIGKILLs: every committed change arrives, per-key order holds', async () => {
    for (const t of TABLES) {
      await pgs.sql(
        `CREATE TABLE ${t} (id int PRIMARY KEY, v int NOT NULL); INSERT INTO ${t} SELECT g, 0 FROM generate_series(1, 500) g`,
      );
    }
    const dir = tempDir('sluice-kafka-pg-');
    const out = join(dir, 'out.jsonl');
    const connectors: ConnectorFile[] = [
      {
        name: 'pgk',
        config: {
          'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
          ...pgs.connectorConfig(),
          'topic.prefix': 'srv',
          'slot.name': 'pgk_slot',
          'publication.name': 'pgk_pub',
          'table.include.list': 'public\\.k[abc]',
          'value.converter.schemas.enable': 'false',
          'topic.creation.default.partitions': '3',
          'topic.creation.default.replication.factor': '1',
        },
      },
      {
        name: 'pgk-sink',
        config: {
          'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
          file: out,
          topics: TABLES.map((t) => `srv.public.${t}`).join(','),
          'value.converter.schemas.enable': 'false',
        },
      },
    ];
    const worker = {
      'bootstrap.servers': suite.kafka.bootstrap,
      'offset.storage.topic': 'pg-offsets',
      'offset.storage.replication.factor': '1',
      'offset.flush.interval.ms': '700',
      'consumer.session.timeout.ms': '6000',
      'consumer.heartbeat.interval.ms': '1000',
    };
    const client = await pgs.client();
    // Changes committed before the snapshot are in it as rows, not as events; so the load starts once the
    // snapshot has reached the sink and its offsets had time to be committed.
    const w0 = await startWorker({ dir, worker, connectors });
    workers.push(w0);
    await waitFor(() => readEvents<CdcEvent>(out).length >= 1500, 90_000, 'the snapshot in the sink');
    await new Promise((r) => setTimeout(r, 2000));
    const load = startLoad({
      tables: TABLES,
      exec: (sql) => client.query(sql),
      existingRows: 500,
      firstId: 10_000,
      insertBelow: 0.4,
      updateBelow: 0.9,
      minLive: 5,
    });
    try {
      for (let k = 0; k < 3; k++) {
        const w = k === 0 ? w0 : await startWorker({ dir, worker, connectors });
        if (k > 0) workers.push(w);
        const before = readEvents<CdcEvent>(out).length;
        await waitFor(() => readEvents<CdcEvent>(out).length > before + 200, 90_000, `round ${k + 1}: progress`);
        await randomPause(0, 2000);
        await w.kill();
      }
      const log = await load.stop();
      const final = await tableState(TABLES, (t) => pgs.sql<{ id: number; v: number }>(`SELECT id, v FROM ${t}`));
      const w = await startWorker({ dir, worker, connectors });
      workers.push(w);
      await waitForReplay({ read: () => readEvents<CdcEvent>(out), expected: final, timeoutMs: 120_000 });
      expect(await w.stop()).toBe(0);

      const events = readEvents<CdcEvent>(out);
      expectNoChangeMissing(events, log);
      expectPerKeyOrder(events, 'increasing');
      expect(log.length).toBeGreaterThan(100);
      console.log(`${log.length} committed changes, ${events.length} events in the sink after 3 SIGKILLs`);

      // Keyed records sit in the partition Java's partitioner picks; all three partitions are used.
      const admin = new Kafka({
        clientId: 'test',
        brokers: [...suite.kafka.brokers],
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets('srv.public.ka');
      await admin.disconnect();
      expect(offsets).toHaveLength(3);
      expect(offsets.every((p) => Number(p.high) > 0)).toBe(true);
    } finally {
      await load.stop().catch(() => undefined);
      await client.end();
    }
  }, 400_000);
});
