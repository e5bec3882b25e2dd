import { rmSync } from 'node:fs';
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

  it('recovery: rebuilds a lost schema history from the current schemas and streams on from the offset', async () => {
    const cfg = { 'database.server.id': '5504', 'table.include.list': 'm\\.t', 'include.schema.changes': 'false' };
    const d = new TaskDriver(db, cfg);
    await d.start();
    await d.pollUntil(() => d.offsets.size > 0 && !('snapshot' in [...d.offsets.values()][0]));
    await d.stop();
    await db.exec('INSERT INTO m.t VALUES (10, "after")');
    rmSync(d.historyFile);

    const plain = new TaskDriver(db, cfg, d.historyFile);
    for (const [k, v] of d.offsets) plain.offsets.set(k, v);
    await expect(plain.start().then(() => plain.pollUntil(() => false, 5000))).rejects.toThrow(
      /schema history .* is missing.*snapshot\.mode=recovery/s,
    );
    await plain.stop();

    const rec = new TaskDriver(db, { ...cfg, 'snapshot.mode': 'recovery' }, d.historyFile);
    for (const [k, v] of d.offsets) rec.offsets.set(k, v);
    await rec.start();
    try {
      await rec.pollUntil((all) => all.some((r) => r.topic === 'srv.m.t'));
      // No snapshot rows: only the change after the offset.
      expect(rec.records.filter((r) => r.topic === 'srv.m.t').map((r) => [env(r).op, env(r).after?.id])).toEqual([
        ['c', 10],
      ]);
    } finally {
      await rec.stop();
    }
  });

  describe('snapshot.locking.mode', () => {
    beforeAll(async () => {
      await db.exec(
        "CREATE TABLE m.big (id INT PRIMARY KEY, v INT); INSERT INTO m.big SELECT seq, 0 FROM m.seq_1_to_20000; CREATE USER 'noreload'@'%' IDENTIFIED BY 'pw'; GRANT SELECT, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'noreload'@'%'",
      );
    });

    /** Whether a write succeeds while a snapshot of m.big is in progress and its reader is not polling. */
    async function writeDuringSnapshot(mode: string, serverId: string): Promise<string> {
      const d = new TaskDriver(db, {
        'snapshot.locking.mode': mode,
        'database.server.id': serverId,
        'table.include.list': 'm\\.big',
        'include.schema.changes': 'false',
        'snapshot.fetch.size': '100',
        'max.batch.size': '100',
      });
      await d.start();
      const conn = await db.connect();
      try {
        await d.pollCount(100);
        await conn.query('SET SESSION lock_wait_timeout = 1');
        try {
          await conn.query(`INSERT INTO m.t VALUES (${Number(serverId)}, "lock")`);
          return 'written';
        } catch (err) {
          return (err as Error).message;
        }
      } finally {
        await conn.end();
        await d.stop();
      }
    }

    it('minimal and none: writes go on while the rows are read; extended: the global read lock blocks them', async () => {
      expect(await writeDuringSnapshot('minimal', '5505')).toBe('written');
      expect(await writeDuringSnapshot('none', '5506')).toBe('written');
      expect(await writeDuringSnapshot('extended', '5507')).toMatch(/Lock wait timeout/);
    });

    it('gives up waiting for the global read lock after snapshot.lock.timeout.ms with a retriable error', async () => {
      const holder = await db.connect();
      try {
        await holder.query('LOCK TABLES m.t WRITE');
        const d = new TaskDriver(db, {
          'database.server.id': '5510',
          'snapshot.lock.timeout.ms': '1000',
          'include.schema.changes': 'false',
        });
        await d.start();
        const started = Date.now();
        const err = await d.pollUntil(() => false, 20_000).catch((e: unknown) => e as Error & { retriable?: boolean });
        await d.stop();
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).toMatch(/global read lock within snapshot\.lock\.timeout\.ms=1000/);
        expect((err as { retriable?: boolean }).retriable).toBe(true);
        expect(Date.now() - started).toBeLessThan(10_000);
      } finally {
        await holder.query('UNLOCK TABLES');
        await holder.end();
      }
    });

    it('none needs no RELOAD privilege; minimal names it and the way around it', async () => {
      const user = { 'database.user': 'noreload', 'database.password': 'pw', 'include.schema.changes': 'false' };
      const minimal = new TaskDriver(db, { ...user, 'database.server.id': '5508', 'table.include.list': 'm\\.t' });
      await minimal.start();
      await expect(minimal.pollUntil(() => false, 10_000)).rejects.toThrow(
        /FLUSH TABLES WITH READ LOCK.*RELOAD.*snapshot\.locking\.mode=none/s,
      );
      await minimal.stop();
      const none = new TaskDriver(db, {
        ...user,
        'database.server.id': '5509',
        'table.include.list': 'm\\.t',
        'snapshot.locking.mode': 'none',
      });
      await none.start();
      try {
        await none.pollUntil((all) => all.some((r) => r.topic === 'srv.m.t' && env(r).op === 'r'));
      } finally {
        await none.stop();
      }
    });
  });
});
