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
      expect(snap.map((e) => e.source.snapshot)).toEqual(['first', 'last']);

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

  it('marks first and last of the snapshot and of each table as Debezium does; the final record completes the offset', async () => {
    await db.exec(
      'CREATE DATABASE mk; CREATE TABLE mk.a (id INT PRIMARY KEY); CREATE TABLE mk.b (id INT PRIMARY KEY); CREATE TABLE mk.c (id INT PRIMARY KEY);' +
        'INSERT INTO mk.a VALUES (1), (2), (3); INSERT INTO mk.b VALUES (1); INSERT INTO mk.c VALUES (1), (2), (3), (4);' +
        'CREATE DATABASE mk2; CREATE TABLE mk2.d (id INT PRIMARY KEY); CREATE TABLE mk2.e (id INT PRIMARY KEY); INSERT INTO mk2.d VALUES (1), (2)',
    );
    const run = async (extra: Record<string, string>, count: number) => {
      const d = new TaskDriver(db, extra);
      await d.start();
      try {
        await d.pollUntil(() => d.changes().length >= count);
        const records = d.changes();
        return {
          marks: records.map((r) => `${r.topic.split('.')[2]}:${env(r).after?.id} ${env(r).source.snapshot}`),
          // The snapshot's offsets say snapshot: true until the last record, whose offset says it is complete.
          completed: records.map((r) => !('snapshot' in r.sourceOffset)),
          sources: records.map((r) => env(r).source),
        };
      } finally {
        await d.stop();
      }
    };

    // Tables in name order: a (3 rows), b (1 row), c (4 rows).
    const abc = await run({ 'database.include.list': 'mk' }, 8);
    expect(abc.marks).toEqual([
      'a:1 first',
      'a:2 true',
      'a:3 last_in_data_collection',
      'b:1 last_in_data_collection',
      'c:1 first_in_data_collection',
      'c:2 true',
      'c:3 true',
      'c:4 last',
    ]);
    expect(abc.completed).toEqual([false, false, false, false, false, false, false, true]);
    // Rows of a table share their source blocks: one per marker, not one per row.
    expect(abc.sources[5]).toBe(abc.sources[6]);
    expect(new Set(abc.sources).size).toBe(7);

    // The last table is empty: the final record comes from d and is the snapshot's last.
    const de = await run({ 'database.include.list': 'mk2' }, 2);
    expect(de.marks).toEqual(['d:1 first', 'd:2 last']);
    expect(de.completed).toEqual([false, true]);

    // One table of one row: that row is the snapshot's last.
    const b = await run({ 'table.include.list': 'mk\\.b' }, 1);
    expect(b.marks).toEqual(['b:1 last']);
    expect(b.completed).toEqual([true]);
  });
});
