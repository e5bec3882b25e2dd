import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { env, TaskDriver } from './task-driver.js';

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

describe.runIf(!missing)(
  'mysql source: ALTER TABLE while streaming, schema history across restarts (MariaDB 10.11)',
  () => {
    let db: MariaDb;
    beforeAll(async () => {
      db = await startMariaDb();
      await db.exec(
        'CREATE DATABASE sc; CREATE TABLE sc.t (id INT PRIMARY KEY, a VARCHAR(10)); INSERT INTO sc.t VALUES (1, "one")',
      );
    });
    afterAll(async () => {
      await db?.stop();
    });

    it('ADD COLUMN and DROP COLUMN mid-stream change the row schema exactly where the DDL is, with schema-change events', async () => {
      const d = new TaskDriver(db);
      await d.start();
      try {
        await d.pollUntil((all) => all.some((r) => r.topic === 'sc.t' || r.topic === 'srv.sc.t'));
        await db.exec('INSERT INTO sc.t VALUES (2, "two")');
        await db.exec(
          'ALTER TABLE sc.t ADD COLUMN b DECIMAL(8,3) NOT NULL DEFAULT 0 AFTER id, ADD COLUMN c DATETIME(6) NULL',
        );
        await db.exec('INSERT INTO sc.t VALUES (3, 1.250, "three", "2020-01-01 00:00:00.000001")');
        await db.exec('ALTER TABLE sc.t DROP COLUMN a');
        await db.exec('UPDATE sc.t SET b = 2.5 WHERE id = 3');
        await d.pollUntil((all) => all.filter((r) => r.topic === 'srv.sc.t').length >= 4);
        const rows = d.records.filter((r) => r.topic === 'srv.sc.t').map(env);
        expect(rows.map((e) => Object.keys(e.after ?? {}))).toEqual([
          ['id', 'a'],
          ['id', 'a'],
          ['id', 'b', 'a', 'c'],
          ['id', 'b', 'c'],
        ]);
        expect(String(rows[2].after?.b)).toBe('1.250');
        expect(rows[2].after?.c).toBe(1577836800000001);
        expect(rows[3].before).toMatchObject({ id: 3, c: 1577836800000001 });
        const ddl = d.records
          .filter((r) => r.topic === 'srv')
          .map(
            (r) => r.value as { ddl: string; tableChanges: { type: string; table: { columns: { name: string }[] } }[] },
          );
        const alters = ddl.filter((v) => v.ddl.startsWith('ALTER'));
        expect(alters.map((v) => v.tableChanges[0].table.columns.map((c) => c.name))).toEqual([
          ['id', 'b', 'a', 'c'],
          ['id', 'b', 'c'],
        ]);
        expect(alters[0].tableChanges[0].type).toBe('ALTER');
        // As Debezium: the snapshot's schema changes start with the server's charsets (key databaseName ""), then
        // the captured database's DROP TABLE IF EXISTS … CREATE TABLE, keyed by it.
        const keys = d.records
          .filter((r) => r.topic === 'srv')
          .map((r) => (r.key as { databaseName: string }).databaseName);
        expect(keys[0]).toBe('');
        expect(keys.slice(1).every((k) => k === 'sc')).toBe(true);
      } finally {
        await d.stop();
      }
    });

    it('after a restart, old binlog rows decode with the columns they were written with (schema history)', async () => {
      await db.exec('CREATE TABLE sc.h (id INT PRIMARY KEY, x INT)');
      const d = new TaskDriver(db, { 'table.include.list': 'sc\\.h', 'database.server.id': '5403' });
      await d.start();
      await d.pollUntil(() => d.offsets.size > 0 && !('snapshot' in [...d.offsets.values()][0]));
      await d.stop();
      // Written while the connector is down: rows under three different shapes of the table.
      await db.exec('INSERT INTO sc.h VALUES (1, 10)');
      await db.exec('ALTER TABLE sc.h ADD COLUMN y VARCHAR(5) FIRST');
      await db.exec('INSERT INTO sc.h VALUES ("yy", 2, 20)');
      await db.exec('ALTER TABLE sc.h DROP COLUMN x');
      await db.exec('INSERT INTO sc.h VALUES ("zz", 3)');
      const again = new TaskDriver(db, { 'table.include.list': 'sc\\.h', 'database.server.id': '5403' }, d.historyFile);
      for (const [k, v] of d.offsets) again.offsets.set(k, v);
      await again.start();
      try {
        await again.pollUntil((all) => all.filter((r) => r.topic === 'srv.sc.h').length >= 3);
        expect(again.records.filter((r) => r.topic === 'srv.sc.h').map((r) => env(r).after)).toEqual([
          { id: 1, x: 10 },
          { y: 'yy', id: 2, x: 20 },
          { y: 'zz', id: 3 },
        ]);
      } finally {
        await again.stop();
      }
    });
  },
);
