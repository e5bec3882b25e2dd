import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { type Load, type LoadOptions, startLoad } from './cdc.js';
import { CompactTail } from './compact-tail.js';
import { type ConnectorFile, startWorker, type WorkerProcess, waitFor } from './worker.js';

/**
 * The resumable initial snapshot's kill test, the same for every database: a worker with a source connector
 * (`snapshot.resumable=true`) on a table of `id int PRIMARY KEY, v int` and a FileStreamSink, a writer changing the
 * table throughout; SIGKILL three times at committed chunks `step`, `2 × step`, `3 × step`, then let it finish. It
 * asserts what issue 16 asks: each restart resumes at the chunk committed before its kill, at most 2 chunks re-read
 * per restart (one reader), streaming not held back by the snapshot, and the replay by key equal to the table.
 */
export interface ResumableKillTest {
  /** the worker's directory (its configs and logs) */
  readonly dir: string;
  readonly connectors: ConnectorFile[];
  /** the source connector's name, which keys its offsets */
  readonly connector: string;
  /** the FileStreamSink's file, and the worker's offsets file */
  readonly out: string;
  readonly offsets: string;
  readonly rows: number;
  readonly chunk: number;
  /** committed chunks between two kills */
  readonly step: number;
  /** the writer, minus its table names and row counts (which come from `rows`) */
  readonly load: Pick<LoadOptions, 'exec' | 'qualify' | 'firstId'>;
  /** awaited once before the writer starts (e.g. until the connector's replication slot exists) */
  readonly beforeLoad?: () => Promise<unknown>;
  /** the table's content at the end, id → v */
  readonly table: () => Promise<Map<number, number>>;
  /**
   * the committed offset's snapshot chunk, from the connector's committed offset; 'done' once it carries no snapshot
   * state; undefined while there is none (or while it is not yet the resumable snapshot's)
   */
  readonly chunkOf?: (offset: Record<string, unknown>) => number | 'done' | undefined;
}

const chunkOfOffset = (o: Record<string, unknown>): number | 'done' => {
  const chunk = o.incremental_snapshot_chunk;
  return typeof chunk === 'number' ? chunk : 'done';
};

/**
 * The snapshot chunk of `connector`'s offset committed in the worker's offsets file (`chunkOf` reads it from the
 * offset; by default its `incremental_snapshot_chunk`, 'done' once the offset has none).
 */
export function committedChunk(
  offsets: string,
  connector: string,
  chunkOf: (offset: Record<string, unknown>) => number | 'done' | undefined = chunkOfOffset,
): number | 'done' | undefined {
  if (!existsSync(offsets)) return undefined;
  let doc: { offsets: Array<{ key: [string, unknown]; value: Record<string, unknown> }> };
  try {
    doc = JSON.parse(readFileSync(offsets, 'utf8'));
  } catch {
    return undefined; // being rewritten
  }
  const o = doc.offsets.find((x) => x.key[0] === connector)?.value;
  return o ? chunkOf(o) : undefined;
}

/** The restarted task says where it resumes: the chunk the offsets committed before the kill. */
export async function resumedChunk(running: WorkerProcess): Promise<number> {
  const line = await waitFor(
    () => running.logs().match(/[^\n]*resumes at its last committed chunk[^\n]*/),
    60_000,
    'the resume log line',
  );
  return Number(/"chunk":(\d+)/.exec(line[0])?.[1]);
}

export async function killDuringResumableSnapshot(t: ResumableKillTest): Promise<void> {
  const worker = { 'offset.storage.file.filename': t.offsets, 'offset.flush.interval.ms': '100' };
  const committed = () => committedChunk(t.offsets, t.connector, t.chunkOf);
  const start = () => startWorker({ dir: t.dir, worker, connectors: t.connectors, preferBuild: true });
  const tail = new CompactTail(t.out);
  let load: Load | undefined;
  let w: WorkerProcess | undefined;
  const resumedAt: number[] = [];
  const killedAt: number[] = [];
  try {
    for (let k = 0; k < 3; k++) {
      w = await start();
      if (k > 0) resumedAt.push(await resumedChunk(w));
      if (!load) {
        await t.beforeLoad?.();
        load = startLoad({
          ...t.load,
          tables: ['rs'],
          existingRows: t.rows,
          insertBelow: 0.3,
          updateBelow: 0.8,
        });
      }
      // Kill a share of the way through, at a chunk the offsets committed.
      const target = (k + 1) * t.step;
      const running = w;
      await waitFor(
        () => {
          tail.read(k);
          const c = committed();
          return c === 'done' || (c !== undefined && c >= target);
        },
        120_000,
        `committed chunk ${target}`,
      ).catch((err) => {
        throw new Error(`${err}: ${running.logs().slice(-3000)}`);
      });
      await w.kill();
      tail.read(k);
      const c = committed();
      expect(c, 'the snapshot must still be running at the kill').not.toBe('done');
      killedAt.push(c as number);
    }
    w = await start();
    resumedAt.push(await resumedChunk(w));
    await waitFor(() => committed() === 'done', 120_000, 'the snapshot to complete');
    const log = await load!.stop();
    load = undefined;
    const final = await t.table();
    await waitFor(
      () => {
        tail.read(3);
        const s = tail.replay();
        return (s.size === final.size && [...final].every(([id, v]) => s.get(id) === v)) || undefined;
      },
      90_000,
      'replay by key to equal the table',
    );
    expect(tail.replay()).toEqual(final);
    expect(log.length).toBeGreaterThan(50);

    // Each restart resumed at the chunk committed before its kill.
    expect(resumedAt).toEqual(killedAt);
    // Rows read again after each restart: snapshot rows of keys an earlier run had already sent. A chunk is at most
    // `chunk` rows, so this bounds the chunks re-read: at most 2 per restart (one reader).
    const seen = new Set<number>();
    const reread = [0, 0, 0, 0];
    for (let i = 0; i < tail.ops.length; i++) {
      if (tail.ops[i] !== 'r') continue;
      const id = tail.ids[i];
      if (seen.has(id) && tail.runs[i] > 0) reread[tail.runs[i]]++;
      seen.add(id);
    }
    for (const n of reread.slice(1)) expect(n).toBeLessThanOrEqual(2 * t.chunk);
    // Streaming was not held back: changes arrived while the snapshot was still reading.
    const lastR = tail.ops.lastIndexOf('r');
    expect(tail.ops.slice(0, lastR).some((op) => op === 'u' || op === 'c' || op === 'd')).toBe(true);
    // Every row of the table at the start was snapshotted (or changed by the writer, which the stream carries).
    expect(seen.size).toBeGreaterThan(t.rows * 0.9);
  } finally {
    await load?.stop().catch(() => undefined);
    if (w) await w.stop();
  }
}
