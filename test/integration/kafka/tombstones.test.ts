import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopic } from '../../harness/kafka.js';
import { kafkaSuite } from '../../harness/kafka-suite.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, waitFor } from '../../harness/worker.js';

/**
 * A delete's tombstone must be a Kafka record with a null value, as Debezium's is (no value schema, so Kafka's
 * JsonConverter writes null): only then does log compaction drop the key. Checked on a compacted topic of a real
 * broker whose cleaner runs every few hundred milliseconds.
 */

// The cleaner checks for work every log.cleaner.backoff.ms (15 s by default).
const suite = kafkaSuite({ logTail: 3000, kafka: { properties: { 'log.cleaner.backoff.ms': '200' } } });
let pgs: PostgresServer;

beforeAll(async () => {
  pgs = await startPostgres();
});

afterAll(async () => {
  await pgs?.stop();
});

const TOPIC = 'tmb.public.gone';

/** The `id` of a record key written by JsonConverter with schemas (`{"schema":…,"payload":{"id":N}}`). */
function keyId(key: string | null): number | undefined {
  return key === null ? undefined : (JSON.parse(key) as { payload: { id: number } }).payload.id;
}

describe('tombstones in Kafka mode', () => {
  it('a delete is followed by a null-valued record, and compaction then removes the key', async () => {
    await pgs.sql(`CREATE TABLE gone (id int PRIMARY KEY, v text); INSERT INTO gone VALUES (1, 'a'), (2, 'b')`);
    const dir = suite.tempDir('sluice-tombstones-');
    const w = await startWorker({
      dir,
      worker: {
        'bootstrap.servers': suite.kafka.bootstrap,
        'offset.storage.file.filename': `${dir}/offsets.json`,
        'offset.flush.interval.ms': '500',
      },
      connectors: [
        {
          name: 'tmb',
          config: {
            'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
            ...pgs.connectorConfig(),
            'topic.prefix': 'tmb',
            'slot.name': 'tmb_slot',
            'publication.name': 'tmb_pub',
            'table.include.list': 'public\\.gone',
            'topic.creation.default.partitions': '1',
            'topic.creation.default.replication.factor': '1',
            // A compacted topic whose segments roll at once and whose tombstones are kept only briefly.
            'topic.creation.default.cleanup.policy': 'compact',
            'topic.creation.default.segment.ms': '100',
            'topic.creation.default.min.cleanable.dirty.ratio': '0.01',
            'topic.creation.default.min.compaction.lag.ms': '0',
            'topic.creation.default.delete.retention.ms': '100',
          },
        },
      ],
    });
    suite.workers.push(w);
    await waitFor(
      async () => (await readTopic(suite.kafka, TOPIC).catch(() => [])).length >= 2,
      90_000,
      'the snapshot in Kafka',
    );
    await pgs.sql(`UPDATE gone SET v = 'a2' WHERE id = 1; DELETE FROM gone WHERE id = 1`);

    // The delete event, then the tombstone: same key, a null value (not an envelope with a null payload).
    const afterDelete = await waitFor(
      async () => {
        const records = (await readTopic(suite.kafka, TOPIC)).filter((r) => keyId(r.key) === 1);
        return records.length >= 4 ? records : undefined;
      },
      60_000,
      'the delete and its tombstone',
    );
    expect(afterDelete.map((r) => (r.value === null ? null : JSON.parse(r.value).payload.op))).toEqual([
      'r',
      'u',
      'd',
      null,
    ]);

    // New writes roll segments so the cleaner can compact the ones holding key 1; the cleaner removes its
    // records, then (after delete.retention.ms) the tombstone itself.
    let n = 0;
    const gone = await waitFor(
      async () => {
        await pgs.sql(`UPDATE gone SET v = '${++n}' WHERE id = 2`);
        const records = await readTopic(suite.kafka, TOPIC);
        return records.some((r) => keyId(r.key) === 1) ? undefined : records;
      },
      90_000,
      'compaction to remove key 1',
    );
    // Key 2 is still there, with its latest value.
    expect(gone.filter((r) => keyId(r.key) === 2).length).toBeGreaterThan(0);
    expect(await w.stop()).toBe(0);
  }, 240_000);
});
