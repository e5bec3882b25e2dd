import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { env, TaskDriver } from './task-driver.js';

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

describe.runIf(!missing)('mysql source snapshot modes (MariaDB 10.11)', () => {
  let db: MariaDb;
  beforeAll(async () => {
    db = await startMariaDb();
    await db.exec(
      'CREATE DATABASE m; CREATE TABLE m.t (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO m.t VALUES (1, "old")',
    );
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('no_data: schemas only, then changes from the current position', async () => {
    const d = new TaskDriver(db, { 'snapshot.mode': 'no_data', 'database.server.id': '5501' });
    await d.start();
    try {
      await d.pollUntil(() => d.offsets.size > 0);
      await db.exec('INSERT INTO m.t VALUES (2, "new")');
      await d.pollUntil((all) => all.some((r) => r.topic === 'srv.m.t'));
      const rows = d.records.filter((r) => r.topic === 'srv.m.t').map(env);
      expect(rows.map((e) => [e.op, e.after?.id])).toEqual([['c', 2]]);
      expect(
        d.records.some((r) => r.topic === 'srv' && (r.value as { ddl: string }).ddl.startsWith('CREATE TABLE')),
      ).toBe(true);
    } finally {
      await d.stop();
    }
  });

  it('never: no snapshot; the binlog from its first file, schemas from its DDL', async () => {
    const d = new TaskDriver(db, {
      'snapshot.mode': 'never',
      'database.server.id': '5502',
      'include.schema.changes': 'false',
    });
    await d.start();
    try {
      await d.pollUntil((all) => all.filter((r) => r.topic === 'srv.m.t').length >= 2);
      const rows = d.records.filter((r) => r.topic === 'srv.m.t').map(env);
      expect(rows.map((e) => [e.op, e.after?.id, e.after?.v])).toEqual([
        ['c', 1, 'old'],
        ['c', 2, 'new'],
      ]);
    } finally {
      await d.stop();
    }
  });

  it('initial_only: the snapshot, then nothing more', async () => {
    const d = new TaskDriver(db, {
      'snapshot.mode': 'initial_only',
      'database.server.id': '5503',
      'include.schema.changes': 'false',
    });
    await d.start();
    try {
      await d.pollUntil((all) => all.filter((r) => r.topic === 'srv.m.t').length >= 2);
      await db.exec('INSERT INTO m.t VALUES (3, "late")');
      expect(await d.task.poll()).toBeNull();
      expect(await d.task.poll()).toBeNull();
      expect(d.records.filter((r) => r.topic === 'srv.m.t').map((r) => env(r).op)).toEqual(['r', 'r']);
    } finally {
      await d.stop();
    }
  });
});
