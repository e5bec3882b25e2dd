import type { Logger } from '../api/index.js';
import { parseWorkerConfig } from '../config/worker.js';
import { WorkerMetrics } from '../metrics/metrics.js';
import { MemoryOffsetStore } from '../offsets/memory-store.js';
import { DirectTransport } from '../transport/direct.js';
import { MemoryConfigStore } from '../worker/config-store.js';
import { Herder } from '../worker/herder.js';
import { builtinRegistry } from '../worker/plugins.js';
import { SINK, SOURCE, TOPIC_PREFIX } from './names.js';
import { DEMO_PUBLICATION, DEMO_SCHEMA, DEMO_SIGNAL_TABLE, DEMO_SLOT, DEMO_TABLE } from './sample.js';

export interface DemoPipelineOptions {
  format: 'text' | 'json';
  /** print the snapshot's rows too */
  verbose: boolean;
  log: Logger;
  /** the source's `database.*` keys */
  database: Record<string, string>;
  /** drop the slot when the source stops (the user's server; a throwaway one goes whole) */
  dropSlotOnStop: boolean;
}

/**
 * The demo's worker: the PostgreSQL source and the console sink in an in-process herder with memory stores and
 * the direct transport. Kept apart from demo.ts so that its modules (the whole runtime and every connector) load
 * while the database starts.
 */
export async function startPipeline(o: DemoPipelineOptions): Promise<Herder> {
  const herder = new Herder({
    workerId: 'demo:0',
    worker: parseWorkerConfig({ listeners: '', 'offset.flush.interval.ms': '1000', 'log.level': 'warn' }).config,
    registry: builtinRegistry(),
    offsets: new MemoryOffsetStore(),
    configs: new MemoryConfigStore(),
    transport: new DirectTransport(o.log),
    log: o.log,
    metrics: new WorkerMetrics({ processMetrics: false }),
  });
  await herder.start();
  // The sink first: the direct transport delivers only to sinks that exist.
  await herder.putConnectorConfig(SINK, {
    'connector.class': 'console',
    format: o.format,
    'topics.regex': `${TOPIC_PREFIX}\\..*`,
    'key.converter.schemas.enable': 'false',
    'value.converter.schemas.enable': 'false',
    // Amounts as numbers people can read, rather than Connect's base64 of the unscaled bytes.
    'value.converter.decimal.format': 'NUMERIC',
    // The snapshot shows as a progress bar: its rows reach the sink (and count) but are not printed.
    ...(o.verbose
      ? {}
      : {
          transforms: 'hideSnapshot',
          'transforms.hideSnapshot.type': 'io.debezium.transforms.Filter',
          'transforms.hideSnapshot.language': 'cel',
          'transforms.hideSnapshot.condition': "value.op != 'r'",
        }),
  });
  await herder.putConnectorConfig(SOURCE, {
    'connector.class': 'postgres',
    ...o.database,
    'topic.prefix': TOPIC_PREFIX,
    'table.include.list': `${DEMO_SCHEMA}\\.${DEMO_TABLE}`,
    'slot.name': DEMO_SLOT,
    'slot.drop.on.stop': String(o.dropSlotOnStop),
    'publication.name': DEMO_PUBLICATION,
    'publication.autocreate.mode': 'filtered',
    'signal.data.collection': `${DEMO_SCHEMA}.${DEMO_SIGNAL_TABLE}`,
  });
  return herder;
}
