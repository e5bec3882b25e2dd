import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceOffset } from '../../../runtime/api/index.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { env, TaskDriver } from './task-driver.js';

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

describe.runIf(!missing)('mysql source restart in the middle of a multi-row transaction (MariaDB 10.11)', () => {
  let db: MariaDb;
  beforeAll(async () => {
    db = await startMariaDb();
    await db.exec(
      'CREATE DATABASE r; CREATE TABLE r.a (id INT PRIMARY KEY, v INT); CREATE TABLE r.b (id INT PRIMARY KEY, v INT)',
    );
  });
  afterAll(async () => {
    await db?.stop();
  });

  it.each([
    ['GTID', (o: SourceOffset) => o],
    // Without GTIDs in the offset the stream is positioned by file and offset, as for a server without GTIDs.
    ['binlog file and position', (o: SourceOffset) => ({ ...o, gtids: null })],
  ])(
    'positioned by %s: skips exactly the rows already delivered, at every cut point of the transaction',
    async (_, strip) => {
      await db.exec('DELETE FROM r.a; DELETE FROM r.b');
      const d = new TaskDriver(db, { 'include.schema.changes': 'false', 'tombstones.on.delete': 'false' });
      await d.start();
      await d.pollUntil(() => d.offsets.size > 0 && !('snapshot' in [...d.offsets.values()][0]), 30_000);
      await d.stop();
      // One transaction: a 5-row insert, a 3-row insert into another table, a 5-row update, one delete.
      await db.exec(
        'BEGIN; INSERT INTO r.a VALUES (1,0),(2,0),(3,0),(4,0),(5,0); INSERT INTO r.b VALUES (1,0),(2,0),(3,0); UPDATE r.a SET v = 1; DELETE FROM r.b WHERE id = 2; COMMIT',
      );
      const expected = [
        'c:a:1',
        'c:a:2',
        'c:a:3',
        'c:a:4',
        'c:a:5',
        'c:b:1',
        'c:b:2',
        'c:b:3',
        'u:a:1',
        'u:a:2',
        'u:a:3',
        'u:a:4',
        'u:a:5',
        'd:b:2',
      ];
      const label = (r: (typeof d.records)[number]) => {
        const e = env(r);
        return `${e.op}:${String(e.source.table)}:${String((e.after ?? e.before)?.id)}`;
      };
      const base = new Map([...d.offsets].map(([k, v]) => [k, strip(v)]));
      for (let cut = 0; cut <= expected.length; cut++) {
        const run = new TaskDriver(
          db,
          { 'include.schema.changes': 'false', 'tombstones.on.delete': 'false' },
          d.historyFile,
        );
        for (const [k, v] of base) run.offsets.set(k, v);
        await run.start();
        await run.pollCount(cut, 30_000);
        await run.stop();
        const first = run.records.map(label);
        const again = new TaskDriver(
          db,
          { 'include.schema.changes': 'false', 'tombstones.on.delete': 'false' },
          d.historyFile,
        );
        for (const [k, v] of run.offsets) again.offsets.set(k, strip(v));
        await again.start();
        await again.pollCount(expected.length - cut, 30_000);
        // Nothing more arrives: no duplicates after the cut.
        await again.pollUntil(() => true);
        const extra = await again.task.poll();
        await again.stop();
        expect([...first, ...again.records.map(label)], `cut after ${cut}`).toEqual(expected);
        expect(extra, `cut after ${cut}`).toBeNull();
      }
    },
  );
});
