import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../../runtime/api/index.js';
import { KafkaOffsetStore } from '../../../runtime/offsets/kafka-store.js';
import { partitionForKey } from '../../../runtime/transport/kafka/partitioner.js';
import {
  connectOffsets,
  type KafkaCluster,
  printKafkaLogOnFailure,
  requireKafka,
  startKafka,
} from '../../harness/kafka.js';

/**
 * offset.storage.topic against Kafka Connect's own code: what sluice writes is read back by Connect's JsonConverter
 * (schemas disabled, as Connect's worker configures its internal converters) as the key [connector, partition] and
 * the offset map, with Connect's types; what Connect's converter and Java's producer write, sluice reads — and both
 * put a key in the same partition of the topic, which compaction needs for a newer offset to replace an older one.
 */

const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' }) as unknown as Logger;
let kafka: KafkaCluster;
const TOPIC = 'connect-offsets-interop';

beforeAll(async () => {
  requireKafka();
  kafka = await startKafka();
});

afterEach((ctx) => printKafkaLogOnFailure(kafka, ctx.task.result?.state));

afterAll(async () => {
  await kafka?.stop();
});

const store = () =>
  new KafkaOffsetStore({
    worker: { 'bootstrap.servers': kafka.bootstrap },
    topic: TOPIC,
    partitions: 5,
    replicationFactor: 1,
    log,
  });

describe('offset.storage.topic and Kafka Connect', () => {
  it('Connect reads what sluice writes, and sluice reads what Connect writes, in the same partitions', async () => {
    const ours = store();
    await ours.start();
    await ours.write([
      {
        connector: 'inventory',
        partition: { server: 'dbserver1' },
        offset: { lsn: 24023128, txId: 555, ts_usec: 1559033904863123, snapshot: true, file: 'x' },
      },
      { connector: 'files', partition: { filename: '/data/in.txt' }, offset: { position: 42 } },
    ]);
    await ours.stop();

    const seen = await connectOffsets(['read', kafka.bootstrap, TOPIC]);
    const inventoryKey = '["inventory",{"server":"dbserver1"}]';
    expect(seen).toEqual(
      expect.arrayContaining([
        `${partitionForKey(Buffer.from(inventoryKey), 5)}|inventory|{server=dbserver1:String}|` +
          '{file=x:String, lsn=24023128:Long, snapshot=true:Boolean, ts_usec=1559033904863123:Long, txId=555:Long}',
        `${partitionForKey(Buffer.from('["files",{"filename":"/data/in.txt"}]'), 5)}|files|` +
          '{filename=/data/in.txt:String}|{position=42:Long}',
      ]),
    );

    // A Connect worker moves the file source on; a fresh sluice store sees Connect's offset, not its own older one.
    const [written] = await connectOffsets([
      'write',
      kafka.bootstrap,
      TOPIC,
      'files',
      'filename=/data/in.txt',
      '--',
      'position=4096',
    ]);
    const [partition, key, value] = written.split('|');
    expect(key).toBe('["files",{"filename":"/data/in.txt"}]');
    expect(value).toBe('{"position":4096}');
    expect(Number(partition)).toBe(partitionForKey(Buffer.from(key), 5));
    const fresh = store();
    await fresh.start();
    expect(await fresh.read('files')).toEqual([
      { partition: { filename: '/data/in.txt' }, offset: { position: 4096 } },
    ]);
    expect(await fresh.read('inventory')).toEqual([
      {
        partition: { server: 'dbserver1' },
        offset: { lsn: 24023128, txId: 555, ts_usec: 1559033904863123, snapshot: true, file: 'x' },
      },
    ]);
    await fresh.stop();
  });
});
