import { describe, expect, it } from 'vitest';
import { Decimal, Logical, LogicalSchemas, schemaEquals, Schemas } from '../../../runtime/api/index.js';
import { issuesOf, record, transform } from './fixtures.js';

const valueSchema = Schemas.struct(
  [
    ['id', Schemas.int64()],
    ['name', Schemas.string(true)],
    ['score', Schemas.int32(true)],
  ],
  false,
  { name: 'orders.Value', version: 3 },
);

describe('InsertField', () => {
  const t = transform('org.apache.kafka.connect.transforms.InsertField$Value', {
    'topic.field': 'topic!',
    'partition.field': 'partition',
    'timestamp.field': 'ts',
    'static.field': 'MessageSource',
    'static.value': 'Kafka Connect framework',
  });

  it('adds topic, partition, timestamp and a static field with schema', () => {
    const out = t(
      record({
        topic: 'orders',
        kafkaPartition: 2,
        timestamp: 1_600_000_000_000,
        valueSchema,
        value: { id: 1n, name: 'a', score: null },
      }),
    )!;
    expect(out.value).toEqual({
      id: 1n,
      name: 'a',
      score: null,
      topic: 'orders',
      partition: 2,
      ts: 1_600_000_000_000,
      MessageSource: 'Kafka Connect framework',
    });
    const names = out.valueSchema!.fields!.map((f) => [f.name, f.schema.type, f.schema.optional, f.schema.name]);
    expect(names.slice(3)).toEqual([
      ['topic', 'string', false, undefined],
      ['partition', 'int32', true, undefined],
      ['ts', 'int64', true, Logical.Timestamp],
      ['MessageSource', 'string', true, undefined],
    ]);
    expect(out.valueSchema!.name).toBe('orders.Value');
  });

  it('reuses the output schema for records of the same input schema', () => {
    const a = t(record({ valueSchema, value: { id: 1n, name: null, score: 1 } }))!;
    const b = t(record({ valueSchema, value: { id: 2n, name: null, score: 2 } }))!;
    expect(a.valueSchema).toBe(b.valueSchema);
  });

  it('adds fields to a schemaless map, skipping absent partition and timestamp', () => {
    const out = t(record({ topic: 'orders', value: { id: 1 } }))!;
    expect(out.value).toEqual({ id: 1, topic: 'orders', MessageSource: 'Kafka Connect framework' });
    expect(out.valueSchema).toBeUndefined();
  });

  it('passes tombstones through', () => {
    const r = record({ valueSchema, value: null });
    expect(t(r)).toBe(r);
  });

  it('works on the key with InsertField$Key', () => {
    const k = transform('InsertField$Key', { 'static.field': 'region', 'static.value': 'eu' });
    expect(k(record({ key: { id: 1 } }))!.key).toEqual({ id: 1, region: 'eu' });
  });

  it('refuses offset.field on a source record', () => {
    const o = transform('InsertField$Value', { 'offset.field': 'off' });
    expect(() => o(record({ value: { a: 1 } }))).toThrow(/only supported for sink connectors/);
  });
});

