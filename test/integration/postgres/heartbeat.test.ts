import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { TaskDriver } from './task-driver.js';

let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres({ settings: { max_wal_size: '64MB', min_wal_size: '32MB', checkpoint_timeout: '30s' } });
  await pg.sql(
    'CREATE TABLE hb_cap (id int PRIMARY KEY, v int); CREATE TABLE hb_other (id serial PRIMARY KEY, junk text)',
  );
});
afterAll(async () => {
  await pg?.stop();
});

interface SlotState {
  flush: string;
  /** bytes of WAL the slot keeps from being recycled */
  retained: number;
  /** bytes between the slot's confirmed position and the end of WAL */
  behind: number;
}

async function slot(name: string): Promise<SlotState> {
  const [r] = await pg.sql<{ flush: string; retained: string; behind: string }>(
    `SELECT confirmed_flush_lsn::text AS flush, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text AS retained,
            pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS behind
     FROM pg_replication_slots WHERE slot_name = $1`,
    [name],
  );
  return { flush: r.flush, retained: Number(r.retained), behind: Number(r.behind) };
}

function config(slotName: string, extra: Record<string, string>): Record<string, string> {
  return {
    ...pg.connectorConfig(),
    'topic.prefix': 'srv',
    'table.include.list': 'public\\.hb_cap',
    'slot.name': slotName,
    'publication.name': 'hb_pub',
    'publication.autocreate.mode': 'filtered',
    'snapshot.mode': 'no_data',
    ...extra,
  };
}

describe('postgres source: heartbeats', () => {
  it('50 MB written to a table not captured: with heartbeats the slot advances and retained WAL stays bounded', async () => {
    const on = new TaskDriver(config('hb_on', { 'heartbeat.interval.ms': '300' }));
    const off = new TaskDriver(config('hb_off', {}));
    await on.start();
    await off.start();
    try {
      const startOff = await slot('hb_off');
      // 50 x 1 MB of incompressible text.
      for (let i = 0; i < 50; i++) {
        await pg.sql(
          "INSERT INTO hb_other (junk) SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 32768)",
        );
        await on.pollOnce();
      }
      await pg.sql('CHECKPOINT');
      const deadline = Date.now() + 30_000;
      let s = await slot('hb_on');
      while ((s.behind > 1_000_000 || s.retained > 32 * 1024 * 1024) && Date.now() < deadline) {
        await on.pollOnce();
        await off.pollOnce();
        await pg.sql('CHECKPOINT');
        s = await slot('hb_on');
      }
      expect(s.behind).toBeLessThan(1_000_000);
      expect(s.retained).toBeLessThan(32 * 1024 * 1024);
      const heartbeats = on.records.filter((r) => r.topic === '__debezium-heartbeat.srv');
      expect(heartbeats.length).toBeGreaterThan(0);
      expect(heartbeats[0].key).toEqual({ serverName: 'srv' });
      // Without heartbeats the slot moves too (the server's idle position is confirmed once everything delivered
      // is committed: retention.test.ts), and no record is emitted.
      let o = await slot('hb_off');
      while (o.behind > 1_000_000 && Date.now() < deadline) {
        await off.pollOnce();
        o = await slot('hb_off');
      }
      expect(o.flush).not.toBe(startOff.flush);
      expect(o.behind).toBeLessThan(1_000_000);
      expect(off.records).toHaveLength(0);
    } finally {
      await on.stop();
      await off.stop();
    }
  });

  it('heartbeat.action.query runs on every heartbeat', async () => {
    const d = new TaskDriver(
      config('hb_q', {
        'heartbeat.interval.ms': '200',
        'heartbeat.action.query': 'INSERT INTO hb_cap VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET v = hb_cap.v + 1',
      }),
    );
    await d.start();
    try {
      await d.pollUntil((r) => r.filter((x) => x.topic === 'srv.public.hb_cap').length >= 3, 20_000);
    } finally {
      await d.stop();
    }
  });
});
