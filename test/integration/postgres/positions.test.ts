import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, partitionKey } from '../../../runtime/api/index.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import type { CommittedOffsets } from '../../harness/task-driver.js';
import { changes, TaskDriver } from './task-driver.js';

/**
 * Issue 15 (lost positions, hand-set start points) and issue 21 points 4–5 (a second connector on the default slot,
 * leaked temporary slots, offsets that do not parse, offsets from the future), on a real server.
 */
let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
  await pg.sql(`CREATE TABLE pos_a (id int PRIMARY KEY, v text);
    CREATE TABLE pos_b (id int PRIMARY KEY, v text);
    INSERT INTO pos_b SELECT g, 'row' FROM generate_series(1, 3000) g`);
});
afterAll(async () => {
  await pg?.stop();
});

function config(extra: Record<string, string>): Record<string, string> {
  return {
    ...pg.connectorConfig(),
    'topic.prefix': 'pos',
    'publication.autocreate.mode': 'filtered',
    ...extra,
  };
}

const lsnNow = async (server = pg) =>
  Number((await server.sql<{ n: string }>("SELECT (pg_current_wal_lsn() - '0/0')::text AS n"))[0].n);

async function leftovers(connector: string, server = pg) {
  const sessions = await server.sql<{ application_name: string; state: string }>(
    'SELECT application_name, state FROM pg_stat_activity WHERE application_name LIKE $1',
    [`sluice-${connector}%`],
  );
  const temp = await server.sql<{ slot_name: string }>(
    "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE '%\\_snap\\_%'",
  );
  return { sessions, temp };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const committed = (offset: Record<string, Json>, server = 'pos'): CommittedOffsets => {
  const partition = { server };
  return new Map([[partitionKey(partition), { partition, offset }]]);
};

describe('postgres source: positions and slots', () => {
  it('a second connector on the default slot.name fails once, naming the other connector; nothing is left behind', async () => {
    const first = new TaskDriver(config({ 'table.include.list': 'public\\.pos_a' }), new Map(), 'first');
    await first.start();
    try {
      await first.pollOnce();
      await waitFor(
        'the first connector to stream',
        async () =>
          (await pg.sql("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'debezium' AND active")).length > 0,
      );
      const second = new TaskDriver(
        config({ 'table.include.list': 'public\\.pos_b', 'publication.name': 'pos_b_pub' }),
        new Map(),
        'second',
      );
      const err = await second.failure(10_000);
      expect(err.retriable).toBe(false);
      expect(err.message).toMatch(/replication slot "debezium" is in use by connector "first"/);
      expect(err.message).toMatch(/set slot\.name on this connector/);
      expect(second.records).toEqual([]);
      const left = await leftovers('second');
      expect(left.sessions).toEqual([]);
      expect(left.temp).toEqual([]);
    } finally {
      await first.stop();
    }
  });

  it('the snapshot of an existing slot holds a temporary slot and an open transaction only while it runs: stop and failure release both', async () => {
    await pg.sql("SELECT pg_create_logical_replication_slot('pos_tmp', 'pgoutput')");
    const raw = config({
      'table.include.list': 'public\\.pos_b',
      'publication.name': 'pos_b_pub',
      'slot.name': 'pos_tmp',
      'max.queue.size': '10',
      'max.batch.size': '10',
      'snapshot.fetch.size': '10',
    });
    // Stopped mid-snapshot.
    const d = new TaskDriver(raw, new Map(), 'tmpsnap');
    await d.start();
    await d.pollUntil((r) => r.length >= 20, 20_000, false);
    const during = await leftovers('tmpsnap');
    expect(during.temp).toHaveLength(1);
    expect(during.sessions.some((s) => s.application_name === 'sluice-tmpsnap-snapshot')).toBe(true);
    await d.stop();
    const after = await waitFor('the sessions to end', async () => {
      const l = await leftovers('tmpsnap');
      return l.sessions.length === 0 && l.temp.length === 0 && l;
    });
    expect(after.temp).toEqual([]);

    // Failed mid-snapshot (its replication connection killed on the server): the session that failed lets go of
    // the temporary slot before anything retries.
    const f = new TaskDriver(raw, new Map(), 'tmpfail');
    await f.start();
    try {
      await f.pollUntil((r) => r.length >= 20, 20_000, false);
      await pg.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sluice-tmpfail'");
      const failed = await f.pollUntil(() => false, 10_000, false).catch((e: Error) => e);
      expect(String(failed)).toMatch(/connection|terminat/i);
      const l = await waitFor('the temporary slot to go', async () => {
        const x = await leftovers('tmpfail');
        return x.temp.length === 0 && x;
      });
      expect(l.sessions.filter((s) => s.state === 'idle in transaction')).toEqual([]);
    } finally {
      await f.stop();
    }
    expect((await leftovers('tmpfail')).temp).toEqual([]);
  });

  it('an offset that does not parse fails naming the offset and field, not a syntax error later', async () => {
    const d = new TaskDriver(
      config({ 'table.include.list': 'public\\.pos_a', 'slot.name': 'pos_parse' }),
      committed({ lsn: 'NAN/NAN', ts_usec: 1 }),
    );
    const err = await d.failure(10_000);
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(/stored offset \{"lsn":"NAN\/NAN".*offset\.lsn: "NAN\/NAN" is not an LSN/);
    expect(err.message).not.toMatch(/syntax error/);
  });

  it('an offset from the future is refused naming both positions; the slot is not moved', async () => {
    const d0 = new TaskDriver(config({ 'table.include.list': 'public\\.pos_a', 'slot.name': 'pos_future' }));
    await d0.start();
    await d0.stop();
    const [{ flushed: before }] = await pg.sql<{ flushed: string }>(
      "SELECT confirmed_flush_lsn::text AS flushed FROM pg_replication_slots WHERE slot_name = 'pos_future'",
    );
    const future = (await lsnNow()) + 10 * 2 ** 32;
    const d = new TaskDriver(
      config({ 'table.include.list': 'public\\.pos_a', 'slot.name': 'pos_future' }),
      committed({ lsn: future, lsn_proc: future, lsn_commit: future, txId: 1, ts_usec: 1 }),
    );
    const err = await d.failure(10_000);
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(/offset is at LSN A\/[0-9A-F]+, beyond the server's current WAL position 0\/[0-9A-F]+/);
    const [{ flushed }] = await pg.sql<{ flushed: string }>(
      "SELECT confirmed_flush_lsn::text AS flushed FROM pg_replication_slots WHERE slot_name = 'pos_future'",
    );
    expect(flushed).toBe(before);
  });

  it('a start point set by hand: streaming starts there, skipping what came before it', async () => {
    const raw = config({ 'table.include.list': 'public\\.pos_a', 'slot.name': 'pos_hand', 'snapshot.mode': 'no_data' });
    const d0 = new TaskDriver(raw);
    await d0.start();
    await d0.stop();
    await pg.sql("INSERT INTO pos_a VALUES (101, 'skipped')");
    const mark = await lsnNow();
    await pg.sql("INSERT INTO pos_a VALUES (102, 'wanted')");
    const d = new TaskDriver(
      raw,
      committed({ lsn: mark, lsn_proc: mark, lsn_commit: mark, txId: null, ts_usec: 0, operator: true }),
    );
    await d.start();
    try {
      await d.pollUntil((r) => changes(r, 'pos.public.pos_a').length >= 1, 20_000);
      await d.drain(800);
      expect(changes(d.records, 'pos.public.pos_a').map((v) => (v.after as { id: number }).id)).toEqual([102]);
    } finally {
      await d.stop();
    }
  });

  it('a slot that is gone while offsets exist fails loudly with the two ways out; a start point set by hand streams from a new slot', async () => {
    const raw = config({ 'table.include.list': 'public\\.pos_a', 'slot.name': 'pos_gone', 'snapshot.mode': 'no_data' });
    const offsets: CommittedOffsets = new Map();
    const d0 = new TaskDriver(raw, offsets);
    await d0.start();
    await pg.sql("INSERT INTO pos_a VALUES (201, 'x')");
    await d0.pollUntil((r) => r.length >= 1, 20_000);
    await d0.stop();
    await pg.sql("SELECT pg_drop_replication_slot('pos_gone')");
    const err = await new TaskDriver(raw, offsets).failure(10_000);
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(/replication slot "pos_gone" does not exist, although this connector has offsets/);
    expect(err.message).toMatch(/snapshot\.mode=when_needed/);
    expect(err.message).toMatch(/PATCH \/connectors\/pg\/offsets/);
    const at = await lsnNow();
    const d = new TaskDriver(
      raw,
      committed({ lsn: at, operator: true, lsn_proc: at, lsn_commit: at, txId: null, ts_usec: 0 }),
    );
    await d.start();
    try {
      await pg.sql("INSERT INTO pos_a VALUES (202, 'after')");
      await d.pollUntil((r) => changes(r, 'pos.public.pos_a').length >= 1, 20_000);
      expect(changes(d.records, 'pos.public.pos_a').map((v) => (v.after as { id: number }).id)).toEqual([202]);
    } finally {
      await d.stop();
    }
  });
});

describe('postgres source: a slot the server invalidated (wal_status = lost)', () => {
  let lossy: PostgresServer;
  beforeAll(async () => {
    lossy = await startPostgres({
      settings: { max_slot_wal_keep_size: '1MB', max_wal_size: '32MB', min_wal_size: '32MB', wal_compression: 'off' },
    });
    await lossy.sql(`CREATE TABLE lost_cap (id int PRIMARY KEY, v int);
      CREATE TABLE lost_other (id serial PRIMARY KEY, junk text);
      ALTER TABLE lost_other ALTER COLUMN junk SET STORAGE EXTERNAL;
      INSERT INTO lost_cap VALUES (1, 1)`);
  });
  afterAll(async () => {
    await lossy?.stop();
  });

  it('fails naming the slot, the position and the two ways out; snapshot.mode=when_needed takes a new snapshot on a new slot', async () => {
    const raw = {
      ...lossy.connectorConfig(),
      'topic.prefix': 'lost',
      'table.include.list': 'public\\.lost_cap',
      'slot.name': 'lost_slot',
      'publication.autocreate.mode': 'filtered',
    };
    const offsets: CommittedOffsets = new Map();
    const d0 = new TaskDriver(raw, offsets);
    await d0.start();
    await d0.pollUntil((r) => r.some((x) => x.sourceOffset.last_snapshot_record === true), 20_000);
    await lossy.sql('UPDATE lost_cap SET v = 2');
    await d0.pollUntil((r) => r.length >= 2, 20_000);
    await d0.stop();
    // While the connector is away, the server writes more WAL than max_slot_wal_keep_size lets the slot keep.
    await waitFor(
      'the slot to be invalidated',
      async () => {
        await lossy.sql(
          "INSERT INTO lost_other (junk) SELECT repeat('z', 4194304); SELECT pg_switch_wal(); CHECKPOINT",
        );
        await lossy.sql('UPDATE lost_cap SET v = v + 1');
        const [s] = await lossy.sql<{ wal_status: string }>(
          "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'lost_slot'",
        );
        return s?.wal_status === 'lost';
      },
      60_000,
    );
    const err = await new TaskDriver(raw, offsets).failure(10_000);
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(
      /replication slot "lost_slot" was invalidated by the server \(wal_status lost, wal_removed\)/,
    );
    expect(err.message).toMatch(/Changes from 0\/[0-9A-F]+ on are lost to this connector/);
    expect(err.message).toMatch(/snapshot\.mode=when_needed/);
    expect(err.message).toMatch(/PATCH \/connectors\/pg\/offsets/);
    expect(err.context.position).toMatch(/^0\/[0-9A-F]+$/);

    // Way out 1: snapshot.mode=when_needed drops the dead slot and snapshots on a new one.
    const again = new TaskDriver({ ...raw, 'snapshot.mode': 'when_needed' }, offsets);
    await again.start();
    try {
      const r = await again.pollUntil((x) => x.some((y) => y.sourceOffset.last_snapshot_record === true), 20_000);
      expect(r.filter((x) => (x.value as { op?: string } | null)?.op === 'r').length).toBe(1);
    } finally {
      await again.stop();
    }
  });
});
