import { describe, expect, it } from 'vitest';
import { Logical, LogicalSchemas, Schemas } from '../../../runtime/api/index.js';
import { issuesOf, record, transform } from './fixtures.js';

describe('RegexRouter', () => {
  it('replaces the topic when the regex matches all of it (Java group syntax)', () => {
    const t = transform('org.apache.kafka.connect.transforms.RegexRouter', {
      regex: '([^.]+)\\.([^.]+)\\.([^.]+)',
      replacement: '$3',
    });
    expect(t(record({ topic: 'server1.inventory.customers' }))!.topic).toBe('customers');
    expect(t(record({ topic: 'no-dots' }))!.topic).toBe('no-dots');
  });
  it('named groups and escaped dollar', () => {
    const t = transform('RegexRouter', { regex: '(?<db>\\w+)\\.(?<table>\\w+)', replacement: '${table}_\\$${db}' });
    expect(t(record({ topic: 'shop.orders' }))!.topic).toBe('orders_$shop');
  });
  it('a partial match does not route', () => {
    const t = transform('RegexRouter', { regex: 'customers', replacement: 'x' });
    expect(t(record({ topic: 'server1.customers' }))!.topic).toBe('server1.customers');
  });
  it('rejects an invalid regex at validation', () => {
    expect(issuesOf('RegexRouter', { regex: '(', replacement: 'x' })).toEqual(['transforms.t.regex']);
  });
});

describe('TimestampRouter', () => {
  it('formats the record timestamp into the topic', () => {
    const t = transform('org.apache.kafka.connect.transforms.TimestampRouter', {
      'topic.format': 'foo-${topic}-${timestamp}',
      'timestamp.format': 'YYYYMM',
    });
    expect(t(record({ topic: 'orders', timestamp: Date.UTC(2024, 2, 15, 10) }))!.topic).toBe('foo-orders-202403');
  });
  it('defaults to ${topic}-${timestamp} with yyyyMMdd', () => {
    expect(
      transform('TimestampRouter')(record({ topic: 'orders', timestamp: Date.UTC(2024, 11, 31, 23, 59) }))!.topic,
    ).toBe('orders-20241231');
  });
  it('fails without a timestamp', () => {
    expect(() => transform('TimestampRouter')(record({ topic: 'orders' }))).toThrow(/Timestamp missing/);
  });
});

describe('TimestampConverter', () => {
  const ms = Date.UTC(2017, 3, 7, 14, 30, 15, 123);
  const schema = Schemas.struct([
    ['event_date_long', Schemas.int64()],
    ['other', Schemas.string(true)],
  ]);

  it('unix millis field to Timestamp with schema', () => {
    const out = transform('TimestampConverter$Value', { field: 'event_date_long', 'target.type': 'Timestamp' })(
      record({ valueSchema: schema, value: { event_date_long: ms, other: 'x' } }),
    )!;
    expect(out.value).toEqual({ event_date_long: ms, other: 'x' });
    expect(out.valueSchema!.fields![0].schema.name).toBe(Logical.Timestamp);
  });
  it('Timestamp to string with a SimpleDateFormat pattern, and back', () => {
    const toText = transform('TimestampConverter$Value', {
      'target.type': 'string',
      format: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    });
    const out = toText(record({ valueSchema: LogicalSchemas.connectTimestamp(), value: ms }))!;
    expect(out.value).toBe('2017-04-07T14:30:15.123Z');
    expect(out.valueSchema!.type).toBe('string');
    const back = transform('TimestampConverter$Value', {
      'target.type': 'unix',
      format: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    })(out)!;
    expect(back.value).toBe(ms);
    expect(back.valueSchema!.type).toBe('int64');
  });
  it('string with an offset to Date and Time', () => {
    const fmt = 'yyyy-MM-dd HH:mm:ss Z';
    const date = transform('TimestampConverter$Value', { 'target.type': 'Date', format: fmt })(
      record({ valueSchema: Schemas.string(), value: '2017-04-07 23:30:00 +0200' }),
    )!;
    expect(date.value).toBe(Math.floor(Date.UTC(2017, 3, 7, 21, 30) / 86_400_000));
    expect(date.valueSchema!.name).toBe(Logical.Date);
    const time = transform('TimestampConverter$Value', { 'target.type': 'Time', format: fmt })(
      record({ valueSchema: Schemas.string(), value: '2017-04-07 23:30:00 +0200' }),
    )!;
    expect(time.value).toBe((21 * 3600 + 30 * 60) * 1000);
  });
  it('unix.precision converts microseconds exactly', () => {
    const t = transform('TimestampConverter$Value', { 'target.type': 'unix', 'unix.precision': 'microseconds' });
    expect(t(record({ valueSchema: LogicalSchemas.connectTimestamp(), value: ms }))!.value).toBe(ms * 1000);
    const fromMicros = transform('TimestampConverter$Value', {
      'target.type': 'Timestamp',
      'unix.precision': 'microseconds',
    });
    expect(fromMicros(record({ valueSchema: Schemas.int64(), value: 1_491_575_415_123_456n }))!.value).toBe(ms);
  });
  it('schemaless: a number field becomes a Date object (java.util.Date in Kafka)', () => {
    const out = transform('TimestampConverter$Value', { field: 'ts', 'target.type': 'Timestamp' })(
      record({ value: { ts: ms } }),
    )!;
    expect((out.value as { ts: Date }).ts).toEqual(new Date(ms));
    const str = transform('TimestampConverter$Value', { field: 'ts', 'target.type': 'string', format: 'yyyy-MM-dd' })(
      record({ value: { ts: ms } }),
    )!;
    expect(str.value).toEqual({ ts: '2017-04-07' });
  });
  it('string target needs a format', () => {
    expect(issuesOf('TimestampConverter$Value', { 'target.type': 'string' })).toEqual(['transforms.t.format']);
    expect(issuesOf('TimestampConverter$Value', { 'target.type': 'epoch' })).toEqual(['transforms.t.target.type']);
  });
  it('null field values stay null', () => {
    const s = Schemas.struct([['ts', Schemas.int64(true)]]);
    const out = transform('TimestampConverter$Value', { field: 'ts', 'target.type': 'Timestamp' })(
      record({ valueSchema: s, value: { ts: null } }),
    )!;
    expect(out.value).toEqual({ ts: null });
    expect(out.valueSchema!.fields![0].schema.optional).toBe(true);
  });
});

