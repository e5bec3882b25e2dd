import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Load, replay, startLoad, tableState, waitForReplay } from '../../harness/cdc.js';
import { fileSink, readEvents } from '../../harness/file-sink.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { type Event, mariaConnector } from './e2e.js';

/**
 * Signals and incremental snapshots (issue 16) on a real MariaDB, through a real worker: REST and the signal table,
 * DBLog watermarks with a writer running, bad signals, pause/resume/stop, and SIGKILL mid-snapshot.
 */

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

const SIGNAL =
  'CREATE TABLE sdb.dbz_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))';

const ids = (events: Event[], table: string, op?: string) =>
  events
    .filter((e) => e?.source?.table === table && (op === undefined || e.op === op))
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

/**
 * Follows a large sink file without keeping its events: the replay by key, and the ids of `op: "r"` rows with the
 * number of events before each (so a test can look at what came after a restart).
 */
class ReplayTail {
  readonly state = new Map<number, number>();
  /** [events before it, id] of each read */
  readonly reads: Array<[number, number]> = [];
  events = 0;
  private offset = 0;
  private rest = '';

  constructor(private readonly file: string) {}

  read(): this {
    if (!existsSync(this.file)) return this;
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return this;
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const lines = (this.rest + buf.toString('utf8')).split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        const e = JSON.parse(line) as Event | null;
        if (!e) continue;
        const row = (e.after ?? e.before) as { id: number; v: number };
        if (e.op === 'r') this.reads.push([this.events, row.id]);
        if (e.op === 'd') this.state.delete(row.id);
        else this.state.set(row.id, row.v);
        this.events++;
      }
    } finally {
      closeSync(fd);
    }
    return this;
  }
}

