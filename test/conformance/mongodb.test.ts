import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongoSourceConnector } from '../../connectors/mongodb/index.js';
import { debeziumAvailable } from '../harness/debezium.js';
import { type MongoTestServer, mongoAvailable, startMongo } from '../harness/mongo.js';
import { type CapturedRecord, opOf, payloadOf } from './framework/compare.js';
import { type ConformanceResult, runConformance } from './framework/run.js';
import { formatVerdict, passed } from './framework/verdict.js';
import { COLLECTION, DB, mongoCases } from './mongodb/corpus.js';
import { mongoSuite } from './mongodb/suite.js';

const missing = mongoAvailable() ?? debeziumAvailable('debezium');
if (missing) {
  console.error(`MongoDB conformance suite cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

/** Paths never compared: positions, timestamps and the connector's naming. */
const IGNORE = [
  'value.payload.ts_ms',
  'value.payload.ts_us',
  'value.payload.ts_ns',
  'value.payload.source.ts_ms',
  'value.payload.source.ts_us',
  'value.payload.source.ts_ns',
  'value.payload.source.version',
  'value.payload.source.name',
  'value.payload.source.connector',
  'value.payload.source.ord',
];

/** A record's case: the `case` field of its document. */
function caseOf(r: CapturedRecord): string | undefined {
  const after = (payloadOf(r.value) as { after?: unknown } | null)?.after;
  return typeof after === 'string' ? /"case": "([^"]+)"/.exec(after)?.[1] : undefined;
}

describe.runIf(!missing)('conformance with Debezium: MongoDB (snapshot, on mongo-java-server)', () => {
  let server: MongoTestServer;
  let dir: string;
  let result: ConformanceResult;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-conf-mongodb-'));
    server = await startMongo({ hello: true });
    const client = await server.client();
    try {
      const coll = client.db(DB).collection(COLLECTION);
      for (const c of mongoCases) await coll.insertMany(c.documents() as never[]);
    } finally {
      await client.close();
    }
    const common = {
      'mongodb.connection.string': server.url,
      'capture.scope': 'collection',
      'capture.target': `${DB}.${COLLECTION}`,
      'collection.include.list': `${DB}\\.${COLLECTION}`,
    };
    result = await runConformance({
      suite: mongoSuite,
      classpath: 'debezium',
      dir,
      debeziumConfig: (v, i) => ({
        'connector.class': 'io.debezium.connector.mongodb.MongoDbConnector',
        ...common,
        'topic.prefix': `m${i}`,
        ...v.config,
      }),
      sluice: {
        plugin: {
          connector: 'conformance-mongodb',
          spec: mongoSourceConnector.configSpec,
          createTask: () => mongoSourceConnector.createTask(),
        },
        config: (v, i) => ({ ...common, 'topic.prefix': `m${i}`, ...v.config }),
        streaming: /snapshot complete; streaming/,
      },
      // Nothing is streamed: Debezium cannot read mongo-java-server's change events (see the suite's reference).
      stream: async () => undefined,
      complete: (records) =>
        records.some(
          (r) => opOf(r) === 'r' && (payloadOf(r.value) as { source: { snapshot: string } }).source.snapshot === 'last',
        ),
      caseOf,
      ignore: IGNORE,
    });
  });

  afterAll(async () => {
    await server?.stop();
    if (dir && !process.env.SLUICE_CONFORMANCE_KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.log(`conformance outputs kept in ${dir}`);
  });

  it('every snapshot record is identical to Debezium or a listed departure', () => {
    const report = formatVerdict(mongoSuite, result.verdict, Number(process.env.SLUICE_CONFORMANCE_LIMIT ?? 80));
    if (!passed(result.verdict)) throw new Error(report);
    expect(result.pairs).toBeGreaterThan(0);
  });
});
