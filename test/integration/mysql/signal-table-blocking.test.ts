import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../../runtime/api/index.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { within } from '../../harness/task-driver.js';
import { TaskDriver } from './task-driver.js';

/**
 * A blocking snapshot requested in the signal table holds the binlog stream at the end of the signal's transaction
 * until the request is taken or refused (connectors/mysql/streamer.ts). A task stopped while it waits must stop at
 * once and keep the signal's place uncommitted, so that the next run takes the signal.
 */

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

/** `op:id` of the table's events */
function events(records: readonly ChangeRecord[]): string[] {
  return records
    .filter((r) => r.topic === 'srv.sdb.t' && r.value !== null)
    .map((r) => {
      const v = r.value as { op: string; after: { id: number } };
      return `${v.op}:${v.after.id}`;
    });
}

describe.runIf(!missing)('mariadb: blocking snapshot from the signal table', () => {
  let db: MariaDb;
  beforeAll(async () => {
    db = await startMariaDb();
    await db.exec(
      'CREATE DATABASE sdb; CREATE TABLE sdb.sig (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048)); CREATE TABLE sdb.t (id INT PRIMARY KEY, v VARCHAR(40)); INSERT INTO sdb.t SELECT seq, CONCAT("v", seq) FROM sdb.seq_1_to_5',
    );
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('a task stopped while the stream waits for the answer stops at once; the next run takes the signal again', async () => {
    const extra = {
      'database.server.id': '5601',
      'table.include.list': 'sdb\\.t',
      'snapshot.mode': 'no_data',
      'signal.data.collection': 'sdb.sig',
    };
    const d = new TaskDriver(db, extra);
    const locker = await db.connect();
    const watcher = await db.connect();
    let again: TaskDriver | undefined;
    try {
      await d.start();
      // the schema snapshot's records carry the binlog position the stream starts at
      await d.pollUntil(() => d.offsets.size > 0);
      await db.exec("INSERT INTO sdb.t VALUES (200, 'marker')");
      await d.pollUntil((rs) => events(rs).includes('c:200'), 30_000);
      // The request's condition is checked on the table (EXPLAIN), which waits for the metadata lock this session
      // holds: the stream holds at the signal's transaction for as long as the lock is held.
      await locker.query('LOCK TABLES sdb.t WRITE');
      await db.exec(
        `INSERT INTO sdb.sig VALUES ('blk-wait', 'execute-snapshot', '{"data-collections": ["sdb.t"], "type": "blocking", "additional-conditions": [{"data-collection": "sdb.t", "filter": "id > 2"}]}')`,
      );
      const waiting = async () => {
        const [rows] = await watcher.query(
          "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE state = 'Waiting for table metadata lock'",
        );
        return Number((rows as Array<{ n: number }>)[0].n) > 0;
      };
      const deadline = Date.now() + 30_000;
      while (!(await waiting())) {
        if (Date.now() > deadline) throw new Error('the request never waited on the lock');
        // one poll between two looks (it waits for records a while when there are none)
        d.records.push(...((await d.task.poll()) ?? []));
      }
      await within(d.stop(), 20_000, 'stop() while the signal is pending');
      expect(events(d.records)).toEqual(['c:200']);
      await locker.query('UNLOCK TABLES');
      await db.exec("INSERT INTO sdb.t VALUES (201, 'after the signal')");

      // The signal was never answered, so its place was not committed: the next run reads it again and takes it.
      again = new TaskDriver(db, extra, d.historyFile);
      for (const [k, v] of d.offsets) again.offsets.set(k, v);
      await again.start();
      await again.pollUntil((rs) => events(rs).includes('c:201'), 60_000);
      // the table as it is now (201 was committed before the run began), filtered, then the stream after the signal
      const [rows] = await watcher.query('SELECT id FROM sdb.t WHERE id > 2');
      const table = (rows as Array<{ id: number }>).map((r) => `r:${r.id}`);
      expect(table).toContain('r:201');
      const got = events(again.records);
      expect(got.slice(0, -1).sort()).toEqual(table.sort());
      expect(got.at(-1)).toBe('c:201');
    } finally {
      await locker.query('UNLOCK TABLES').catch(() => undefined);
      await Promise.all([locker.end(), watcher.end()]);
      await d.stop().catch(() => undefined);
      await again?.stop();
    }
  }, 120_000);
});
