import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ByteBuilder,
  ConfigError,
  Decimal,
  LogicalSchemas,
  type Schema,
  Schemas,
} from '../../../../runtime/api/index.js';
import { AvroSchemaBuilder, avroSchemaText } from '../../../../runtime/converters/avro/avro-schema.js';
import { avroReader } from '../../../../runtime/converters/avro/decoder.js';
import { AvroWriters } from '../../../../runtime/converters/avro/encoder.js';
import { createAvroConverter } from '../../../../runtime/converters/avro/plugin.js';
import { parseConfig } from '../../../../runtime/config/parse.js';
import { avroConverterPlugin } from '../../../../runtime/converters/avro/plugin.js';

/**
 * Our Avro writer against avsc's reader (an independent implementation of Avro's binary encoding), and the way back
 * to Connect values. Confluent's own deserializer reads the same bytes in test/integration/avro.
 */

const schemas = new AvroSchemaBuilder({
  connectMetaData: true,
  enhancedSchemaSupport: false,
  scrubInvalidNames: false,
});

function write(schema: Schema, value: unknown): Buffer {
  const out = new ByteBuilder(16);
  new AvroWriters().writer(schema)(value, out);
  return out.copy();
}

/** avsc's own reading of our bytes, longs as bigint where they exceed 2^53 */
function avscRead(schema: Schema, bytes: Buffer): unknown {
  const LONG = avro.types.LongType.__with({
    fromBuffer: (b: Buffer) => b.readBigInt64LE(0),
    toBuffer: (v: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(v);
      return b;
    },
    fromJSON: BigInt,
    toJSON: Number,
    isValid: (v: unknown) => typeof v === 'bigint',
    compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
  });
  const type = avro.Type.forSchema(JSON.parse(avroSchemaText(schemas.fromConnectSchema(schema))), {
    typeHook: (s) =>
      s === 'long' || (typeof s === 'object' && (s as { type?: unknown }).type === 'long') ? LONG : undefined,
  });
  return type.fromBuffer(bytes);
}

function roundTrip(schema: Schema, value: unknown): unknown {
  const reader = avroReader(avroSchemaText(schemas.fromConnectSchema(schema)));
  return reader.read(write(schema, value));
}

const row = Schemas.struct(
  [
    ['i8', Schemas.int8()],
    ['i16', Schemas.int16()],
    ['i32', Schemas.int32()],
    ['i64', Schemas.int64()],
    ['f32', Schemas.float32()],
    ['f64', Schemas.float64()],
    ['b', Schemas.boolean()],
    ['s', Schemas.string()],
    ['bytes', Schemas.bytes()],
    ['dec', LogicalSchemas.decimal(5, 40, true)],
    ['arr', Schemas.array(Schemas.int64(true), true)],
    ['m', Schemas.map(Schemas.string(), Schemas.float64(), true)],
    ['mi', Schemas.map(Schemas.int64(), Schemas.string(), true)],
    ['inner', LogicalSchemas.variableScaleDecimal(true)],
    ['withDefault', Schemas.string(true, { defaultValue: 'dflt' })],
  ],
  false,
  { name: 'srv.public.t.Value' },
);

describe('Avro binary encoding of Connect values', () => {
  it('edge values: int64 extremes, NaN and infinities, float32, a 40-digit Decimal, bytes, unicode, maps, arrays', () => {
    const value = {
      i8: -128,
      i16: 32767,
      i32: -2147483648,
      i64: -(2n ** 63n),
      f32: Math.fround(0.1),
      f64: Number.NaN,
      b: true,
      s: 'héllo 😀 "q"',
      bytes: Buffer.from([0, 255, 1]),
      dec: Decimal.parse('-12345678901234567890123456789012345.67891'),
      arr: [9223372036854775807n, null, -1, 0],
      m: new Map([
        ['inf', Number.POSITIVE_INFINITY],
        ['-inf', Number.NEGATIVE_INFINITY],
      ]),
      mi: new Map([[2n ** 60n, 'x']]),
      inner: { scale: 3, value: Buffer.from([0x80]) },
      withDefault: null,
    };
    const bytes = write(row, value);
    const read = avscRead(row, bytes) as Record<string, unknown>;
    expect(read.i64).toBe(-(2n ** 63n));
    expect(read.f32).toBe(Math.fround(0.1));
    expect(Number.isNaN(read.f64)).toBe(true);
    expect(read.s).toBe('héllo 😀 "q"');
    expect(Decimal.fromUnscaledBytes(read.dec as Buffer, 5).toString()).toBe(
      '-12345678901234567890123456789012345.67891',
    );
    expect(read.arr).toEqual([9223372036854775807n, null, -1n, 0n]);
    expect(read.m).toEqual({ inf: Number.POSITIVE_INFINITY, '-inf': Number.NEGATIVE_INFINITY });
    expect(read.mi).toEqual([{ key: 2n ** 60n, value: 'x' }]);
    // A null with a default is written as the default (Connect's Struct.get).
    expect(read.withDefault).toBe('dflt');

    const back = roundTrip(row, value) as Record<string, unknown>;
    expect(back.i64).toBe(-(2n ** 63n));
    expect(back.arr).toEqual([9223372036854775807n, null, -1, 0]);
    expect((back.dec as Decimal).equals(value.dec)).toBe(true);
    expect(back.mi).toEqual(value.mi);
    expect(back.m).toEqual(value.m);
    expect(back.bytes).toEqual(value.bytes);
    expect(back.inner).toEqual(value.inner);
  });

  it('every int64 and every string survive the round trip (property)', () => {
    const s = Schemas.struct(
      [
        ['n', Schemas.int64()],
        ['t', Schemas.string(true)],
      ],
      false,
      { name: 'p.Value' },
    );
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.option(fc.string({ unit: 'grapheme' })),
        (n, t) => {
          const back = roundTrip(s, { n, t }) as { n: number | bigint; t: string | null };
          expect(BigInt(back.n)).toBe(n);
          expect(back.t).toBe(t);
        },
      ),
    );
  });

  it('a null for a required field fails with the field named; a value out of range fails', () => {
    expect(() => write(row, { i8: null })).toThrow(/field i8/);
    const s = Schemas.struct([['n', Schemas.int32()]], false, { name: 'x.V' });
    expect(() => write(s, { n: 2 ** 31 })).toThrow(/Avro int/);
    const l = Schemas.struct([['n', Schemas.int64()]], false, { name: 'x.L' });
    expect(() => write(l, { n: 2n ** 63n })).toThrow(/out of range/);
  });
});

