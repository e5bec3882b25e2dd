import { describe, expect, it } from 'vitest';
import { type ChangeRecord, Decimal, LogicalSchemas, Schemas } from '../../../runtime/api/index.js';
import {
  alice,
  bob,
  changeEvent,
  envelopeSchema,
  issuesOf,
  record,
  rowSchema,
  tombstone,
  transform,
} from './fixtures.js';

const UNWRAP = 'io.debezium.transforms.ExtractNewRecordState';

describe('ExtractNewRecordState', () => {
  for (const schemas of [true, false]) {
    const label = schemas ? 'with schema' : 'schemaless';

    it(`replaces the envelope by the after state (${label})`, () => {
      const t = transform(UNWRAP);
      const out = t(changeEvent({ op: 'u', before: alice, after: { ...alice, email: 'new@example.com' }, schemas }))!;
      expect(out.value).toEqual({ ...alice, email: 'new@example.com' });
      expect(out.topic).toBe('server1.inventory.customers');
      expect(out.key).toEqual({ id: alice.id });
      if (schemas) expect(out.valueSchema).toBe(rowSchema);
      else expect(out.valueSchema).toBeUndefined();
      // snapshot reads and creates flatten the same way
      expect(t(changeEvent({ op: 'r', after: bob, schemas }))!.value).toEqual(bob);
      expect(t(changeEvent({ op: 'c', after: bob, schemas }))!.value).toEqual(bob);
    });

    it(`default mode "tombstone": drops the delete event, keeps the tombstone (${label})`, () => {
      const t = transform(UNWRAP);
      expect(t(changeEvent({ op: 'd', before: alice, schemas }))).toBeNull();
      const tomb = tombstone(alice, schemas);
      expect(t(tomb)).toBe(tomb);
    });

    it(`mode "rewrite": delete becomes the before state with __deleted=true, tombstone dropped (${label})`, () => {
      const t = transform(UNWRAP, { 'delete.tombstone.handling.mode': 'rewrite' });
      const del = t(changeEvent({ op: 'd', before: alice, schemas }))!;
      expect(del.value).toEqual({ ...alice, __deleted: 'true' });
      const upd = t(changeEvent({ op: 'u', before: alice, after: alice, schemas }))!;
      expect(upd.value).toEqual({ ...alice, __deleted: 'false' });
      expect(t(tombstone(alice, schemas))).toBeNull();
      if (schemas) {
        const f = del.valueSchema!.fields!.at(-1)!;
        expect([f.name, f.schema.type, f.schema.optional]).toEqual(['__deleted', 'string', true]);
        expect(del.valueSchema!.name).toBe(rowSchema.name);
        expect(upd.valueSchema).toBe(del.valueSchema);
      }
    });

    it(`mode "rewrite-with-tombstone" keeps tombstones (${label})`, () => {
      const t = transform(UNWRAP, { 'delete.tombstone.handling.mode': 'rewrite-with-tombstone' });
      expect(t(changeEvent({ op: 'd', before: alice, schemas }))!.value).toEqual({ ...alice, __deleted: 'true' });
      expect(t(tombstone(alice, schemas))).not.toBeNull();
    });

    it(`mode "drop" drops deletes and tombstones; "delete-to-tombstone" turns deletes into tombstones (${label})`, () => {
      const drop = transform(UNWRAP, { 'delete.tombstone.handling.mode': 'drop' });
      expect(drop(changeEvent({ op: 'd', before: alice, schemas }))).toBeNull();
      expect(drop(tombstone(alice, schemas))).toBeNull();
      const toTomb = transform(UNWRAP, { 'delete.tombstone.handling.mode': 'delete-to-tombstone' });
      const out = toTomb(changeEvent({ op: 'd', before: alice, schemas }))!;
      expect(out.value).toBeNull();
      expect(out.valueSchema).toBeUndefined();
      expect(out.key).toEqual({ id: alice.id });
      expect(toTomb(tombstone(alice, schemas))).toBeNull();
    });

    it(`add.fields and add.headers with prefixes, struct qualifiers and renames (${label})`, () => {
      const t = transform(UNWRAP, {
        'add.fields': 'op,table,lsn,source.ts_ms,ts_ms:EVENT_TS',
        'add.headers': 'db,op',
        'add.headers.prefix': 'dbz.',
      });
      const out = t(changeEvent({ op: 'c', after: alice, schemas, lsn: 1234 }))!;
      expect(out.value).toEqual({
        ...alice,
        __op: 'c',
        __table: 'customers',
        __lsn: 1234,
        __source_ts_ms: 1_700_000_000_000,
        __EVENT_TS: 1_700_000_000_123,
      });
      expect(out.headers.map((h) => [h.key, h.value])).toEqual([
        ['dbz.db', 'postgres'],
        ['dbz.op', 'c'],
      ]);
      if (schemas) {
        expect(out.valueSchema!.fields!.slice(4).map((f) => [f.name, f.schema.type, f.schema.optional])).toEqual([
          ['__op', 'string', true],
          ['__table', 'string', true],
          ['__lsn', 'int64', true],
          ['__source_ts_ms', 'int64', true],
          ['__EVENT_TS', 'int64', true],
        ]);
        expect(out.headers[0].schema?.type).toBe('string');
        // header schemas come from a per-envelope cache, not rebuilt per record
        expect(t(changeEvent({ op: 'c', after: bob, schemas }))!.headers[0].schema).toBe(out.headers[0].schema);
      }
    });

    it(`route.by.field sends the event to the topic named by a column (${label})`, () => {
      const t = transform(UNWRAP, { 'route.by.field': 'first_name', 'delete.tombstone.handling.mode': 'rewrite' });
      expect(t(changeEvent({ op: 'c', after: alice, schemas }))!.topic).toBe('Alice');
      expect(t(changeEvent({ op: 'd', before: bob, schemas }))!.topic).toBe('Bob');
    });
  }

  it('honours the pre-2.5 keys drop.tombstones and delete.handling.mode', () => {
    const legacy = transform(UNWRAP, { 'drop.tombstones': 'false', 'delete.handling.mode': 'rewrite' });
    expect(legacy(changeEvent({ op: 'd', before: alice }))!.value).toEqual({ ...alice, __deleted: 'true' });
    expect(legacy(tombstone(alice))).not.toBeNull();
    const oldDefaults = transform(UNWRAP, { 'drop.tombstones': 'true' });
    expect(oldDefaults(changeEvent({ op: 'd', before: alice }))).toBeNull();
    expect(oldDefaults(tombstone(alice))).toBeNull();
  });

  it('passes records that are not change events through unchanged', () => {
    const heartbeat = record({
      topic: '__debezium-heartbeat.server1',
      valueSchema: Schemas.struct([['ts_ms', Schemas.int64()]], false, {
        name: 'io.debezium.connector.common.Heartbeat',
      }),
      value: { ts_ms: 1 },
    });
    expect(transform(UNWRAP)(heartbeat)).toBe(heartbeat);
    const flat = record({ value: { id: 1 } });
    expect(transform(UNWRAP)(flat)).toBe(flat);
  });

  it('fills nulls with column defaults (replace.null.with.default)', () => {
    const row = Schemas.struct(
      [
        ['id', Schemas.int32()],
        ['status', Object.freeze({ ...Schemas.string(true), defaultValue: 'new' })],
      ],
      true,
      { name: 'x.Value' },
    );
    const env = Schemas.struct(
      [
        ['before', row],
        ['after', row],
        ['op', Schemas.string()],
      ],
      false,
      { name: 'x.Envelope' },
    );
    const ev = record({ valueSchema: env, value: { before: null, after: { id: 1, status: null }, op: 'c' } });
    expect(transform(UNWRAP)(ev)!.value).toEqual({ id: 1, status: 'new' });
    expect(transform(UNWRAP, { 'replace.null.with.default': 'false' })(ev)!.value).toEqual({ id: 1, status: null });
  });

  it('rejects an unknown mode naming the key', () => {
    expect(issuesOf(UNWRAP, { 'delete.tombstone.handling.mode': 'keep' })).toEqual([
      'transforms.t.delete.tombstone.handling.mode',
    ]);
  });
});

