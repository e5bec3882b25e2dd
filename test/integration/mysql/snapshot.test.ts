import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../harness/worker.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { env, TaskDriver } from './task-driver.js';

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

/** Random updates, deletes and upserts on big.t until SIGTERM; prints "ready" first and "writes N" last. */
const WRITER = `
import mysql from 'mysql2/promise';
const c = await mysql.createConnection({ host: '127.0.0.1', port: Number(process.env.PORT), user: 'root' });
let stop = false, n = 0, v = 1;
process.on('SIGTERM', () => { stop = true; });
console.log('ready');
while (!stop) {
  const id = 1 + Math.floor(Math.random() * 100000), r = Math.random();
  if (r < 0.6) await c.query('UPDATE big.t SET v = ? WHERE id = ?', [v++, id]);
  else if (r < 0.8) await c.query('DELETE FROM big.t WHERE id = ?', [id]);
  else await c.query('INSERT INTO big.t VALUES (?, ?, NULL) ON DUPLICATE KEY UPDATE v = VALUES(v)', [100000 + Math.floor(Math.random() * 5000), v++]);
  n++;
}
console.log('writes ' + n);
await c.end();
`;

async function waitForText(get: () => string, text: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!get().includes(text)) {
    if (Date.now() > deadline) throw new Error(`writer did not print ${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.runIf(!missing)('mysql source consistent snapshot (MariaDB 10.11)', () => {
  let db: MariaDb;
  beforeAll(async () => {
    db = await startMariaDb();
    await db.exec('CREATE DATABASE big; CREATE TABLE big.t (id INT PRIMARY KEY, v INT NOT NULL, pad VARCHAR(40))');
    await db.exec("INSERT INTO big.t SELECT seq, 0, REPEAT('p', 40) FROM big.seq_1_to_100000");
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('100,000 rows snapshotted while writes go on: snapshot + stream replayed by key equals the table', async () => {
    const d = new TaskDriver(db, {
      'snapshot.fetch.size': '1000',
      'include.schema.changes': 'false',
      'tombstones.on.delete': 'false',
    });
    const conn = await db.connect();
    // The writer runs in its own process so the test's busy event loop (decoding 100k rows) cannot starve it.
    const writer = spawn(process.execPath, ['--input-type=module', '-e', WRITER], {
      cwd: repoRoot,
      env: { ...process.env, PORT: String(db.port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let writerOut = '';
    writer.stdout?.on('data', (b: Buffer) => {
      writerOut += b.toString();
    });
    const writerDone = new Promise<void>((res) => writer.once('exit', () => res()));
    let writes = 0;
    const load = (async () => {
      await waitForText(() => writerOut, 'ready');
    })();
    await load;
    const stopLoad = async () => {
      if (writer.exitCode === null) writer.kill('SIGTERM');
      await writerDone;
      writes = Number(/writes (\d+)/.exec(writerOut)?.[1] ?? 0);
    };
    try {
      await d.start();
      const rssBefore = process.memoryUsage().rss;
      let peak = rssBefore;
      await d.pollUntil((all) => {
        peak = Math.max(peak, process.memoryUsage().rss);
        return all.some((r) => r.value !== null && env(r).source.snapshot === 'last');
      }, 240_000);
      await stopLoad();
      const snapshot = d.records.filter((r) => r.value !== null && env(r).op === 'r');
      expect(new Set(snapshot.map((r) => (r.key as { id: number }).id)).size).toBe(snapshot.length);
      expect(snapshot.length).toBeGreaterThan(95_000);
      expect(writes).toBeGreaterThan(20);

      const [rows] = await conn.query('SELECT id, v FROM big.t');
      const want = new Map((rows as { id: number; v: number }[]).map((r) => [r.id, r.v]));
      const state = new Map<number, number>();
      const apply = () => {
        state.clear();
        for (const r of d.records) {
          if (r.value === null || r.topic !== 'srv.big.t') continue;
          const e = env(r);
          const row = (e.after ?? e.before) as { id: number; v: number };
          if (e.op === 'd') state.delete(row.id);
          else state.set(row.id, (e.after as { v: number }).v);
        }
        if (state.size !== want.size) return false;
        for (const [k, v] of want) if (state.get(k) !== v) return false;
        return true;
      };
      await d.pollUntil(apply, 120_000);
      expect(state).toEqual(want);
      // The records themselves are held by the test; the task's own buffers must stay small.
      console.log(
        `snapshot ${snapshot.length} rows, ${writes} concurrent writes, rss +${Math.round((peak - rssBefore) / 1e6)} MB`,
      );
    } finally {
      await stopLoad();
      await conn.end();
      await d.stop();
    }
  }, 400_000);
});