describe('ReplaceField', () => {
  const r = (config: Record<string, string>, schema: boolean) =>
    transform(
      'org.apache.kafka.connect.transforms.ReplaceField$Value',
      config,
    )(record({ valueSchema: schema ? valueSchema : undefined, value: { id: 7n, name: 'x', score: 9 } }))!;

  for (const schema of [true, false]) {
    it(`exclude, include and renames (${schema ? 'with' : 'without'} schema)`, () => {
      expect(r({ exclude: 'score' }, schema).value).toEqual({ id: 7n, name: 'x' });
      expect(r({ include: 'id,score' }, schema).value).toEqual({ id: 7n, score: 9 });
      expect(r({ renames: 'id:order_id,name:customer' }, schema).value).toEqual({
        order_id: 7n,
        customer: 'x',
        score: 9,
      });
      // exclude wins over include
      expect(r({ include: 'id,score', exclude: 'score' }, schema).value).toEqual({ id: 7n });
      // the pre-3.0 names
      expect(r({ blacklist: 'score' }, schema).value).toEqual({ id: 7n, name: 'x' });
      expect(r({ whitelist: 'name' }, schema).value).toEqual({ name: 'x' });
    });
  }

  it('renames the schema fields in order and keeps the schema name', () => {
    const out = r({ renames: 'name:customer', exclude: 'score' }, true);
    expect(out.valueSchema!.fields!.map((f) => f.name)).toEqual(['id', 'customer']);
    expect(out.valueSchema!.name).toBe('orders.Value');
  });

  it('refuses a rename onto an existing field', () => {
    expect(() => r({ renames: 'name:id' }, true)).toThrow(/Duplicate field name id/);
  });

  it('rejects a malformed rename', () => {
    expect(issuesOf('ReplaceField$Value', { renames: 'a:b,c' })).toEqual(['transforms.t.renames']);
  });

  it('replaces null with the field default unless told not to', () => {
    const s = Schemas.struct([['n', Object.freeze({ ...Schemas.int32(true), defaultValue: 5 })]]);
    const v = record({ valueSchema: s, value: { n: null } });
    expect(transform('ReplaceField$Value', {})(v)!.value).toEqual({ n: 5 });
    expect(transform('ReplaceField$Value', { 'replace.null.with.default': 'false' })(v)!.value).toEqual({ n: null });
  });
});

describe('ExtractField', () => {
  it('extracts a field of a struct with its schema', () => {
    const out = transform('ExtractField$Value', { field: 'id' })(
      record({ valueSchema, value: { id: 42n, name: null, score: 4000 } }),
    )!;
    expect(out.value).toBe(42n);
    expect(out.valueSchema).toBe(valueSchema.fields![0].schema);
  });
  it('extracts from a schemaless map; a missing field gives null', () => {
    const t = transform('org.apache.kafka.connect.transforms.ExtractField$Key', { field: 'id' });
    expect(t(record({ key: { id: 42, cost: 4000 } }))!.key).toBe(42);
    expect(t(record({ key: { cost: 4000 } }))!.key).toBeNull();
  });
  it('nested paths with field.syntax.version=V2', () => {
    const t = transform('ExtractField$Value', { field: 'after.id', 'field.syntax.version': 'V2' });
    expect(t(record({ value: { after: { id: 3 } } }))!.value).toBe(3);
    const s = Schemas.struct([['after', Schemas.struct([['id', Schemas.int32()]], true)]]);
    const out = t(record({ valueSchema: s, value: { after: { id: 4 } } }))!;
    expect(out.value).toBe(4);
    expect(out.valueSchema!.type).toBe('int32');
  });
  it('a null value stays null', () => {
    expect(transform('ExtractField$Value', { field: 'id' })(record({ valueSchema, value: null }))!.value).toBeNull();
  });
});

describe('HoistField', () => {
  it('wraps a value in a struct with one field', () => {
    const t = transform('HoistField$Value', { field: 'line' });
    const out = t(record({ valueSchema: Schemas.string(), value: 'hello' }))!;
    expect(out.value).toEqual({ line: 'hello' });
    expect(out.valueSchema!.fields!.map((f) => [f.name, f.schema.type])).toEqual([['line', 'string']]);
    expect(t(record({ value: 42 }))!.value).toEqual({ line: 42 });
    expect(t(record({ value: 42 }))!.valueSchema).toBeUndefined();
  });
  it('works on keys', () => {
    expect(transform('HoistField$Key', { field: 'id' })(record({ key: 7 }))!.key).toEqual({ id: 7 });
  });
});

describe('ValueToKey', () => {
  const t = transform('org.apache.kafka.connect.transforms.ValueToKey', { fields: 'id,score' });
  it('builds the key struct from value fields with their schemas', () => {
    const out = t(record({ valueSchema, value: { id: 5n, name: 'n', score: 3 } }))!;
    expect(out.key).toEqual({ id: 5n, score: 3 });
    expect(
      schemaEquals(
        out.keySchema,
        Schemas.struct([
          ['id', Schemas.int64()],
          ['score', Schemas.int32(true)],
        ]),
      ),
    ).toBe(true);
  });
  it('builds a map key from a schemaless value', () => {
    expect(t(record({ value: { id: 5, score: 3, x: 1 } }))!.key).toEqual({ id: 5, score: 3 });
  });
  it('fails on an unknown field', () => {
    expect(() =>
      transform('ValueToKey', { fields: 'nope' })(record({ valueSchema, value: { id: 1n, name: null, score: null } })),
    ).toThrow(/Field does not exist: nope/);
  });
});

