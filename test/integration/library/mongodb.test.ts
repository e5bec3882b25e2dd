import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Binary, Decimal128, Long, type MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, type MongoEvent, toJson } from '../../../runtime/library/index.js';
import { fileSink } from '../../harness/file-sink.js';
import { type MongoTestServer, mongoAvailable, startMongo } from '../../harness/mongo.js';
import { startWorker, waitFor } from '../../harness/worker.js';
import { Collector, expectCliEvents, PROCESSING_TIME, sinkLines } from './collect.js';

const missing = mongoAvailable();
if (missing) {
  console.error(`MongoDB library tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

let server: MongoTestServer;
let client: MongoClient;
let dir: string;

describe.runIf(!missing)('capture() from MongoDB (wire server)', () => {
  beforeAll(async () => {
    server = await startMongo();
    client = await server.client();
    dir = await mkdtemp(join(tmpdir(), 'sluice-lib-mongo-'));
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
    if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
  });

  it('delivers the events the CLI writes for the same changes, snapshot and change stream', async () => {
    const coll = client.db('lib').collection('docs');
    await coll.insertOne({
      _id: 1 as never,
      name: 'first',
      big: Long.fromString('9223372036854775807'),
      price: Decimal128.fromString('12345678901234567890.123'),
      raw: new Binary(Buffer.from([0, 255])),
      at: new Date('2024-02-29T12:00:00.123Z'),
    });
    const config = {
      'mongodb.connection.string': server.url,
      'topic.prefix': 'srv',
      'capture.scope': 'collection',
      'capture.target': 'lib.docs',
      'capture.mode': 'change_streams_update_full',
    } as const;
    const topics = ['srv.lib.docs'];
    const plain = join(dir, 'plain.jsonl');
    const schemas = join(dir, 'schemas.jsonl');
    const cli = await startWorker({
      dir: join(dir, 'cli'),
      worker: { 'offset.storage.file.filename': join(dir, 'cli-offsets.json'), 'offset.flush.interval.ms': '500' },
      connectors: [
        { name: 'cli', config: { 'connector.class': 'io.debezium.connector.mongodb.MongoDbConnector', ...config } },
        fileSink('plain', plain, topics),
        fileSink('schemas', schemas, topics, true),
      ],
    });
    const stream = capture({
      connector: 'mongodb',
      config: { ...config, 'capture.mode': 'change_streams_update_full' },
      logger: false,
    });
    const lib = new Collector(stream);
    try {
      await lib.until((es) => es.length === 1, 'the library snapshot');
      await waitFor(() => sinkLines(plain).length === 1 && sinkLines(schemas).length === 1, 60_000, 'the CLI snapshot');
      await coll.insertOne({ _id: 2 as never, name: 'second', big: Long.fromNumber(-5) });
      await coll.updateOne({ _id: 1 as never }, { $set: { name: 'renamed' }, $unset: { raw: '' } });
      await coll.deleteOne({ _id: 2 as never });
      // insert, update, delete, tombstone
      await lib.until((es) => es.length === 5, 'the library changes');
      await waitFor(() => sinkLines(plain).length === 5 && sinkLines(schemas).length === 5, 60_000, 'the CLI changes');
    } finally {
      await cli.stop();
      await stream.close();
    }
    expect(lib.error).toBeUndefined();
    const events = lib.events as MongoEvent[];
    expect(events.map((e) => (e.kind === 'change' ? e.value.op : e.kind))).toEqual(['r', 'c', 'u', 'd', 'tombstone']);
    expectCliEvents(
      events,
      sinkLines(plain),
      sinkLines(schemas),
      (v) => {
        const op = (v as { op?: string } | null)?.op;
        return op === 'r'
          ? [...PROCESSING_TIME, 'source.ts_ms', 'source.ts_us', 'source.ts_ns']
          : op
            ? PROCESSING_TIME
            : [];
      },
      toJson,
    );
    const first = events[0] as Extract<MongoEvent, { kind: 'change' }>;
    // Documents stay Debezium's extended JSON text, every digit kept.
    expect(first.value.after).toContain('"$numberLong": "9223372036854775807"');
    expect(first.value.after).toContain('"$numberDecimal": "12345678901234567890.123"');
    expect(first.key).toEqual({ id: '1' });
    expect(typeof first.value.source.ts_ms).toBe('bigint');
  });
});
