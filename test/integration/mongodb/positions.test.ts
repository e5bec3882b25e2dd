import { Int32, MongoClient, type Timestamp } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongoSourceConnector } from '../../../connectors/mongodb/index.js';
import { type Config, ConfigError, partitionKey } from '../../../runtime/api/index.js';
import { sourceCommonSpec } from '../../../runtime/config/common.js';
import { parseConfig } from '../../../runtime/config/parse.js';
import { type MongoTestServer, mongoAvailable, startMongo } from '../../harness/mongo.js';
import type { CommittedOffsets } from '../../harness/task-driver.js';
import { envelopes, MongoTaskDriver } from './task-driver.js';

/**
 * Issue 15 for MongoDB: a resume point the oplog no longer holds fails loudly (also where the server would quietly
 * restart at its oldest entry, as mongo-java-server does), and an operator's start point is checked and used.
 */
const missing = mongoAvailable();
let server: MongoTestServer;
let client: MongoClient;
let rs = '';

beforeAll(async () => {
  if (missing) return;
  server = await startMongo();
  client = new MongoClient(server.url);
  await client.connect();
  const hello = await client.db('admin').command({ isMaster: 1 });
  // As the task names its partition: the replica set, or "standalone" (mongo-java-server has no setName).
  rs = typeof hello.setName === 'string' ? hello.setName : 'standalone';
});
afterAll(async () => {
  await client?.close();
  await server?.stop();
});

const raw = (coll: string, extra: Record<string, string> = {}) => ({
  'mongodb.connection.string': server.url,
  'topic.prefix': 'mpos',
  'capture.scope': 'collection',
  'capture.target': `mpos.${coll}`,
  'capture.mode': 'change_streams_update_full',
  'poll.interval.ms': '50',
  ...extra,
});

async function oldestOplog(): Promise<{ sec: number; ord: number }> {
  const [first] = await client.db('local').collection('oplog.rs').find({}).sort({ $natural: 1 }).limit(1).toArray();
  const ts = first.ts as Timestamp;
  return { sec: ts.getHighBits() >>> 0, ord: ts.getLowBits() >>> 0 };
}

function connectorConfig(extra: Record<string, string>): Config {
  const { config, issues } = parseConfig([...sourceCommonSpec, ...mongoSourceConnector.configSpec], {
    name: 'mongo',
    ...extra,
  });
  if (issues.length) throw new Error(JSON.stringify(issues));
  return config;
}

describe.runIf(!missing)('MongoDB source: lost resume points and hand-set start points', () => {
  it('a resume point older than the oplog fails naming it and the two ways out; when_needed snapshots instead', async () => {
    await client
      .db('mpos')
      .collection<{ _id: Int32; [k: string]: unknown }>('lost')
      .insertOne({ _id: new Int32(1), v: 1 });
    const oldest = await oldestOplog();
    const partition = { server_id: 'mpos', rs };
    const stale: CommittedOffsets = new Map([
      [partitionKey(partition), { partition, offset: { sec: oldest.sec - 3600, ord: 1 } }],
    ]);
    const err = await new MongoTaskDriver(raw('lost'), stale).failure(10_000);
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(
      /resume point \d+:1 is no longer in the oplog \(its oldest entry is at cluster time \d+:\d+\)/,
    );
    expect(err.message).toMatch(/snapshot\.mode=when_needed/);
    expect(err.message).toMatch(/PATCH \/connectors\/mongo\/offsets/);

    const d = new MongoTaskDriver(raw('lost', { 'snapshot.mode': 'when_needed' }), stale);
    await d.start();
    try {
      await d.pollUntil((r) => envelopes(r, 'mpos.mpos.lost').some((e) => e.op === 'r'), 20_000);
    } finally {
      await d.stop();
    }
  });

  it('PATCH checks a start point (form, partition, the oplog) and the task streams from it', {
    timeout: 60_000,
  }, async () => {
    const coll = client.db('mpos').collection<{ _id: Int32; [k: string]: unknown }>('hand');
    const watch = coll.watch();
    await watch.tryNext(); // opens the cursor now (the driver opens it lazily)
    await coll.insertOne({ _id: new Int32(1), v: 'before' });
    let first = await watch.tryNext();
    for (let i = 0; !first && i < 100; i++) first = await watch.tryNext();
    if (!first) throw new Error('no change event for the first insert');
    await watch.close();
    const token = (first._id as { _data: string })._data;
    await coll.insertOne({ _id: new Int32(2), v: 'after' });
    const cfg = connectorConfig(raw('hand'));
    const partition = { server_id: 'mpos', rs };
    const reject = async (offset: Record<string, unknown>, p: Record<string, unknown> = partition) => {
      const e = await mongoSourceConnector.alterOffsets!(cfg, [
        { partition: p as Record<string, string>, offset: offset as Record<string, never> },
      ]).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).message;
    };
    expect(await reject({ sec: 'soon' })).toMatch(/offset\.sec: "soon" is not a cluster time part/);
    expect(await reject({ resume_token: 'zz' })).toMatch(/offset\.resume_token: "zz" is not a resume token/);
    expect(await reject({ ord: 1 })).toMatch(/offset\.sec: missing/);
    expect(await reject({ sec: 5 }, { server_id: 'other', rs })).toMatch(/partition\.server_id/);
    expect(await reject({ sec: (await oldestOplog()).sec - 3600, ord: 0 })).toMatch(
      /offset\.sec: cluster time \d+:0 is older than the oplog's oldest entry/,
    );
    // A resume token: the stream goes on after that event.
    const [accepted] = await mongoSourceConnector.alterOffsets!(cfg, [{ partition, offset: { resume_token: token } }]);
    expect(accepted.offset).toMatchObject({ resume_token: token, operator: true, sec: expect.any(Number) });
    const committed: CommittedOffsets = new Map([[partitionKey(partition), { partition, offset: accepted.offset! }]]);
    const d = new MongoTaskDriver(raw('hand'), committed);
    await d.start();
    try {
      await d.pollUntil((r) => envelopes(r, 'mpos.mpos.hand').length >= 1, 20_000);
      await d.drain(500);
      expect(envelopes(d.records, 'mpos.mpos.hand').map((e) => JSON.parse(e.after!)._id)).toEqual([2]);
      // The oplog window left: from the oplog's oldest entry to the committed position, reported every 5 s.
      await d.pollUntil(() => d.logReports.some((r) => r.windowSeconds !== undefined), 15_000);
      const report = d.logReports.find((r) => r.windowSeconds !== undefined)!;
      expect(report.windowSeconds).toBeGreaterThanOrEqual(0);
      expect(report.position).toMatch(/^\d+:\d+$/);
      expect(d.lags.length).toBeGreaterThan(0);
    } finally {
      await d.stop();
    }
  });
});
