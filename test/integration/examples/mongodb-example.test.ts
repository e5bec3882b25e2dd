import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal128 } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MongoTestServer, mongoAvailable, startMongo } from '../../harness/mongo.js';
import { example, startExampleWorker } from '../../harness/examples.js';
import { type ConnectorFile, type WorkerProcess, waitFor } from '../../harness/worker.js';

/**
 * examples/mongodb-source.json in a worker from examples/worker-direct.json, with the connection string from
 * ${env:MONGODB_CONNECTION_STRING} as in docker-compose.yml, against the test harness's server (mongo-java-server,
 * or a real mongod from MONGODB_URL). The documents are those examples/compose/mongodb-init.js inserts (that
 * script needs mongosh, which these machines lack).
 */

const missing = mongoAvailable();
if (missing) {
  console.error(`MongoDB example test cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

interface Event {
  topic: string;
  value: { op: string; after: string | null } | null;
}

describe.runIf(!missing)('examples: mongodb-source.json', () => {
  let mongo: MongoTestServer;
  let dir: string;
  let w: WorkerProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-examples-mongo-'));
    mongo = await startMongo();
    const c = await mongo.client();
    try {
      const orders = c.db('inventory').collection<Record<string, unknown> & { _id: number }>('orders');
      await orders.deleteMany({});
      await orders.insertMany([
        {
          _id: 1,
          customer: 'ada@example.com',
          items: [{ sku: 'engine', qty: 1 }],
          total: Decimal128.fromString('1815.12'),
        },
        {
          _id: 2,
          customer: 'grace@example.com',
          items: [{ sku: 'compiler', qty: 2 }],
          total: Decimal128.fromString('1906.50'),
        },
      ]);
    } finally {
      await c.close();
    }
  });

  afterAll(async () => {
    await w?.stop();
    await mongo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('snapshots the sample orders and streams an update', async () => {
    const source = example<ConnectorFile>('mongodb-source.json');
    const started = await startExampleWorker<Event>({
      dir,
      // mongo-java-server serves change streams on a collection only (docs/mongodb.md); a real mongod takes the
      // example as it is (deployment scope).
      source:
        mongo.kind === 'mongodb'
          ? source
          : {
              ...source,
              config: { ...source.config, 'capture.scope': 'collection', 'capture.target': 'inventory.orders' },
            },
      sink: { 'topics.regex': 'mongo\\..*' },
      env: { MONGODB_CONNECTION_STRING: mongo.url },
    });
    w = started.worker;
    const { events } = started;
    const snapshot = await waitFor(() => (events().length >= 2 ? events() : undefined), 90_000, 'the snapshot');
    expect(snapshot.map((e) => [e.topic, e.value?.op])).toEqual([
      ['mongo.inventory.orders', 'r'],
      ['mongo.inventory.orders', 'r'],
    ]);
    expect(JSON.parse(snapshot[0].value?.after ?? 'null')).toMatchObject({ _id: 1, customer: 'ada@example.com' });

    const c = await mongo.client();
    try {
      await c
        .db('inventory')
        .collection<{ _id: number }>('orders')
        .updateOne({ _id: 1 }, { $set: { status: 'shipped' } });
    } finally {
      await c.close();
    }
    const update = await waitFor(() => events().find((e) => e.value?.op === 'u'), 60_000, 'the update');
    expect(JSON.parse(update.value?.after ?? 'null')).toMatchObject({ _id: 1, status: 'shipped' });
    expect(await w.stop()).toBe(0);
    w = undefined;
  });
});
