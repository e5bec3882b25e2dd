import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceOffset } from '../../../runtime/api/index.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { env, purgeOldBinlogs, TaskDriver } from './task-driver.js';

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

const lastOffset = (d: TaskDriver): SourceOffset => [...d.offsets.values()][0];

async function masterFile(db: MariaDb): Promise<string> {
  const [s] = (await db.exec('SHOW MASTER STATUS')) as { File: string }[];
  return s.File;
}

describe.runIf(!missing)('mysql source positioned by GTID (MariaDB 10.11)', () => {
  let db: MariaDb;
  beforeAll(async () => {
    db = await startMariaDb();
    await db.exec('CREATE DATABASE g; CREATE TABLE g.t (id INT PRIMARY KEY, v VARCHAR(20))');
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('resumes from the GTIDs of the offset after the binlog file it names was purged', async () => {
    const cfg = { 'database.server.id': '6201', 'table.include.list': 'g\\.t', 'heartbeat.interval.ms': '200' };
    const d = new TaskDriver(db, cfg);
    await d.start();
    try {
      await d.pollUntil(() => d.offsets.size > 0 && !('snapshot' in lastOffset(d)));
      await db.exec('INSERT INTO g.t VALUES (1, "before stop")');
      // A heartbeat carries the position after the insert's transaction (its record carries the start of it).
      await d.pollUntil(
        (all) => all.some((r) => r.topic === 'srv.g.t') && all[all.length - 1].topic === '__debezium-heartbeat.srv',
      );
    } finally {
      await d.stop();
    }
    const stored = lastOffset(d);
    expect(stored.gtids).toMatch(/^0-1-\d+$/);
    expect(stored.file).toBe(await masterFile(db));

    // The connector is down: the server moves to a new binlog file, writes there, and purges the one the offset names.
    await db.exec('FLUSH BINARY LOGS');
    await db.exec('INSERT INTO g.t VALUES (2, "while down"); UPDATE g.t SET v = "changed" WHERE id = 1');
    const current = await masterFile(db);
    await purgeOldBinlogs(db);
    const files = (await db.exec('SHOW BINARY LOGS')) as { Log_name: string }[];
    expect(files.map((f) => f.Log_name)).not.toContain(stored.file);

    // Positioned by file and offset alone, the restart could not continue.
    const byFile = new TaskDriver(db, cfg, d.historyFile);
    byFile.offsets.set([...d.offsets.keys()][0], { ...stored, gtids: null });
    await expect(byFile.start().then(() => byFile.pollUntil(() => false, 5000))).rejects.toThrow(
      /no longer on the server.*snapshot\.mode=when_needed/s,
    );
    await byFile.stop();

    const again = new TaskDriver(db, cfg, d.historyFile);
    for (const [k, v] of d.offsets) again.offsets.set(k, v);
    await again.start();
    try {
      await again.pollUntil((all) => all.filter((r) => r.topic === 'srv.g.t' && r.value !== null).length >= 2);
      await again.pollUntil(() => false, 1500).catch(() => undefined);
      const rows = again.records.filter((r) => r.topic === 'srv.g.t' && r.value !== null).map(env);
      expect(rows.map((e) => [e.op, e.after?.id, e.after?.v])).toEqual([
        ['c', 2, 'while down'],
        ['u', 1, 'changed'],
      ]);
      expect(rows[0].source.file).toBe(current);
      expect(String(rows[0].source.gtid)).toMatch(/^0-1-\d+$/);
    } finally {
      await again.stop();
    }
  });

  it('skips the row changes of transactions whose GTID source gtid.source.includes/excludes leaves out', async () => {
    await db.exec('CREATE TABLE g.s (id INT PRIMARY KEY, origin VARCHAR(20))');
    const run = async (filter: Record<string, string>, serverId: string) => {
      const d = new TaskDriver(db, {
        'database.server.id': serverId,
        'table.include.list': 'g\\.s',
        'snapshot.mode': 'no_data',
        'include.schema.changes': 'false',
        ...filter,
      });
      await d.start();
      try {
        await d.pollUntil(() => d.offsets.size > 0);
        return d;
      } catch (err) {
        await d.stop();
        throw err;
      }
    };
    const excl = await run({ 'gtid.source.excludes': '5-.*' }, '6202');
    const incl = await run({ 'gtid.source.includes': '0-1' }, '6203');
    const all = await run({}, '6204');
    const conn = await db.connect();
    try {
      // Three GTID sources: domain 0 of server 1 (the default), domain 5, and server id 99 in domain 0.
      await conn.query('INSERT INTO g.s VALUES (1, "0-1")');
      await conn.query(
        'SET SESSION gtid_domain_id = 5; INSERT INTO g.s VALUES (2, "5-1"); SET SESSION gtid_domain_id = 0',
      );
      await conn.query('SET SESSION server_id = 99; INSERT INTO g.s VALUES (3, "0-99"); SET SESSION server_id = 1');
      await conn.query('INSERT INTO g.s VALUES (4, "0-1 again")');
    } finally {
      await conn.end();
    }
    const ids = async (d: TaskDriver) => {
      await d.pollUntil((recs) => recs.some((r) => r.topic === 'srv.g.s' && env(r).after?.id === 4));
      await d.stop();
      return d.records.filter((r) => r.topic === 'srv.g.s').map((r) => [env(r).after?.id, env(r).source.gtid]);
    };
    const everything = await ids(all);
    expect(everything.map(([id]) => id)).toEqual([1, 2, 3, 4]);
    expect(everything.map(([, g]) => String(g).split('-').slice(0, 2).join('-'))).toEqual([
      '0-1',
      '5-1',
      '0-99',
      '0-1',
    ]);
    expect((await ids(excl)).map(([id]) => id)).toEqual([1, 3, 4]);
    expect((await ids(incl)).map(([id]) => id)).toEqual([1, 4]);
    // The offsets keep the GTIDs of every domain: they position the stream, and the filters apply then.
    expect(String(lastOffset(excl).gtids)).toMatch(/(^|,)5-1-\d+/);
  });

  it('refuses a GTID position whose transactions were purged and names the snapshot mode that recovers', async () => {
    await db.exec('CREATE TABLE g.p (id INT PRIMARY KEY)');
    const cfg = { 'database.server.id': '6205', 'table.include.list': 'g\\.p' };
    const d = new TaskDriver(db, cfg);
    await d.start();
    await d.pollUntil(() => d.offsets.size > 0 && !('snapshot' in lastOffset(d)));
    await d.stop();
    await db.exec('INSERT INTO g.p VALUES (1)');
    await db.exec('FLUSH BINARY LOGS');
    await db.exec('INSERT INTO g.p VALUES (2)');
    await purgeOldBinlogs(db);
    const again = new TaskDriver(db, cfg, d.historyFile);
    for (const [k, v] of d.offsets) again.offsets.set(k, v);
    await expect(again.start().then(() => again.pollUntil(() => false, 5000))).rejects.toThrow(
      /GTID 0-1-\d+ are no longer in the binlog.*snapshot\.mode=when_needed/s,
    );
    await again.stop();
  });
});
