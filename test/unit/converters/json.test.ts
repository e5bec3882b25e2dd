import { describe, expect, it } from 'vitest';
import { Decimal, LogicalSchemas, Schemas } from '../../../runtime/data/index.js';
import { floatJson, JsonConverter } from '../../../runtime/converters/json.js';

const withSchemas = new JsonConverter({ schemasEnable: true, decimalFormat: 'BASE64' });
const plain = new JsonConverter({ schemasEnable: false, decimalFormat: 'BASE64' });

const rowSchema = Schemas.struct(
  [
    ['id', Schemas.int64()],
    ['amount', LogicalSchemas.decimal(2, 12, true)],
    ['created', LogicalSchemas.microTimestamp(true)],
    ['data', Schemas.bytes(true)],
    ['doc', LogicalSchemas.json(true)],
    ['ratio', Schemas.float64(true)],
  ],
  true,
  { name: 'srv.public.t.Value' },
);

describe('JsonConverter', () => {
  it('writes the schema JSON exactly as Kafka does (field order, names, parameters)', () => {
    const text = withSchemas.fromRecord('t', rowSchema, null as unknown)?.toString();
    expect(text).toBe(
      '{"schema":{"type":"struct","fields":[' +
        '{"type":"int64","optional":false,"field":"id"},' +
        '{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"12"},"field":"amount"},' +
        '{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"created"},' +
        '{"type":"bytes","optional":true,"field":"data"},' +
        '{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"doc"},' +
        '{"type":"double","optional":true,"field":"ratio"}' +
        '],"optional":true,"name":"srv.public.t.Value"},"payload":null}',
    );
  });

  it('keeps int64 beyond 2^53, decimals, microseconds, bytes and JSON text exact', () => {
    const value = {
      id: 9223372036854775807n,
      amount: Decimal.parse('1234567890.12'),
      created: 1700000000123456n,
      data: Buffer.from([0, 1, 2, 255]),
      doc: '{"a": [1, 2.50, "x"]}',
      ratio: 1,
    };
    const text = plain.fromRecord('t', rowSchema, value)?.toString();
    expect(text).toBe(
      `{"id":9223372036854775807,"amount":"${Buffer.from([0x1c, 0xbe, 0x99, 0x1a, 0x14]).toString('base64')}","created":1700000000123456,"data":"AAEC/w==","doc":"{\\"a\\": [1, 2.50, \\"x\\"]}","ratio":1.0}`,
    );
    // 123456789012 = 0x1CBE991A14
    expect(Decimal.parse('1234567890.12').unscaled).toBe(123456789012n);
    const back = withSchemas.toRecord('t', withSchemas.fromRecord('t', rowSchema, value));
    const v = back.value as typeof value;
    expect(v.id).toBe(9223372036854775807n);
    expect((v.amount as Decimal).toString()).toBe('1234567890.12');
    expect(v.created).toBe(1700000000123456);
    expect(Buffer.compare(v.data as Buffer, value.data)).toBe(0);
    expect(v.doc).toBe(value.doc);
  });

  it('writes unsigned 64-bit maxima as decimals without loss', () => {
    const s = LogicalSchemas.decimal(0, 20);
    const max = Decimal.parse('18446744073709551615');
    const out = withSchemas.toRecord('t', withSchemas.fromRecord('t', s, max));
    expect((out.value as Decimal).toString()).toBe('18446744073709551615');
  });

  it('NUMERIC decimal format writes the number itself', () => {
    const c = new JsonConverter({ schemasEnable: false, decimalFormat: 'NUMERIC' });
    expect(c.fromRecord('t', LogicalSchemas.decimal(3), Decimal.parse('-0.125'))?.toString()).toBe('-0.125');
  });

  it('spells doubles as Java does', () => {
    expect(floatJson(1)).toBe('1.0');
    expect(floatJson(0.1)).toBe('0.1');
    expect(floatJson(1e7)).toBe('1.0E7');
    expect(floatJson(1.5e-5)).toBe('1.5E-5');
    expect(floatJson(Number.NaN)).toBe('"NaN"');
    expect(floatJson(Number.NEGATIVE_INFINITY)).toBe('"-Infinity"');
  });

  it("treats null values as Kafka's JsonConverter does: a null message only for no schema and no value", () => {
    // Checked with Kafka 4.3's JsonConverter.fromConnectData: (null, null) → null in both modes; an optional
    // schema with a null value → the envelope with a null payload, or the text `null`; a required one → error.
    expect(plain.fromRecord('t', undefined, null)).toBeNull();
    expect(withSchemas.fromRecord('t', undefined, null)).toBeNull();
    expect(plain.fromRecord('t', rowSchema, null)?.toString()).toBe('null');
    expect(withSchemas.fromRecord('t', rowSchema, null)?.toString()).toMatch(/"payload":null}$/);
    const required = Schemas.struct([['a', Schemas.int32()]], false, { name: 'x' });
    for (const c of [plain, withSchemas]) {
      expect(() => c.fromRecord('t', required, null)).toThrow(/null value for field that is required/);
    }
  });

  it('spells float32 values as Java writes a float, not as the widened double', () => {
    const s = Schemas.float32();
    expect(plain.fromRecord('t', s, 1.17549435e-38)?.toString()).toBe('1.17549435E-38');
    expect(plain.fromRecord('t', s, -3.40282e38)?.toString()).toBe('-3.40282E38');
    expect(plain.fromRecord('t', s, 1.5)?.toString()).toBe('1.5');
    expect(plain.fromRecord('t', s, Number.NaN)?.toString()).toBe('"NaN"');
  });

  it("rejects plain JSON when schemas are enabled, with Kafka's hint", () => {
    expect(() => withSchemas.toRecord('t', Buffer.from('{"a":1}'))).toThrow(/schemas.enable=false/);
    expect(() => withSchemas.toRecord('t', Buffer.from('{"a":'))).toThrow(/serialization error/);
  });

  it('reads each distinct schema once: records of one schema share its Schema, values stay exact', () => {
    const conv = new JsonConverter({ schemasEnable: true, decimalFormat: 'BASE64' });
    const a = conv.toRecord('t', conv.fromRecord('t', rowSchema, { id: 9007199254740993n, ratio: 0.5 }));
    const b = conv.toRecord('t', conv.fromRecord('t', rowSchema, { id: -1n, doc: '{"}":"{"}' }));
    expect(a.schema).toBe(b.schema);
    expect((a.value as { id: bigint }).id).toBe(9007199254740993n);
    expect((b.value as { doc: string }).doc).toBe('{"}":"{"}');
    // a schema whose JSON has a string default holding brackets and quotes: the scan finds the schema's end past them
    const tricky = Schemas.struct([['s', { ...Schemas.string(true), defaultValue: '}]"\\{' }]]);
    const c = conv.toRecord('t', conv.fromRecord('t', tricky, { s: 'x' }));
    expect(conv.toRecord('t', conv.fromRecord('t', tricky, { s: 'y' })).schema).toBe(c.schema);
    expect(c.value).toEqual({ s: 'x' });
  });

  it('keeps at most schemas.cache.size schemas, and reads other envelope shapes the long way', () => {
    const conv = new JsonConverter({ schemasEnable: true, decimalFormat: 'BASE64', schemasCacheSize: 1 });
    const message = (field: string) => conv.fromRecord('t', Schemas.struct([[field, Schemas.int32()]]), { [field]: 1 });
    const s1 = message('a');
    const first = conv.toRecord('t', s1).schema;
    expect(conv.toRecord('t', s1).schema).toBe(first);
    // the last few schemas stay at hand besides the cache: six others push the first out of both
    for (const f of ['b', 'c', 'd', 'e', 'f', 'g']) conv.toRecord('t', message(f));
    expect(conv.toRecord('t', s1).schema).not.toBe(first);
    expect(conv.toRecord('t', s1).schema).toEqual(first);
    // keys in another order, spaces: still read, as Kafka's converter does
    const spaced = conv.toRecord(
      't',
      Buffer.from(
        '{ "payload": {"a": 7}, "schema": {"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":false} }',
      ),
    );
    expect(spaced.value).toEqual({ a: 7 });
    // a third field after the payload is refused with Kafka's message, not taken as part of the payload
    expect(() => conv.toRecord('t', Buffer.from('{"schema":null,"payload":1,"extra":2}'))).toThrow(
      /requires "schema" and "payload" fields/,
    );
    expect(conv.toRecord('t', Buffer.from('{"schema":null,"payload":"}"}')).value).toBe('}');
  });

  it('writes schemaless values with bigints and buffers', () => {
    expect(
      plain.fromRecord('t', undefined, { a: 12345678901234567890n, b: Buffer.from('hi'), c: [1, null] })?.toString(),
    ).toBe('{"a":12345678901234567890,"b":"aGk=","c":[1,null]}');
    expect(plain.toRecord('t', Buffer.from('{"a":12345678901234567890}')).value).toEqual({ a: 12345678901234567890n });
  });

  it('names float32/float64 "float"/"double" in schema JSON, as Kafka\'s JsonSchema does, and reads them back', () => {
    const s = Schemas.struct([
      ['f', Schemas.float32()],
      ['d', Schemas.float64()],
    ]);
    const bytes = withSchemas.fromRecord('t', s, { f: 1.5, d: 2.25 });
    expect(bytes?.toString()).toContain(
      '{"type":"float","optional":false,"field":"f"},{"type":"double","optional":false,"field":"d"}',
    );
    const back = withSchemas.toRecord('t', bytes);
    expect(back.schema?.fields?.map((f) => f.schema.type)).toEqual(['float32', 'float64']);
    expect(back.value).toEqual({ f: 1.5, d: 2.25 });
  });

  it('writes strings that need escaping exactly as JSON.stringify, plain ones without it', () => {
    for (const text of ['plain line 1', 'a"b', 'back\\slash', 'tab\there', 'é ünïcode', '', '\u2028', '\u0000']) {
      for (const schema of [undefined, Schemas.string()]) {
        const out = plain.fromRecord('t', schema, text)?.toString('utf8');
        expect(out).toBe(JSON.stringify(text));
        expect(plain.fromRecord('t', Schemas.struct([['s', Schemas.string()]]), { s: text })?.toString()).toBe(
          `{"s":${JSON.stringify(text)}}`,
        );
      }
    }
  });

  it('writes a schemaless Date as epoch milliseconds, never as {}', () => {
    expect(plain.fromRecord('t', undefined, { at: new Date(1700000000123) })?.toString()).toBe('{"at":1700000000123}');
  });

  it('writes maps with string keys as objects and others as pairs', () => {
    const m1 = Schemas.map(Schemas.string(), Schemas.int32());
    const m2 = Schemas.map(Schemas.int32(), Schemas.string());
    expect(plain.fromRecord('t', m1, new Map([['a', 1]]))?.toString()).toBe('{"a":1}');
    expect(plain.fromRecord('t', m2, new Map([[1, 'a']]))?.toString()).toBe('[[1,"a"]]');
  });
});
