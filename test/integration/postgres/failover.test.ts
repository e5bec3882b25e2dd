import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrimaryStandby, startPrimaryStandby } from '../../harness/postgres-standby.js';
import type { CommittedOffsets } from '../../harness/task-driver.js';
import { TaskDriver } from './task-driver.js';

/**
 * Issue 15: slot.failover=true on PostgreSQL 17. A standby with sync_replication_slots carries the slot; the
 * primary is SIGKILLed under a running writer, the standby promoted, and the connector pointed at it resumes with
 * nothing lost: the replay of every delivered event by key equals the new primary's table.
 */
let pair: PrimaryStandby;
beforeAll(async () => {
  pair = await startPrimaryStandby();
  await pair.primary.sql('CREATE TABLE fo (id int PRIMARY KEY, v int NOT NULL)');
}, 120_000);
afterAll(async () => {
  await pair?.stop();
});

describe('postgres source: failover slots (PostgreSQL 17)', () => {
  it('SIGKILL the primary under a writer, promote the standby, point the connector at it: replay by key equals the table', async () => {
    const raw = {
      'topic.prefix': 'fo',
      'table.include.list': 'public\\.fo',
      'slot.name': 'fo_slot',
      'slot.failover': 'true',
      'publication.name': 'fo_pub',
      'publication.autocreate.mode': 'filtered',
    };
    const offsets: CommittedOffsets = new Map();
    const d = new TaskDriver({ ...pair.primary.connectorConfig(), ...raw }, offsets);
    await d.start();
    const [slot] = await pair.primary.sql<{ failover: boolean }>(
      "SELECT failover FROM pg_replication_slots WHERE slot_name = 'fo_slot'",
    );
    expect(slot.failover).toBe(true);

    // The writer: inserts and updates of 200 keys, one transaction each, until the primary dies.
    let writes = 0;
    let writing = true;
    const writer = (async () => {
      const c = await pair.primary.client();
      c.on('error', () => {});
      try {
        while (writing) {
          const id = writes % 200;
          await c.query('INSERT INTO fo VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v', [id, writes]);
          writes++;
        }
      } catch {
        // the primary is gone
      }
    })();
    // Stream a while; the standby must hold a synced, persistent copy of the slot before the failover.
    await d.pollUntil((r) => r.length >= 300, 30_000);
    const deadline = Date.now() + 60_000;
    for (;;) {
      await d.pollOnce();
      const rows = await pair.standbySql<{ n: string }>(
        "SELECT count(*) AS n FROM pg_replication_slots WHERE slot_name = 'fo_slot' AND synced AND NOT temporary",
      );
      if (Number(rows[0].n) === 1) break;
      if (Date.now() > deadline) throw new Error('the standby never synced the failover slot');
    }
    for (let i = 0; i < 5; i++) await d.pollOnce();
    await pair.killPrimary();
    writing = false;
    await writer;
    // The task notices the lost connection; its retries cannot reach the dead primary.
    await d.pollUntil(() => false, 5_000).catch(() => undefined);
    await d.stop();

    await pair.promote();
    // The writer goes on against the new primary.
    for (let i = 0; i < 300; i++) {
      await pair.standbySql('INSERT INTO fo VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v', [
        i % 200,
        100_000 + i,
      ]);
    }
    const moved = new TaskDriver({ ...pair.standbyConfig(), ...raw }, offsets);
    moved.records.push(...d.records);
    await moved.start();
    try {
      const table = new Map(
        (await pair.standbySql<{ id: number; v: number }>('SELECT id, v FROM fo')).map((r) => [r.id, r.v]),
      );
      const replay = () => {
        const state = new Map<number, number>();
        for (const r of moved.records) {
          if (r.topic !== 'fo.public.fo' || r.value === null) continue;
          const v = r.value as { op: string; after: { id: number; v: number } | null; before: { id: number } | null };
          if (v.after) state.set(v.after.id, v.after.v);
          else if (v.before) state.delete(v.before.id);
        }
        return state;
      };
      await moved.pollUntil(() => {
        const s = replay();
        return s.size === table.size && [...table].every(([k, v]) => s.get(k) === v);
      }, 60_000);
      expect(replay()).toEqual(table);
      expect(moved.log.join('\n')).not.toMatch(/does not exist|invalidated/);
    } finally {
      await moved.stop();
    }
  });
});
