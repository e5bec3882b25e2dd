import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { buffers, changes, TaskDriver } from './task-driver.js';

let pg: PostgresServer;
let n = 0;

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

/** A driver on its own slot and filtered publication, so tests in this file do not see each other. */
function driver(tables: string, extra: Record<string, string> = {}): TaskDriver {
  n++;
  return new TaskDriver({
    ...pg.connectorConfig(),
    'topic.prefix': 'srv',
    'slot.name': `slot_${n}`,
    'publication.name': `pub_${n}`,
    'publication.autocreate.mode': 'filtered',
    'table.include.list': tables,
    ...extra,
  });
}

async function slotFlush(slot: string): Promise<string> {
  const rows = await pg.sql<{ lsn: string }>(
    'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  );
  return rows[0]?.lsn ?? '';
}

describe('postgres source: streaming', () => {
  it('hands over from snapshot to stream with r, c, u, d and tombstones', async () => {
    await pg.sql(
      'CREATE TABLE s1 (id int PRIMARY KEY, v text NOT NULL); INSERT INTO s1 SELECT g, $$v$$ || g FROM generate_series(1, 5) g',
    );
    const d = driver('public\\.s1');
    await d.start();
    try {
      await pg.sql("INSERT INTO s1 VALUES (6, 'v6'); UPDATE s1 SET v = 'w2' WHERE id = 2; DELETE FROM s1 WHERE id = 3");
      await d.pollUntil((r) => r.length >= 5 + 4);
      const values = changes(d.records, 'srv.public.s1');
      expect(values.map((v) => v.op)).toEqual(['r', 'r', 'r', 'r', 'r', 'c', 'u', 'd']);
      expect(values.slice(0, 5).map((v) => (v.source as { snapshot: string }).snapshot)).toEqual([
        'first',
        'true',
        'true',
        'true',
        'last',
      ]);
      expect(values[5].after).toEqual({ id: 6, v: 'v6' });
      expect(values[6]).toMatchObject({ before: null, after: { id: 2, v: 'w2' } });
      // A key-only before image: the NOT NULL column v gets Debezium's fallback for text, "" (never null).
      expect(values[7]).toMatchObject({ before: { id: 3, v: '' }, after: null });
      const tomb = d.records[d.records.length - 1];
      expect(tomb.value).toBeNull();
      expect(tomb.key).toEqual({ id: 3 });
      expect(d.records[0].keySchema?.name).toBe('srv.public.s1.Key');
      expect(d.records[0].valueSchema?.name).toBe('srv.public.s1.Envelope');
    } finally {
      await d.stop();
    }
  });

  it('marks unchanged TOASTed columns with the placeholder; REPLICA IDENTITY FULL gives full before images', async () => {
    await pg.sql('CREATE TABLE toast1 (id int PRIMARY KEY, big text, b bytea, n int)');
    await pg.sql('CREATE TABLE full1 (id int PRIMARY KEY, big text, n int); ALTER TABLE full1 REPLICA IDENTITY FULL');
    const d = driver('public\\.(toast1|full1)', {
      'snapshot.mode': 'no_data',
      'unavailable.value.placeholder': '__gone',
    });
    await d.start();
    try {
      // Random text does not compress, so it is stored out of line (TOASTed).
      const big = "(SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 400))";
      const bytes = "(SELECT decode(string_agg(md5(random()::text), ''), 'hex') FROM generate_series(1, 400))";
      await pg.sql(`INSERT INTO toast1 VALUES (1, ${big}, ${bytes}, 1)`);
      await pg.sql(`INSERT INTO full1 VALUES (1, ${big}, 1)`);
      await pg.sql('UPDATE toast1 SET n = 2 WHERE id = 1');
      await pg.sql('UPDATE full1 SET n = 2 WHERE id = 1');
      await d.pollUntil((r) => r.length >= 4);
      const t = changes(d.records, 'srv.public.toast1');
      expect((t[0].after as { big: string }).big).toHaveLength(12800);
      expect(t[1].after).toEqual({ id: 1, big: '__gone', b: Buffer.from('__gone'), n: 2 });
      expect(t[1].before).toBeNull();
      const f = changes(d.records, 'srv.public.full1');
      const stored = (await pg.sql<{ big: string }>('SELECT big FROM full1'))[0].big;
      expect(f[1].before).toEqual({ id: 1, big: stored, n: 1 });
      expect(f[1].after).toEqual({ id: 1, big: stored, n: 2 });
    } finally {
      await d.stop();
    }
  });

  it('follows ALTER TABLE mid-stream and emits TRUNCATE when asked', async () => {
    await pg.sql('CREATE TABLE alt1 (id int PRIMARY KEY, a text)');
    const d = driver('public\\.alt1', { 'snapshot.mode': 'no_data', 'skipped.operations': 'none' });
    await d.start();
    try {
      await pg.sql("INSERT INTO alt1 VALUES (1, 'x')");
      await pg.sql("ALTER TABLE alt1 ADD COLUMN b int NOT NULL DEFAULT 7; INSERT INTO alt1 VALUES (2, 'y', 8)");
      await pg.sql('ALTER TABLE alt1 DROP COLUMN a; INSERT INTO alt1 VALUES (3, 9)');
      await pg.sql('TRUNCATE alt1');
      await d.pollUntil((r) => r.length >= 4);
      const v = changes(d.records, 'srv.public.alt1');
      expect(v.map((e) => e.after)).toEqual([{ id: 1, a: 'x' }, { id: 2, a: 'y', b: 8 }, { id: 3, b: 9 }, null]);
      expect(v[3].op).toBe('t');
      const fields = (i: number) =>
        d.records[i].valueSchema?.fields?.[1].schema.fields?.map((f) => `${f.name}:${f.schema.optional}`);
      expect(fields(0)).toEqual(['id:false', 'a:true']);
      expect(fields(1)).toEqual(['id:false', 'a:true', 'b:false']);
      expect(fields(2)).toEqual(['id:false', 'b:false']);
    } finally {
      await d.stop();
    }
  });

  it('writes transaction metadata and blocks, honours key columns, column filters and skipped operations', async () => {
    await pg.sql(
      'CREATE TABLE tx1 (id int PRIMARY KEY, code text NOT NULL, secret text); CREATE TABLE tx2 (id int, note text); ALTER TABLE tx2 REPLICA IDENTITY FULL',
    );
    const d = driver('public\\.tx[12]', {
      'snapshot.mode': 'never',
      'provide.transaction.metadata': 'true',
      'message.key.columns': 'public\\.tx1:code;public\\.tx2:id',
      'column.exclude.list': 'public\\.tx1\\.secret',
      'skipped.operations': 'd',
    });
    await d.start();
    try {
      await pg.sql(
        "BEGIN; INSERT INTO tx1 VALUES (1, 'A', 's'); INSERT INTO tx2 VALUES (5, 'n'); INSERT INTO tx1 VALUES (2, 'B', 's'); DELETE FROM tx1 WHERE id = 2; COMMIT",
      );
      await d.pollUntil((r) => r.filter((x) => x.topic === 'srv.transaction').length >= 2);
      const topics = d.records.map((r) => r.topic);
      expect(topics).toEqual([
        'srv.transaction',
        'srv.public.tx1',
        'srv.public.tx2',
        'srv.public.tx1',
        'srv.transaction',
      ]);
      const [begin, a, b, c, end] = d.records;
      expect((begin.value as { status: string }).status).toBe('BEGIN');
      expect(a.key).toEqual({ code: 'A' });
      expect(b.key).toEqual({ id: 5 });
      expect((a.value as { after: unknown }).after).toEqual({ id: 1, code: 'A' });
      const id = (begin.value as { id: string }).id;
      expect((c.value as { transaction: unknown }).transaction).toEqual({
        id,
        total_order: 3,
        data_collection_order: 2,
      });
      expect(end.value).toMatchObject({
        status: 'END',
        id,
        event_count: 3,
        data_collections: [
          { data_collection: 'public.tx1', event_count: 2 },
          { data_collection: 'public.tx2', event_count: 1 },
        ],
      });
    } finally {
      await d.stop();
    }
  });

  it('turns a primary key change into delete, tombstone and create', async () => {
    await pg.sql("CREATE TABLE pk1 (id int PRIMARY KEY, v text); INSERT INTO pk1 VALUES (1, 'a')");
    const d = driver('public\\.pk1', { 'snapshot.mode': 'no_data' });
    await d.start();
    try {
      await pg.sql('UPDATE pk1 SET id = 10 WHERE id = 1');
      await d.pollUntil((r) => r.length >= 3);
      expect(d.records.map((r) => [r.key, r.value === null ? null : (r.value as { op: string }).op])).toEqual([
        [{ id: 1 }, 'd'],
        [{ id: 1 }, null],
        [{ id: 10 }, 'c'],
      ]);
    } finally {
      await d.stop();
    }
  });

  it('tombstones.on.delete=false: a delete has no tombstone', async () => {
    await pg.sql('CREATE TABLE nt1 (id int PRIMARY KEY)');
    const d = driver('public\\.nt1', { 'snapshot.mode': 'no_data', 'tombstones.on.delete': 'false' });
    await d.start();
    try {
      await pg.sql('INSERT INTO nt1 VALUES (1); DELETE FROM nt1 WHERE id = 1; INSERT INTO nt1 VALUES (2)');
      await d.pollUntil((r) => r.length >= 3);
      await d.drain(300);
      expect(d.records.map((r) => [r.key, (r.value as { op: string } | null)?.op ?? null])).toEqual([
        [{ id: 1 }, 'c'],
        [{ id: 1 }, 'd'],
        [{ id: 2 }, 'c'],
      ]);
    } finally {
      await d.stop();
    }
  });

  it('a table without a primary key (REPLICA IDENTITY FULL) has null keys, and full before images', async () => {
    await pg.sql('CREATE TABLE nk1 (a int, b text); ALTER TABLE nk1 REPLICA IDENTITY FULL');
    const d = driver('public\\.nk1', { 'snapshot.mode': 'no_data' });
    await d.start();
    try {
      await pg.sql("INSERT INTO nk1 VALUES (1, 'x'); UPDATE nk1 SET b = 'y'; DELETE FROM nk1");
      await d.pollUntil((r) => r.length >= 4);
      await d.drain(300);
      expect(d.records.map((r) => [r.key, r.keySchema, (r.value as { op: string } | null)?.op ?? null])).toEqual([
        [null, undefined, 'c'],
        [null, undefined, 'u'],
        [null, undefined, 'd'],
        // Debezium sends the tombstone even without a key.
        [null, undefined, null],
      ]);
      expect(d.records[1].value).toMatchObject({ before: { a: 1, b: 'x' }, after: { a: 1, b: 'y' } });
    } finally {
      await d.stop();
    }
  });

  it('confirms to the slot only what was committed, and resumes after the last committed record', async () => {
    await pg.sql('CREATE TABLE res1 (id int PRIMARY KEY, v int)');
    const raw = { 'snapshot.mode': 'no_data' };
    const d = driver('public\\.res1', raw);
    const slot = `slot_${n}`;
    await d.start();
    await pg.sql('INSERT INTO res1 SELECT g, 0 FROM generate_series(1, 10) g');
    await d.pollUntil((r) => r.length >= 10, 30_000, false);
    const before = await slotFlush(slot);
    // Nothing committed: the slot must not have moved past where the stream started.
    await new Promise((r) => setTimeout(r, 300));
    expect(await slotFlush(slot)).toBe(before);
    await d.commitUpTo(d.records[3]);
    await d.stop();
    expect(await slotFlush(slot)).toBe(before);

    // Restart from the committed offset (the 4th insert, mid-transaction): the rest of that transaction comes
    // again, nothing committed does.
    const again = new TaskDriver(
      {
        ...pg.connectorConfig(),
        'topic.prefix': 'srv',
        'slot.name': slot,
        'publication.name': `pub_${n}`,
        'publication.autocreate.mode': 'filtered',
        'table.include.list': 'public\\.res1',
        ...raw,
      },
      d.committed,
    );
    await again.start();
    try {
      await pg.sql('UPDATE res1 SET v = 1 WHERE id = 1');
      await again.pollUntil((r) => r.some((x) => (x.value as { op?: string } | null)?.op === 'u'));
      const ids = changes(again.records, 'srv.public.res1').map((v) => `${v.op}${(v.after as { id: number }).id}`);
      expect(ids).toEqual(['c5', 'c6', 'c7', 'c8', 'c9', 'c10', 'u1']);
      // Committed now: the slot moves once the walsender has read the status update.
      const deadline = Date.now() + 15_000;
      while ((await slotFlush(slot)) === before && Date.now() < deadline) await again.pollOnce();
      expect(await slotFlush(slot)).not.toBe(before);
    } finally {
      await again.stop();
    }
  });
  it('stops cleanly while changes are still waiting in its buffers', async () => {
    await pg.sql('CREATE TABLE busy1 (id int PRIMARY KEY)');
    const d = driver('public\\.busy1', { 'snapshot.mode': 'no_data', 'max.queue.size': '50', 'max.batch.size': '10' });
    await d.start();
    await pg.sql('INSERT INTO busy1 SELECT generate_series(1, 20000)');
    await d.pollUntil((r) => r.length >= 10);
    const internal = buffers(d);
    expect(internal.inbox.length - internal.inboxHead).toBeGreaterThan(0);
    await d.stop();
    // A pump that kept rescheduling itself on the unprocessed items would starve the event loop: timers would
    // never fire again.
    const fired = await Promise.race([
      new Promise<boolean>((r) => setTimeout(() => r(true), 50)),
      new Promise<boolean>((r) => setImmediate(() => setTimeout(() => r(false), 5000))),
    ]);
    expect(fired).toBe(true);
  });
});
