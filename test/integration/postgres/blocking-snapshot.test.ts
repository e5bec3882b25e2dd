import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoChangeMissing, type Load, replay, startLoad, tableState, waitForReplay } from '../../harness/cdc.js';
import { fileSink, readEvents } from '../../harness/file-sink.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';
import { type Event, pgConnector } from './pg-e2e.js';

/**
 * Blocking ad-hoc snapshot (`execute-snapshot` with `"type": "blocking"`) on a real PostgreSQL with a writer
 * running: the stream stops, the table is read as an initial snapshot reads it, the stream goes on where it stopped.
 */

let pgs: PostgresServer;
let dir: string;

beforeAll(async () => {
  pgs = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'sluice-pgblk-'));
});
afterAll(async () => {
  await pgs?.stop();
  if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
});

async function status(w: WorkerProcess) {
  return (
    await w.rest<{ tasks: Array<{ state: string; snapshot?: Record<string, unknown> }> }>('/connectors/blk/status')
  ).body.tasks[0];
}

describe('postgres blocking snapshot', () => {
  it('pauses streaming, snapshots the table as an initial snapshot would, resumes without losing a change', async () => {
    const rows = 20_000;
    await pgs.sql(
      `CREATE TABLE blk (id int PRIMARY KEY, v int NOT NULL); INSERT INTO blk SELECT g, 0 FROM generate_series(1, ${rows}) g`,
    );
    const out = join(dir, 'out.jsonl');
    const w = await startWorker({
      dir: join(dir, 'w'),
      worker: { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '500' },
      connectors: [
        // no signal table: a blocking snapshot needs no watermarks
        pgConnector(pgs, 'blk', { 'table.include.list': 'public\\.blk', 'snapshot.mode': 'no_data' }),
        fileSink('sink', out, ['srv.public.blk']),
      ],
    });
    const client = await pgs.client();
    let load: Load | undefined;
    try {
      await waitFor(async () => (await status(w))?.state === 'RUNNING' || undefined, 60_000, 'running');
      load = startLoad({
        tables: ['blk'],
        exec: (sql) => client.query(sql),
        firstId: rows + 1,
        insertBelow: 0.3,
        updateBelow: 0.7,
        minLive: 100,
        existingRows: rows,
      });
      // streaming first: some of the writer's changes are out before the snapshot starts
      await waitFor(() => readEvents<Event>(out).length >= 20 || undefined, 30_000, 'streamed changes');

      const bad = await w.rest<{ message: string }>('/connectors/blk/signals', {
        method: 'POST',
        body: { id: 'b0', type: 'execute-snapshot', data: { type: 'blocking', 'data-collections': ['public.nope'] } },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/no captured table matches "public.nope"/);

      const ok = await w.rest<{ id: string; snapshot_id: string }>('/connectors/blk/signals', {
        method: 'POST',
        body: { id: 'blk-1', type: 'execute-snapshot', data: { type: 'BLOCKING', 'data-collections': ['public.blk'] } },
      });
      expect(ok.status, JSON.stringify(ok.body)).toBe(202);
      expect(ok.body).toEqual({ id: 'blk-1', snapshot_id: 'blk-1' });
      await waitFor(
        async () => (await status(w)).snapshot?.completed === true || undefined,
        120_000,
        'the blocking snapshot',
      ).catch(async (err) => {
        throw new Error(`${err}: ${JSON.stringify(await status(w))} ${w.logs().slice(-3000)}`);
      });
      expect((await status(w)).snapshot).toMatchObject({ kind: 'blocking', id: 'blk-1', tablesRemaining: 0 });
      // streaming goes on after it: changes made now arrive too
      const streamed = readEvents<Event>(out).filter((e) => e.op !== 'r').length;
      await waitFor(
        () => readEvents<Event>(out).filter((e) => e.op !== 'r').length > streamed + 10 || undefined,
        30_000,
        'streaming after the snapshot',
      );
      const log = await load.stop();
      load = undefined;

      const final = await tableState(['blk'], (t) => pgs.sql<{ id: number; v: number }>(`SELECT id, v FROM ${t}`));
      await waitForReplay({ read: () => readEvents<Event>(out), expected: final, timeoutMs: 60_000 });
      const events = readEvents<Event>(out);
      expect(replay(events)).toEqual(final);
      // every change the writer committed arrived as a streaming event: none lost across the pause
      expectNoChangeMissing(
        events.filter((e) => e.op !== 'r'),
        log,
      );
      // the snapshot: each row once, marked as an initial snapshot marks them, with nothing streamed in between
      const first = events.findIndex((e) => e.op === 'r');
      const last = events.findLastIndex((e) => e.op === 'r');
      const reads = events.slice(first, last + 1);
      expect(reads.every((e) => e.op === 'r')).toBe(true);
      const ids = reads.map((e) => Number(e.after?.id));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBeGreaterThan(rows / 2);
      expect(reads[0].source.snapshot).toBe('first');
      expect(reads[reads.length - 1].source.snapshot).toBe('last');
      expect(new Set(reads.slice(1, -1).map((e) => e.source.snapshot))).toEqual(new Set(['true']));
      expect(events.slice(0, first).length).toBeGreaterThanOrEqual(20);

      // additional-conditions: only the rows the filter selects, the writer stopped
      const before = events.length;
      const filtered = await w.rest('/connectors/blk/signals', {
        method: 'POST',
        body: {
          id: 'blk-2',
          type: 'execute-snapshot',
          data: {
            type: 'blocking',
            'data-collections': ['public\\.b.*'],
            'additional-conditions': [{ 'data-collection': 'public.blk', filter: 'id <= 100' }],
          },
        },
      });
      expect(filtered.status).toBe(202);
      await waitFor(
        async () => ((await status(w)).snapshot?.id === 'blk-2' && (await status(w)).snapshot?.completed) || undefined,
        60_000,
        'the filtered snapshot',
      );
      const expectedIds = (await pgs.sql<{ id: number }>('SELECT id FROM blk WHERE id <= 100 ORDER BY id')).map((r) =>
        Number(r.id),
      );
      await waitFor(
        () =>
          readEvents<Event>(out)
            .slice(before)
            .filter((e) => e.op === 'r').length >= expectedIds.length || undefined,
        30_000,
        'filtered rows',
      );
      const again = readEvents<Event>(out)
        .slice(before)
        .filter((e) => e.op === 'r')
        .map((e) => Number(e.after?.id))
        .sort((a, b) => a - b);
      expect(again).toEqual(expectedIds);
      // Debezium's form: a whole SELECT replaces the snapshot's query
      const select = (type: string) =>
        w.rest<{ message: string }>('/connectors/blk/signals', {
          method: 'POST',
          body: {
            id: `blk-3-${type}`,
            type: 'execute-snapshot',
            data: {
              type,
              'data-collections': ['public.blk'],
              'additional-conditions': [
                { 'data-collection': 'public.blk', filter: 'SELECT * FROM blk WHERE id <= 10' },
              ],
            },
          },
        });
      const mark = readEvents<Event>(out).length;
      expect((await select('blocking')).status).toBe(202);
      const tenIds = expectedIds.filter((i) => i <= 10);
      await waitFor(
        () =>
          readEvents<Event>(out)
            .slice(mark)
            .filter((e) => e.op === 'r').length >= tenIds.length || undefined,
        30_000,
        'the SELECT-filtered rows',
      );
      await waitFor(
        async () =>
          ((await status(w)).snapshot?.id === 'blk-3-blocking' && (await status(w)).snapshot?.completed) || undefined,
        30_000,
        'the SELECT-filtered snapshot',
      );
      expect(
        readEvents<Event>(out)
          .slice(mark)
          .filter((e) => e.op === 'r')
          .map((e) => Number(e.after?.id)),
      ).toEqual(tenIds);
      expect((await status(w)).state).toBe('RUNNING');
    } finally {
      await load?.stop().catch(() => undefined);
      await client.end();
      await w.stop();
    }
  }, 300_000);
});
