import { Int32, type MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeRecord, ConnectError } from '../../../runtime/api/index.js';
import { type MongoTestServer, mongoAvailable, startMongo } from '../../harness/mongo.js';
import { envelopes, MongoTaskDriver } from './task-driver.js';

/**
 * A blocking snapshot cut short by the server going away (a retriable failure of the task's run): the request
 * outlives the run, and the next run reads the collection again from its start before the stream goes on
 * (docs/signals.md, "Blocking snapshots on MongoDB"). mongo-java-server's H2 backend keeps data and oplog across
 * the restart.
 */
const missing = mongoAvailable();
if (missing) {
  console.error(`MongoDB blocking-fault test cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

type Doc = { _id: Int32; v: Int32 };
const DB = `sluice_bf_${process.pid}`;
const ROWS = 3000;

let server: MongoTestServer;
let client: MongoClient;

const idOf = (r: ChangeRecord) => Number((r.key as { id: string }).id);

describe.runIf(!missing)('MongoDB blocking snapshot under a server restart', () => {
  beforeAll(async () => {
    server = await startMongo({ persistent: true, forceWireServer: true });
    client = await server.client();
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await server?.stop();
  });

  it('a blocking snapshot cut short by a lost server is read again from its start by the next run, then the stream goes on', async () => {
    const coll = client.db(DB).collection<Doc>('c');
    await coll.insertMany(Array.from({ length: ROWS }, (_, i) => ({ _id: new Int32(i), v: new Int32(0) })));
    const topic = `srv.${DB}.c`;
    const d = new MongoTaskDriver({
      'connector.class': 'io.debezium.connector.mongodb.MongoDbConnector',
      'mongodb.connection.string': server.url,
      'topic.prefix': 'srv',
      'capture.scope': 'collection',
      'capture.target': `${DB}.c`,
      'capture.mode': 'change_streams_update_full',
      'snapshot.mode': 'no_data',
      'poll.interval.ms': '50',
      'mongodb.server.selection.timeout.ms': '2000',
      // the snapshot runs at most a few batches ahead of delivery, so the restart lands inside it by construction
      'max.batch.size': '100',
      'max.queue.size': '200',
      'snapshot.fetch.size': '100',
    });
    try {
      await d.start();
      // a first streamed event: the stream has a position to stop at
      await coll.insertOne({ _id: new Int32(ROWS), v: new Int32(1) });
      await d.pollUntil((rs) => rs.some((r) => r.topic === topic && idOf(r) === ROWS), 20_000);
      const answer = await d.task!.signal({
        id: 'blk-1',
        type: 'execute-snapshot',
        data: { type: 'blocking', 'data-collections': [`${DB}.c`] },
      });
      expect(answer).toEqual({ accepted: true, snapshotId: 'blk-1' });
      const reads = () => envelopes(d.records, topic).filter((e) => e.op === 'r');
      await d.pollUntil(() => reads().length >= 300, 30_000);
      // the restart lands inside the snapshot
      expect(reads().some((e) => e.source.snapshot === 'last')).toBe(false);
      const readBefore = reads().length;
      await server.stopServer();

      const errors: unknown[] = [];
      let restarted = false;
      const deadline = Date.now() + 120_000;
      while (!reads().some((e) => e.source.snapshot === 'last')) {
        if (Date.now() > deadline) throw new Error(`no end of the snapshot\n${d.log.slice(-20).join('\n')}`);
        try {
          await d.pollOnce();
        } catch (err) {
          errors.push(err);
          if (!restarted) {
            restarted = true;
            await server.startServer();
          }
        }
      }
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => e instanceof ConnectError && e.retriable)).toBe(true);
      expect(d.log.some((l) => /reconnecting after a retriable failure/.test(l))).toBe(true);

      // every document again after the failure, once the new run took the request; one `last`, at the end
      const rs = d.records.filter((r) => r.topic === topic && r.value !== null);
      const all = rs.filter((r) => (r.value as { op: string }).op === 'r');
      expect(all.length).toBeGreaterThan(readBefore);
      const reread = new Set(all.slice(readBefore).map(idOf));
      const lastIndex = all.findIndex((r) => (r.value as { source: { snapshot: string } }).source.snapshot === 'last');
      expect(lastIndex).toBe(all.length - 1);
      // ≥ 300 documents were read before the failure: all of them again means the snapshot started over
      expect(reread.size).toBe(ROWS + 1);

      // the stream goes on after the snapshot
      await coll.insertOne({ _id: new Int32(ROWS + 1), v: new Int32(2) });
      await d.pollUntil(
        (recs) => recs.some((r) => r.topic === topic && r.value !== null && idOf(r) === ROWS + 1),
        30_000,
      );
      const mine = d.records.filter((r) => r.topic === topic && r.value !== null);
      const lastAt = mine.findIndex((r) => (r.value as { source: { snapshot: string } }).source.snapshot === 'last');
      const created = mine.findIndex((r) => (r.value as { op: string }).op === 'c' && idOf(r) === ROWS + 1);
      expect(created).toBeGreaterThan(lastAt);
    } finally {
      await d.stop().catch(() => undefined);
    }
  }, 240_000);
});
