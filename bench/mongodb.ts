/**
 * MongoDB source throughput, measured against mongo-java-server (an in-memory Java server speaking MongoDB's
 * wire protocol), NOT against MongoDB: the figures include that server's own cost and say little about mongod.
 *
 * - snapshot: N documents read and turned into Debezium records, each value serialized by the JSON converter
 *   (schemas.enable=true), as the worker would before handing it to a sink;
 * - backlog drain: M inserts and updates written while the connector was stopped, then drained from the stored
 *   resume token, records serialized the same way;
 * - peak RSS of this Node process (the Java server is a separate process and not counted).
 *
 * Run: `npx tsx bench/mongodb.ts [docs] [events]` (defaults 50000 and 30000), or `node dist/bench/mongodb.js`
 * after `npm run build`. Needs scripts/install-mongo-java-server.sh, or MONGODB_URL for a real server.
 */
import { cpus, totalmem } from 'node:os';
import { Int32, type MongoClient } from 'mongodb';
import { mongoConfigSpec } from '../connectors/mongodb/config.js';
import { MongoSourceTask } from '../connectors/mongodb/task.js';
import { type ChangeRecord, type Logger, partitionKey, type SourceOffset } from '../runtime/api/index.js';
import { sourceCommonSpec } from '../runtime/config/common.js';
import { parseConfig } from '../runtime/config/parse.js';
import { JsonConverter } from '../runtime/converters/json.js';
import { startMongo } from '../test/harness/mongo.js';

const DOCS = Number(process.argv[2] ?? 50_000);
const EVENTS = Number(process.argv[3] ?? 30_000);

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
type BenchDoc = { _id: Int32; [field: string]: unknown };

const converter = new JsonConverter({ schemasEnable: true, decimalFormat: 'BASE64' });

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

function task(url: string, db: string, offsets: Map<string, SourceOffset>) {
  const { config, issues } = parseConfig([...sourceCommonSpec, ...mongoConfigSpec], {
    name: 'bench',
    'mongodb.connection.string': url,
    'topic.prefix': 'bench',
    'capture.scope': 'collection',
    'capture.target': `${db}.docs`,
    'capture.mode': 'change_streams_update_full',
    'snapshot.fetch.size': '1000',
    'max.batch.size': '2048',
    'poll.interval.ms': '20',
  });
  if (issues.length) throw new Error(JSON.stringify(issues));
  const t = new MongoSourceTask();
  const abort = new AbortController();
  return {
    start: () =>
      t.start(config, {
        connector: 'bench',
        taskId: 0,
        signal: abort.signal,
        log: quiet,
        offsets: { offset: async (p) => offsets.get(partitionKey(p)) ?? null },
      }),
    /** Polls until `until` says stop; serializes every value; returns records seen and bytes produced. */
    async run(until: (r: ChangeRecord) => boolean): Promise<{ records: number; bytes: number; ms: number }> {
      const started = performance.now();
      let records = 0;
      let bytes = 0;
      const ops: Record<string, number> = {};
      for (;;) {
        const batch = (await t.poll()) ?? [];
        let done = false;
        for (const r of batch) {
          records++;
          const op = (r.value as { op?: string } | null)?.op ?? 'tombstone';
          ops[op] = (ops[op] ?? 0) + 1;
          bytes += converter.fromRecord(r.topic, r.valueSchema, r.value)?.length ?? 0;
          offsets.set(partitionKey(r.sourcePartition), r.sourceOffset);
          if (until(r)) done = true;
        }
        if (done) {
          if (process.env.BENCH_DEBUG) console.error(ops);
          return { records, bytes, ms: performance.now() - started };
        }
      }
    },
    async stop() {
      abort.abort();
      await t.stop();
    },
  };
}

async function seed(client: MongoClient, db: string): Promise<void> {
  const coll = client.db(db).collection<BenchDoc>('docs');
  const pad = 'x'.repeat(120);
  for (let i = 0; i < DOCS; i += 1000) {
    const n = Math.min(1000, DOCS - i);
    await coll.insertMany(
      Array.from({ length: n }, (_, k) => ({
        _id: new Int32(i + k),
        name: `customer ${i + k}`,
        score: new Int32(k),
        tags: ['a', 'b'],
        address: { city: 'Oslo', zip: '0150' },
        pad,
      })),
    );
  }
}

async function main(): Promise<void> {
  const server = await startMongo();
  const client = await server.client();
  const db = `bench_${process.pid}`;
  try {
    await seed(client, db);
    // Baseline: the same documents through a bare driver cursor, to tell the server's cost from the connector's.
    const rawStarted = performance.now();
    let rawDocs = 0;
    for await (const _ of client.db(db).collection('docs').find({}, { batchSize: 1000, promoteValues: false }))
      rawDocs++;
    const rawMs = performance.now() - rawStarted;
    const offsets = new Map<string, SourceOffset>();
    peakRss = process.memoryUsage().rss;
    const snap = task(server.url, db, offsets);
    await snap.start();
    const s = await snap.run((r) => (r.value as { source: { snapshot: string } }).source.snapshot === 'last');
    // One streamed event gives the offset a resume token (mongo-java-server hands out none before the first event).
    await client
      .db(db)
      .collection<BenchDoc>('docs')
      .insertOne({ _id: new Int32(-1), marker: true });
    await snap.run((r) => (r.key as { id: string }).id === '-1');
    await snap.stop();
    const snapshotPeak = peakRss;

    // Backlog written while the connector is down: half inserts, half updates.
    const coll = client.db(db).collection<BenchDoc>('docs');
    const half = Math.floor(EVENTS / 2);
    for (let i = 0; i < half; i += 1000) {
      const n = Math.min(1000, half - i);
      await coll.insertMany(
        Array.from({ length: n }, (_, k) => ({ _id: new Int32(DOCS + i + k), name: 'new', score: new Int32(1) })),
      );
    }
    // -i - 1: a no-op update writes no oplog entry and so produces no event, on MongoDB as on the wire server.
    for (let i = 0; i < EVENTS - half; i++)
      await coll.updateOne({ _id: new Int32(i % DOCS) }, { $set: { score: new Int32(-i - 1) } });
    const lastId = String((EVENTS - half - 1) % DOCS);
    const lastScore = -(EVENTS - half);

    peakRss = process.memoryUsage().rss;
    const drain = task(server.url, db, offsets);
    await drain.start();
    const d = await drain.run((r) => {
      const v = r.value as { op: string; after: string | null } | null;
      return (
        v?.op === 'u' &&
        (r.key as { id: string }).id === lastId &&
        v.after !== null &&
        JSON.parse(v.after).score === lastScore
      );
    });
    await drain.stop();

    const result = {
      server: server.kind,
      docs: DOCS,
      events: EVENTS,
      rawCursorDocsPerSec: Math.round((rawDocs / rawMs) * 1000),
      snapshotDocsPerSec: Math.round((s.records / s.ms) * 1000),
      snapshotMs: Math.round(s.ms),
      snapshotPeakRssMiB: Math.round(snapshotPeak / 2 ** 20),
      drainRecords: d.records,
      drainEventsPerSec: Math.round((d.records / d.ms) * 1000),
      drainMs: Math.round(d.ms),
      drainPeakRssMiB: Math.round(peakRss / 2 ** 20),
      avgValueBytes: Math.round(s.bytes / s.records),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    clearInterval(sampler);
    await client.close();
    await server.stop();
  }
}

await main();