describe('headers', () => {
  it('DropHeaders removes every header with a listed name', () => {
    const t = transform('org.apache.kafka.connect.transforms.DropHeaders', { headers: 'source-id,conv-id' });
    const out = t(
      record({
        headers: [
          { key: 'source-id', value: 1 },
          { key: 'keep', value: 2 },
          { key: 'conv-id', value: 3 },
          { key: 'source-id', value: 4 },
        ],
      }),
    )!;
    expect(out.headers).toEqual([{ key: 'keep', value: 2 }]);
  });

  it('InsertHeader adds a literal, typed as Connect infers it', () => {
    const t = transform('org.apache.kafka.connect.transforms.InsertHeader', {
      header: 'MessageSource',
      'value.literal': 'Kafka Connect framework',
    });
    const out = t(record({ headers: [{ key: 'a', value: 1 }] }))!;
    expect(out.headers.map((h) => [h.key, h.value, h.schema?.type])).toEqual([
      ['a', 1, undefined],
      ['MessageSource', 'Kafka Connect framework', 'string'],
    ]);
    const n = transform('InsertHeader', { header: 'n', 'value.literal': '42' })(record())!;
    expect([n.headers[0].value, n.headers[0].schema?.type]).toEqual([42, 'int8']);
    const b = transform('InsertHeader', { header: 'b', 'value.literal': 'true' })(record())!;
    expect(b.headers[0].value).toBe(true);
  });

  it('HeaderFrom moves fields to headers with their schemas', () => {
    const schema = Schemas.struct([
      ['id', Schemas.int32()],
      ['ts', Schemas.int64()],
      ['name', Schemas.string()],
    ]);
    const t = transform('org.apache.kafka.connect.transforms.HeaderFrom$Value', {
      fields: 'id,ts',
      headers: 'record_id,ts',
      operation: 'move',
    });
    const out = t(record({ valueSchema: schema, value: { id: 1, ts: 99, name: 'n' } }))!;
    expect(out.value).toEqual({ name: 'n' });
    expect(out.valueSchema!.fields!.map((f) => f.name)).toEqual(['name']);
    expect(out.headers.map((h) => [h.key, h.value, h.schema?.type])).toEqual([
      ['record_id', 1, 'int32'],
      ['ts', 99, 'int64'],
    ]);
  });

  it('HeaderFrom copies fields of a schemaless key', () => {
    const t = transform('HeaderFrom$Key', { fields: 'id', headers: 'key_id', operation: 'copy' });
    const out = t(record({ key: { id: 'k1' } }))!;
    expect(out.key).toEqual({ id: 'k1' });
    expect(out.headers.map((h) => [h.key, h.value])).toEqual([['key_id', 'k1']]);
  });

  it('HeaderFrom needs as many headers as fields', () => {
    expect(issuesOf('HeaderFrom$Value', { fields: 'a,b', headers: 'x', operation: 'copy' })).toEqual([
      'transforms.t.headers',
    ]);
  });
});

describe('Filter', () => {
  it('drops every record it is applied to', () => {
    expect(transform('org.apache.kafka.connect.transforms.Filter')(record({ value: 1 }))).toBeNull();
  });
});