describe('ByLogicalTableRouter', () => {
  const cfg = { 'topic.regex': '(.*)customers_shard(.*)', 'topic.replacement': '$1customers_all_shards' };

  it('routes shards to one topic and adds the physical table to the key', () => {
    const t = transform('io.debezium.transforms.ByLogicalTableRouter', cfg);
    const out = t(changeEvent({ op: 'c', after: alice, topic: 'myserver.mydb.customers_shard1' }))!;
    expect(out.topic).toBe('myserver.mydb.customers_all_shards');
    expect(out.key).toEqual({ id: alice.id, __dbz__physicalTableIdentifier: 'myserver.mydb.customers_shard1' });
    expect(out.keySchema!.name).toBe('myserver.mydb.customers_all_shards.Key');
    expect(out.keySchema!.fields!.map((f) => f.name)).toEqual(['id', '__dbz__physicalTableIdentifier']);
    expect(out.valueSchema!.name).toBe('myserver.mydb.customers_all_shards.Envelope');
    expect(out.valueSchema!.fields!.find((f) => f.name === 'after')!.schema.name).toBe(
      'myserver.mydb.customers_all_shards.Value',
    );
    expect(out.value).toEqual(changeEvent({ op: 'c', after: alice }).value);
    // schema cache: same input, same output schema
    expect(t(changeEvent({ op: 'c', after: bob, topic: 'myserver.mydb.customers_shard1' }))!.keySchema).toBe(
      out.keySchema,
    );
  });

  it('key.field.regex/replacement name the physical table; uniqueness can be off', () => {
    const t = transform('ByLogicalTableRouter', {
      ...cfg,
      'key.field.name': 'shard',
      'key.field.regex': '(.*)customers_shard(.*)',
      'key.field.replacement': '$2',
    });
    expect(t(changeEvent({ op: 'c', after: alice, topic: 'myserver.mydb.customers_shard7' }))!.key).toEqual({
      id: alice.id,
      shard: '7',
    });
    const plain = transform('ByLogicalTableRouter', { ...cfg, 'key.enforce.uniqueness': 'false' });
    expect(plain(changeEvent({ op: 'c', after: alice, topic: 'a.customers_shard1' }))!.key).toEqual({ id: alice.id });
  });

  it('leaves other topics alone and routes schemaless events and tombstones', () => {
    const t = transform('ByLogicalTableRouter', cfg);
    const other = changeEvent({ op: 'c', after: alice, topic: 'myserver.mydb.orders' });
    expect(t(other)).toBe(other);
    const sl = t(changeEvent({ op: 'c', after: alice, topic: 'a.customers_shard2', schemas: false }))!;
    expect(sl.key).toEqual({ id: alice.id, __dbz__physicalTableIdentifier: 'a.customers_shard2' });
    const tomb = t({ ...tombstone(alice), topic: 'a.customers_shard2' })!;
    expect([tomb.topic, tomb.value]).toEqual(['a.customers_all_shards', null]);
  });

  it('requires key.field.replacement with key.field.regex', () => {
    expect(issuesOf('ByLogicalTableRouter', { ...cfg, 'key.field.regex': '(.*)' })).toEqual([
      'transforms.t.key.field.replacement',
    ]);
  });
});

