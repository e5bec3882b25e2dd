import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeRecord, Decimal, LogicalSchemas, Schemas } from '../../../runtime/api/index.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { event, table, tombstone } from './records.js';
import { SinkDriver } from './driver.js';
import { mariaTarget, pgTarget, type Target } from './targets.js';

/** The JDBC sink's Debezium behaviour, record by record, against both target databases. */

const missing = mariaDbAvailable();
if (missing && process.env.CI) throw new Error(missing);

let pg: PostgresServer;
let maria: MariaDb | undefined;
const targets: Target[] = [];

beforeAll(async () => {
  [pg, maria] = await Promise.all([startPostgres(), missing ? Promise.resolve(undefined) : startMariaDb()]);
  targets.push(await pgTarget(pg));
  if (maria) targets.push(await mariaTarget(maria));
}, 120_000);

afterAll(async () => {
  await Promise.all([pg?.stop(), maria?.stop()]);
});

async function withSink<T>(
  config: Record<string, string>,
  f: (s: SinkDriver) => Promise<T>,
  reporter: 'none' | 'collect' = 'none',
): Promise<T> {
  const s = new SinkDriver(config, reporter);
  await s.start();
  try {
    return await f(s);
  } finally {
    await s.stop();
  }
}

const names = ['postgresql', ...(missing ? [] : ['mariadb'])];
const target = (name: string) => targets.find((t) => t.name === name) as Target;
const num = (v: unknown) => (v === null ? null : Number(v));

