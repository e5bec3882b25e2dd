import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Load, replay, startLoad, tableState, waitForReplay } from '../../harness/cdc.js';
import { fileSink, readEvents } from '../../harness/file-sink.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { type Event, pgConnector } from './pg-e2e.js';

/**
 * Signals and incremental snapshots (issue 16) on a real PostgreSQL, through a real worker: REST and the signal
 * table, DBLog watermarks with a writer running, bad signals, pause/stop, and SIGKILL mid-snapshot.
 */

const SIGNAL = 'CREATE TABLE dbz_signal (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))';

let pgs: PostgresServer;
let dir: string;

beforeAll(async () => {
  pgs = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'sluice-pgsig-'));
  await pgs.sql(SIGNAL);
});
afterAll(async () => {
  await pgs?.stop();
  if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
});

const ids = (events: Event[], table: string, op?: string) =>
  events
    .filter((e) => e.source.table === table && (op === undefined || e.op === op))
    .map((e) => Number((e.after ?? e.before)?.id));

async function status(w: WorkerProcess, name: string) {
  return (
    await w.rest<{ tasks: Array<{ state: string; snapshot?: Record<string, unknown> }> }>(`/connectors/${name}/status`)
  ).body.tasks[0];
}

/** Every value at `key` anywhere in a JSON document (the offsets file). */
function findAll(v: unknown, key: string, out: unknown[] = []): unknown[] {
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === key) out.push(x);
      findAll(x, key, out);
    }
  } else if (typeof v === 'string' && v.startsWith('{')) {
    try {
      findAll(JSON.parse(v), key, out);
    } catch {
      // not JSON
    }
  }
  return out;
}

