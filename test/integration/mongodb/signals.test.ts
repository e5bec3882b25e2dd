import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Document, Int32, type MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MongoTestServer, mongoAvailable, startMongo } from '../../harness/mongo.js';
import { startWorker, waitFor } from '../../harness/worker.js';
import {
  type Doc,
  collectionState,
  fileSink,
  fill,
  findAll,
  mongoConnector,
  readLines,
  reads,
  replay,
  running,
  signal,
  startWriter,
  status,
} from './signals-kit.js';

/**
 * Signals and incremental snapshots (issue 16) on the MongoDB source, through a real worker against
 * mongo-java-server: REST and the signal collection, DBLog watermarks with a writer updating and deleting the
 * collection being read, `_id`s of mixed BSON types, pause/resume/stop, additional-conditions, bad signals, and
 * SIGKILL mid-snapshot.
 */
const missing = mongoAvailable();
if (missing) {
  console.error(`MongoDB signals test cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

let server: MongoTestServer;
let client: MongoClient;
let dir: string;
const DB = `sluice_sig_${process.pid}`;

/** `coll` undefined: one stream per collection of collection.include.list (capture.scope=collection, no target) */
const connector = (name: string, coll: string | undefined, extra: Record<string, string> = {}) =>
  mongoConnector(server.url, DB, name, coll, extra);
const sink = (file: string, colls: string[]) => fileSink(DB, file, colls);

async function sourceSignal(id: string, type: string, data: unknown): Promise<void> {
  await client
    .db(DB)
    .collection<{ _id: string; type: string; data: string }>('signals')
    .insertOne({ _id: id, type, data: typeof data === 'string' ? data : JSON.stringify(data) });
}

describe.runIf(!missing)('MongoDB signals and incremental snapshots', () => {
  beforeAll(async () => {
    server = await startMongo();
    client = await server.client();
    dir = await mkdtemp(join(tmpdir(), 'sluice-mongosig-'));
    await client.db(DB).createCollection('signals');
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
    if (dir && !process.env.KEEP_DIR) await rm(dir, { recursive: true, force: true });
  });

  it('a collection added to a running connector is snapshotted on a REST signal while a writer updates and deletes: replay equals the collection; mixed _id types in BSON order; bad signals refused', async () => {
    const coll = client.db(DB).collection<Doc>('docs');
    await fill(coll, 3000);
    const strings = Array.from({ length: 30 }, (_, i) => `s${String(i).padStart(3, '0')}`);
    const oids = Array.from({ length: 20 }, () => new ObjectId());
    await coll.insertMany(strings.map((s, i) => ({ _id: s, v: new Int32(-1 - i) })));
    await coll.insertMany(oids.map((o, i) => ({ _id: o, v: new Int32(-100 - i) })));
    const out = join(dir, 'a.jsonl');
    const base = client.db(DB).collection<Doc>('base');
    // collections are listed when the task starts (one stream each): base exists before it
    await base.insertOne({ _id: new Int32(0), v: new Int32(0) });
    const connectors = [
      connector('msig', undefined, {
        'collection.include.list': `${DB}\\.base`,
        'incremental.snapshot.chunk.size': '250',
      }),
      sink(out, ['base', 'docs', 'signals']),
    ];
    const offsets = join(dir, 'a-offsets.json');
    const w = await startWorker({
      dir: join(dir, 'a'),
      worker: { 'offset.storage.file.filename': offsets, 'offset.flush.interval.ms': '300' },
      connectors,
    });
    let writer: { stop(): Promise<void> } | undefined;
    try {
      await running(w, 'msig');
      // a streamed change of the captured collection, and its position committed
      await base.insertOne({ _id: new Int32(1), v: new Int32(1) });
      await waitFor(
        () => readLines(out).some((l) => l.value?.source.collection === 'base') || undefined,
        60_000,
        'base',
      ).catch((err) => {
        throw new Error(`${err}: ${w.logs().slice(-4000)}`);
      });
      await waitFor(
        async () =>
          findAll(JSON.parse(await readFile(offsets, 'utf8').catch(() => '{}')), 'resume_token').length > 0 ||
          undefined,
        30_000,
        'a committed stream position',
      );
      // add the collection to the running connector: its task restarts with the new list and resumes its stream
      const patched = await w.rest('/connectors/msig/config', {
        method: 'PATCH',
        body: { 'collection.include.list': `${DB}\\.(base|docs)` },
      });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      await waitFor(
        () =>
          w
            .logs()
            .split('\n')
            .some((l) => l.includes('one change stream per collection') && l.includes(`${DB}.docs`)) || undefined,
        60_000,
        'the task watching the added collection',
      );
      await running(w, 'msig');
      writer = startWriter(coll, 3000, 10_000);
      // bad signals: each refused with its reason (400), the task runs on
      const bad: Array<[unknown, RegExp]> = [
        [{ id: 'b1', type: 'no-such-type' }, /unknown type "no-such-type"/],
        [
          { id: 'b2', type: 'execute-snapshot', data: { 'data-collections': [`${DB}.nope`] } },
          /no captured collection/,
        ],
        [
          {
            id: 'b3',
            type: 'execute-snapshot',
            data: {
              'data-collections': [`${DB}.docs`],
              'additional-conditions': [{ 'data-collection': `${DB}.docs`, filter: 'v > 3' }],
            },
          },
          /not a JSON query document/,
        ],
        [
          {
            id: 'b4',
            type: 'execute-snapshot',
            data: {
              'data-collections': [`${DB}.docs`],
              'additional-conditions': [{ 'data-collection': `${DB}.docs`, filter: '{"v": {"$nosuchop": 1}}' }],
            },
          },
          /not a valid query/,
        ],
        [{ id: 'b5', type: 'pause-snapshot' }, /no incremental snapshot is running/],
        [{ id: 'b6', type: 'execute-snapshot', data: { 'data-collections': 'docs' } }, /must be a list/],
        [
          {
            id: 'b7',
            type: 'execute-snapshot',
            data: {
              type: 'blocking',
              'data-collections': [`${DB}.docs`],
              'additional-conditions': [{ 'data-collection': `${DB}.docs`, filter: 'v > 1' }],
            },
          },
          /not a JSON query document/,
        ],
        [{ id: 'b8', type: 'execute-snapshot', data: { 'data-collections': ['(['] } }, /not a valid/],
        [[1, 2], /JSON object/],
      ];
      for (const [body, reason] of bad) {
        const r = await signal(w, 'msig', body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.message).toMatch(reason);
      }
      expect((await status(w, 'msig'))?.state).toBe('RUNNING');

      const ok = await signal(w, 'msig', {
        id: 'inc-1',
        type: 'execute-snapshot',
        data: { 'data-collections': [`${DB}\\.do.*`], type: 'incremental' },
      });
      expect(ok.status, JSON.stringify(ok.body)).toBe(202);
      await waitFor(
        async () => (await status(w, 'msig'))?.snapshot?.completed === true || undefined,
        120_000,
        'the incremental snapshot',
      ).catch(async (err) => {
        throw new Error(`${err}: ${JSON.stringify(await status(w, 'msig'))} ${w.logs().slice(-3000)}`);
      });
      await writer.stop();
      writer = undefined;
      const expected = await collectionState(coll);
      const docsLines = () => readLines(out).filter((l) => l.topic === `srv.${DB}.docs`);
      await waitFor(
        () => {
          const state = replay(docsLines());
          return state.size === expected.size && [...expected].every(([k, v]) => state.get(k) === v) ? true : undefined;
        },
        60_000,
        'the replay to equal the collection',
      ).catch((err) => {
        const state = replay(docsLines());
        const wrong = [...expected].filter(([k, v]) => state.get(k) !== v).slice(0, 5);
        const extra = [...state.keys()].filter((k) => !expected.has(k)).slice(0, 5);
        throw new Error(`${err}: ${state.size} vs ${expected.size}; wrong ${JSON.stringify(wrong)} extra ${extra}`);
      });
      const lines = readLines(out);
      const r = reads(lines, 'docs');
      expect(r.every((l) => l.value?.source.snapshot === 'incremental')).toBe(true);
      // documents never touched by the writer came as reads, in BSON order of their _id: numbers, strings, ObjectIds
      const ids = r.map((l) => l.key!.id);
      const kinds = ids.map((id) => (id.startsWith('{"$oid"') ? 2 : id.startsWith('"') ? 1 : 0));
      expect(kinds).toEqual([...kinds].sort((a, b) => a - b));
      for (const s of strings) expect(ids).toContain(JSON.stringify(s));
      for (const o of oids) expect(ids).toContain(`{"$oid": "${o.toHexString()}"}`);
      const numbers = ids.filter((_, i) => kinds[i] === 0).map(Number);
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      // the watermarks went to the signal collection with Debezium's ids and types; none became an event
      const marks = await client
        .db(DB)
        .collection<Document>('signals')
        .find({ type: /snapshot-window/ })
        .toArray();
      const opens = marks.filter((m) => m.type === 'snapshot-window-open').map((m) => String(m._id));
      const closes = marks.filter((m) => m.type === 'snapshot-window-close').map((m) => String(m._id));
      expect(opens.length).toBeGreaterThanOrEqual(2);
      expect(closes.map((c) => c.replace(/-close$/, '-open')).sort()).toEqual([...opens].sort());
      expect(lines.some((l) => l.topic === `srv.${DB}.signals`)).toBe(false);
      expect((await status(w, 'msig'))?.state).toBe('RUNNING');
    } finally {
      await writer?.stop().catch(() => undefined);
      await w.stop();
    }
  }, 240_000);

  it('the signal collection channel: log, additional-conditions, pause/resume and stop-snapshot; bad signal documents skipped', async () => {
    const coll = client.db(DB).collection<Doc>('more');
    await fill(coll, 20_000);
    const out = join(dir, 'b.jsonl');
    const connectors = [connector('msig2', 'more', { 'incremental.snapshot.chunk.size': '200' }), sink(out, ['more'])];
    const w = await startWorker({
      dir: join(dir, 'b'),
      worker: { 'offset.storage.file.filename': join(dir, 'b-offsets.json'), 'offset.flush.interval.ms': '300' },
      connectors,
    });
    const count = () => reads(readLines(out), 'more').length;
    try {
      await running(w, 'msig2');
      // a bad document first: refused in the log, the channel goes on
      await sourceSignal('bad-1', 'execute-snapshot', '{not json');
      await sourceSignal('log-1', 'log', { message: 'hello from the signal collection' });
      await waitFor(() => /hello from the signal collection/.test(w.logs()) || undefined, 30_000, 'the log signal');
      expect(w.logs()).toMatch(
        /signal document refused[^\n]*not valid JSON|not valid JSON[^\n]*signal document refused/,
      );
      // a filtered slice: only documents with v > 19500
      await sourceSignal('cond-1', 'execute-snapshot', {
        'data-collections': [`${DB}.more`],
        'additional-conditions': [{ 'data-collection': `${DB}.more`, filter: '{"v": {"$gt": 19500}}' }],
      });
      await waitFor(
        async () => {
          const s = (await status(w, 'msig2'))?.snapshot;
          return (s?.completed === true && s.id === 'cond-1') || undefined;
        },
        60_000,
        'the filtered snapshot',
      );
      // completion is reported as the last window closes; its rows reach the sink just after
      await waitFor(() => reads(readLines(out), 'more').length >= 500 || undefined, 30_000, 'the slice in the sink');
      expect(reads(readLines(out), 'more').map((l) => Number(l.key!.id))).toEqual(
        Array.from({ length: 500 }, (_, i) => 19_501 + i),
      );

      // pause right after the start (signals are taken in the collection's order), resume, then stop
      const before = count();
      await sourceSignal('all-1', 'execute-snapshot', { 'data-collections': [`${DB}.more`] });
      await sourceSignal('pause-1', 'pause-snapshot', {});
      await waitFor(async () => (await status(w, 'msig2'))?.snapshot?.paused === true || undefined, 30_000, 'paused');
      // a barrier through the same channel: once it is read, what the pause let through is out
      await sourceSignal('log-2', 'log', { message: 'barrier after pause' });
      await waitFor(() => /barrier after pause/.test(w.logs()) || undefined, 30_000, 'the barrier');
      const afterBarrier = count();
      // the chunks in flight when the pause came may complete; nothing more
      expect(afterBarrier - before).toBeLessThanOrEqual(400);
      await sourceSignal('resume-1', 'resume-snapshot', {});
      await waitFor(() => count() >= afterBarrier + 400 || undefined, 60_000, 'chunks after resume');
      await sourceSignal('stop-1', 'stop-snapshot', { 'data-collections': [`${DB}.more`] });
      await waitFor(async () => (await status(w, 'msig2'))?.snapshot?.running === false || undefined, 30_000, 'stop');
      const atStop = count();
      await sourceSignal('log-3', 'log', { message: 'barrier after stop' });
      await waitFor(() => /barrier after stop/.test(w.logs()) || undefined, 30_000, 'the barrier');
      expect(count() - atStop).toBeLessThanOrEqual(200);
      expect(count() - before).toBeLessThan(20_000);
      expect((await status(w, 'msig2'))?.snapshot?.completed).not.toBe(true);
      expect((await signal(w, 'msig2', { id: 'r2', type: 'resume-snapshot' })).status).toBe(400);
      expect((await status(w, 'msig2'))?.state).toBe('RUNNING');
    } finally {
      await w.stop();
    }
  }, 180_000);

  it('SIGKILL twice during an incremental snapshot: each restart resumes after the last committed chunk; replay equals the collection', async () => {
    // 40k documents keep this file under a minute on a quiet machine; the 200k (MONGO_INC_ROWS=200000) passed
    // in 3.9 minutes (quiet machine) on mongo-java-server, which rescans its whole oplog on every change stream read
    const rows = Number(process.env.MONGO_INC_ROWS ?? 40_000);
    const chunk = 1000;
    const coll = client.db(DB).collection<Doc>('big');
    await fill(coll, rows);
    const out = join(dir, 'k.jsonl');
    const offsets = join(dir, 'k-offsets.json');
    const connectors = [
      connector('msigk', 'big', { 'incremental.snapshot.chunk.size': String(chunk) }),
      sink(out, ['big']),
    ];
    const worker = { 'offset.storage.file.filename': offsets, 'offset.flush.interval.ms': '300' };
    let w = await startWorker({ dir: join(dir, 'k'), worker, connectors, preferBuild: true });
    const committedKeys = async (): Promise<number[]> =>
      findAll(JSON.parse(await readFile(offsets, 'utf8').catch(() => '{}')), 'incremental_snapshot_primary_key')
        .filter((k): k is string => typeof k === 'string')
        .map((k) => Number(JSON.parse(JSON.parse(k)[0])._id.$numberInt));
    try {
      await running(w, 'msigk');
      const ok = await signal(w, 'msigk', {
        id: 'big-1',
        type: 'execute-snapshot',
        data: { 'data-collections': [`${DB}.big`] },
      });
      expect(ok.status, JSON.stringify(ok.body)).toBe(202);
      const restarts: Array<{ seen: number; committed: number }> = [];
      for (const fraction of [0.3, 0.6]) {
        await waitFor(() => reads(readLines(out), 'big').length >= rows * fraction || undefined, 120_000, 'progress');
        const floor = restarts[restarts.length - 1]?.committed ?? 0;
        await waitFor(async () => (await committedKeys()).some((k) => k > floor) || undefined, 30_000, 'a commit');
        await w.kill();
        const committed = (await committedKeys()).reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
        const seen = readLines(out).length;
        w = await startWorker({ dir: join(dir, 'k'), worker, connectors, preferBuild: true });
        const first = await waitFor(
          () =>
            readLines(out)
              .slice(seen)
              .find((l) => l.value?.op === 'r'),
          60_000,
          'reads after the restart',
        );
        // the restart reads on from the document after the last committed chunk: no committed chunk again
        expect(Number(first.key!.id)).toBe(committed + 1);
        expect(committed % chunk).toBe(0);
        restarts.push({ seen, committed });
      }
      await waitFor(async () => (await status(w, 'msigk'))?.snapshot?.completed === true || undefined, 180_000, 'done');
      const expected = await collectionState(coll);
      // completion is reported as the last window closes; its rows reach the sink just after
      await waitFor(
        () => {
          const state = replay(readLines(out));
          return (state.size === expected.size && [...expected].every(([k, v]) => state.get(k) === v)) || undefined;
        },
        30_000,
        'the replay to equal the collection',
      );
      const lines = readLines(out);
      for (const r of restarts) {
        const after = reads(lines.slice(r.seen), 'big').map((l) => Number(l.key!.id));
        expect(after.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY)).toBe(r.committed + 1);
      }
      expect(restarts[1].committed).toBeGreaterThan(restarts[0].committed);
    } finally {
      await w.stop();
    }
  }, 400_000);
});
