import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeRecord, ConnectError } from '../../../runtime/api/index.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { TaskDriver } from './task-driver.js';

let pg: PostgresServer;
let n = 0;

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

function config(table: string, extra: Record<string, string> = {}): Record<string, string> {
  n++;
  return {
    ...pg.connectorConfig(),
    'topic.prefix': 'srv',
    'table.include.list': `public\\.${table}`,
    'slot.name': `resume_${n}`,
    'publication.name': `resume_${n}`,
    'publication.autocreate.mode': 'filtered',
    'snapshot.mode': 'no_data',
    ...extra,
  };
}

/** `op:id` of a change record, `tomb:id` of a tombstone, `BEGIN` / `END` of a transaction marker. */
function label(r: ChangeRecord): string {
  const v = r.value as { op?: string; status?: string; before?: { id: number }; after?: { id: number } } | null;
  if (v === null) return `tomb:${(r.key as { id: number }).id}`;
  if (v.status) return v.status;
  if (v.op === 't') return `t:${r.topic.split('.').pop()}`;
  return `${v.op}:${(v.after ?? v.before)?.id}`;
}

/**
 * A task that stops right after the offset of `records[cut]` was committed, and a second task started from that
 * offset: together they must deliver every record, those after the cut exactly once more at most.
 */
async function cutAndResume(
  raw: Record<string, string>,
  sql: string,
  expected: string[],
  cut: number,
): Promise<ChangeRecord[]> {
  const first = new TaskDriver(raw);
  await first.start();
  let firstLabels: string[];
  try {
    await pg.sql(sql);
    await first.pollUntil((r) => r.length >= expected.length, 30_000, false);
    firstLabels = first.records.map(label);
    expect(firstLabels).toEqual(expected);
    await first.commitUpTo(first.records[cut]);
  } finally {
    await first.stop();
  }
  const second = new TaskDriver(raw, first.committed);
  await second.start();
  try {
    await second.pollUntil((r) => r.length >= expected.length - cut - 1, 30_000);
    await second.drain(500);
    return second.records;
  } finally {
    await second.stop();
  }
}

describe('postgres source: resuming at any record', () => {
  it('a committed delete does not lose its tombstone, nor a key change its create', async () => {
    await pg.sql("CREATE TABLE rk (id int PRIMARY KEY, v text); INSERT INTO rk VALUES (1, 'a'), (2, 'b')");
    const raw = config('rk');
    const sql = 'BEGIN; DELETE FROM rk WHERE id = 1; UPDATE rk SET id = 20 WHERE id = 2; COMMIT';
    const all = ['d:1', 'tomb:1', 'd:2', 'tomb:2', 'c:20'];
    // Every record of the transaction shares its change's LSN with a neighbour.
    for (let cut = 0; cut < all.length - 1; cut++) {
      await pg.sql("TRUNCATE rk; INSERT INTO rk VALUES (1, 'a'), (2, 'b')");
      const again = await cutAndResume({ ...raw, 'slot.name': `${raw['slot.name']}_${cut}` }, sql, all, cut);
      expect(again.map(label), `resumed after ${all[cut]}`).toEqual(all.slice(cut + 1));
    }
  });

  it('transaction metadata: neither the first change after BEGIN nor the END is lost', async () => {
    await pg.sql('CREATE TABLE rb (id int PRIMARY KEY)');
    const raw = config('rb', { 'provide.transaction.metadata': 'true' });
    const all = ['BEGIN', 'c:1', 'c:2', 'END'];
    // BEGIN shares its LSN with the first change; the last change is followed by the END.
    for (let cut = 0; cut < all.length - 1; cut++) {
      await pg.sql('TRUNCATE rb');
      const again = await cutAndResume(
        { ...raw, 'slot.name': `${raw['slot.name']}_${cut}` },
        'INSERT INTO rb VALUES (1), (2)',
        all,
        cut,
      );
      expect(again.map(label), `resumed after ${all[cut]}`).toEqual(all.slice(cut + 1));
      // The counts come out as in the first run.
      expect(again[again.length - 1].value).toMatchObject({ status: 'END', event_count: 2 });
    }
  });

  it('TRUNCATE of two tables resumed after the first gives the second', async () => {
    await pg.sql('CREATE TABLE rt1 (id int PRIMARY KEY); CREATE TABLE rt2 (id int PRIMARY KEY)');
    const raw = config('rt[12]', { 'skipped.operations': 'none' });
    const again = await cutAndResume(raw, 'TRUNCATE rt1, rt2', ['t:rt1', 't:rt2'], 0);
    expect(again.map(label)).toEqual(['t:rt2']);
  });

  it('after a lost connection the next poll reconnects and goes on after the last record it returned', async () => {
    await pg.sql('CREATE TABLE rl (id int PRIMARY KEY)');
    const raw = config('rl', { 'max.batch.size': '7' });
    const slot = raw['slot.name'];
    const d = new TaskDriver(raw);
    await d.start();
    try {
      await pg.sql('INSERT INTO rl SELECT generate_series(1, 50)');
      await d.pollUntil((r) => r.length >= 14, 30_000, false);
      // Only part of what was polled is committed: the slot must stay there until the rest is.
      await d.commitUpTo(d.records[6]);
      await pg.sql(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1`, [slot]);
      await pg.sql('INSERT INTO rl SELECT generate_series(51, 60)');
      // Poll as the runtime does: a retriable error is retried after a pause, anything else fails the test.
      let retried = 0;
      const deadline = Date.now() + 30_000;
      while (d.records.length < 60 && Date.now() < deadline) {
        try {
          await d.pollOnce(false);
        } catch (err) {
          expect(err).toBeInstanceOf(ConnectError);
          expect((err as ConnectError).retriable).toBe(true);
          retried++;
          await new Promise((r) => setTimeout(r, 300));
        }
      }
      expect(retried).toBeGreaterThan(0);
      expect(d.records.map((r) => (r.key as { id: number }).id)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      // Streaming resumed, and the slot was never confirmed past what was committed (all 60 rows are in one
      // transaction per INSERT, none of them committed completely).
      const [{ active, flushed }] = await pg.sql<{ active: boolean; flushed: string }>(
        "SELECT active, (confirmed_flush_lsn - '0/0'::pg_lsn)::text AS flushed FROM pg_replication_slots WHERE slot_name = $1",
        [slot],
      );
      expect(active).toBe(true);
      expect(Number(flushed)).toBeLessThan((d.records[6].sourceOffset as { lsn_commit: number }).lsn_commit);
    } finally {
      await d.stop();
    }
  });
});
