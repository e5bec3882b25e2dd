import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoChangeMissing, type Load, replay, startLoad, tableState, waitForReplay } from '../../harness/cdc.js';
import { fileSink, readEvents } from '../../harness/file-sink.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { type Event, mariaConnector } from './e2e.js';

/**
 * Blocking ad-hoc snapshot (`execute-snapshot` with `"type": "blocking"`) on a real MariaDB with a writer running:
 * the binlog stream stops between transactions, the table is read as the initial snapshot reads it, the stream goes
 * on where it stopped.
 */

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

async function status(w: WorkerProcess) {
  return (
    await w.rest<{ tasks: Array<{ state: string; snapshot?: Record<string, unknown> }> }>('/connectors/blk/status')
  ).body.tasks[0];
}

describe.runIf(!missing)('mariadb blocking snapshot', () => {
  let db: MariaDb;
  let dir: string;

  beforeAll(async () => {
    db = await startMariaDb();
    dir = await mkdtemp(join(tmpdir(), 'sluice-myblk-'));
    await db.exec('CREATE DATABASE bdb');
  });
  afterAll(async () => {
    await db?.stop();
    if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
  });

  it('pauses the binlog stream, snapshots the table as an initial snapshot would, resumes without losing a change', async () => {
    const rows = 20_000;
    await db.exec('CREATE TABLE bdb.blk (id INT PRIMARY KEY, v INT NOT NULL)');
    await db.exec(`INSERT INTO bdb.blk SELECT seq, 0 FROM bdb.seq_1_to_${rows}`);
    // no primary key: a blocking snapshot is not chunked, so it takes one
    await db.exec('CREATE TABLE bdb.nokey (id INT NOT NULL, v INT NOT NULL)');
    await db.exec('INSERT INTO bdb.nokey SELECT seq, seq FROM bdb.seq_1_to_5');
    const out = join(dir, 'out.jsonl');
    const w = await startWorker({
      dir: join(dir, 'w'),
      worker: { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '500' },
      connectors: [
        // no signal table: a blocking snapshot needs no watermarks
        mariaConnector(db, 'blk', dir, { 'table.include.list': 'bdb\\.(blk|nokey)', 'snapshot.mode': 'no_data' }),
        fileSink('sink', out, ['srv.bdb.blk', 'srv.bdb.nokey']),
      ],
    });
    const conn = await db.connect();
    let load: Load | undefined;
    const post = (body: unknown) =>
      w.rest<{ message: string; id?: string; snapshot_id?: string }>('/connectors/blk/signals', {
        method: 'POST',
        body,
      });
    const done = (id: string) => async () => {
      const st = (await status(w))?.snapshot;
      return (st?.id === id && st.completed === true) || undefined;
    };
    try {
      await waitFor(async () => (await status(w))?.state === 'RUNNING' || undefined, 60_000, 'running');
      // RUNNING is not "streaming": as in Kafka Connect, the task is RUNNING once start() returns, and the binlog
      // position is read after that (snapshot.mode=no_data's schema snapshot), so a change written now may precede
      // it and is not captured (Debezium alike). The writer starts once the stream provably runs: a marker row
      // (excluded by blk-2's filter below) written after the stream has named its position, seen in the output.
      await waitFor(() => /streaming binlog/.test(w.logs()) || undefined, 60_000, 'the binlog stream to start');
      await conn.query('INSERT INTO bdb.nokey VALUES (0, 0)');
      await waitFor(
        () => readEvents<Event>(out).some((e) => e.source?.table === 'nokey' && e.op === 'c') || undefined,
        60_000,
        'the marker row',
      );
      load = startLoad({
        tables: ['blk'],
        exec: (sql) => conn.query(sql),
        qualify: (t) => `bdb.${t}`,
        firstId: rows + 1,
        existingRows: rows,
        insertBelow: 0.3,
        updateBelow: 0.7,
        minLive: 100,
      });
      // streaming first: some of the writer's changes are out before the snapshot starts
      await waitFor(() => readEvents<Event>(out).length >= 20 || undefined, 60_000, 'streamed changes');

      const bad: Array<[unknown, RegExp]> = [
        [
          { id: 'b0', type: 'execute-snapshot', data: { type: 'blocking', 'data-collections': ['bdb.nope'] } },
          /no captured table matches "bdb.nope"/,
        ],
        [
          {
            id: 'b1',
            type: 'execute-snapshot',
            data: {
              type: 'blocking',
              'data-collections': ['bdb.blk'],
              'additional-conditions': [{ 'data-collection': 'bdb.blk', filter: 'nope >' }],
            },
          },
          /additional-conditions for bdb.blk is not a valid condition/,
        ],
      ];
      for (const [body, reason] of bad) {
        const r = await post(body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.message).toMatch(reason);
      }

      const ok = await post({
        id: 'blk-1',
        type: 'execute-snapshot',
        data: { type: 'BLOCKING', 'data-collections': ['bdb.blk'] },
      });
      expect(ok.status, JSON.stringify(ok.body)).toBe(202);
      expect(ok.body).toEqual({ id: 'blk-1', snapshot_id: 'blk-1' });
      await waitFor(done('blk-1'), 120_000, 'the blocking snapshot').catch(async (err) => {
        throw new Error(`${err}: ${JSON.stringify(await status(w))} ${w.logs().slice(-3000)}`);
      });
      expect((await status(w)).snapshot).toMatchObject({ kind: 'blocking', id: 'blk-1', tablesRemaining: 0 });
      // streaming goes on after it: changes made now arrive too
      const streamed = readEvents<Event>(out).filter((e) => e.op !== 'r').length;
      await waitFor(
        () => readEvents<Event>(out).filter((e) => e.op !== 'r').length > streamed + 10 || undefined,
        60_000,
        'streaming after the snapshot',
      );
      const log = await load.stop();
      load = undefined;

      const final = await tableState(['blk'], async (t) => {
        const [r] = await conn.query(`SELECT id, v FROM bdb.${t}`);
        return r as { id: number; v: number }[];
      });
      const ofBlk = () => readEvents<Event>(out).filter((e) => e?.source?.table === 'blk');
      await waitForReplay({ read: ofBlk, expected: final, timeoutMs: 60_000 });
      const events = ofBlk();
      expect(replay(events)).toEqual(final);
      // every change the writer committed arrived as a streaming event: none lost across the pause
      expectNoChangeMissing(
        events.filter((e) => e.op !== 'r'),
        log,
      );
      // the snapshot: each row once, marked as an initial snapshot marks them, nothing streamed in between, the
      // stream's position at the stop in source and offsets
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
      expect(new Set(reads.map((e) => `${e.source.file}:${e.source.pos}`)).size).toBe(1);
      expect(first).toBeGreaterThanOrEqual(20);
      // the stream after the stop starts at or after the place the snapshot names
      const stopAt = reads[0].source;
      const after = events[last + 1]?.source;
      expect(after && (after.file > stopAt.file || (after.file === stopAt.file && after.pos >= stopAt.pos))).toBe(true);

      // a keyless table, and Debezium's whole-SELECT filter, through the same REST channel, the writer stopped
      const mark = readEvents<Event>(out).length;
      const sel = await post({
        id: 'blk-2',
        type: 'execute-snapshot',
        data: {
          type: 'blocking',
          'data-collections': ['bdb\\.(blk|nokey)'],
          'additional-conditions': [
            { 'data-collection': 'bdb.blk', filter: 'SELECT * FROM bdb.blk WHERE id <= 10' },
            { 'data-collection': 'bdb.nokey', filter: 'v > 2' },
          ],
        },
      });
      expect(sel.status, JSON.stringify(sel.body)).toBe(202);
      await waitFor(done('blk-2'), 60_000, 'the filtered snapshot');
      const [ten] = await conn.query('SELECT id FROM bdb.blk WHERE id <= 10 ORDER BY id');
      const tenIds = (ten as { id: number }[]).map((r) => r.id);
      const later = () =>
        readEvents<Event>(out)
          .slice(mark)
          .filter((e) => e.op === 'r');
      await waitFor(() => later().length >= tenIds.length + 3 || undefined, 30_000, 'the filtered rows');
      const got = later();
      expect(got.filter((e) => e.source.table === 'blk').map((e) => Number(e.after?.id))).toEqual(tenIds);
      expect(got.filter((e) => e.source.table === 'nokey').map((e) => Number(e.after?.id))).toEqual([3, 4, 5]);
      expect(got.at(-1)?.source.snapshot).toBe('last');
      expect((await status(w)).state).toBe('RUNNING');
    } finally {
      await load?.stop().catch(() => undefined);
      await conn.end();
      await w.stop();
    }
  }, 300_000);
});
