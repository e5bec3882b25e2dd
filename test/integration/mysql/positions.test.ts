import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mariadbSourcePlugin } from '../../../connectors/mysql/index.js';
import { type Config, ConfigError, type OffsetEntry, partitionKey } from '../../../runtime/api/index.js';
import { sourceCommonSpec } from '../../../runtime/config/common.js';
import { parseConfig } from '../../../runtime/config/parse.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { TaskDriver } from './task-driver.js';

/** Issue 15 for MySQL/MariaDB: an operator's binlog start point, checked (form, the server's binlogs) and used. */
const missing = mariaDbAvailable();
let db: MariaDb;
beforeAll(async () => {
  if (missing) return;
  db = await startMariaDb();
  await db.exec('CREATE DATABASE p; CREATE TABLE p.t (id INT PRIMARY KEY, v VARCHAR(20))');
});
afterAll(async () => {
  await db?.stop();
});

describe.runIf(!missing)('mysql source: start points set by hand (MariaDB 10.11)', () => {
  it('PATCH refuses a wrong file, a position past the end, malformed GTIDs; a good one is where streaming starts', async () => {
    const base = new TaskDriver(db, { 'database.server.id': '7301', 'table.include.list': 'p\\.t' });
    const { config, issues } = parseConfig([...sourceCommonSpec, ...mariadbSourcePlugin.configSpec], {
      name: 'mysql-test',
      ...base.config(),
    });
    expect(issues).toEqual([]);
    const cfg: Config = config;
    const partition = { server: 'srv' };
    const alter = (offset: Record<string, unknown>, p: Record<string, unknown> = partition) =>
      mariadbSourcePlugin.alterOffsets!(cfg, [
        { partition: p as Record<string, string>, offset: offset as Record<string, never> },
      ]);
    const reject = async (offset: Record<string, unknown>, p?: Record<string, unknown>) => {
      const e = await alter(offset, p).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).message;
    };
    const [status] = (await db.exec('SHOW MASTER STATUS')) as { File: string; Position: number }[];
    expect(await reject({ pos: 4 })).toMatch(/offset\.file: missing/);
    expect(await reject({ file: 'x; DROP', pos: 4 })).toMatch(/offset\.file: "x; DROP" is not a binlog file name/);
    expect(await reject({ file: status.File, pos: -1 })).toMatch(/offset\.pos: -1 is not a binlog position/);
    expect(await reject({ gtids: 'not-a-gtid' })).toMatch(/offset\.gtids: "not-a-gtid" is not a GTID set/);
    expect(await reject({ file: status.File, pos: 4 }, { server: 'other' })).toMatch(/partition\.server/);
    expect(await reject({ file: 'binlog.999999', pos: 4 })).toMatch(
      /offset\.file: the server has no binlog file binlog\.999999; it has /,
    );
    expect(await reject({ file: status.File, pos: Number(status.Position) + 1_000_000 })).toMatch(
      /offset\.pos: \d+ is past the end of .* the server has not written it/,
    );

    // Row 1 before the start point, row 2 after it.
    await db.exec("INSERT INTO p.t VALUES (1, 'skipped')");
    const [mark] = (await db.exec('SHOW MASTER STATUS')) as { File: string; Position: number }[];
    await db.exec("INSERT INTO p.t VALUES (2, 'wanted')");
    const [accepted] = (await alter({ file: mark.File, pos: Number(mark.Position) })) as OffsetEntry[];
    expect(accepted.offset).toEqual({ file: mark.File, pos: Number(mark.Position), event: 0, row: 0, operator: true });
    const d = new TaskDriver(db, {
      'database.server.id': '7301',
      'table.include.list': 'p\\.t',
      'snapshot.mode': 'no_data',
    });
    d.offsets.set(partitionKey(partition), accepted.offset!);
    await d.start();
    try {
      await d.pollUntil(() => d.changes('srv.p.t').length >= 1, 30_000);
      await d.pollUntil(() => false, 1000).catch(() => undefined);
      expect(d.changes('srv.p.t').map((r) => (r.value as { after: { id: number } }).after.id)).toEqual([2]);

      // The binlog distance: committed at the last change, then 200 kB more binlog the task has not committed.
      const last = d.records[d.records.length - 1];
      await d.task.commit(new Map([[partitionKey(partition), { partition, offset: last.sourceOffset }]]));
      for (let i = 0; i < 20; i++) await db.exec(`INSERT INTO p.t VALUES (${100 + i}, REPEAT('z', 20)); DO 0`);
      await db.exec(
        "CREATE TABLE p.other (id INT PRIMARY KEY, b LONGTEXT); INSERT INTO p.other VALUES (1, REPEAT('x', 200000))",
      );
      const deadline = Date.now() + 20_000;
      while (!d.logReports.some((r) => (r.behindBytes ?? 0) > 200_000) && Date.now() < deadline) {
        await d.pollUntil(() => false, 500).catch(() => undefined);
      }
      const report = d.logReports[d.logReports.length - 1];
      expect(report.behindBytes).toBeGreaterThan(200_000);
      expect(report.position).toBe(
        `${(last.sourceOffset as { file: string }).file}:${(last.sourceOffset as { pos: number }).pos}`,
      );
    } finally {
      await d.stop();
    }
  });
});
