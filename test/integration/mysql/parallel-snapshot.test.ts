import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Load, replay, startLoad, tableState, waitForReplay } from '../../harness/cdc.js';
import { fileSink, readEvents } from '../../harness/file-sink.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { type Event, mariaConnector } from './e2e.js';

/**
 * The parallel initial snapshot (`snapshot.max.threads`) on a real MariaDB with a writer running: a 4-thread
 * connector and a 1-thread one snapshot the same tables at the same time, and each output replayed by key equals the
 * table, so equals the other's.
 */

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

async function snapshotDone(w: WorkerProcess, name: string) {
  const st = (
    await w.rest<{ tasks: Array<{ state: string; snapshot?: Record<string, unknown> }> }>(`/connectors/${name}/status`)
  ).body.tasks[0];
  return (st?.snapshot?.kind === 'initial' && st.snapshot.completed === true) || undefined;
}

describe.runIf(!missing)('mariadb parallel initial snapshot', () => {
  let db: MariaDb;
  let dir: string;

  beforeAll(async () => {
    db = await startMariaDb();
    dir = await mkdtemp(join(tmpdir(), 'sluice-mypar-'));
    await db.exec('CREATE DATABASE pdb');
  });
  afterAll(async () => {
    await db?.stop();
    if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
  });

  it('4 threads (a table split into key ranges, another read whole) give, by key, what 1 thread gives, with writes running', async () => {
    const rows = 60_000;
    await db.exec('CREATE TABLE pdb.par (id INT PRIMARY KEY, v INT NOT NULL)');
    await db.exec(`INSERT INTO pdb.par SELECT seq, 0 FROM pdb.seq_1_to_${rows}`);
    // a text key: not split, read whole by one connection while the others read par's ranges
    await db.exec('CREATE TABLE pdb.txt (k VARCHAR(20) PRIMARY KEY, n INT NOT NULL)');
    await db.exec("INSERT INTO pdb.txt SELECT CONCAT('k', seq), seq FROM pdb.seq_1_to_2000");
    const conn = await db.connect();
    // the writer runs from before the snapshots until after them
    let load: Load | undefined = startLoad({
      tables: ['par'],
      exec: (sql) => conn.query(sql),
      qualify: (t) => `pdb.${t}`,
      firstId: rows + 1,
      existingRows: rows,
      insertBelow: 0.3,
      updateBelow: 0.7,
      minLive: 100,
    });
    const outs = { p4: join(dir, 'p4.jsonl'), p1: join(dir, 'p1.jsonl') };
    const connector = (prefix: string, threads: number, serverId: number) =>
      mariaConnector(db, prefix, dir, {
        'topic.prefix': prefix,
        'database.server.id': String(serverId),
        'table.include.list': 'pdb\\.(par|txt)',
        'snapshot.max.threads': String(threads),
        'snapshot.fetch.size': '500',
      });
    let w: WorkerProcess | undefined;
    try {
      await waitFor(() => (load?.count() ?? 0) >= 20 || undefined, 30_000, 'writes before the snapshots');
      w = await startWorker({
        dir: join(dir, 'w'),
        worker: { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '500' },
        connectors: [
          connector('p4', 4, 6201),
          connector('p1', 1, 6202),
          fileSink('sink4', outs.p4, ['p4.pdb.par', 'p4.pdb.txt']),
          fileSink('sink1', outs.p1, ['p1.pdb.par', 'p1.pdb.txt']),
        ],
      });
      const worker = w;
      for (const name of ['p4', 'p1'])
        await waitFor(() => snapshotDone(worker, name), 120_000, `${name}'s snapshot`).catch((err) => {
          throw new Error(`${err}: ${worker.logs().slice(-3000)}`);
        });
      // writes go on after both snapshots, so both streams carry changes too
      const at = load.count();
      await waitFor(() => (load?.count() ?? 0) >= at + 50 || undefined, 30_000, 'writes after the snapshots');
      await load.stop();
      load = undefined;
      const final = await tableState(['par'], async (t) => {
        const [r] = await conn.query(`SELECT id, v FROM pdb.${t}`);
        return r as { id: number; v: number }[];
      });
      const replays: Record<string, Map<string, Record<string, unknown>>> = {};
      for (const [name, out] of Object.entries(outs)) {
        const ofPar = () => readEvents<Event>(out).filter((e) => e?.source?.table === 'par');
        await waitForReplay({ read: ofPar, expected: final, timeoutMs: 60_000 });
        const all = readEvents<Event>(out).filter((e) => e?.source);
        const events = ofPar();
        replays[name] = replay(events);
        expect(replays[name]).toEqual(final);
        // each key read once, and before any streamed change of it
        const reads = events.filter((e) => e.op === 'r').map((e) => Number(e.after?.id));
        expect(new Set(reads).size).toBe(reads.length);
        expect(reads.length).toBeGreaterThan(rows / 2);
        const streamed = new Set<number>();
        for (const e of events) {
          const id = Number((e.after ?? e.before)?.id);
          if (e.op === 'r') expect(streamed.has(id), `${name}: key ${id} read after a streamed change`).toBe(false);
          else streamed.add(id);
        }
        // the text-keyed table whole, and the snapshot's markers: one first, one last, the last read the last one
        const txt = all.filter((e) => e.source.table === 'txt' && e.op === 'r');
        expect(txt.length).toBe(2000);
        const snap = all.filter((e) => e.op === 'r');
        expect(snap.filter((e) => e.source.snapshot === 'first').length).toBe(1);
        expect(snap.filter((e) => e.source.snapshot === 'last').length).toBe(1);
        expect(snap.at(-1)?.source.snapshot).toBe('last');
        expect(snap.filter((e) => e.source.snapshot === 'last_in_data_collection').length).toBe(1);
        // every read names the same binlog position: one snapshot
        expect(new Set(snap.map((e) => `${e.source.file}:${e.source.pos}`)).size).toBe(1);
        if (name === 'p4') {
          // read concurrently: key ranges of par interleave (a single reader gives them in key order)
          const sorted = [...reads].sort((a, b) => a - b);
          expect(reads).not.toEqual(sorted);
        }
      }
      expect(replays.p4).toEqual(replays.p1);
      expect(w.logs()).toMatch(/"threads":4,[^\n]*snapshot reads on several connections/);
    } finally {
      await load?.stop().catch(() => undefined);
      await conn.end();
      await w?.stop();
    }
  }, 300_000);
});
