import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Load, startLoad } from '../../harness/cdc.js';
import { CompactTail } from '../../harness/compact-tail.js';
import { fileSink } from '../../harness/file-sink.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { mariaConnector } from './e2e.js';

/**
 * The resumable initial snapshot (snapshot.resumable=true) on a real MariaDB with a writer running: SIGKILL three
 * times while it reads; each restart resumes at the last committed chunk and the replay by key equals the table.
 * The 500,000 rows (SLUICE_RESUMABLE_ROWS sets another count).
 */

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

const ROWS = Number(process.env.SLUICE_RESUMABLE_ROWS ?? 500_000);
/**
 * 10 chunks in all: a chunk well above what a loaded machine delivers between two offset commits, so that "at most 2
 * chunks re-read" measures chunks, not commit latency
 */
const CHUNK = Math.ceil(ROWS / 10);

describe.runIf(!missing)('mariadb source: resumable initial snapshot (snapshot.resumable=true)', () => {
  let db: MariaDb;
  let dir: string;

  beforeAll(async () => {
    db = await startMariaDb();
    dir = await mkdtemp(join(tmpdir(), 'sluice-myresume-'));
  });
  afterAll(async () => {
    await db?.stop();
    if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
  });

  it(`SIGKILL three times during a ${ROWS}-row snapshot: it resumes at the last committed chunk, replay equals the table`, async () => {
    await db.exec('CREATE DATABASE rdb');
    await db.exec(
      'CREATE TABLE rdb.dbz_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))',
    );
    await db.exec('CREATE TABLE rdb.rs (id INT PRIMARY KEY, v INT NOT NULL)');
    for (let from = 1; from <= ROWS; from += 100_000)
      await db.exec(`INSERT INTO rdb.rs SELECT seq, 0 FROM rdb.seq_${from}_to_${Math.min(ROWS, from + 99_999)}`);
    const out = join(dir, 'out.jsonl');
    const offsets = join(dir, 'offsets.json');
    const connectors = [
      mariaConnector(db, 'resum', dir, {
        'table.include.list': 'rdb\\.rs',
        'snapshot.resumable': 'true',
        'signal.data.collection': 'rdb.dbz_signal',
        'incremental.snapshot.chunk.size': String(CHUNK),
        'include.schema.changes': 'false',
      }),
      fileSink('sink', out, ['srv.rdb.rs']),
    ];
    const worker = { 'offset.storage.file.filename': offsets, 'offset.flush.interval.ms': '100' };
    /** the committed offset's snapshot chunk; 'done' once a streaming offset carries no snapshot state */
    const committed = (): number | 'done' | undefined => {
      if (!existsSync(offsets)) return undefined;
      const doc = JSON.parse(readFileSync(offsets, 'utf8')) as {
        offsets: Array<{ key: [string, unknown]; value: Record<string, unknown> }>;
      };
      const o = doc.offsets.find((x) => x.key[0] === 'resum')?.value;
      if (!o || o.snapshot === true) return undefined;
      const chunk = o.incremental_snapshot_chunk;
      return typeof chunk === 'number' ? chunk : 'done';
    };
    /** The restarted task says where it resumes: the chunk the offsets committed before the kill. */
    const resumedChunk = async (running: WorkerProcess): Promise<number> => {
      const line = await waitFor(
        () => running.logs().match(/[^\n]*resumes at its last committed chunk[^\n]*/),
        60_000,
        'the resume log line',
      );
      return Number(/"chunk":(\d+)/.exec(line[0])?.[1]);
    };
    const tail = new CompactTail(out);
    const conn = await db.connect();
    let load: Load | undefined;
    let w: WorkerProcess | undefined;
    const resumedAt: number[] = [];
    const killedAt: number[] = [];
    try {
      for (let k = 0; k < 3; k++) {
        w = await startWorker({ dir: join(dir, 'w'), worker, connectors, preferBuild: true });
        if (k > 0) resumedAt.push(await resumedChunk(w));
        load ??= startLoad({
          tables: ['rs'],
          exec: (sql) => conn.query(sql),
          qualify: (t) => `rdb.${t}`,
          existingRows: ROWS,
          firstId: 10_000_000,
          insertBelow: 0.3,
          updateBelow: 0.8,
        });
        // Kill a share of the way through, at a chunk the offsets committed (a fifth of the table apart).
        const target = (k + 1) * 2;
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
      w = await startWorker({ dir: join(dir, 'w'), worker, connectors, preferBuild: true });
      resumedAt.push(await resumedChunk(w));
      await waitFor(() => committed() === 'done', 120_000, 'the snapshot to complete');
      const log = await (load as Load).stop();
      load = undefined;
      const [rows] = await conn.query('SELECT id, v FROM rdb.rs');
      const final = new Map((rows as Array<{ id: number; v: number }>).map((r) => [r.id, r.v] as const));
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
      // Rows read again after each restart: snapshot rows of keys an earlier run had already sent. A chunk is at
      // most CHUNK rows, so this bounds the chunks re-read: at most 2 per restart (one reader).
      const seen = new Set<number>();
      const reread = [0, 0, 0, 0];
      for (let i = 0; i < tail.ops.length; i++) {
        if (tail.ops[i] !== 'r') continue;
        const id = tail.ids[i];
        if (seen.has(id) && tail.runs[i] > 0) reread[tail.runs[i]]++;
        seen.add(id);
      }
      for (const n of reread.slice(1)) expect(n).toBeLessThanOrEqual(2 * CHUNK);
      // Streaming was not held back: changes arrived while the snapshot was still reading.
      const lastR = tail.ops.lastIndexOf('r');
      expect(tail.ops.slice(0, lastR).some((op) => op === 'u' || op === 'c' || op === 'd')).toBe(true);
      // Every row of the table at the start was snapshotted (or changed by the load, which the stream carries).
      expect(seen.size).toBeGreaterThan(ROWS * 0.9);
    } finally {
      await load?.stop().catch(() => undefined);
      await conn.end();
      if (w) await w.stop();
    }
  }, 400_000);
});