describe.runIf(!missing)('mariadb signals and incremental snapshots', () => {
  let db: MariaDb;
  let dir: string;

  beforeAll(async () => {
    db = await startMariaDb();
    dir = await mkdtemp(join(tmpdir(), 'sluice-mysig-'));
    await db.exec('CREATE DATABASE sdb');
    await db.exec(SIGNAL);
  });
  afterAll(async () => {
    await db?.stop();
    if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
  });

  it('a table added to a running connector (PATCH) is snapshotted on a REST signal while a writer runs; bad signals get 400; conditions, pause, resume and stop', async () => {
    await db.exec('CREATE TABLE sdb.base (id INT PRIMARY KEY, v INT NOT NULL)');
    await db.exec('INSERT INTO sdb.base VALUES (1, 0)');
    await db.exec('CREATE TABLE sdb.inc (id INT PRIMARY KEY, v INT NOT NULL)');
    await db.exec('INSERT INTO sdb.inc SELECT seq, 0 FROM sdb.seq_1_to_6000');
    await db.exec('CREATE TABLE sdb.cond (id INT PRIMARY KEY, v INT NOT NULL)');
    await db.exec('INSERT INTO sdb.cond SELECT seq, seq FROM sdb.seq_1_to_500');
    await db.exec('CREATE TABLE sdb.nokey (v INT)');
    const out = join(dir, 'a.jsonl');
    const connectors = [
      mariaConnector(db, 'sig', dir, {
        'table.include.list': 'sdb\\.base',
        'signal.data.collection': 'sdb.dbz_signal',
        'incremental.snapshot.chunk.size': '200',
      }),
      fileSink('sink', out, ['srv.sdb.base', 'srv.sdb.inc', 'srv.sdb.cond', 'srv.sdb.nokey']),
    ];
    const w = await startWorker({
      dir: join(dir, 'a'),
      worker: { 'offset.storage.file.filename': join(dir, 'a-offsets.json'), 'offset.flush.interval.ms': '500' },
      connectors,
    });
    const conn = await db.connect();
    let load: Load | undefined;
    const post = (body: unknown) =>
      w.rest<{ error_code: number; message: string; id?: string; snapshot_id?: string }>('/connectors/sig/signals', {
        method: 'POST',
        body,
      });
    try {
      await waitFor(() => ids(readEvents<Event>(out), 'base').length === 1 || undefined, 60_000, 'the base snapshot');
      // the running connector gets the tables; its task restarts with the new filter
      const patch = await w.rest('/connectors/sig/config', {
        method: 'PATCH',
        body: { 'table.include.list': 'sdb\\.(base|inc|cond|nokey)' },
      });
      expect(patch.status, JSON.stringify(patch.body)).toBe(200);
      // updates and deletes of the table being snapshotted, and inserts past its maximum key
      load = startLoad({
        tables: ['inc'],
        exec: (sql) => conn.query(sql),
        qualify: (t) => `sdb.${t}`,
        firstId: 6001,
        existingRows: 6000,
        insertBelow: 0.3,
        updateBelow: 0.7,
        minLive: 100,
      });
      // the keyless table is refused for its missing key once the new filter captures it
      const nokey = { id: 'b3', type: 'execute-snapshot', data: { 'data-collections': ['sdb.nokey'] } };
      await waitFor(
        async () => /table sdb.nokey has no primary key/.test((await post(nokey)).body.message) || undefined,
        60_000,
        'the new filter',
      ).catch(async (err) => {
        throw new Error(`${err}: ${JSON.stringify(await status(w, 'sig'))} ${w.logs().slice(-3000)}`);
      });

      // bad signals: each answered 400 in Connect's error shape, the task keeps running
      const bad: Array<[unknown, RegExp]> = [
        ['not an object', /JSON object/],
        [{ id: 'b1', type: 'no-such-signal', data: {} }, /unknown type "no-such-signal"/],
        [
          { id: 'b2', type: 'execute-snapshot', data: { 'data-collections': ['sdb.missing'] } },
          /no captured table matches "sdb.missing"/,
        ],
        [nokey, /table sdb.nokey has no primary key/],
        [
          {
            id: 'b4',
            type: 'execute-snapshot',
            data: {
              'data-collections': ['sdb.cond'],
              'additional-conditions': [{ 'data-collection': 'sdb.cond', filter: 'nope >' }],
            },
          },
          /additional-conditions for sdb.cond is not a valid condition/,
        ],
        [{ id: 'b5', type: 'execute-snapshot', data: '{broken' }, /not valid JSON/],
        [{ id: 'b6', type: 'pause-snapshot', data: {} }, /no incremental snapshot is running/],
      ];
      for (const [body, reason] of bad) {
        const r = await post(body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error_code).toBe(400);
        expect(r.body.message).toMatch(reason);
      }
      expect((await status(w, 'sig')).state).toBe('RUNNING');

      const ok = await post({
        id: 'snap-1',
        type: 'execute-snapshot',
        data: { 'data-collections': ['sdb.inc'], type: 'incremental' },
      });
      expect(ok.status).toBe(202);
      expect(ok.body).toEqual({ id: 'snap-1', snapshot_id: 'snap-1' });
      const done = (id: string) => async () => {
        const st = (await status(w, 'sig')).snapshot;
        return (st?.id === id && st.completed === true) || undefined;
      };
      await waitFor(done('snap-1'), 120_000, 'the incremental snapshot').catch(async (err) => {
        throw new Error(`${err}: ${JSON.stringify(await status(w, 'sig'))} ${w.logs().slice(-3000)}`);
      });
      const log = await load.stop();
      load = undefined;
      expect(log.length).toBeGreaterThan(20);
      const final = await tableState(['inc'], async (t) => {
        const [rows] = await conn.query(`SELECT id, v FROM sdb.${t}`);
        return rows as { id: number; v: number }[];
      });
      await waitForReplay({
        read: () => readEvents<Event>(out).filter((e) => e?.source?.table === 'inc'),
        expected: final,
        timeoutMs: 60_000,
      });
      const events = readEvents<Event>(out).filter((e) => e?.source?.table === 'inc');
      expect(replay(events)).toEqual(final);
      const reads = events.filter((e) => e.op === 'r');
      expect(reads.every((e) => e.source.snapshot === 'incremental')).toBe(true);
      // every row present at the start and not changed in its chunk's window came as a read, once, in key order
      expect(reads.length).toBeGreaterThan(3000);
      const readIds = ids(events, 'inc', 'r');
      expect(new Set(readIds).size).toBe(readIds.length);
      expect([...readIds].sort((a, b) => a - b)).toEqual(readIds);
      expect((await status(w, 'sig')).snapshot).toMatchObject({
        kind: 'incremental',
        id: 'snap-1',
        running: false,
        completed: true,
        tablesRemaining: 0,
      });

      // additional-conditions, sent through the signal table (the `source` channel)
      await db.exec(
        `INSERT INTO sdb.dbz_signal VALUES ('snap-2', 'execute-snapshot', '{"data-collections": ["sdb.cond"], "additional-conditions": [{"data-collection": "sdb.cond", "filter": "v % 5 = 0"}]}')`,
      );
      await waitFor(done('snap-2'), 60_000, 'cond done');
      await waitFor(() => ids(readEvents<Event>(out), 'cond', 'r').length >= 100 || undefined, 30_000, 'cond rows');
      expect(ids(readEvents<Event>(out), 'cond', 'r')).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) * 5));

      // pause: at most the chunk in flight arrives after it; resume reads on; stop ends the snapshot early
      await db.exec('TRUNCATE sdb.inc');
      await db.exec('INSERT INTO sdb.inc SELECT seq, 1 FROM sdb.seq_1_to_50000');
      const readsOf = () => ids(readEvents<Event>(out), 'inc', 'r').length;
      const paused = async () => {
        const st = (await status(w, 'sig')).snapshot;
        return (st?.id === 'snap-3' && st.paused === true) || undefined;
      };
      const before = readsOf();
      const start = await post({ id: 'snap-3', type: 'execute-snapshot', data: { 'data-collections': ['sdb.inc'] } });
      const pause = await post({ id: 'p1', type: 'pause-snapshot' });
      expect([start.status, pause.status]).toEqual([202, 202]);
      await waitFor(paused, 10_000, 'paused');
      const atPause = readsOf();
      const resume = await post({ id: 'r1', type: 'resume-snapshot' });
      expect(resume.status).toBe(202);
      await waitFor(() => readsOf() > atPause + 200 || undefined, 60_000, 'reads after resume');
      expect((await post({ id: 'p2', type: 'pause-snapshot' })).status).toBe(202);
      await waitFor(paused, 10_000, 'paused again');
      // Rows the snapshot has read, from its status: the file lags behind them by what waits in the task's queue.
      const scanned = async () => Number((await status(w, 'sig')).snapshot?.rowsScanned);
      const atPause2 = await scanned();
      const stop = await post({
        id: 's',
        type: 'stop-snapshot',
        data: { 'data-collections': ['sdb.inc'], type: 'incremental' },
      });
      expect(stop.status).toBe(202);
      await waitFor(
        async () => {
          const st = (await status(w, 'sig')).snapshot;
          return (st?.running === false && st.paused === false) || undefined;
        },
        10_000,
        'stopped',
      );
      const again = await post({ id: 'r2', type: 'resume-snapshot' });
      expect(again.status).toBe(400);
      expect(again.body.message).toMatch(/no incremental snapshot is running/);
      expect((await status(w, 'sig')).snapshot).toMatchObject({ id: 'snap-3', completed: false });
      // after a pause at most the chunk in flight is read (a stop drops it); the snapshot ended early
      expect((await scanned()) - atPause2).toBeLessThanOrEqual(200);
      expect(readsOf() - before).toBeLessThan(50_000);
      expect((await status(w, 'sig')).state).toBe('RUNNING');
    } finally {
      await load?.stop().catch(() => undefined);
      await conn.end();
      await w.stop();
    }
  }, 300_000);

  it('read.only=true: chunks bounded by consistent-snapshot binlog positions, nothing written to the database; a writer runs; replay equals the table', async () => {
    await db.exec('CREATE TABLE sdb.ro (id INT PRIMARY KEY, v INT NOT NULL)');
    await db.exec('INSERT INTO sdb.ro SELECT seq, 0 FROM sdb.seq_1_to_5000');
    const [{ n: signalRows }] = (await db.exec('SELECT COUNT(*) AS n FROM sdb.dbz_signal')) as Array<{ n: number }>;
    const out = join(dir, 'ro.jsonl');
    const connectors = [
      // no signal table at all: the REST channel, and GTID watermarks
      mariaConnector(db, 'ro', dir, {
        'table.include.list': 'sdb\\.ro',
        'snapshot.mode': 'no_data',
        'read.only': 'true',
        'incremental.snapshot.chunk.size': '500',
      }),
      fileSink('sink', out, ['srv.sdb.ro']),
    ];
    const w = await startWorker({
      dir: join(dir, 'ro'),
      worker: { 'offset.storage.file.filename': join(dir, 'ro-offsets.json'), 'offset.flush.interval.ms': '500' },
      connectors,
    });
    const conn = await db.connect();
    let load: Load | undefined;
    try {
      await waitFor(async () => (await status(w, 'ro'))?.state === 'RUNNING' || undefined, 60_000, 'running');
      load = startLoad({
        tables: ['ro'],
        exec: (sql) => conn.query(sql),
        qualify: (t) => `sdb.${t}`,
        firstId: 5001,
        existingRows: 5000,
        insertBelow: 0.3,
        updateBelow: 0.7,
        minLive: 100,
      });
      const ok = await w.rest('/connectors/ro/signals', {
        method: 'POST',
        body: { id: 'ro-1', type: 'execute-snapshot', data: { 'data-collections': ['sdb.ro'] } },
      });
      expect(ok.status, JSON.stringify(ok.body)).toBe(202);
      await waitFor(
        async () => {
          const st = (await status(w, 'ro')).snapshot;
          return (st?.id === 'ro-1' && st.completed === true) || undefined;
        },
        120_000,
        'the read-only snapshot',
      ).catch(async (err) => {
        throw new Error(`${err}: ${JSON.stringify(await status(w, 'ro'))} ${w.logs().slice(-3000)}`);
      });
      const log = await load.stop();
      load = undefined;
      expect(log.length).toBeGreaterThan(20);
      const final = await tableState(['ro'], async (t) => {
        const [rows] = await conn.query(`SELECT id, v FROM sdb.${t}`);
        return rows as { id: number; v: number }[];
      });
      await waitForReplay({ read: () => readEvents<Event>(out), expected: final, timeoutMs: 60_000 });
      const events = readEvents<Event>(out);
      expect(replay(events)).toEqual(final);
      const readIds = ids(events, 'ro', 'r');
      expect(readIds.length).toBeGreaterThan(2500);
      expect(new Set(readIds).size).toBe(readIds.length);
      expect([...readIds].sort((a, b) => a - b)).toEqual(readIds);
      expect(events.filter((e) => e.op === 'r').every((e) => e.source.snapshot === 'incremental')).toBe(true);
      const [{ n: after }] = (await db.exec('SELECT COUNT(*) AS n FROM sdb.dbz_signal')) as Array<{ n: number }>;
      expect(Number(after)).toBe(Number(signalRows));
    } finally {
      await load?.stop().catch(() => undefined);
      await conn.end();
      await w.stop();
    }
  }, 300_000);

  it('SIGKILL twice during an incremental snapshot of 200k rows: each restart resumes after the last committed chunk; replay equals the table', async () => {
    const rows = 200_000;
    const chunk = 2000;
    await db.exec('CREATE TABLE sdb.big (id INT PRIMARY KEY, v INT NOT NULL)');
    await db.exec(`INSERT INTO sdb.big SELECT seq, 0 FROM sdb.seq_1_to_${rows}`);
    const out = join(dir, 'k.jsonl');
    const offsets = join(dir, 'k-offsets.json');
    const connectors = [
      mariaConnector(db, 'sigkill', dir, {
        'table.include.list': 'sdb\\.big',
        'snapshot.mode': 'no_data',
        'signal.data.collection': 'sdb.dbz_signal',
        'incremental.snapshot.chunk.size': String(chunk),
      }),
      fileSink('sink', out, ['srv.sdb.big']),
    ];
    const worker = { 'offset.storage.file.filename': offsets, 'offset.flush.interval.ms': '300' };
    let w = await startWorker({ dir: join(dir, 'k'), worker, connectors });
    const tail = new ReplayTail(out);
    const committedKeys = async () =>
      findAll(JSON.parse(await readFile(offsets, 'utf8').catch(() => '{}')), 'incremental_snapshot_primary_key')
        .filter((k): k is string => typeof k === 'string')
        .map((k) => Number(JSON.parse(k)[0]));
    try {
      // the schema-only snapshot done: its binlog position is taken, so the signal row below lies after it (inserted
      // as soon as the task is RUNNING, it could precede the position and never be read)
      await waitFor(
        async () => (await status(w, 'sigkill'))?.snapshot?.completed === true || undefined,
        60_000,
        'the schema snapshot',
      );
      // through the signal table: the task reads it from the binlog once it streams
      await db.exec(
        `INSERT INTO sdb.dbz_signal VALUES ('big-1', 'execute-snapshot', '{"data-collections": ["sdb.big"]}')`,
      );
      const restarts: Array<{ seen: number; committed: number }> = [];
      for (const fraction of [0.3, 0.6]) {
        await waitFor(() => tail.read().reads.length >= rows * fraction || undefined, 120_000, 'progress').catch(
          async (err) => {
            throw new Error(`${err}: ${JSON.stringify(await status(w, 'sigkill'))} ${w.logs().slice(-3000)}`);
          },
        );
        // a chunk committed by this run (past the one the last run resumed after), then the kill: no flush, no commit
        const floor = restarts[restarts.length - 1]?.committed ?? 0;
        await waitFor(async () => (await committedKeys()).some((k) => k > floor) || undefined, 60_000, 'a commit');
        await w.kill();
        const lastCommitted = Math.max(...(await committedKeys()));
        const seen = tail.read().events;
        w = await startWorker({ dir: join(dir, 'k'), worker, connectors });
        const first = await waitFor(
          () => tail.read().reads.find(([at]) => at >= seen),
          120_000,
          'rows after the restart',
        );
        // the restart reads on from the key after the last committed chunk: no committed chunk is read again
        expect(first[1]).toBe(lastCommitted + 1);
        expect(lastCommitted % chunk).toBe(0);
        restarts.push({ seen, committed: lastCommitted });
      }
      await waitFor(
        async () => {
          const st = (await status(w, 'sigkill')).snapshot;
          return (st?.id === 'big-1' && st.completed === true) || undefined;
        },
        180_000,
        'done',
      );
      await waitFor(() => tail.read().state.size === rows || undefined, 60_000, 'every row');
      // every row once, with its value: the replay by key equals the table
      const [count] = (await db.exec('SELECT COUNT(*) AS n FROM sdb.big')) as Array<{ n: number }>;
      expect(tail.state.size).toBe(Number(count.n));
      expect([...tail.state.values()].every((v) => v === 0)).toBe(true);
      // after each restart every row read lies past its last committed key; chunks re-read are those delivered
      // after the last commit before the kill (at-least-once), never the whole table again
      for (const r of restarts) {
        const after = tail.reads.filter(([at]) => at >= r.seen).map(([, id]) => id);
        expect(after.reduce((m, x) => Math.min(m, x), Number.POSITIVE_INFINITY)).toBe(r.committed + 1);
      }
      const reread = tail.reads.length - rows;
      expect(reread).toBeGreaterThanOrEqual(0);
      expect(reread).toBeLessThan(rows / 2);
      expect(restarts[1].committed).toBeGreaterThan(restarts[0].committed);
    } finally {
      await w.stop();
    }
  }, 420_000);
});