describe('Flatten', () => {
  const nameSchema = Schemas.struct(
    [
      ['first', Schemas.string()],
      ['middle', Schemas.string(true)],
      ['last', Schemas.string()],
    ],
    true,
  );
  const content = Schemas.struct([
    ['id', Schemas.int32()],
    ['name', nameSchema],
    ['tags', Schemas.array(Schemas.string())],
  ]);
  const schema = Schemas.struct([['content', content]], false, { name: 'doc' });
  const value = { content: { id: 42, name: { first: 'David', middle: null, last: 'Wong' }, tags: ['a'] } };

  it('flattens nested structs with the delimiter; fields under an optional struct become optional', () => {
    const out = transform('Flatten$Value', { delimiter: '_' })(record({ valueSchema: schema, value }))!;
    expect(out.value).toEqual({
      content_id: 42,
      content_name_first: 'David',
      content_name_middle: null,
      content_name_last: 'Wong',
      content_tags: ['a'],
    });
    expect(out.valueSchema!.fields!.map((f) => [f.name, f.schema.optional])).toEqual([
      ['content_id', false],
      ['content_name_first', true],
      ['content_name_middle', true],
      ['content_name_last', true],
      ['content_tags', false],
    ]);
    expect(out.valueSchema!.name).toBe('doc');
  });
  it('flattens a schemaless map with the default delimiter; arrays stay', () => {
    const out = transform('Flatten$Value', {})(record({ value }))!;
    expect(out.value).toEqual({
      'content.id': 42,
      'content.name.first': 'David',
      'content.name.middle': null,
      'content.name.last': 'Wong',
      'content.tags': ['a'],
    });
  });
  it('a null nested struct gives null leaves', () => {
    const out = transform(
      'Flatten$Value',
      {},
    )(record({ valueSchema: schema, value: { content: { id: 1, name: null, tags: [] } } }))!;
    expect(out.value).toEqual({
      'content.id': 1,
      'content.name.first': null,
      'content.name.middle': null,
      'content.name.last': null,
      'content.tags': [],
    });
  });
});

describe('MaskField', () => {
  const schema = Schemas.struct([
    ['ssn', Schemas.string()],
    ['age', Schemas.int32()],
    ['big', Schemas.int64()],
    ['ok', Schemas.boolean()],
    ['price', LogicalSchemas.decimal(2)],
    ['blob', Schemas.bytes()],
    ['list', Schemas.array(Schemas.int32())],
  ]);
  const value = {
    ssn: '123-45-6789',
    age: 42,
    big: 9007199254740993n,
    ok: true,
    price: new Decimal(1999n, 2),
    blob: Buffer.from('x'),
    list: [1],
  };

  it('masks with the empty value of each type', () => {
    const out = transform('MaskField$Value', { fields: 'ssn,age,big,ok,price,blob,list' })(
      record({ valueSchema: schema, value }),
    )!;
    expect(out.value).toEqual({
      ssn: '',
      age: 0,
      big: 0,
      ok: false,
      price: new Decimal(0n, 2),
      blob: Buffer.alloc(0),
      list: [],
    });
    expect(out.valueSchema).toBe(schema);
  });
  it('masks with a replacement converted to the field type', () => {
    const out = transform('MaskField$Value', { fields: 'ssn,age,price', replacement: '12' })(
      record({ valueSchema: schema, value }),
    )!;
    expect(out.value).toMatchObject({ ssn: '12', age: 12, price: Decimal.parse('12') });
  });
  it('refuses a replacement for a boolean', () => {
    expect(() =>
      transform('MaskField$Value', { fields: 'ok', replacement: 'x' })(record({ valueSchema: schema, value })),
    ).toThrow(/Cannot mask value of type boolean/);
  });
  it('masks schemaless values by their type', () => {
    const out = transform('MaskField$Key', { fields: 'ssn,age' })(
      record({ key: { ssn: 'secret', age: 30, other: 'kept' } }),
    )!;
    expect(out.key).toEqual({ ssn: '', age: 0, other: 'kept' });
  });
});