describe('postgres signals and incremental snapshots', () => {
  it('a table added to a running connector is snapshotted on a REST signal while a writer runs; bad signals get 400 and the task runs on', async () => {
    await pgs.sql(
      `CREATE TABLE base (id int PRIMARY KEY, v int NOT NULL); INSERT INTO base VALUES (1, 0);
       CREATE TABLE inc (id int PRIMARY KEY, v int NOT NULL); INSERT INTO inc SELECT g, 0 FROM generate_series(1, 6000) g;
       CREATE TABLE cond (id int PRIMARY KEY, v int NOT NULL); INSERT INTO cond SELECT g, g FROM generate_series(1, 500) g;
       CREATE TABLE nokey (v int); ALTER TABLE nokey REPLICA IDENTITY FULL`,
    );
    const out = join(dir, 'a.jsonl');
    const topics = ['srv.public.base', 'srv.public.inc', 'srv.public.cond', 'srv.public.nokey'];
    const base = {
      'signal.data.collection': 'public.dbz_signal',
      'incremental.snapshot.chunk.size': '200',
    };
    const connectors = [
      pgConnector(pgs, 'sig', { ...base, 'table.include.list': 'public\\.base' }),
      fileSink('sink', out, topics),
    ];
    const w = await startWorker({
      dir: join(dir, 'a'),
      worker: { 'offset.storage.file.filename': join(dir, 'a-offsets.json'), 'offset.flush.interval.ms': '500' },
      connectors,
    });
    const client = await pgs.client();
    let load: Load | undefined;
    try {
      await waitFor(() => ids(readEvents<Event>(out), 'base').length === 1 || undefined, 30_000, 'the base snapshot');
      // the initial snapshot's progress under Debezium's metric names, per table
      await waitFor(
        async () =>
          /debezium_metrics_RowsScanned\{[^}]*context="snapshot"[^}]*table="public\.base"[^}]*\} 1/.test(
            await (await fetch(`${w.url}/metrics`)).text(),
          ) || undefined,
        10_000,
        'RowsScanned of the initial snapshot',
      );
      // add the tables to the running connector (its task restarts with the new filter; the publication follows)
      const put = await w.rest(`/connectors/sig/config`, {
        method: 'PUT',
        body: { ...connectors[0].config, 'table.include.list': 'public\\.(base|inc|cond|nokey)' },
      });
      expect(put.status).toBe(200);
      await waitFor(
        async () =>
          (await pgs.sql("SELECT 1 FROM pg_publication_tables WHERE pubname = 'sig_pub' AND tablename = 'inc'"))
            .length > 0 && (await status(w, 'sig'))?.state === 'RUNNING',
        30_000,
        'the new filter',
      ).catch(async (err) => {
        throw new Error(`${err}: ${JSON.stringify(await status(w, 'sig'))} ${w.logs().slice(-3000)}`);
      });
      // updates and deletes of the table being snapshotted, and inserts past its maximum key
      load = startLoad({
        tables: ['inc'],
        exec: (sql) => client.query(sql),
        firstId: 6001,
        insertBelow: 0.3,
        updateBelow: 0.7,
        minLive: 100,
        existingRows: 6000,
      });

      // bad signals: each answered 400 in Connect's error shape, the task keeps running
      const bad: Array<[unknown, RegExp]> = [
        ['not an object', /JSON object/],
        [{ id: 'b1', type: 'no-such-signal', data: {} }, /unknown type "no-such-signal"/],
        [
          { id: 'b2', type: 'execute-snapshot', data: { 'data-collections': ['public.missing'] } },
          /no captured table matches "public.missing"/,
        ],
        [
          { id: 'b3', type: 'execute-snapshot', data: { 'data-collections': ['public.nokey'] } },
          /public.nokey has no primary key/,
        ],
        [
          {
            id: 'b4',
            type: 'execute-snapshot',
            data: {
              'data-collections': ['public.cond'],
              'additional-conditions': [{ 'data-collection': 'public.cond', filter: 'nope >' }],
            },
          },
          /additional-conditions for public.cond is not a valid condition/,
        ],
        [{ id: 'b5', type: 'execute-snapshot', data: '{broken' }, /not valid JSON/],
        [{ id: 'b6', type: 'pause-snapshot', data: {} }, /no incremental snapshot is running/],
      ];
      for (const [body, reason] of bad) {
        const r = await w.rest<{ error_code: number; message: string }>('/connectors/sig/signals', {
          method: 'POST',
          body,
        });
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error_code).toBe(400);
        expect(r.body.message).toMatch(reason);
      }
      // each refusal is logged once, by the channel that took it (REST), with the reason (the log is written
      // asynchronously: wait for the last one)
      const refusalLines = () =>
        w
          .logs()
          .split('\n')
          .filter((l) => l.includes('signal refused') || l.includes('signal skipped'));
      const refused = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'];
      const logged = (id: string) => refusalLines().filter((l) => l.includes(`"signal":"${id}"`)).length;
      await waitFor(() => refused.every((id) => logged(id) > 0) || undefined, 10_000, 'the refusals in the log');
      for (const id of refused) expect(logged(id), id).toBe(1);
      expect((await status(w, 'sig')).state).toBe('RUNNING');

      const ok = await w.rest<{ id: string; snapshot_id: string }>('/connectors/sig/signals', {
        method: 'POST',
        body: {
          id: 'snap-1',
          type: 'execute-snapshot',
          data: { 'data-collections': ['public.inc'], type: 'incremental' },
        },
      });
      expect(ok.status).toBe(202);
      expect(ok.body).toEqual({ id: 'snap-1', snapshot_id: 'snap-1' });
      await waitFor(
        async () => (await status(w, 'sig')).snapshot?.completed === true || undefined,
        120_000,
        'the incremental snapshot',
      );
      const log = await load.stop();
      load = undefined;
      expect(log.length).toBeGreaterThan(20);
      const final = await tableState(['inc'], (t) => pgs.sql<{ id: number; v: number }>(`SELECT id, v FROM ${t}`));
      await waitForReplay({
        read: () => readEvents<Event>(out).filter((e) => e.source.table === 'inc'),
        expected: final,
        timeoutMs: 60_000,
      });
      const events = readEvents<Event>(out).filter((e) => e.source.table === 'inc');
      expect(replay(events)).toEqual(final);
      const reads = events.filter((e) => e.op === 'r');
      expect(reads.every((e) => e.source.snapshot === 'incremental')).toBe(true);
      // every row present at the start and never touched by the writer came as a read, once, in key order
      expect(reads.length).toBeGreaterThan(3000);
      const readIds = ids(events, 'inc', 'r');
      expect(new Set(readIds).size).toBe(readIds.length);
      expect([...readIds].sort((a, b) => a - b)).toEqual(readIds);
      const st = (await status(w, 'sig')).snapshot!;
      expect(st).toMatchObject({
        kind: 'incremental',
        id: 'snap-1',
        running: false,
        completed: true,
        tablesRemaining: 0,
      });
      const metrics = await (await fetch(`${w.url}/metrics`)).text();
      expect(metrics).toMatch(/debezium_metrics_SnapshotCompleted\{[^}]*context="incremental"[^}]*\} 1/);
      expect(metrics).toMatch(/debezium_metrics_RemainingTableCount\{[^}]*context="incremental"[^}]*\} 0/);

      // additional-conditions, sent through the signal table (the `source` channel)
      await pgs.sql(
        `INSERT INTO dbz_signal VALUES ('snap-2', 'execute-snapshot', '{"data-collections": ["public.cond"], "additional-conditions": [{"data-collection": "public.cond", "filter": "v % 5 = 0"}]}')`,
      );
      await waitFor(() => ids(readEvents<Event>(out), 'cond', 'r').length >= 100 || undefined, 60_000, 'cond rows');
      await waitFor(
        async () => (await status(w, 'sig')).snapshot?.completed === true || undefined,
        30_000,
        'cond done',
      );
      const condIds = ids(readEvents<Event>(out), 'cond', 'r');
      expect(condIds).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) * 5));

      // pause right after the start: at most the chunk in flight arrives; stop ends it; resume then has nothing to resume
      await pgs.sql('TRUNCATE inc');
      await pgs.sql('INSERT INTO inc SELECT g, 1 FROM generate_series(1, 4000) g');
      const before = ids(readEvents<Event>(out), 'inc', 'r').length;
      const start = await w.rest('/connectors/sig/signals', {
        method: 'POST',
        body: { id: 'snap-3', type: 'execute-snapshot', data: { 'data-collections': ['public.inc'] } },
      });
      const pause = await w.rest('/connectors/sig/signals', {
        method: 'POST',
        body: { id: 'p', type: 'pause-snapshot' },
      });
      expect([start.status, pause.status]).toEqual([202, 202]);
      await waitFor(async () => (await status(w, 'sig')).snapshot?.paused === true || undefined, 10_000, 'paused');
      // How many chunks ran before the pause took effect depends on the machine's speed; from here on at most the
      // chunk in flight may arrive.
      const atPause = ids(readEvents<Event>(out), 'inc', 'r').length;
      const stop = await w.rest('/connectors/sig/signals', {
        method: 'POST',
        body: { id: 's', type: 'stop-snapshot', data: { 'data-collections': ['public.inc'], type: 'incremental' } },
      });
      expect(stop.status).toBe(202);
      await waitFor(async () => (await status(w, 'sig')).snapshot?.running === false || undefined, 10_000, 'stopped');
      const resume = await w.rest<{ message: string }>('/connectors/sig/signals', {
        method: 'POST',
        body: { id: 'r', type: 'resume-snapshot' },
      });
      expect(resume.status).toBe(400);
      expect(resume.body.message).toMatch(/no incremental snapshot is running/);
      const afterStop = ids(readEvents<Event>(out), 'inc', 'r').length - before;
      expect(afterStop - (atPause - before)).toBeLessThanOrEqual(200);
      expect(afterStop).toBeLessThan(4000);
      expect((await status(w, 'sig')).state).toBe('RUNNING');
    } finally {
      await load?.stop().catch(() => undefined);
      await client.end();
      await w.stop();
    }
  }, 300_000);

  it('SIGKILL twice during an incremental snapshot: each restart resumes after the last committed chunk; replay equals the table', async () => {
    const rows = 20_000;
    const chunk = 500;
    await pgs.sql(
      `CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL); INSERT INTO big SELECT g, 0 FROM generate_series(1, ${rows}) g`,
    );
    const out = join(dir, 'k.jsonl');
    const offsets = join(dir, 'k-offsets.json');
    const connectors = [
      pgConnector(pgs, 'sigkill', {
        'table.include.list': 'public\\.big',
        'snapshot.mode': 'no_data',
        'signal.data.collection': 'public.dbz_signal',
        'incremental.snapshot.chunk.size': String(chunk),
      }),
      fileSink('sink', out, ['srv.public.big']),
    ];
    const worker = { 'offset.storage.file.filename': offsets, 'offset.flush.interval.ms': '300' };
    let w = await startWorker({ dir: join(dir, 'k'), worker, connectors });
    try {
      await waitFor(async () => (await status(w, 'sigkill'))?.state === 'RUNNING' || undefined, 30_000, 'running');
      const ok = await w.rest('/connectors/sigkill/signals', {
        method: 'POST',
        body: { id: 'big-1', type: 'execute-snapshot', data: { 'data-collections': ['public.big'] } },
      });
      expect(ok.status, JSON.stringify(ok.body)).toBe(202);
      const resumedAt: number[] = [];
      const restarts: Array<{ seen: number; committed: number }> = [];
      for (const fraction of [0.3, 0.6]) {
        await waitFor(
          () => ids(readEvents<Event>(out), 'big', 'r').length >= rows * fraction || undefined,
          60_000,
          'progress',
        ).catch(async (err) => {
          throw new Error(`${err}: ${JSON.stringify(await status(w, 'sigkill'))} ${w.logs().slice(-3000)}`);
        });
        // a chunk committed by this run (past the one the last run resumed after), then the kill: no flush, no commit
        const floor = resumedAt[resumedAt.length - 1] ?? 0;
        await waitFor(
          async () =>
            findAll(
              JSON.parse(await readFile(offsets, 'utf8').catch(() => '{}')),
              'incremental_snapshot_primary_key',
            ).some((k) => typeof k === 'string' && Number(JSON.parse(k)[0]) > floor) || undefined,
          30_000,
          'a committed chunk',
        );
        await w.kill();
        const keys = findAll(JSON.parse(await readFile(offsets, 'utf8')), 'incremental_snapshot_primary_key');
        const committed = keys.filter((k): k is string => typeof k === 'string').map((k) => Number(JSON.parse(k)[0]));
        const lastCommitted = Math.max(...committed);
        const seen = readEvents<Event>(out).length;
        w = await startWorker({ dir: join(dir, 'k'), worker, connectors });
        const first = await waitFor(
          () =>
            readEvents<Event>(out)
              .slice(seen)
              .find((e) => e.op === 'r'),
          60_000,
          'rows after the restart',
        );
        // the restart reads on from the key after the last committed chunk: no chunk before it again
        expect(Number(first.after?.id)).toBe(lastCommitted + 1);
        expect(lastCommitted % chunk).toBe(0);
        resumedAt.push(lastCommitted);
        restarts.push({ seen, committed: lastCommitted });
      }
      await waitFor(
        async () => (await status(w, 'sigkill')).snapshot?.completed === true || undefined,
        120_000,
        'done',
      );
      const final = await tableState(['big'], (t) => pgs.sql<{ id: number; v: number }>(`SELECT id, v FROM ${t}`));
      const events = readEvents<Event>(out);
      expect(replay(events)).toEqual(final);
      // chunks read twice: those between the last committed chunk and the kill, never the whole table again
      const reads = ids(events, 'big', 'r');
      // no committed chunk is read again: after each restart every row read lies past its last committed key (the
      // rows read twice are those delivered after it and not committed before the kill: at-least-once)
      for (const r of restarts) {
        const after = ids(events.slice(r.seen), 'big', 'r');
        expect(Math.min(...after)).toBe(r.committed + 1);
      }
      expect(reads.length).toBeGreaterThanOrEqual(rows);
      expect(resumedAt[1]).toBeGreaterThan(resumedAt[0]);
    } finally {
      await w.stop();
    }
  }, 300_000);
});
