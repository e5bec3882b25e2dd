import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';
import {
  expectNoChangeMissing,
  expectPerKeyOrder,
  randomPause,
  replay,
  rowKey,
  startLoad,
  tableState,
  waitForReplay,
} from '../../harness/cdc.js';
import { EventTail, fileSink } from '../../harness/file-sink.js';
import { binlogReplay, type Event, mariaConnector } from './e2e.js';

const TABLES = ['ka', 'kb', 'kc'];
/** rows per table before the load starts: enough that the snapshot takes a few seconds and a kill can land in it */
const ROWS = 15_000;
const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

function snapshotCommitted(file: string): boolean {
  if (!existsSync(file)) return false;
  const text = readFileSync(file, 'utf8');
  return text.includes('"file"') && !text.includes('"snapshot":true');
}

describe.runIf(!missing)('mysql source under SIGKILL (MariaDB 10.11, real worker process)', () => {
  let db: MariaDb;
  let dir: string;
  beforeAll(async () => {
    db = await startMariaDb();
    dir = await mkdtemp(join(tmpdir(), 'sluice-mykill-'));
  });
  afterAll(async () => {
    await db?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('after five kills under load on three tables, one during the snapshot, replay by key equals the database and per-key order holds', async () => {
    await db.exec('CREATE DATABASE kdb');
    for (const t of TABLES) {
      await db.exec(`CREATE TABLE kdb.${t} (id INT PRIMARY KEY, v INT NOT NULL)`);
      await db.exec(`INSERT INTO kdb.${t} SELECT seq, 0 FROM kdb.seq_1_to_${ROWS}`);
    }
    const out = join(dir, 'out.jsonl');
    const tail = new EventTail<Event>(out);
    const connectors = [
      mariaConnector(db, 'mykill', dir, { 'table.include.list': 'kdb\\.k[abc]', 'snapshot.fetch.size': '500' }),
      fileSink(
        'sink',
        out,
        TABLES.map((t) => `srv.kdb.${t}`),
      ),
    ];
    const worker = { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '700' };
    const conn = await db.connect();
    const load = startLoad({
      tables: TABLES,
      exec: (sql) => conn.query(sql),
      qualify: (t) => `kdb.${t}`,
      existingRows: ROWS,
      firstId: 100_000,
      insertBelow: 0.45,
      updateBelow: 0.85,
      // Now and then a multi-row statement, so kills land inside rows events of several rows.
      rangeUpdate: { share: 0.2, from: 100, to: 140 },
    });
    let w: WorkerProcess | undefined;
    try {
      const offsetsFile = join(dir, 'offsets.json');
      // Changes logged after the snapshot's completion was committed are after its position: each must show up.
      let afterSnapshot: number | undefined;
      const noteSnapshot = () => {
        if (afterSnapshot === undefined && snapshotCommitted(offsetsFile)) afterSnapshot = load.count();
      };
      let snapshotRowsAtFirstKill = 0;
      for (let k = 0; k < 5; k++) {
        w = await startWorker({ dir, worker, connectors });
        if (k === 0) {
          // The first kill lands in the snapshot, after a random share of its rows were delivered.
          const target = 1000 + Math.floor(Math.random() * ROWS);
          await waitFor(
            () => tail.read().filter((e) => e.op === 'r').length >= target,
            120_000,
            `${target} snapshot rows`,
          );
          await w.kill();
          snapshotRowsAtFirstKill = tail.read().filter((e) => e.op === 'r').length;
          noteSnapshot();
          continue;
        }
        await randomPause(800, 2500);
        await w.kill();
        noteSnapshot();
      }
      expect(snapshotRowsAtFirstKill).toBeLessThan(TABLES.length * ROWS);
      const log = await load.stop();
      w = await startWorker({ dir, worker, connectors });
      await waitFor(() => snapshotCommitted(offsetsFile), 120_000, 'the snapshot to complete').catch((err) => {
        console.log(readFileSync(offsetsFile, 'utf8'), w?.logs().slice(-6000));
        throw err;
      });
      afterSnapshot ??= log.length;
      const finalRows = await tableState(TABLES, async (t) => {
        const [rows] = await conn.query(`SELECT id, v FROM kdb.${t}`);
        return rows as { id: number; v: number }[];
      });
      const running = w;
      await waitForReplay({
        read: () => tail.read(),
        expected: finalRows,
        timeoutMs: 180_000,
        replay: binlogReplay,
        diagnose: ([firstKey]) => [
          'events of',
          firstKey,
          tail.events
            .filter((e) => rowKey(e) === firstKey)
            .map((e) => ({
              op: e.op,
              v: e.after?.v,
              file: e.source.file,
              pos: e.source.pos,
              row: e.source.row,
              snapshot: e.source.snapshot,
            })),
          running.logs().slice(-6000),
        ],
      });
      const events = tail.read();
      expect(replay(events, binlogReplay)).toEqual(finalRows);
      // More than one snapshot was taken (the first was cut short), so the replay had to start afresh.
      expect(
        new Set(events.filter((e) => e.op === 'r').map((e) => `${e.source.file}:${e.source.pos}`)).size,
      ).toBeGreaterThan(1);

      // Changes committed before the snapshot position are in the snapshot image, not events of their own.
      expectNoChangeMissing(events, log.slice(afterSnapshot));
      expectPerKeyOrder(events, 'non-decreasing');
      expect(log.length).toBeGreaterThan(100);
    } finally {
      await load.stop().catch(() => undefined);
      await conn.end();
      if (w) await w.stop();
    }
  }, 400_000);
});
