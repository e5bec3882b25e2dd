import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { env, TaskDriver } from './task-driver.js';

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

describe.runIf(!missing)('mysql source filters and heartbeats (MariaDB 10.11)', () => {
  let db: MariaDb;
  beforeAll(async () => {
    db = await startMariaDb();
    await db.exec(
      'CREATE DATABASE f; CREATE DATABASE other; CREATE TABLE f.keep (id INT PRIMARY KEY, secret VARCHAR(10), v INT); CREATE TABLE f.skip (id INT PRIMARY KEY); CREATE TABLE other.t (id INT PRIMARY KEY)',
    );
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('captures only included tables and columns, and heartbeats carry the position past uncaptured changes', async () => {
    const d = new TaskDriver(db, {
      'database.include.list': 'f',
      'table.exclude.list': 'f\\.skip',
      'column.exclude.list': 'f\\.keep\\.secret',
      'heartbeat.interval.ms': '300',
      'include.schema.changes': 'false',
    });
    await d.start();
    try {
      await d.pollUntil(() => d.offsets.size > 0);
      await db.exec(
        'INSERT INTO f.keep VALUES (1, "pw", 7); INSERT INTO f.skip VALUES (1); INSERT INTO other.t VALUES (1)',
      );
      await d.pollUntil((all) => all.some((r) => r.topic === 'srv.f.keep'));
      const [status] = (await db.exec('SHOW MASTER STATUS')) as { File: string; Position: string }[];
      await db.exec('INSERT INTO other.t VALUES (2)');
      const [after] = (await db.exec('SHOW MASTER STATUS')) as { File: string; Position: string }[];
      await d.pollUntil(
        (all) =>
          all.some(
            (r) => r.topic === '__debezium-heartbeat.srv' && Number(r.sourceOffset.pos) >= Number(after.Position),
          ),
        20_000,
      );
      expect(Number(after.Position)).toBeGreaterThan(Number(status.Position));
      const topics = new Set(d.records.map((r) => r.topic));
      expect([...topics].filter((t) => t.startsWith('srv.'))).toEqual(['srv.f.keep']);
      const kept = d.records.filter((r) => r.topic === 'srv.f.keep').map(env);
      expect(kept[0].after).toEqual({ id: 1, v: 7 });
    } finally {
      await d.stop();
    }
  });
});