describe('outbox EventRouter', () => {
  const outboxRow = Schemas.struct(
    [
      ['id', LogicalSchemas.uuid()],
      ['aggregatetype', Schemas.string()],
      ['aggregateid', Schemas.string()],
      ['type', Schemas.string()],
      ['payload', LogicalSchemas.json(true)],
      ['created_at', LogicalSchemas.microTimestamp()],
    ],
    true,
    { name: 'server1.public.outbox.Value' },
  );
  const outboxEnvelope = Schemas.struct(
    [
      ['before', outboxRow],
      ['after', outboxRow],
      ['op', Schemas.string()],
      ['ts_ms', Schemas.int64(true)],
    ],
    false,
    { name: 'server1.public.outbox.Envelope' },
  );
  const row = {
    id: '406c07f3-26f0-4eea-a50c-109940064b8f',
    aggregatetype: 'Order',
    aggregateid: '1',
    type: 'OrderCreated',
    payload: '{"id":1,"customer":"Alice","lines":[{"item":"A","qty":2}]}',
    created_at: 1_700_000_000_123_456,
  };
  const event = (op: string, schemas = true, after: unknown = row): ChangeRecord =>
    record({
      topic: 'server1.public.outbox',
      valueSchema: schemas ? outboxEnvelope : undefined,
      value: { before: null, after, op, ts_ms: 1_700_000_000_999 },
      timestamp: 5,
    });

  for (const schemas of [true, false]) {
    it(`routes an insert to outbox.event.<aggregatetype> with payload value and aggregate id key (${schemas ? 'with schema' : 'schemaless'})`, () => {
      const out = transform('io.debezium.transforms.outbox.EventRouter')(event('c', schemas))!;
      expect(out.topic).toBe('outbox.event.Order');
      expect(out.key).toBe('1');
      expect(out.value).toBe(row.payload);
      expect(out.headers.map((h) => [h.key, h.value])).toEqual([['id', row.id]]);
      expect(out.timestamp).toBe(1_700_000_000_999);
      if (schemas) {
        expect(out.keySchema!.type).toBe('string');
        expect(out.valueSchema!.name).toBe('io.debezium.data.Json');
      }
    });
  }

  it('drops deletes and tombstones; updates by table.op.invalid.behavior', () => {
    const t = transform('EventRouter');
    expect(t(event('d'))).toBeNull();
    expect(t(record({ topic: 'server1.public.outbox', value: null }))).toBeNull();
    expect(t(event('u'))).toBeNull();
    expect(() => transform('EventRouter', { 'table.op.invalid.behavior': 'fatal' })(event('u'))).toThrow(
      /only inserts/,
    );
  });

  it('expands a JSON payload into a struct, takes the timestamp column, places extra fields', () => {
    const t = transform('EventRouter', {
      'table.expand.json.payload': 'true',
      'table.field.event.timestamp': 'created_at',
      'table.fields.additional.placement': 'type:header:eventType,aggregatetype:envelope:kind',
      'route.topic.replacement': '${routedByValue}.events',
    });
    const out = t(event('c'))!;
    expect(out.topic).toBe('Order.events');
    expect(out.timestamp).toBe(1_700_000_000_123);
    expect(out.value).toEqual({ payload: { id: 1, customer: 'Alice', lines: [{ item: 'A', qty: 2 }] }, kind: 'Order' });
    expect(out.headers.map((h) => [h.key, h.value])).toEqual([
      ['id', row.id],
      ['eventType', 'OrderCreated'],
    ]);
    const payloadSchema = out.valueSchema!.fields![0].schema;
    expect(payloadSchema.fields!.map((f) => [f.name, f.schema.type])).toEqual([
      ['id', 'int64'],
      ['customer', 'string'],
      ['lines', 'array'],
    ]);
  });

  it('an empty payload gives a tombstone when route.tombstone.on.empty.payload is set', () => {
    const t = transform('EventRouter', { 'route.tombstone.on.empty.payload': 'true' });
    const out = t(event('c', true, { ...row, payload: null }))!;
    expect([out.topic, out.key, out.value, out.valueSchema]).toEqual(['outbox.event.Order', '1', null, undefined]);
  });

  it('fails on a row without the route column', () => {
    const { aggregatetype: _, ...noType } = row;
    expect(() => transform('EventRouter')(event('c', false, noType))).toThrow(/aggregatetype/);
  });
});

