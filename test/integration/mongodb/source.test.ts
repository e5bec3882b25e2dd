import { Double, Int32, Long, type MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError } from '../../../runtime/api/index.js';
import { freePort } from '../../harness/ports.js';
import { type MongoTestServer, mongoAvailable, startMongo } from '../../harness/mongo.js';
import { envelopes, type MongoEnvelope, MongoTaskDriver } from './task-driver.js';

/**
 * The MongoDB source against a real wire peer: mongo-java-server by default, the replica set in MONGODB_URL when
 * set. Streams are collection-scoped because that is the only scope mongo-java-server serves (docs/mongodb.md).
 */
const missing = mongoAvailable();
if (missing) {
  console.error(`MongoDB integration suite cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

/** Ids are Int32 so that the key and Extended JSON are the same whichever driver wrote them. */
type Doc = { _id: Int32; [field: string]: unknown };

let server: MongoTestServer;
let client: MongoClient;
const drivers: MongoTaskDriver[] = [];
let dbSeq = 0;

function newDb(): string {
  return `sluice_t${process.pid}_${++dbSeq}`;
}

function connectorConfig(db: string, coll: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'connector.class': 'io.debezium.connector.mongodb.MongoDbConnector',
    'mongodb.connection.string': server.url,
    'topic.prefix': 'srv',
    'capture.scope': 'collection',
    'capture.target': `${db}.${coll}`,
    'capture.mode': 'change_streams_update_full',
    'poll.interval.ms': '50',
    'max.batch.size': '500',
    'snapshot.fetch.size': '100',
    ...extra,
  };
}

function driver(raw: Record<string, string>, committed?: MongoTaskDriver['committed']): MongoTaskDriver {
  const d = new MongoTaskDriver(raw, committed);
  drivers.push(d);
  return d;
}

describe.runIf(!missing)('MongoDB source (integration)', () => {
  beforeAll(async () => {
    server = await startMongo();
    client = await server.client();
  });
  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.stop().catch(() => undefined);
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it('maps insert, update, replace and delete to Debezium events with exact Extended JSON', async () => {
    const db = newDb();
    const coll = client.db(db).collection<Doc>('people');
    await coll.insertOne({ _id: new Int32(0), seed: true });
    const d = driver(connectorConfig(db, 'people', { 'snapshot.mode': 'no_data' }));
    await d.start();
    await coll.insertOne({
      _id: new Int32(1),
      name: 'Ann "A"',
      big: Long.fromString('9007199254740993'),
      ratio: new Double(1.5),
      whole: new Double(2),
      count: new Int32(7),
      when: new Date(86_400_000),
      nested: { x: new Int32(1) },
      list: [new Int32(1), 'two'],
    });
    const seen = (n: number) => d.pollUntil((rs) => rs.filter((r) => r.topic === `srv.${db}.people`).length >= n);
    // One write at a time: with updateLookup the post-image is read when the event is, not when it happened.
    await seen(1);
    await coll.updateOne({ _id: new Int32(1) }, { $set: { count: new Int32(8) }, $unset: { ratio: '' } });
    await seen(2);
    await coll.replaceOne({ _id: new Int32(1) }, { name: 'Bob' });
    await seen(3);
    await coll.deleteOne({ _id: new Int32(1) });
    await seen(5);
    const recs = d.records.filter((r) => r.topic === `srv.${db}.people`);
    const ev = envelopes(recs, `srv.${db}.people`);
    expect(ev.map((e) => e.op)).toEqual(['c', 'u', 'u', 'd']);
    expect(recs.map((r) => r.key)).toEqual([{ id: '1' }, { id: '1' }, { id: '1' }, { id: '1' }, { id: '1' }]);

    expect(ev[0].after).toBe(
      '{"_id": 1,"name": "Ann \\"A\\"","big": {"$numberLong": "9007199254740993"},"ratio": 1.5,"whole": 2.0,' +
        '"count": 7,"when": {"$date": 86400000},"nested": {"x": 1},"list": [1,"two"]}',
    );
    expect(ev[0].before).toBeNull();
    expect(ev[0].source).toMatchObject({
      connector: 'mongodb',
      name: 'srv',
      db,
      collection: 'people',
      snapshot: 'false',
    });
    expect(typeof ev[0].source.ord).toBe('number');
    expect(ev[0].source.ts_ms).toBeGreaterThan(1_600_000_000_000);

    expect(ev[1].after).toBe(
      '{"_id": 1,"name": "Ann \\"A\\"","big": {"$numberLong": "9007199254740993"},"whole": 2.0,' +
        '"count": 8,"when": {"$date": 86400000},"nested": {"x": 1},"list": [1,"two"]}',
    );
    if (server.kind === 'mongodb') {
      expect(ev[1].updateDescription).toEqual({
        removedFields: ['ratio'],
        updatedFields: '{"count": 8}',
        truncatedArrays: null,
      });
    } else {
      // mongo-java-server sends no updateDescription (docs/mongodb.md, "mongo-java-server differences").
      expect(ev[1].updateDescription).toBeNull();
    }
    expect(ev[2].after).toBe('{"_id": 1,"name": "Bob"}');
    expect(ev[3].after).toBeNull();
    expect(recs[4].value).toBeNull();
    expect(recs[4].key).toEqual({ id: '1' });
    // Offsets carry the resume token and the cluster time.
    const off = recs[3].sourceOffset;
    expect(typeof off.resume_token).toBe('string');
    expect(off.sec).toBeGreaterThan(1_600_000_000);
    expect(recs[0].sourcePartition).toMatchObject({ server_id: 'srv' });
  });

  it('snapshots in batches while writes continue, then streams them: every document ends in its last state', async () => {
    const db = newDb();
    const coll = client.db(db).collection<Doc>('items');
    const seeded = 3000;
    for (let i = 0; i < seeded; i += 500) {
      await coll.insertMany(
        Array.from({ length: 500 }, (_, k) => ({
          _id: new Int32(i + k),
          v: new Int32(0),
          pad: 'x'.repeat(50),
        })),
      );
    }
    const d = driver(connectorConfig(db, 'items'));
    await d.start();
    // Concurrent writes while the snapshot is being read: updates, deletes and new documents.
    const writer = (async () => {
      for (let i = 0; i < 200; i++) {
        await coll.updateOne({ _id: new Int32(i * 7) }, { $set: { v: new Int32(1) } });
        if (i % 10 === 0) await coll.deleteOne({ _id: new Int32(i * 13 + 1) });
        await coll.insertOne({ _id: new Int32(seeded + i), v: new Int32(2) });
      }
    })();
    while (d.records.length < 50) await d.pollOnce();
    await writer;
    await d.drain(2000);

    const topic = `srv.${db}.items`;
    const reads = envelopes(d.records, topic).filter((e) => e.op === 'r');
    expect(reads.length).toBeGreaterThanOrEqual(seeded - 20);
    expect(reads.filter((e) => e.source.snapshot === 'last')).toHaveLength(1);
    expect(reads[reads.length - 1].source.snapshot).toBe('last');

    // Replay the records in order: the result must equal the collection now.
    const state = new Map<string, string>();
    for (const r of d.records.filter((x) => x.topic === topic)) {
      const id = (r.key as { id: string }).id;
      const v = r.value as { op: string; after: string | null } | null;
      if (v === null || v.op === 'd') state.delete(id);
      else if (v.after !== null) state.set(id, v.after);
    }
    const actual = await coll.find({}, { promoteValues: false }).toArray();
    expect(state.size).toBe(actual.length);
    for (const doc of actual) {
      const id = String((doc._id as unknown as Int32).value);
      expect(state.get(id), `document ${id}`).toBeDefined();
      expect(JSON.parse(state.get(id)!).v).toBe((doc.v as Int32).value);
    }
  });

  it("marks snapshot records true and the final one last, across collections, as Debezium's MongoDB connector does", async () => {
    // Debezium's MongoDbSnapshotChangeEventSource sets only LAST (unlike its relational snapshots, no first or
    // per-collection markers). Collections are read in name order: a (3 documents), b (1), c (4), then the empty d.
    const db = newDb();
    const docs = { a: 3, b: 1, c: 4, d: 0 };
    for (const [name, n] of Object.entries(docs)) {
      if (n)
        await client
          .db(db)
          .collection<Doc>(name)
          .insertMany(Array.from({ length: n }, (_, i) => ({ _id: new Int32(i + 1) })));
      else await client.db(db).createCollection(name);
    }
    const marks = (d: MongoTaskDriver) =>
      d.records
        .filter((r) => r.value !== null)
        .map((r) => {
          const e = r.value as MongoEnvelope;
          return `${e.source.collection}:${JSON.parse(e.after!)._id} ${e.source.snapshot}`;
        });
    const cfg = (extra: Record<string, string>) =>
      connectorConfig(db, 'a', {
        'capture.scope': 'database',
        'capture.target': db,
        'snapshot.mode': 'initial_only',
        ...extra,
      });

    const all = driver(cfg({}));
    await all.start();
    await all.pollUntil((rs) => rs.length >= 8);
    expect(marks(all)).toEqual([
      'a:1 true',
      'a:2 true',
      'a:3 true',
      'b:1 true',
      'c:1 true',
      'c:2 true',
      'c:3 true',
      'c:4 last',
    ]);

    const one = driver(cfg({ 'collection.include.list': `${db}\\.b` }));
    await one.start();
    await one.pollUntil((rs) => rs.length >= 1);
    expect(marks(one)).toEqual(['b:1 last']);
  });

  it('resumes from the committed offset after a restart without snapshotting again or losing writes', async () => {
    const db = newDb();
    const coll = client.db(db).collection<Doc>('orders');
    await coll.insertMany([{ _id: new Int32(1) }, { _id: new Int32(2) }]);
    const first = driver(connectorConfig(db, 'orders'));
    await first.start();
    await first.pollUntil((rs) =>
      rs.some((r) => (r.value as { source?: { snapshot?: string } })?.source?.snapshot === 'last'),
    );
    await coll.insertOne({ _id: new Int32(3) });
    await first.pollUntil((rs) => rs.some((r) => (r.key as { id: string }).id === '3'));
    await first.stop();

    // Written while the connector is down.
    await coll.insertOne({ _id: new Int32(4) });
    await coll.updateOne({ _id: new Int32(1) }, { $set: { late: true } });

    const second = driver(connectorConfig(db, 'orders'), first.committed);
    await second.start();
    await second.pollUntil((rs) => rs.filter((r) => r.value !== null).length >= 2, 30_000);
    await second.drain(1000);
    const ev = envelopes(second.records, `srv.${db}.orders`);
    expect(ev.some((e) => e.op === 'r')).toBe(false);
    expect(ev.map((e) => [e.op, JSON.parse(e.after ?? '{}')._id])).toEqual([
      ['c', 4],
      ['u', 1],
    ]);
  });

  it('re-runs an interrupted snapshot (offset still initsync) instead of streaming from a half-read state', async () => {
    const db = newDb();
    const coll = client.db(db).collection<Doc>('big');
    await coll.insertMany(Array.from({ length: 600 }, (_, i) => ({ _id: new Int32(i) })));
    const first = driver(connectorConfig(db, 'big', { 'max.batch.size': '100' }));
    await first.start();
    await first.pollOnce();
    expect(first.records.length).toBe(100);
    expect(first.committed.size).toBe(1);
    expect([...first.committed.values()][0].offset.initsync).toBe(true);
    await first.stop();

    const second = driver(connectorConfig(db, 'big'), first.committed);
    await second.start();
    await second.pollUntil((rs) =>
      rs.some((r) => (r.value as { source: { snapshot: string } }).source.snapshot === 'last'),
    );
    expect(new Set(second.records.map((r) => (r.key as { id: string }).id)).size).toBe(600);
  });

  it('emits heartbeats carrying the stream position while the captured collection is quiet', async () => {
    const db = newDb();
    const coll = client.db(db).collection<Doc>('quiet');
    await coll.insertOne({ _id: new Int32(0) });
    const d = driver(connectorConfig(db, 'quiet', { 'snapshot.mode': 'no_data', 'heartbeat.interval.ms': '300' }));
    await d.start();
    await coll.insertOne({ _id: new Int32(1) });
    await d.pollUntil((rs) => rs.some((r) => r.topic === '__debezium-heartbeat.srv'), 20_000);
    const data = d.records.find((r) => r.topic === `srv.${db}.quiet`);
    const beat = d.records.find((r) => r.topic === '__debezium-heartbeat.srv')!;
    expect(beat.key).toEqual({ serverName: 'srv' });
    expect(typeof (beat.value as { ts_ms: number }).ts_ms).toBe('number');
    expect(beat.sourcePartition).toEqual(data!.sourcePartition);
    // MongoDB's post-batch token may be newer than the last event's; mongo-java-server has only the event's.
    expect(typeof beat.sourceOffset.resume_token).toBe('string');
    expect(beat.sourceOffset.sec as number).toBeGreaterThanOrEqual(data!.sourceOffset.sec as number);
    if (server.kind === 'mongo-java-server')
      expect(beat.sourceOffset.resume_token).toBe(data!.sourceOffset.resume_token);
  });

  it('captures nothing of a collection the include list leaves out', async () => {
    const db = newDb();
    const coll = client.db(db).collection<Doc>('hidden');
    await coll.insertOne({ _id: new Int32(0) });
    const d = driver(connectorConfig(db, 'hidden', { 'collection.include.list': `${db}\\.other` }));
    await d.start();
    await coll.insertOne({ _id: new Int32(1) });
    await d.drain(1000);
    expect(d.records).toEqual([]);
  });

  it('fails with a clear, non-retriable error when the server cannot serve change streams', async () => {
    // A wire server without oplog answers like a standalone mongod: no change streams.
    const plain = await startMongo({ noOplog: true, forceWireServer: true });
    try {
      const d = driver({ ...connectorConfig('x', 'y'), 'mongodb.connection.string': plain.url });
      const err = await d.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).retriable).toBe(false);
      expect((err as ConnectError).message).toMatch(/replica set/);
    } finally {
      await plain.stop();
    }
  });

  it('reports an unreachable server as a retriable error naming the host', async () => {
    const port = await freePort();
    const d = driver({
      ...connectorConfig('x', 'y'),
      'mongodb.connection.string': `mongodb://127.0.0.1:${port}/`,
      'mongodb.server.selection.timeout.ms': '1500',
    });
    const err = await d.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).retriable).toBe(true);
    expect((err as ConnectError).message).toContain(`127.0.0.1:${port}`);
  });
});
