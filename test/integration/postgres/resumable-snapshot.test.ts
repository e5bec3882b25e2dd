import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Load, startLoad } from '../../harness/cdc.js';
import { CompactTail } from '../../harness/compact-tail.js';
import { fileSink } from '../../harness/file-sink.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { pgConnector } from './pg-e2e.js';

let pgs: PostgresServer;
let dir: string;

beforeAll(async () => {
  pgs = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'sluice-pgresume-'));
});
afterAll(async () => {
  await pgs?.stop();
  if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
});

const CHUNK = 25_000;
const ROWS = 500_000;

describe('postgres source: resumable initial snapshot (snapshot.resumable=true)', () => {
  it('SIGKILL three times during a 500k-row snapshot: it resumes at the last committed chunk, replay equals the table', async () => {
    await pgs.sql(
      'CREATE TABLE dbz_signal (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));' +
        `CREATE TABLE rs (id int PRIMARY KEY, v int NOT NULL); INSERT INTO rs SELECT g, 0 FROM generate_series(1, ${ROWS}) g`,
    );
    const out = join(dir, 'out.jsonl');
    const offsets = join(dir, 'offsets.json');
    const connectors = [
      pgConnector(pgs, 'resum', {
        'table.include.list': 'public\\.rs',
        'snapshot.resumable': 'true',
        'signal.data.collection': 'public.dbz_signal',
        'incremental.snapshot.chunk.size': String(CHUNK),
      }),
      fileSink('sink', out, ['srv.public.rs']),
    ];
    const worker = { 'offset.storage.file.filename': offsets, 'offset.flush.interval.ms': '100' };
    /** the committed offset's snapshot chunk; 'done' once an offset carries no snapshot state */
    const committed = (): number | 'done' | undefined => {
      if (!existsSync(offsets)) return undefined;
      const doc = JSON.parse(readFileSync(offsets, 'utf8')) as {
        offsets: Array<{ key: [string, unknown]; value: Record<string, unknown> }>;
      };
      const o = doc.offsets.find((x) => x.key[0] === 'resum')?.value;
      if (!o) return undefined;
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
    const client = await pgs.client();
    let load: Load | undefined;
    let w: WorkerProcess | undefined;
    const resumedAt: number[] = [];
    const killedAt: number[] = [];
    try {
      for (let k = 0; k < 3; k++) {
        w = await startWorker({ dir, worker, connectors, preferBuild: true });
        if (k > 0) resumedAt.push(await resumedChunk(w));
        if (!load) {
          await waitFor(
            async () => (await pgs.sql("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'resum_slot'")).length > 0,
            30_000,
            'the slot',
          );
          load = startLoad({
            tables: ['rs'],
            exec: (sql) => client.query(sql),
            existingRows: ROWS,
            firstId: 1_000_000,
            insertBelow: 0.3,
            updateBelow: 0.8,
          });
        }
        // Kill a share of the way through, at a chunk the offsets committed (a fifth of the table apart: 20 chunks in all).
        const target = (k + 1) * 4;
        await waitFor(
          () => {
            tail.read(k);
            const c = committed();
            return c === 'done' || (c !== undefined && c >= target);
          },
          120_000,
          `committed chunk ${target}`,
        );
        await w.kill();
        tail.read(k);
        const c = committed();
        expect(c, 'the snapshot must still be running at the kill').not.toBe('done');
        killedAt.push(c as number);
      }
      w = await startWorker({ dir, worker, connectors, preferBuild: true });
      resumedAt.push(await resumedChunk(w));
      await waitFor(() => committed() === 'done', 120_000, 'the snapshot to complete');
      const log = await (load as Load).stop();
      const final = new Map(
        (await pgs.sql<{ id: number; v: number }>('SELECT id, v FROM rs')).map((r) => [r.id, r.v] as const),
      );
      await waitFor(
        () => {
          tail.read(3);
          const s = tail.replay();
          return s.size === final.size && [...final].every(([id, v]) => s.get(id) === v);
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
      await client.end();
      if (w) await w.stop();
    }
  }, 400_000);
});