describe('HeaderToValue', () => {
  const schema = Schemas.struct([['id', Schemas.int32()]], false, { name: 'v' });
  it('copies headers into value fields with their schemas', () => {
    const t = transform('io.debezium.transforms.HeaderToValue', {
      headers: 'h1,h2',
      fields: 'f1,f2',
      operation: 'copy',
    });
    const out = t(
      record({
        valueSchema: schema,
        value: { id: 1 },
        headers: [
          { key: 'h1', value: 'a', schema: Schemas.string() },
          { key: 'h2', value: 7n, schema: Schemas.int64() },
        ],
      }),
    )!;
    expect(out.value).toEqual({ id: 1, f1: 'a', f2: 7n });
    expect(out.valueSchema!.fields!.map((f) => [f.name, f.schema.type, f.schema.optional])).toEqual([
      ['id', 'int32', false],
      ['f1', 'string', true],
      ['f2', 'int64', true],
    ]);
    expect(out.headers).toHaveLength(2);
  });
  it('moves headers into a schemaless value', () => {
    const t = transform('HeaderToValue', { headers: 'h1', fields: 'f1', operation: 'move' });
    const out = t(
      record({
        value: { id: 1 },
        headers: [
          { key: 'h1', value: 'a' },
          { key: 'other', value: 1 },
        ],
      }),
    )!;
    expect(out.value).toEqual({ id: 1, f1: 'a' });
    expect(out.headers.map((h) => h.key)).toEqual(['other']);
  });
});

