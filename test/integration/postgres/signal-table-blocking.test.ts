import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../../runtime/api/index.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { within } from '../../harness/task-driver.js';
import { TaskDriver } from './task-driver.js';

/**
 * Blocking snapshots requested in the signal table: the WAL stream holds at the end of the signal's transaction
 * until the request is taken or refused (connectors/postgres/changes.ts). Written back to back on one connection,
 * with no wait between: the place of the rows cannot depend on timing.
 */

let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
  await pg.sql('CREATE TABLE sig (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))');
  await pg.sql('CREATE TABLE t (id int PRIMARY KEY, v text)');
  await pg.sql("INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 5) g");
});
afterAll(async () => {
  await pg?.stop();
});

const blocking = (id: string, table: string) =>
  `INSERT INTO sig VALUES ('${id}', 'execute-snapshot', '{"data-collections": ["${table}"], "type": "blocking"}')`;

/** `op:id` of the table's events */
function events(records: readonly ChangeRecord[]): string[] {
  return records
    .filter((r) => r.topic === 'srv.public.t' && r.value !== null)
    .map((r) => {
      const v = r.value as { op: string; after: { id: number } };
      return `${v.op}:${v.after.id}`;
    });
}

describe('postgres: blocking snapshot from the signal table', () => {
  it("a refused request lets the stream go on; a taken one writes its rows right after the signal's transaction", async () => {
    const d = new TaskDriver({
      ...pg.connectorConfig(),
      'topic.prefix': 'srv',
      'slot.name': 'sig_blk',
      'table.include.list': 'public\\.t',
      'snapshot.mode': 'no_data',
      'signal.data.collection': 'public.sig',
    });
    const c = await pg.client();
    try {
      await d.start();
      // the stream runs (no_data: the slot's start is the stream's start)
      await c.query("INSERT INTO t VALUES (100, 'marker')");
      await d.pollUntil((rs) => events(rs).includes('c:100'), 30_000);
      await c.query(blocking('blk-bad', 'public.nope'));
      await c.query("INSERT INTO t VALUES (101, 'after the refused one')");
      await c.query(blocking('blk-1', 'public.t'));
      await c.query("INSERT INTO t VALUES (102, 'after the signal')");
      await c.query("INSERT INTO t VALUES (103, 'last')");
      await d.pollUntil((rs) => events(rs).includes('c:103'), 60_000);
      const got = events(d.records);
      expect(got.slice(0, 2)).toEqual(['c:100', 'c:101']);
      // the rows, right after the signal: the table as the snapshot's transaction saw it, which may already hold
      // 102 and 103 (committed before it began; their stream events follow anyway)
      const end = got.findIndex((e, i) => i >= 2 && !e.startsWith('r:'));
      const reads = got.slice(2, end).sort();
      const before = ['r:1', 'r:100', 'r:101', 'r:2', 'r:3', 'r:4', 'r:5'];
      expect([before, [...before, 'r:102'].sort(), [...before, 'r:102', 'r:103'].sort()]).toContainEqual(reads);
      expect(got.slice(end)).toEqual(['c:102', 'c:103']);
      // refused with its reason, at the signal's place in the WAL
      expect(d.log.some((l) => /signal refused.*"blk-bad".*"position".*no captured table matches/.test(l))).toBe(true);
    } finally {
      await c.end();
      await d.stop();
    }
  }, 120_000);

  it('a task stopped while the stream waits for the answer stops at once; the next run takes the signal again', async () => {
    const config = {
      ...pg.connectorConfig(),
      'topic.prefix': 'srv',
      'slot.name': 'sig_blk_stop',
      'table.include.list': 'public\\.t',
      'snapshot.mode': 'no_data',
      'signal.data.collection': 'public.sig',
    };
    const d = new TaskDriver(config);
    const c = await pg.client();
    const locker = await pg.client();
    let again: TaskDriver | undefined;
    try {
      await d.start();
      await c.query("INSERT INTO t VALUES (200, 'marker')");
      await d.pollUntil((rs) => events(rs).includes('c:200'), 30_000);
      // The request's condition is checked on the table (EXPLAIN), which waits behind this lock: the stream holds at
      // the signal's transaction for as long as the lock is held.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
      await c.query(
        `INSERT INTO sig VALUES ('blk-wait', 'execute-snapshot', '{"data-collections": ["public.t"], "type": "blocking", "additional-conditions": [{"data-collection": "public.t", "filter": "id > 2"}]}')`,
      );
      const waiting = async () =>
        Number(
          (await c.query("SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND relation = 'public.t'::regclass"))
            .rows[0].n,
        ) > 0;
      const deadline = Date.now() + 30_000;
      while (!(await waiting())) {
        if (Date.now() > deadline) throw new Error(`the request never waited on the lock\n${d.log.join('\n')}`);
        await d.pollOnce();
      }
      await within(d.stop(), 20_000, 'stop() while the signal is pending');
      expect(events(d.records)).toEqual(['c:200']);
      await locker.query('COMMIT');
      await c.query("INSERT INTO t VALUES (201, 'after the signal')");

      // The signal was never answered, so its place was not committed: the next run reads it again and takes it.
      again = new TaskDriver(config, d.committed);
      await again.start();
      await again.pollUntil((rs) => events(rs).includes('c:201'), 60_000);
      // the table as it is now (201 was committed before the run began), filtered, then the stream from the signal
      const table = (await c.query('SELECT id FROM t WHERE id > 2')).rows.map((r) => `r:${r.id}`);
      expect(table).toContain('r:201');
      const got = events(again.records);
      expect(got.slice(0, -1).sort()).toEqual(table.sort());
      expect(got.at(-1)).toBe('c:201');
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await Promise.all([c.end(), locker.end()]);
      await d.stop();
      await again?.stop();
    }
  }, 120_000);
});
