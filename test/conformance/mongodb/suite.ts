import type { ConformanceSuite } from '../framework/suite.js';
import { mongoCases } from './corpus.js';
import { mongoDepartures } from './departures.js';
import {
  documentedCaptureModes,
  documentedDelete,
  documentedKey,
  documentedTombstone,
  documentedUpdate,
} from './documented-events.js';

export const mongoSuite: ConformanceSuite = {
  id: 'mongodb',
  title: 'MongoDB',
  reference:
    "Debezium's MongoDB connector 3.6.1.Final (`io.debezium.connector.mongodb.MongoDbConnector`) on " +
    'mongo-java-server 1.47.0 (no MongoDB server is obtainable here), `capture.scope=collection`: its snapshot ' +
    "only, because Debezium's change stream cannot read mongo-java-server's events (docs/FACTS.md); streamed " +
    "events are checked against Debezium's documented examples (test/conformance/mongodb-docs.test.ts)",
  cases: mongoCases.map(({ name, description }) => ({ name, description })),
  variants: [{ name: 'defaults', config: {} }],
  departures: mongoDepartures,
  notes: [
    "Streamed events, compared with the examples of Debezium's documentation by test/conformance/mongodb-docs.test.ts " +
      '(each identical in the fields it shows that Debezium 3.6 still writes):',
    [documentedUpdate, documentedDelete, documentedTombstone, documentedKey, documentedCaptureModes]
      .map((d) => `- ${d.source}`)
      .join('\n'),
    "Not compared: `source` positions and timestamps (`ord`, `ts_ms`/`ts_us`/`ts_ns`), the envelope's `ts_*`, and " +
      '`source.version`/`name`/`connector`.',
  ],
};
