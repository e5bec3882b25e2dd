import { describe, expect, it } from 'vitest';
import { float32Json, floatJson, JsonConverter } from '../../../runtime/converters/json.js';
import { ByteBuilder, Decimal, LogicalSchemas, type Schema, Schemas } from '../../../runtime/data/index.js';

/**
 * The byte writer against a plain string oracle (Kafka's JsonConverter rules spelled with JSON.stringify), on
 * random schemas and values: the fast path must write exactly what the simple one would.
 */
function oracle(schema: Schema, v: unknown, numeric: boolean): string {
  if (v === null || v === undefined) {
    const d = schema.defaultValue;
    return d === null || d === undefined ? 'null' : oracle(schema, d, numeric);
  }
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return String(v);
    case 'float32':
      return float32Json(v as number);
    case 'float64':
      return floatJson(v as number);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return JSON.stringify(String(v));
    case 'bytes':
      if (v instanceof Decimal) return numeric ? v.toString() : `"${v.unscaledBytes().toString('base64')}"`;
      return `"${Buffer.from(v as Uint8Array).toString('base64')}"`;
    case 'array':
      return `[${(v as unknown[]).map((x) => oracle(schema.valueSchema!, x, numeric)).join(',')}]`;
    case 'map': {
      const entries = [...(v as Map<unknown, unknown>).entries()];
      if (schema.keySchema!.type === 'string')
        return `{${entries.map(([k, x]) => `${JSON.stringify(String(k))}:${oracle(schema.valueSchema!, x, numeric)}`).join(',')}}`;
      return `[${entries.map(([k, x]) => `[${oracle(schema.keySchema!, k, numeric)},${oracle(schema.valueSchema!, x, numeric)}]`).join(',')}]`;
    }
    case 'struct': {
      const obj = v as Record<string, unknown>;
      return `{${(schema.fields ?? []).map((f) => `${JSON.stringify(f.name)}:${oracle(f.schema, obj[f.name], numeric)}`).join(',')}}`;
    }
  }
}

/** xorshift32: the same cases on every run */
function rng(seed: number) {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}
type Rng = ReturnType<typeof rng>;

const STRINGS = [
  '',
  'plain',
  'a"b\\c',
  'tab\tnew\nline\r\u0008\u000c',
  '\u0000\u001f\u007f',
  'é ünïcode ✓ 😀',
  '\ud800 lone',
  'trail \udc00',
  '\u2028\u2029',
  '{"qty": 1, "sku": "SKU-1", "tags": ["a", "b"]}',
  'x'.repeat(300),
  `${'y'.repeat(299)}"`,
  `${'z'.repeat(400)}é`,
];

function randomSchema(r: Rng, depth: number): Schema {
  const optional = r.next() < 0.5;
  const leaf = depth > 2 || r.next() < 0.6;
  if (leaf) {
    const kind = r.int(10);
    switch (kind) {
      case 0:
        return Schemas.int8(optional);
      case 1:
        return Schemas.int32(optional, r.next() < 0.2 ? { defaultValue: -7 } : undefined);
      case 2:
        return Schemas.int64(optional);
      case 3:
        return r.next() < 0.5 ? Schemas.float64(optional) : Schemas.float32(optional);
      case 4:
        return Schemas.boolean(optional);
      case 5:
        return Schemas.string(optional, r.next() < 0.2 ? { defaultValue: 'dflt "q"' } : undefined);
      case 6:
        return Schemas.bytes(optional);
      case 7:
        return LogicalSchemas.decimal(r.int(5), undefined, optional);
      case 8:
        return LogicalSchemas.microTimestamp(optional);
      default:
        return Schemas.string(optional);
    }
  }
  const kind = r.int(3);
  if (kind === 0) return Schemas.array(randomSchema(r, depth + 1), optional);
  if (kind === 1)
    return Schemas.map(r.next() < 0.5 ? Schemas.string() : Schemas.int32(), randomSchema(r, depth + 1), optional);
  const n = r.int(6);
  const fields: Array<[string, Schema]> = [];
  for (let i = 0; i < n; i++)
    fields.push([r.pick(['id', 'a b', 'naïve', 'q"uote', `f${i}`, '']) + i, randomSchema(r, depth + 1)]);
  return Schemas.struct(fields, optional, { name: 'rnd.Value' });
}