describe.each(names)('JDBC sink into %s', (name) => {
  it('schema.evolution=basic creates the table with the key as primary key, then adds a column the source added', async () => {
    const t = target(name);
    const v1 = table('evo.public.items', [
      ['id', Schemas.int32()],
      ['name', Schemas.string(true)],
    ]);
    const v2 = table('evo.public.items', [
      ['id', Schemas.int32()],
      ['name', Schemas.string(true)],
      ['price', LogicalSchemas.decimal(2, 10, true)],
    ]);
    await withSink(t.config(), async (s) => {
      await s.put([event(v1, 'c', { id: 1, name: 'a' }), event(v1, 'c', { id: 2, name: 'b' })]);
      await s.put([
        event(v2, 'u', { id: 1, name: 'a', price: Decimal.parse('9.99') }),
        event(v2, 'c', { id: 3, name: 'c', price: null }),
      ]);
    });
    const rows = await t.rows('SELECT id, name, price FROM evo_public_items ORDER BY id');
    expect(rows.map((r) => [num(r.id), r.name, r.price === null ? null : String(r.price)])).toEqual([
      [1, 'a', '9.99'],
      [2, 'b', null],
      [3, 'c', null],
    ]);
    const pk =
      t.name === 'postgresql'
        ? await t.rows(
            "SELECT a.attname AS c FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'evo_public_items'::regclass AND i.indisprimary",
          )
        : await t.rows(
            "SELECT COLUMN_NAME AS c FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_NAME = 'evo_public_items' AND CONSTRAINT_NAME = 'PRIMARY'",
          );
    expect(pk.map((r) => r.c)).toEqual(['id']);
  });

  it('schema.evolution=none fails naming the missing table, then the missing column', async () => {
    const t = target(name);
    const v1 = table('none.public.things', [
      ['id', Schemas.int32()],
      ['a', Schemas.string(true)],
    ]);
    const v2 = table('none.public.things', [
      ['id', Schemas.int32()],
      ['a', Schemas.string(true)],
      ['added', Schemas.int64(true)],
    ]);
    await withSink(t.config({ 'schema.evolution': 'none' }), async (s) => {
      await expect(s.put([event(v1, 'c', { id: 1, a: 'x' })])).rejects.toThrow(
        /table none_public_things does not exist, and schema.evolution=none does not create tables/,
      );
    });
    await t.exec(`CREATE TABLE none_public_things (id int PRIMARY KEY, a text)`);
    await withSink(t.config({ 'schema.evolution': 'none' }), async (s) => {
      await s.put([event(v1, 'c', { id: 1, a: 'x' })]);
      await expect(s.put([event(v2, 'u', { id: 1, a: 'y', added: 5 })])).rejects.toThrow(
        /topic none\.public\.things, position \{"lsn":\d+\}, table none_public_things\): table none_public_things has no column added, and schema.evolution=none does not add columns/,
      );
    });
    expect((await t.rows('SELECT a FROM none_public_things')).map((r) => r.a)).toEqual(['x']);
  });

  it('upserts are idempotent: replaying 1,000 mixed changes leaves the table as it was', async () => {
    const t = target(name);
    const tb = table('idem.public.acc', [
      ['id', Schemas.int32()],
      ['balance', Schemas.int64()],
      ['note', Schemas.string(true)],
    ]);
    const records: ChangeRecord[] = [];
    for (let i = 0; i < 1000; i++) {
      const id = (i * 7919) % 300;
      const r = i % 10;
      if (r < 6) records.push(event(tb, 'c', { id, balance: BigInt(i) * 1_000_000_007n, note: `n${i}` }));
      else if (r < 9) records.push(event(tb, 'u', { id, balance: -i, note: null }));
      else {
        records.push(event(tb, 'd', { id, balance: 0, note: null }));
        records.push(tombstone(tb, { id }));
      }
    }
    const snapshot = async () =>
      (await t.rows('SELECT id, balance, note FROM idem_public_acc ORDER BY id')).map((r) => [
        num(r.id),
        String(r.balance),
        r.note,
      ]);
    await withSink(t.config({ 'batch.size': '97' }), async (s) => {
      await s.put(records);
      const first = await snapshot();
      // What the rows must be: each key as its last change left it.
      const expected = new Map<number, [number, string, unknown]>();
      for (const r of records) {
        const v = r.value as {
          op: string;
          after: { id: number; balance: bigint | number; note: string | null } | null;
          before: { id: number } | null;
        } | null;
        if (!v) continue;
        if (v.op === 'd') expected.delete((v.before as { id: number }).id);
        else if (v.after) expected.set(v.after.id, [v.after.id, String(v.after.balance), v.after.note]);
      }
      expect(first).toEqual([...expected.values()].sort((a, b) => a[0] - b[0]));
      await s.put(records);
      expect(await snapshot()).toEqual(first);
    });
  });

  it('deletes and tombstones delete by key (delete.enabled), and are skipped without it', async () => {
    const t = target(name);
    const tb = table('del.public.d', [
      ['id', Schemas.int32()],
      ['v', Schemas.string(true)],
    ]);
    await withSink(t.config({ 'delete.enabled': 'false' }), async (s) => {
      await s.put([1, 2, 3].map((id) => event(tb, 'c', { id, v: `v${id}` })));
      await s.put([event(tb, 'd', { id: 1, v: 'v1' }), tombstone(tb, { id: 1 })]);
    });
    expect((await t.rows('SELECT id FROM del_public_d ORDER BY id')).map((r) => num(r.id))).toEqual([1, 2, 3]);
    await withSink(t.config(), async (s) => {
      await s.put([event(tb, 'd', { id: 1, v: 'v1' }), tombstone(tb, { id: 1 }), tombstone(tb, { id: 2 })]);
    });
    expect((await t.rows('SELECT id FROM del_public_d ORDER BY id')).map((r) => num(r.id))).toEqual([3]);
  });

  it("truncates on op 't' with truncate.enabled, keeping the order of the changes around it", async () => {
    const t = target(name);
    const tb = table('tr.public.t', [
      ['id', Schemas.int32()],
      ['v', Schemas.int32(true)],
    ]);
    await withSink(t.config({ 'truncate.enabled': 'true' }), async (s) => {
      await s.put([
        event(tb, 'c', { id: 1, v: 1 }),
        event(tb, 'c', { id: 2, v: 2 }),
        event(tb, 't', null),
        event(tb, 'c', { id: 3, v: 3 }),
      ]);
    });
    expect((await t.rows('SELECT id FROM tr_public_t ORDER BY id')).map((r) => num(r.id))).toEqual([3]);
  });

  it('primary.key.mode record_value and kafka; a primitive key named by primary.key.fields; mode none inserts', async () => {
    const t = target(name);
    const tb = table('pk.public.p', [
      ['a', Schemas.int32()],
      ['b', Schemas.string()],
      ['v', Schemas.int32(true)],
    ]);
    await withSink(
      t.config({
        'primary.key.mode': 'record_value',
        'primary.key.fields': 'a,b',
        'collection.name.format': 'pk_value',
      }),
      async (s) => {
        await s.put([
          event(tb, 'c', { a: 1, b: 'x', v: 1 }),
          event(tb, 'u', { a: 1, b: 'x', v: 2 }),
          event(tb, 'c', { a: 1, b: 'y', v: 3 }),
        ]);
      },
    );
    expect((await t.rows('SELECT a, b, v FROM pk_value ORDER BY b')).map((r) => [num(r.a), r.b, num(r.v)])).toEqual([
      [1, 'x', 2],
      [1, 'y', 3],
    ]);
    const kafka = (r: ChangeRecord, partition: number, off: number): ChangeRecord => ({
      ...r,
      kafkaPartition: partition,
      sourcePartition: { topic: r.topic, partition },
      sourceOffset: { offset: off },
    });
    await withSink(
      t.config({ 'primary.key.mode': 'kafka', 'delete.enabled': 'false', 'collection.name.format': 'pk_kafka' }),
      async (s) => {
        const recs = [
          kafka(event(tb, 'c', { a: 1, b: 'x', v: 1 }), 0, 10),
          kafka(event(tb, 'c', { a: 1, b: 'x', v: 2 }), 1, 10),
        ];
        await s.put(recs);
        await s.put(recs);
        // In direct mode there is no Kafka position to key by: a clear error, not a made-up key.
        await expect(s.put([event(tb, 'c', { a: 9, b: 'z', v: 9 })])).rejects.toThrow(
          /needs records consumed from Kafka/,
        );
      },
    );
    const kafkaRows = await t.rows(
      'SELECT __connect_topic AS t, __connect_partition AS p, __connect_offset AS o, v FROM pk_kafka ORDER BY p',
    );
    expect(kafkaRows.map((r) => [r.t, num(r.p), num(r.o), num(r.v)])).toEqual([
      ['pk.public.p', 0, 10, 1],
      ['pk.public.p', 1, 10, 2],
    ]);
    const prim: ChangeRecord = {
      ...event(tb, 'c', { a: 5, b: 'k', v: 7 }),
      keySchema: Schemas.string(),
      key: 'key-5',
    };
    await withSink(t.config({ 'primary.key.fields': 'k', 'collection.name.format': 'pk_prim' }), async (s) => {
      await s.put([prim, { ...prim, value: { ...(prim.value as object), op: 'u', after: { a: 5, b: 'k', v: 8 } } }]);
    });
    expect((await t.rows('SELECT k, v FROM pk_prim')).map((r) => [r.k, num(r.v)])).toEqual([['key-5', 8]]);
    await withSink(
      t.config({
        'primary.key.mode': 'none',
        'insert.mode': 'insert',
        'delete.enabled': 'false',
        'collection.name.format': 'pk_none',
      }),
      async (s) => {
        await s.put([event(tb, 'c', { a: 1, b: 'x', v: 1 }), event(tb, 'c', { a: 1, b: 'x', v: 1 })]);
      },
    );
    expect(await t.rows('SELECT a FROM pk_none')).toHaveLength(2);
  });

  it('field.include.list / field.exclude.list, ${source.table} in collection.name.format, flat records', async () => {
    const t = target(name);
    const tb = table('fl.public.src_table', [
      ['id', Schemas.int32()],
      ['keep', Schemas.string(true)],
      ['secret', Schemas.string(true)],
    ]);
    await withSink(
      t.config({
        'field.exclude.list': 'fl.public.src_table:secret',
        'collection.name.format': 'copy_${source.table}',
      }),
      async (s) => {
        await s.put([event(tb, 'c', { id: 1, keep: 'k', secret: 's' })]);
      },
    );
    const cols = await t.rows(
      t.name === 'postgresql'
        ? "SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'copy_src_table' ORDER BY ordinal_position"
        : "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_NAME = 'copy_src_table' ORDER BY ORDINAL_POSITION",
    );
    expect(cols.map((c) => c.c)).toEqual(['id', 'keep']);
    // A flat record (ExtractNewRecordState's output) upserts; its null value deletes.
    const flat = (id: number, v: Record<string, unknown> | null): ChangeRecord => ({
      topic: 'flat',
      keySchema: tb.keySchema,
      key: { id },
      valueSchema: v ? tb.rowSchema : undefined,
      value: v,
      headers: [],
      sourcePartition: {},
      sourceOffset: {},
    });
    await withSink(t.config({ 'field.include.list': 'id,keep' }), async (s) => {
      await s.put([
        flat(1, { id: 1, keep: 'a', secret: 'x' }),
        flat(2, { id: 2, keep: 'b', secret: 'x' }),
        flat(1, null),
      ]);
    });
    expect((await t.rows('SELECT * FROM flat')).map((r) => [num(r.id), r.keep])).toEqual([[2, 'b']]);
  });

  it('a value the column cannot hold fails naming topic, position, table and column; with a reporter only that record is handed over', async () => {
    const t = target(name);
    await t.exec(`CREATE TABLE narrow (id int PRIMARY KEY, code varchar(3), amount numeric(5,2))`);
    const tb = table('bad.public.narrow', [
      ['id', Schemas.int32()],
      ['code', Schemas.string(true)],
      ['amount', LogicalSchemas.decimal(3, 10, true)],
    ]);
    const good = (id: number) => event(tb, 'c', { id, code: 'abc', amount: Decimal.parse('1.250') });
    const tooLong = event(tb, 'c', { id: 2, code: 'abcd', amount: null });
    const tooFine = event(tb, 'c', { id: 3, code: 'x', amount: Decimal.parse('1.255') });
    const config = t.config({ 'collection.name.format': 'narrow' });
    await withSink(config, async (s) => {
      await expect(s.put([good(1), tooLong])).rejects.toThrow(
        /topic bad\.public\.narrow, position \{"lsn":\d+\}, table narrow\): column code: a text of 4 characters does not fit/,
      );
      await expect(s.put([tooFine])).rejects.toThrow(/column amount: 1\.255 has 3 digits after the point; .* keeps 2/);
    });
    const reported = await withSink(
      config,
      async (s) => {
        await s.put([good(4), tooLong, good(5), tooFine, good(6)]);
        return s.reported;
      },
      'collect',
    );
    expect(reported.map((r) => r.record)).toEqual([tooLong, tooFine]);
    expect(String(reported[0].error)).toMatch(/column code/);
    expect((await t.rows('SELECT id FROM narrow ORDER BY id')).map((r) => num(r.id))).toEqual([1, 4, 5, 6]);
  });

  it('rides out a restart of the target database: no record lost', async () => {
    const t = target(name);
    const tb = table('rs.public.r', [
      ['id', Schemas.int32()],
      ['v', Schemas.int32()],
    ]);
    await withSink(
      t.config({ 'flush.max.retries': '200', 'flush.retry.delay.ms': '100', 'batch.size': '50' }),
      async (s) => {
        let restarting: Promise<void> | undefined;
        for (let batch = 0; batch < 40; batch++) {
          const recs = Array.from({ length: 50 }, (_, i) => event(tb, 'c', { id: batch * 50 + i, v: batch }));
          if (batch === 10) restarting = t.restart();
          await s.put(recs);
        }
        await restarting;
      },
    );
    const [{ n, s: sum }] = await t.rows('SELECT COUNT(*) AS n, SUM(v) AS s FROM rs_public_r');
    expect([Number(n), Number(sum)]).toEqual([2000, 50 * ((39 * 40) / 2)]);
  });
});

describe('JDBC sink config', () => {
  it('refuses upsert without a primary key mode, deletes without a record key, and a URL it cannot read', async () => {
    const base = {
      'connection.url': `jdbc:postgresql://127.0.0.1:${pg.port}/sinktest`,
      'connection.username': 'postgres',
    };
    await expect(new SinkDriver({ ...base, 'insert.mode': 'upsert' }).start()).rejects.toThrow(
      /insert.mode=upsert needs a primary key/,
    );
    await expect(
      new SinkDriver({ ...base, 'delete.enabled': 'true', 'primary.key.mode': 'kafka' }).start(),
    ).rejects.toThrow(/delete.enabled=true needs primary.key.mode/);
    await expect(new SinkDriver({ ...base, 'connection.url': 'jdbc:oracle:thin:@h:1521:x' }).start()).rejects.toThrow(
      /not a JDBC URL this sink supports/,
    );
    await expect(
      new SinkDriver({ ...base, 'connection.url': 'jdbc:postgresql://127.0.0.1:1/x?password=hunter2' }).start(),
    ).rejects.toThrow(/password=\[hidden\]/);
  });
});