describe('AvroConverter', () => {
  const make = (props: Record<string, string>, isKey = false) => {
    const parsed = parseConfig(avroConverterPlugin.configSpec, props);
    expect(parsed.issues).toEqual([]);
    return createAvroConverter(parsed.config, isKey);
  };

  it("subjects by strategy: TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy (Confluent's class names or short)", () => {
    const url = { 'schema.registry.url': 'http://127.0.0.1:1' };
    const key = make(url, true);
    const value = make({
      ...url,
      'value.subject.name.strategy': 'io.confluent.kafka.serializers.subject.RecordNameStrategy',
    });
    const both = make({ ...url, 'value.subject.name.strategy': 'TopicRecordNameStrategy' });
    const state = { recordName: 'srv.public.t.Envelope' } as never;
    expect(key.subject('srv.public.t', state)).toBe('srv.public.t-key');
    expect(value.subject('srv.public.t', state)).toBe('srv.public.t.Envelope');
    expect(both.subject('srv.public.t', state)).toBe('srv.public.t-srv.public.t.Envelope');
  });

  it('config errors name the key and never echo a secret', () => {
    const bad = (props: Record<string, string>) => {
      const parsed = parseConfig(avroConverterPlugin.configSpec, props);
      try {
        createAvroConverter(parsed.config, false);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('no error');
    };
    expect(bad({})).toMatch(/schema\.registry\.url/);
    expect(bad({ 'schema.registry.url': 'ftp://x' })).toMatch(/http or https/);
    expect(bad({ 'schema.registry.url': 'http://x', 'basic.auth.credentials.source': 'USER_INFO' })).toMatch(
      /basic\.auth\.user\.info/,
    );
    const msg = bad({
      'schema.registry.url': 'notaurl://user:s3cret@',
      'bearer.auth.credentials.source': 'STATIC_TOKEN',
    });
    expect(msg).not.toContain('s3cret');
    expect(msg).toMatch(/bearer\.auth\.token/);
  });

  it('credentials: user info in the URL (source URL), USER_INFO, or a static bearer token; URLs kept without them', () => {
    const fromUrl = make({ 'schema.registry.url': 'http://fred:letmein@127.0.0.1:8081' });
    expect(fromUrl.registry.o.authorization).toBe(`Basic ${Buffer.from('fred:letmein').toString('base64')}`);
    expect(fromUrl.registry.o.urls).toEqual(['http://127.0.0.1:8081']);
    const info = make({
      'schema.registry.url': 'http://h:1',
      'basic.auth.credentials.source': 'USER_INFO',
      'basic.auth.user.info': 'a:b',
    });
    expect(info.registry.o.authorization).toBe(`Basic ${Buffer.from('a:b').toString('base64')}`);
    const bearer = make({
      'schema.registry.url': 'http://h:1',
      'bearer.auth.credentials.source': 'STATIC_TOKEN',
      'bearer.auth.token': 'tok',
      'bearer.auth.logical.cluster': 'lsrc-1',
    });
    expect(bearer.registry.o.authorization).toBe('Bearer tok');
    expect(bearer.registry.o.headers).toEqual({ 'target-sr-cluster': 'lsrc-1' });
  });

  it("Confluent's wire format: magic byte 0, then the id big-endian; tombstones stay null; unknown magic is refused", () => {
    const conv = make({ 'schema.registry.url': 'http://127.0.0.1:1' });
    expect(conv.fromRecord('t', undefined, null)).toBeNull();
    expect(conv.fromRecord('t', Schemas.withOptional(row, true), null)).toBeNull();
    // As Confluent's: a null value for a required schema is an error, not a tombstone.
    expect(() => conv.fromRecord('t', row, null)).toThrow(/non-optional/);
    expect(conv.prepareFromRecord('t', row, null)).toBeUndefined();
    expect(conv.toRecord('t', null)).toEqual({ value: null });
    expect(() => conv.toRecord('t', Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow(/Unknown magic byte/);
    // Not yet registered: a retriable error, never bytes with a made-up id.
    expect(() => conv.fromRecord('t', row, { i8: 1 })).toThrow(/not registered yet/);
  });
});