function randomValue(r: Rng, schema: Schema): unknown {
  if (r.next() < 0.1) return r.next() < 0.5 ? null : undefined;
  switch (schema.type) {
    case 'int8':
      return r.int(256) - 128;
    case 'int16':
    case 'int32':
      return r.pick([0, -0, 1, -1, 9, 10, 99, 100, 2147483647, -2147483648, r.int(1e6) - 5e5]);
    case 'int64':
      return r.pick([
        0,
        -1,
        1796600900786000,
        -1796600900786000,
        Number.MAX_SAFE_INTEGER,
        -Number.MAX_SAFE_INTEGER,
        9007199254740993n,
        -9223372036854775808n,
        1796600900786000000n,
        r.int(1e9),
      ]);
    case 'float32':
    case 'float64':
      return r.pick([0, -0, 1, 0.1, 1e7, 1.5e-5, -123.456, Number.NaN, Number.POSITIVE_INFINITY, r.next() * 1e12]);
    case 'boolean':
      return r.next() < 0.5;
    case 'string':
      return r.pick(STRINGS);
    case 'bytes': {
      if (schema.name === 'org.apache.kafka.connect.data.Decimal') {
        const scale = Number(schema.parameters?.scale ?? 0);
        const unscaled = r.pick([
          0n,
          1n,
          -1n,
          127n,
          128n,
          -128n,
          -129n,
          255n,
          256n,
          32767n,
          -32768n,
          2n ** 46n,
          -(2n ** 46n),
          2n ** 47n - 1n,
          -(2n ** 47n),
          2n ** 47n,
          2n ** 63n,
          -(2n ** 80n) + 12345n,
          BigInt(r.int(1e9)) - 500000000n,
        ]);
        return new Decimal(unscaled, scale);
      }
      const n = r.pick([0, 1, 2, 3, 4, 5, 95, 96, 97, 200]);
      return Buffer.from(Array.from({ length: n }, () => r.int(256)));
    }
    case 'array':
      return Array.from({ length: r.int(4) }, () => randomValue(r, schema.valueSchema!));
    case 'map': {
      const m = new Map<unknown, unknown>();
      for (let i = r.int(3); i > 0; i--)
        m.set(schema.keySchema!.type === 'string' ? r.pick(STRINGS) : r.int(100), randomValue(r, schema.valueSchema!));
      return m;
    }
    case 'struct': {
      const o: Record<string, unknown> = {};
      for (const f of schema.fields ?? []) o[f.name] = randomValue(r, f.schema);
      return o;
    }
  }
}

describe('JSON byte writer', () => {
  for (const numeric of [false, true]) {
    it(`writes what the string oracle writes for 3,000 random schemas and values (decimal.format=${numeric ? 'NUMERIC' : 'BASE64'})`, () => {
      const r = rng(numeric ? 0x5eed : 0xc0ffee);
      const plain = new JsonConverter({ schemasEnable: false, decimalFormat: numeric ? 'NUMERIC' : 'BASE64' });
      const enveloped = new JsonConverter({ schemasEnable: true, decimalFormat: numeric ? 'NUMERIC' : 'BASE64' });
      const shared = new ByteBuilder(16);
      for (let i = 0; i < 3000; i++) {
        const schema = randomSchema(r, 0);
        const value = randomValue(r, schema);
        if ((value === null || value === undefined) && !schema.optional && schema.defaultValue === undefined) {
          // Kafka's JsonConverter refuses a null for a required schema at the top (a tombstone has no schema).
          expect(() => plain.fromRecord('t', schema, value)).toThrow(/null value for field that is required/);
          continue;
        }
        const expected = oracle(schema, value, numeric);
        expect(plain.fromRecord('t', schema, value)?.toString('utf8')).toBe(expected);
        // Appending: the same bytes, whatever was in the buffer before and however small it started.
        const before = shared.length;
        expect(enveloped.appendRecord(shared, 't', schema, value)).toBe(true);
        expect(shared.buf.subarray(before, shared.length).toString('utf8')).toBe(
          `{"schema":${enveloped.schemaJson(schema)},"payload":${expected}}`,
        );
        if (shared.length > 1 << 16) shared.reset();
      }
    });
  }

  it('writes nothing and returns false where fromRecord returns null (no schema, no value: a tombstone)', () => {
    const out = new ByteBuilder(8);
    for (const schemasEnable of [false, true]) {
      const c = new JsonConverter({ schemasEnable, decimalFormat: 'BASE64' });
      expect(c.appendRecord(out, 't', undefined, null)).toBe(false);
      expect(c.fromRecord('t', undefined, null)).toBeNull();
    }
    expect(out.length).toBe(0);
  });

  it('keeps field names that look like code as data', () => {
    const name = '"]; throw new Error("x"); //';
    const s = Schemas.struct([[name, Schemas.int32()]]);
    const c = new JsonConverter({ schemasEnable: false, decimalFormat: 'BASE64' });
    expect(c.fromRecord('t', s, { [name]: 5 })?.toString()).toBe(JSON.stringify({ [name]: 5 }));
  });
});