describe('Cast', () => {
  const schema = Schemas.struct([
    ['ID', Schemas.int32()],
    ['score', Schemas.float32(true)],
    ['flag', Schemas.string()],
    ['price', LogicalSchemas.decimal(2)],
    ['day', LogicalSchemas.connectDate()],
  ]);
  const value = { ID: 300, score: 1.5, flag: 'TRUE', price: new Decimal(12345n, 2), day: 19000 };

  it('casts fields and their schemas, keeping optionality', () => {
    const out = transform('org.apache.kafka.connect.transforms.Cast$Value', {
      spec: 'ID:string,score:float64,flag:boolean,price:float64,day:string',
    })(record({ valueSchema: schema, value }))!;
    expect(out.value).toEqual({ ID: '300', score: 1.5, flag: true, price: 123.45, day: '2022-01-08' });
    expect(out.valueSchema!.fields!.map((f) => [f.schema.type, f.schema.optional])).toEqual([
      ['string', false],
      ['float64', true],
      ['boolean', false],
      ['float64', false],
      ['string', false],
    ]);
  });
  it('narrows integers as Java does and parses strings', () => {
    const out = transform('Cast$Value', { spec: 'ID:int8' })(record({ valueSchema: schema, value }))!;
    expect((out.value as { ID: number }).ID).toBe(44);
    expect(transform('Cast$Value', { spec: 'n:int64' })(record({ value: { n: '9007199254740993' } }))!.value).toEqual({
      n: 9007199254740993n,
    });
    expect(() => transform('Cast$Value', { spec: 'n:int32' })(record({ value: { n: 'abc' } }))).toThrow();
  });
  it('casts a whole primitive value', () => {
    const out = transform('Cast$Key', { spec: 'string' })(record({ keySchema: Schemas.int64(), key: 12n }))!;
    expect(out.key).toBe('12');
    expect(out.keySchema!.type).toBe('string');
    expect(transform('Cast$Value', { spec: 'float32' })(record({ value: 3 }))!.value).toBe(3);
  });
  it('casts schemaless map fields', () => {
    expect(transform('Cast$Value', { spec: 'a:string,b:int32' })(record({ value: { a: 1.5, b: '7' } }))!.value).toEqual(
      { a: '1.5', b: 7 },
    );
  });
  it('rejects unknown target types at validation', () => {
    expect(issuesOf('Cast$Value', { spec: 'a:date' })).toEqual(['transforms.t.spec']);
  });
  it('refuses casting a struct field', () => {
    const s = Schemas.struct([['inner', Schemas.struct([['x', Schemas.int32()]])]]);
    expect(() =>
      transform('Cast$Value', { spec: 'inner:string' })(record({ valueSchema: s, value: { inner: { x: 1 } } })),
    ).toThrow(/does not support casting from struct/);
  });
});

describe('SetSchemaMetadata', () => {
  it('sets name and version of the value schema, keeping the value', () => {
    const v = { id: 1n, name: null, score: null };
    const out = transform('SetSchemaMetadata$Value', { 'schema.name': 'order-value', 'schema.version': '2' })(
      record({ valueSchema, value: v }),
    )!;
    expect(out.valueSchema!.name).toBe('order-value');
    expect(out.valueSchema!.version).toBe(2);
    expect(out.valueSchema!.fields).toBe(valueSchema.fields);
    expect(out.value).toBe(v);
  });
  it('requires a schema', () => {
    expect(() => transform('SetSchemaMetadata$Key', { 'schema.name': 'k' })(record({ key: { a: 1 } }))).toThrow(
      /Schema required/,
    );
  });
  it('requires a name or a version', () => {
    expect(issuesOf('SetSchemaMetadata$Value', {})).toEqual(['transforms.t.schema.name']);
  });
});
