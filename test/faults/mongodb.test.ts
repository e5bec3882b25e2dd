import { existsSync, readFileSync } from 'node:fs';
import { type Db, Int32, type MongoClient } from 'mongodb';
import { describe } from 'vitest';
import type { CdcEvent, Change } from '../harness/cdc.js';
import { type MongoTestServer, mongoAvailable, startMongo } from '../harness/mongo.js';
import type { ConnectorFile } from '../harness/worker.js';
import { retrying } from './kit.js';
import { defineFaultSuite, INITIAL_ROWS } from './suite.js';

/**
 * The MongoDB source against mongo-java-server under every fault of the suite (test/faults/suite.ts). The server
 * keeps its data and oplog in an H2 file, so a restart loses nothing; it has no command to kill another client's
 * cursor or connection, so "the server ends the replication connection" is the proxy dropping it. Its change
 * streams work per collection only (docs/FACTS.md), so one collection is captured.
 */

const COLL = 'fa';

const missing = mongoAvailable();
if (missing) {
  console.error(`MongoDB fault suite cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

type Event = CdcEvent<{ ts_ms: number; ord: number }>;
type Doc = { _id: Int32; v: Int32 };

interface Line {
  topic: string;
  key: { id: string } | null;
  value: { op: string; after: string | null; source: { collection: string; ts_ms: number; ord: number } } | null;
}

let server: MongoTestServer;
let client: MongoClient | undefined;
let db: Db;
const DB = 'fdb';

const connectWriter = async () => {
  // Closing a client whose server is gone can wait for server selection: let it finish in the background.
  void client?.close().catch(() => undefined);
  client = await retrying(() => server.client(), 120_000, 'the writer reconnecting');
  db = client.db(DB);
  return db;
};

/** Reads the sink's `format: record` lines as the suite's events (`after` parsed; a delete keyed by its id). */
class LineTail {
  readonly events: Event[] = [];
  private offset = 0;
  constructor(private readonly file: string) {}
  read(): Event[] {
    if (!existsSync(this.file)) return this.events;
    const text = readFileSync(this.file, 'utf8');
    const end = text.lastIndexOf('\n');
    if (end < this.offset) return this.events;
    for (const raw of text.slice(this.offset, end).split('\n')) {
      if (!raw) continue;
      const l = JSON.parse(raw) as Line;
      if (!l.value || !l.key) continue;
      const s = l.value.source;
      const id = Number(l.key.id);
      const after = l.value.after ? (JSON.parse(l.value.after) as { _id: number; v: number }) : null;
      this.events.push({
        op: l.value.op,
        before: after ? null : { id },
        after: after ? { id: after._id, v: after.v } : null,
        source: { table: s.collection, ts_ms: s.ts_ms, ord: s.ord },
      });
    }
    this.offset = end + 1;
    return this.events;
  }
}
let tail: LineTail | undefined;

describe.runIf(!missing)('MongoDB source under faults (real worker process, mongo-java-server)', () => {
  defineFaultSuite<Event>({
    connector: 'fmongo',
    tables: [COLL],
    async setup() {
      server = await startMongo({ persistent: true, forceWireServer: true });
      await connectWriter();
      await db
        .collection<Doc>(COLL)
        .insertMany(Array.from({ length: INITIAL_ROWS }, (_, i) => ({ _id: new Int32(i + 1), v: new Int32(0) })));
      const port = Number(new URL(server.url).port);
      return { host: '127.0.0.1', port };
    },
    load: () => ({
      exec: async () => undefined,
      // No multi-document transactions on mongo-java-server: one change at a time.
      maxStatements: 1,
      execOps: async (ops: readonly Change[]) => {
        for (const o of ops) {
          const coll = db.collection<Doc>(o.table);
          if (o.op === 'c') await coll.insertOne({ _id: new Int32(o.id), v: new Int32(o.v) });
          else if (o.op === 'u') await coll.updateOne({ _id: new Int32(o.id) }, { $set: { v: new Int32(o.v) } });
          else await coll.deleteOne({ _id: new Int32(o.id) });
        }
      },
      settle: async (ops: readonly Change[]) => {
        const first = ops[0];
        const doc = await retrying(
          async () => {
            try {
              return await db.collection<Doc>(first.table).findOne({ _id: new Int32(first.id) });
            } catch (err) {
              await connectWriter();
              throw err;
            }
          },
          120_000,
          'the writer settling a change',
        );
        return first.op === 'd' ? doc === null : Number(doc?.v) === first.v;
      },
    }),
    connectors: (via, _dir, out): ConnectorFile[] => [
      {
        name: 'fmongo',
        config: {
          'connector.class': 'io.debezium.connector.mongodb.MongoDbConnector',
          'mongodb.connection.string': `mongodb://${via.host}:${via.port}/`,
          'topic.prefix': 'srv',
          'capture.scope': 'collection',
          'capture.target': `${DB}.${COLL}`,
          'capture.mode': 'change_streams_update_full',
          'poll.interval.ms': '50',
          // How long the driver looks for a server before the task sees an error (Debezium's default: 30 s).
          'mongodb.server.selection.timeout.ms': '5000',
        },
      },
      {
        name: 'sink',
        config: {
          'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
          file: out,
          topics: `srv.${DB}.${COLL}`,
          format: 'record',
          'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'key.converter.schemas.enable': 'false',
          'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'value.converter.schemas.enable': 'false',
        },
      },
    ],
    events(out) {
      tail ??= new LineTail(out);
      return tail.read();
    },
    async rows(table) {
      const docs = await db.collection<Doc>(table).find({}).toArray();
      return docs.map((d) => ({ id: Number(d._id), v: Number(d.v) }));
    },
    stopServer: () => server.stopServer(),
    startServer: () => server.startServer(),
    async killReplication(proxy) {
      proxy.dropConnections();
    },
    detectsStall: false,
    /** After the committed offset: a later cluster time (seconds, increment). */
    after: (e, offset) => {
      const sec = Math.floor(e.source.ts_ms / 1000);
      const osec = Number(offset.sec);
      return sec > osec || (sec === osec && e.source.ord > Number(offset.ord));
    },
    // An update event carries the document as looked up when the stream read it (mongo-java-server sends no
    // updateDescription): its version can be a later one, so a delivery is known by its oplog position.
    identity: (e) => `${e.source.ts_ms}:${e.source.ord}:${e.op}`,
    updatesShowLaterVersions: true,
    async teardown() {
      await client?.close().catch(() => undefined);
      await server?.stop();
    },
  });
});
