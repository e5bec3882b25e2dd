import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { TaskDriver } from './task-driver.js';

/**
 * Issue 15: with no heartbeat configured, an idle captured table must not pin the WAL that other tables write.
 * The WAL is real (an uncaptured table's rows, stored uncompressed so each byte written is a byte of WAL).
 */
let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres({
    settings: { max_wal_size: '256MB', min_wal_size: '64MB', checkpoint_timeout: '30s', wal_compression: 'off' },
  });
  await pg.sql(
    `CREATE TABLE ret_cap (id int PRIMARY KEY, v int);
     CREATE TABLE ret_other (id serial PRIMARY KEY, junk text);
     ALTER TABLE ret_other ALTER COLUMN junk SET STORAGE EXTERNAL`,
  );
});
afterAll(async () => {
  await pg?.stop();
});

const MB = 1024 * 1024;
const TOTAL = Number(process.env.SLUICE_RETENTION_MB ?? 1024) * MB;

async function walBehind(slot: string): Promise<{ behind: number; lsn: number }> {
  const [r] = await pg.sql<{ behind: string; lsn: string }>(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS behind,
            pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS lsn
     FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  return { behind: Number(r.behind), lsn: Number(r.lsn) };
}

describe('postgres source: bounded WAL retention by default', () => {
  it(`an idle captured table while ${TOTAL / MB} MB of WAL go to another table: the slot stays within 64 MB, no spurious events`, async () => {
    const d = new TaskDriver({
      ...pg.connectorConfig(),
      'topic.prefix': 'ret',
      'table.include.list': 'public\\.ret_cap',
      'slot.name': 'ret_slot',
      'publication.name': 'ret_pub',
      'publication.autocreate.mode': 'filtered',
      'snapshot.mode': 'no_data',
    });
    await d.start();
    let writing = true;
    let maxBehind = 0;
    let samples = 0;
    const poller = (async () => {
      while (writing) await d.pollOnce();
    })();
    const sampler = (async () => {
      while (writing) {
        const s = await walBehind('ret_slot');
        maxBehind = Math.max(maxBehind, s.behind);
        samples++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const started = Date.now();
    try {
      const first = await walBehind('ret_slot');
      const writer = await pg.client();
      try {
        // 4 MB rows, uncompressed (STORAGE EXTERNAL): about 4 MB of WAL each.
        await writer.query("PREPARE w AS INSERT INTO ret_other (junk) SELECT repeat('x', 4194304)");
        for (let i = 0; ; i++) {
          await writer.query('EXECUTE w');
          if (i % 16 === 15) {
            await writer.query('TRUNCATE ret_other');
            const now = await walBehind('ret_slot');
            if (now.lsn - first.lsn >= TOTAL) break;
          }
        }
      } finally {
        await writer.end();
      }
      const written = (await walBehind('ret_slot')).lsn - first.lsn;
      // Once writes stop, the slot catches up to the end of WAL (within a keepalive or two).
      const deadline = Date.now() + 30_000;
      let end = await walBehind('ret_slot');
      while (end.behind > 1 * MB && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        end = await walBehind('ret_slot');
      }
      writing = false;
      await poller;
      await sampler;
      console.log(
        `retention: ${Math.round(written / MB)} MB of WAL in ${Date.now() - started} ms, ${samples} samples, max behind ${Math.round(maxBehind / MB)} MB, at end ${end.behind} bytes`,
      );
      expect(written).toBeGreaterThanOrEqual(TOTAL);
      expect(samples).toBeGreaterThan(20);
      expect(maxBehind).toBeLessThanOrEqual(64 * MB);
      expect(end.behind).toBeLessThanOrEqual(1 * MB);
      expect(d.records).toEqual([]);
    } finally {
      writing = false;
      await poller.catch(() => undefined);
      await sampler.catch(() => undefined);
      await d.stop();
    }
  });

  it('never confirms past a change that is delivered but not committed; confirms the idle position once it is', async () => {
    const d = new TaskDriver({
      ...pg.connectorConfig(),
      'topic.prefix': 'ret2',
      'table.include.list': 'public\\.ret_cap',
      'slot.name': 'ret_slot2',
      'publication.name': 'ret_pub2',
      'publication.autocreate.mode': 'filtered',
      'snapshot.mode': 'no_data',
      'status.update.interval.ms': '200',
    });
    await d.start();
    try {
      const [{ lsn: before }] = await pg.sql<{ lsn: string }>(
        "INSERT INTO ret_cap VALUES (1, 1); SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS lsn",
      );
      await d.pollUntil((r) => r.length >= 1, 20_000, false);
      for (let i = 0; i < 8; i++) await pg.sql("INSERT INTO ret_other (junk) SELECT repeat('y', 4194304)");
      // Keepalives come and go while the change waits for its commit: the slot must stay at or before it.
      const until = Date.now() + 2000;
      while (Date.now() < until) {
        await d.pollOnce(false);
        const [{ flushed }] = await pg.sql<{ flushed: string }>(
          "SELECT pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::text AS flushed FROM pg_replication_slots WHERE slot_name = 'ret_slot2'",
        );
        expect(Number(flushed)).toBeLessThanOrEqual(Number(before));
      }
      await d.commitUpTo(d.records[d.records.length - 1]);
      const deadline = Date.now() + 20_000;
      let behind = Number.POSITIVE_INFINITY;
      while (behind > 1 * MB && Date.now() < deadline) {
        await d.pollOnce();
        behind = (await walBehind('ret_slot2')).behind;
      }
      expect(behind).toBeLessThanOrEqual(1 * MB);
      expect(d.records).toHaveLength(1);
    } finally {
      await d.stop();
    }
  });

  it('after a reconnection, records the earlier session handed out still hold the slot until they are committed', async () => {
    const d = new TaskDriver({
      ...pg.connectorConfig(),
      'topic.prefix': 'ret3',
      'table.include.list': 'public\\.ret_cap',
      'slot.name': 'ret_slot3',
      'publication.name': 'ret_pub3',
      'publication.autocreate.mode': 'filtered',
      'snapshot.mode': 'no_data',
      'status.update.interval.ms': '200',
    });
    await d.start();
    try {
      const [{ lsn: before }] = await pg.sql<{ lsn: string }>(
        "INSERT INTO ret_cap VALUES (3, 3) ON CONFLICT (id) DO UPDATE SET v = 3; SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS lsn",
      );
      await d.pollUntil((r) => r.length >= 1, 20_000, false);
      await pg.sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'ret_slot3'");
      // The failed poll, then the poll that opens a new session (streaming on after the record handed out).
      await d.pollUntil(() => false, 3000, false).catch(() => undefined);
      for (let i = 0; i < 8; i++) await pg.sql("INSERT INTO ret_other (junk) SELECT repeat('w', 4194304)");
      const until = Date.now() + 2000;
      while (Date.now() < until) {
        await d.pollOnce(false).catch(() => undefined);
        const [{ flushed }] = await pg.sql<{ flushed: string }>(
          "SELECT pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::text AS flushed FROM pg_replication_slots WHERE slot_name = 'ret_slot3'",
        );
        expect(Number(flushed)).toBeLessThanOrEqual(Number(before));
      }
      await d.commitUpTo(d.records[d.records.length - 1]);
      const deadline = Date.now() + 20_000;
      let behind = Number.POSITIVE_INFINITY;
      while (behind > 1 * MB && Date.now() < deadline) {
        await d.pollOnce();
        behind = (await walBehind('ret_slot3')).behind;
      }
      expect(behind).toBeLessThanOrEqual(1 * MB);
    } finally {
      await d.stop();
    }
  });
});
