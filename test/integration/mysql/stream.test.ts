import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { env, TaskDriver } from './task-driver.js';

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

describe.runIf(!missing)('mysql source against MariaDB 10.11: snapshot then binlog', () => {
  let db: MariaDb;
  beforeAll(async () => {
    db = await startMariaDb();
    await db.exec(
      'CREATE DATABASE shop; CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), qty INT UNSIGNED); INSERT INTO shop.items VALUES (1, "apple", 1.50, 3), (2, "pear", 2.25, 0)',
    );
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('snapshots existing rows as op r, then streams inserts, updates and deletes in order with tombstones', async () => {
    const d = new TaskDriver(db);
    await d.start();
    try {
      await d.pollUntil((all) => all.filter((r) => r.topic === 'srv.shop.items').length >= 2);
      const snap = d.changes('srv.shop.items').map(env);
      expect(snap.map((e) => [e.op, e.after?.id, e.after?.name])).toEqual([
        ['r', 1, 'apple'],
        ['r', 2, 'pear'],
      ]);
      expect(String(snap[0].after?.price)).toBe('1.50');
      expect(snap[1].source.snapshot).toBe('last');

      await db.exec('INSERT INTO shop.items VALUES (3, "plum", 9.99, 4294967295)');
      await db.exec(
        'BEGIN; UPDATE shop.items SET qty = qty + 1 WHERE id <= 2; DELETE FROM shop.items WHERE id = 1; COMMIT',
      );
      await d.pollUntil((all) => all.filter((r) => r.topic === 'srv.shop.items').length >= 7);
      const stream = d.records.filter((r) => r.topic === 'srv.shop.items').slice(2);
      expect(
        stream.map((r) =>
          r.value === null ? ['tombstone', (r.key as { id: number }).id] : [env(r).op, (r.key as { id: number }).id],
        ),
      ).toEqual([
        ['c', 3],
        ['u', 1],
        ['u', 2],
        ['d', 1],
        ['tombstone', 1],
      ]);
      const ins = env(stream[0]);
      expect(ins.after).toMatchObject({ id: 3, name: 'plum', qty: 4294967295 });
      expect(ins.source).toMatchObject({
        connector: 'mariadb',
        name: 'srv',
        db: 'shop',
        table: 'items',
        snapshot: 'false',
        server_id: 1,
      });
      expect(String(ins.source.gtid)).toMatch(/^0-1-\d+$/);
      // The offset's GTID position is the one before the record's transaction; the next one has moved on.
      const seq = Number(String(ins.source.gtid).split('-')[2]);
      expect(stream[0].sourceOffset.gtids).toBe(`0-1-${seq - 1}`);
      expect(stream[1].sourceOffset.gtids).toBe(`0-1-${seq}`);
      const upd = env(stream[1]);
      expect(upd.before).toMatchObject({ id: 1, qty: 3 });
      expect(upd.after).toMatchObject({ id: 1, qty: 4 });
      // Two rows of one UPDATE statement: same transaction position, consecutive rows.
      expect(stream[1].sourceOffset.pos).toBe(stream[2].sourceOffset.pos);
      expect(env(stream[2]).source.row).toBe(1);
    } finally {
      await d.stop();
    }
  });
});