describe('content-based Filter and ContentBasedRouter', () => {
  it('keeps the records whose condition is true (Debezium docs: updates of id 2)', () => {
    const t = transform('io.debezium.transforms.Filter', {
      language: 'jsr223.groovy',
      condition: "value.op == 'u' && value.before.id == 1001",
    });
    expect(t(changeEvent({ op: 'u', before: alice, after: alice }))).not.toBeNull();
    expect(t(changeEvent({ op: 'u', before: bob, after: bob }))).toBeNull();
    expect(t(changeEvent({ op: 'c', after: alice }))).toBeNull();
  });

  it('null.handling.mode and topic.regex', () => {
    const base = { language: 'jsr223.groovy', condition: "value.op == 'c'" };
    expect(transform('io.debezium.transforms.Filter', base)(tombstone(alice))).not.toBeNull();
    expect(
      transform('io.debezium.transforms.Filter', { ...base, 'null.handling.mode': 'drop' })(tombstone(alice)),
    ).toBeNull();
    const scoped = transform('io.debezium.transforms.Filter', { ...base, 'topic.regex': 'other\\..*' });
    expect(scoped(changeEvent({ op: 'u', before: alice, after: alice }))).not.toBeNull();
  });

  it('sees int64 exactly, decimals as numbers, headers and schemas', () => {
    const s = Schemas.struct(
      [
        ['big', Schemas.int64()],
        ['price', LogicalSchemas.decimal(2)],
      ],
      false,
      { name: 'p' },
    );
    const r = record({
      valueSchema: s,
      value: { big: 9007199254740993n, price: new Decimal(1999n, 2) },
      headers: [{ key: 'src', value: 'web' }],
    });
    const t = (condition: string) => transform('io.debezium.transforms.Filter', { language: 'cel', condition })(r);
    expect(t('value.big == 9007199254740993')).not.toBeNull();
    expect(t('value.big == 9007199254740992')).toBeNull();
    expect(t('value.price > 19.5')).not.toBeNull();
    expect(t("header.src.value == 'web' && valueSchema.name == 'p'")).not.toBeNull();
  });

  it('evaluates schemaless events the same way', () => {
    const t = transform('io.debezium.transforms.Filter', {
      language: 'jsr223.groovy',
      condition: "value.op == 'u' && value.after.id == 1001",
    });
    expect(t(changeEvent({ op: 'u', before: alice, after: alice, schemas: false }))).not.toBeNull();
    expect(t(changeEvent({ op: 'u', before: bob, after: bob, schemas: false }))).toBeNull();
    const r = transform('ContentBasedRouter', {
      language: 'cel',
      'topic.expression': "value.after.first_name == 'Bob' ? 'bobs' : ''",
    });
    expect(r(changeEvent({ op: 'c', after: bob, schemas: false }))!.topic).toBe('bobs');
  });

  it('a condition that is not a boolean, or fails on a record, throws', () => {
    expect(() =>
      transform('io.debezium.transforms.Filter', { language: 'cel', condition: 'value.op' })(
        changeEvent({ op: 'c', after: alice }),
      ),
    ).toThrow(/boolean/);
    expect(() =>
      transform('io.debezium.transforms.Filter', { language: 'cel', condition: 'value.nope == 1' })(
        changeEvent({ op: 'c', after: alice }),
      ),
    ).toThrow(/failed on a record/);
  });

  it('rejects bad expressions and unknown languages at validation', () => {
    expect(issuesOf('io.debezium.transforms.Filter', { language: 'cel', condition: 'value.op ==' })).toEqual([
      'transforms.t.condition',
    ]);
    expect(issuesOf('io.debezium.transforms.Filter', { language: 'python', condition: 'true' })).toEqual([
      'transforms.t.language',
    ]);
  });

  it('refuses an expression beyond the size limits', () => {
    const huge = Array.from({ length: 1500 }, (_, i) => `value.op == '${i}'`).join(' || ');
    expect(issuesOf('io.debezium.transforms.Filter', { language: 'cel', condition: huge })).toEqual([
      'transforms.t.condition',
    ]);
  });

  it('has no way out of the sandbox: no globals, no constructors', () => {
    const t = (condition: string) => () =>
      transform('io.debezium.transforms.Filter', { language: 'cel', condition })(
        changeEvent({ op: 'c', after: alice }),
      );
    expect(t('process.exit(1) == 1')).toThrow();
    expect(t("value.constructor.constructor('return 1')() == 1")).toThrow();
  });

  it('ContentBasedRouter routes by expression; null or empty keeps the topic', () => {
    const t = transform('io.debezium.transforms.ContentBasedRouter', {
      language: 'jsr223.groovy',
      'topic.expression': "value.after.id == 1001 ? 'vip_customers' : dyn(null)",
    });
    expect(t(changeEvent({ op: 'c', after: alice }))!.topic).toBe('vip_customers');
    expect(t(changeEvent({ op: 'c', after: bob }))!.topic).toBe('server1.inventory.customers');
    const byOp = transform('ContentBasedRouter', {
      language: 'cel',
      'topic.expression': "value.op == 'd' ? 'deletes' : ''",
    });
    expect(byOp(changeEvent({ op: 'd', before: bob }))!.topic).toBe('deletes');
    expect(byOp(changeEvent({ op: 'c', after: bob }))!.topic).toBe('server1.inventory.customers');
  });

  it('keeps the envelope schema untouched', () => {
    const out = transform('ContentBasedRouter', { language: 'cel', 'topic.expression': "'x'" })(
      changeEvent({ op: 'c', after: alice }),
    )!;
    expect(out.valueSchema).toBe(envelopeSchema);
  });
});
