import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { purgeOldBinlogs, TaskDriver } from './task-driver.js';

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

async function startError(d: TaskDriver): Promise<string> {
  try {
    await d.start();
    await d.pollUntil((all) => all.length > 1_000_000, 15_000);
  } catch (err) {
    return (err as Error).message;
  } finally {
    await d.stop().catch(() => undefined);
  }
  return 'no error';
}

describe.runIf(!missing)('mysql source: clear errors for bad server setups (MariaDB 10.11)', () => {
  const servers: MariaDb[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  it('names the fix when the binlog is off', async () => {
    const db = await startMariaDb({ noBinlog: true });
    servers.push(db);
    const msg = await startError(new TaskDriver(db));
    expect(msg).toMatch(/log_bin is OFF/);
    expect(msg).toMatch(/--log-bin/);
  });

  it('names the fix when binlog_format is not ROW', async () => {
    const db = await startMariaDb({ args: ['--binlog-format=STATEMENT'] });
    servers.push(db);
    const msg = await startError(new TaskDriver(db));
    expect(msg).toMatch(/binlog_format is STATEMENT/);
    expect(msg).toMatch(/binlog_format=ROW/);
  });

  describe('on a correctly configured server', () => {
    let db: MariaDb;
    beforeAll(async () => {
      db = await startMariaDb({ args: ['--max-binlog-size=4096'] });
      servers.push(db);
      await db.exec('CREATE DATABASE e; CREATE TABLE e.t (id INT PRIMARY KEY, v VARCHAR(200))');
      await db.exec(
        "CREATE USER 'plain'@'%' IDENTIFIED BY 'pw'; GRANT SELECT, RELOAD, SHOW DATABASES ON *.* TO 'plain'@'%'",
      );
      await db.exec(
        "CREATE USER 'noslave'@'%' IDENTIFIED BY 'pw'; GRANT SELECT, RELOAD, SHOW DATABASES, BINLOG MONITOR ON *.* TO 'noslave'@'%'",
      );
    });

    it('names the missing REPLICATION CLIENT privilege', async () => {
      const msg = await startError(new TaskDriver(db, { 'database.user': 'plain', 'database.password': 'pw' }));
      expect(msg).toMatch(/REPLICATION CLIENT/);
      expect(msg).toMatch(/GRANT/);
    });

    it('names the missing REPLICATION SLAVE privilege', async () => {
      const msg = await startError(new TaskDriver(db, { 'database.user': 'noslave', 'database.password': 'pw' }));
      expect(msg).toMatch(/REPLICATION SLAVE/);
    });

    it('refuses the server own server_id as database.server.id', async () => {
      const msg = await startError(new TaskDriver(db, { 'database.server.id': '1' }));
      expect(msg).toMatch(/server's own server_id/);
    });

    it('reports a second connector with the same server id instead of silently losing the stream', async () => {
      const first = new TaskDriver(db, { 'database.server.id': '7001' });
      await first.start();
      await first.pollUntil(() => first.offsets.size > 0);
      await first.pollUntil(() => false, 2000).catch(() => undefined);
      const second = new TaskDriver(db, { 'database.server.id': '7001' });
      await second.start();
      await second.pollUntil(() => second.offsets.size > 0);
      // Polling on opens the second binlog dump, which makes the server end the first.
      await second.pollUntil(() => false, 3000).catch(() => undefined);
      const poll = async () => {
        await first.pollUntil((all) => all.length > 1_000_000, 15_000);
      };
      await expect(poll()).rejects.toThrow(/same server id|database\.server\.id/);
      await first.stop();
      await second.stop();
    });

    it('names the snapshot mode that recovers when the offset binlog file was purged, and when_needed recovers', async () => {
      const d = new TaskDriver(db, { 'database.server.id': '7002', 'table.include.list': 'e\\.t' });
      await d.start();
      await d.pollUntil(() => d.offsets.size > 0 && !('snapshot' in [...d.offsets.values()][0]));
      await d.stop();
      // Rotate past the stored file, then purge it.
      for (let i = 0; i < 40; i++) await db.exec(`INSERT INTO e.t VALUES (${i}, REPEAT('x', 200))`);
      await db.exec('FLUSH BINARY LOGS');
      const [last] = (await db.exec('SHOW MASTER STATUS')) as { File: string }[];
      await purgeOldBinlogs(db);
      expect(((await db.exec('SHOW BINARY LOGS')) as { Log_name: string }[]).map((f) => f.Log_name)).toEqual([
        last.File,
      ]);
      const again = new TaskDriver(db, { 'database.server.id': '7002', 'table.include.list': 'e\\.t' }, d.historyFile);
      for (const [k, v] of d.offsets) again.offsets.set(k, v);
      const msg = await startError(again);
      expect(msg).toMatch(/purged/);
      expect(msg).toMatch(/snapshot\.mode=when_needed/);
      expect(msg).toMatch(/PATCH \/connectors\/mysql-test\/offsets/);

      const recover = new TaskDriver(
        db,
        { 'database.server.id': '7002', 'table.include.list': 'e\\.t', 'snapshot.mode': 'when_needed' },
        d.historyFile,
      );
      for (const [k, v] of d.offsets) recover.offsets.set(k, v);
      await recover.start();
      try {
        await recover.pollUntil((all) => all.filter((r) => r.topic === 'srv.e.t').length >= 40);
        const ops = recover.records.filter((r) => r.topic === 'srv.e.t').map((r) => (r.value as { op: string }).op);
        expect(ops.every((o) => o === 'r')).toBe(true);
      } finally {
        await recover.stop();
      }
    });
  });
});
