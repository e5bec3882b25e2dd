import { ByteBuilder, ConnectError, Decimal, Logical, type Schema } from '../api/index.js';
import { javaDoubleString, javaFloatString } from '../data/java-float.js';

/**
 * Writes Connect values as Kafka's JsonConverter does, straight into a ByteBuilder: no intermediate strings for
 * field names, numbers or plain ASCII text, and one writer per schema, compiled once (as Kafka's JsonConverter caches
 * its schema conversions). A struct's writer is generated code with each field's name and writer fixed, so V8 sees
 * monomorphic property loads and calls instead of a loop over a field list.
 */
export type ValueWriter = (value: unknown, out: ByteBuilder) => void;

export type DecimalFormat = 'BASE64' | 'NUMERIC';

const QUOTE = 0x22;
const NULL_BYTES = Buffer.from('null');
const TRUE_BYTES = Buffer.from('true');
const FALSE_BYTES = Buffer.from('false');

export class JsonValueWriters {
  private readonly writers = new WeakMap<Schema, ValueWriter>();

  constructor(private readonly decimalFormat: DecimalFormat) {}

  /** The writer for values of `schema`, null and undefined included (written as the schema's default or null). */
  writer(schema: Schema): ValueWriter {
    let w = this.writers.get(schema);
    if (w === undefined) {
      const base = this.compile(schema);
      const fallback = this.nullBytes(schema);
      w = (v, out) => {
        if (v === null || v === undefined) out.pushBytes(fallback);
        else base(v, out);
      };
      this.writers.set(schema, w);
    }
    return w;
  }

  /** What a null value of this schema is written as: its default value when it has one, else `null`. */
  private nullBytes(schema: Schema): Uint8Array {
    const d = schema.defaultValue;
    if (d === undefined || d === null) return NULL_BYTES;
    const out = new ByteBuilder(64);
    this.compile(schema)(d, out);
    return out.copy();
  }

  /** Writes a non-null value of `schema`. */
  private compile(schema: Schema): ValueWriter {
    switch (schema.type) {
      case 'int8':
      case 'int16':
      case 'int32':
      case 'int64':
        return writeInteger;
      case 'float32':
        return (v, out) => out.pushAscii(float32Json(v as number));
      case 'float64':
        return (v, out) => out.pushAscii(floatJson(v as number));
      case 'boolean':
        return (v, out) => out.pushBytes(v ? TRUE_BYTES : FALSE_BYTES);
      case 'string':
        return writeString;
      case 'bytes':
        if (schema.name === Logical.Decimal)
          return this.decimalFormat === 'NUMERIC' ? writeDecimalNumber : writeDecimal;
        return (v, out) => writeBase64(out, toBuffer(v));
      case 'array': {
        const item = this.writer(schema.valueSchema!);
        return (v, out) => {
          const items = v as unknown[];
          out.pushByte(0x5b);
          for (let i = 0; i < items.length; i++) {
            if (i) out.pushByte(0x2c);
            item(items[i], out);
          }
          out.pushByte(0x5d);
        };
      }
      case 'map': {
        const keyW = this.writer(schema.keySchema!);
        const valW = this.writer(schema.valueSchema!);
        const stringKeys = schema.keySchema?.type === 'string';
        return (v, out) => {
          const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as object);
          out.pushByte(stringKeys ? 0x7b : 0x5b);
          for (let i = 0; i < entries.length; i++) {
            if (i) out.pushByte(0x2c);
            const [k, x] = entries[i];
            if (stringKeys) {
              writeString(String(k), out);
              out.pushByte(0x3a);
            } else {
              out.pushByte(0x5b);
              keyW(k, out);
              out.pushByte(0x2c);
            }
            valW(x, out);
            if (!stringKeys) out.pushByte(0x5d);
          }
          out.pushByte(stringKeys ? 0x7d : 0x5d);
        };
      }
      case 'struct':
        return this.compileStruct(schema);
    }
  }

  /**
   * Generated code for one struct schema. Field names come from databases and users, so they enter the code only
   * as JSON string literals (JSON.stringify output is a valid JavaScript string literal), never as identifiers.
   */
  private compileStruct(schema: Schema): ValueWriter {
    const fields = schema.fields ?? [];
    const prefixes: Uint8Array[] = [];
    const nulls: Uint8Array[] = [];
    const writers: ValueWriter[] = [];
    const lines: string[] = ['var x;'];
    fields.forEach((f, i) => {
      prefixes.push(Buffer.from(`${i ? ',' : '{'}${JSON.stringify(f.name)}:`, 'utf8'));
      nulls.push(this.nullBytes(f.schema));
      writers.push(this.compile(f.schema));
      lines.push(
        `out.pushBytes(P[${i}]);`,
        `x = v[${JSON.stringify(f.name)}];`,
        `if (x === null || x === undefined) out.pushBytes(N[${i}]); else W${i}(x, out);`,
      );
    });
    if (fields.length === 0) lines.push('out.pushByte(0x7b);');
    lines.push('out.pushByte(0x7d);');
    const bindings = writers.map((_, i) => `var W${i} = W[${i}];`).join('\n');
    const factory = new Function(
      'P',
      'N',
      'W',
      `${bindings}\nreturn function writeStruct(v, out) {\n${lines.join('\n')}\n};`,
    );
    return factory(prefixes, nulls, writers) as ValueWriter;
  }
}

/** Connect integers: numbers (safe integers) or bigints; anything else as JavaScript prints it, as before. */
function writeInteger(v: unknown, out: ByteBuilder): void {
  if (typeof v === 'number' && Number.isSafeInteger(v)) writeSafeInteger(out, v);
  else out.pushAscii(String(v));
}

/** Digits straight into the buffer, no string (timestamps, ids, positions are on every record). */
function writeSafeInteger(out: ByteBuilder, v: number): void {
  out.reserve(17);
  const b = out.buf;
  let p = out.length;
  let n = v;
  if (n < 0) {
    b[p++] = 0x2d;
    n = -n;
  }
  if (n < 10) {
    b[p++] = 0x30 + n;
    out.length = p;
    return;
  }
  let digits = 1;
  for (let t = 10; t <= n; t *= 10) digits++;
  p += digits;
  out.length = p;
  // n < 2^53: n / 10 is within 0.9 of an integer that floor() finds exactly at these magnitudes.
  while (n >= 10) {
    const q = Math.floor(n / 10);
    b[--p] = 0x30 + (n - q * 10);
    n = q;
  }
  b[--p] = 0x30 + n;
}

/**
 * A JSON string exactly as JSON.stringify writes it. ASCII is escaped here byte by byte; text with other characters
 * (UTF-8 encoding, lone surrogates) and long text go through JSON.stringify and the native encoder.
 */
export function writeString(v: unknown, out: ByteBuilder): void {
  const s = typeof v === 'string' ? v : String(v);
  const n = s.length;
  if (n > 256) {
    out.pushUtf8(JSON.stringify(s));
    return;
  }
  out.reserve(n * 6 + 2);
  const b = out.buf;
  let p = out.length;
  b[p++] = QUOTE;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== QUOTE && c !== 0x5c) {
      if (c >= 0x80) {
        out.pushUtf8(JSON.stringify(s));
        return;
      }
      b[p++] = c;
    } else if (c === QUOTE || c === 0x5c) {
      b[p++] = 0x5c;
      b[p++] = c;
    } else {
      p = writeControl(b, p, c);
    }
  }
  b[p++] = QUOTE;
  out.length = p;
}

const HEX = '0123456789abcdef';

/** JSON.stringify's escapes for U+0000..U+001F. */
function writeControl(b: Buffer, p: number, c: number): number {
  b[p++] = 0x5c;
  switch (c) {
    case 0x08:
      b[p++] = 0x62;
      return p;
    case 0x09:
      b[p++] = 0x74;
      return p;
    case 0x0a:
      b[p++] = 0x6e;
      return p;
    case 0x0c:
      b[p++] = 0x66;
      return p;
    case 0x0d:
      b[p++] = 0x72;
      return p;
    default:
      b[p++] = 0x75;
      b[p++] = 0x30;
      b[p++] = 0x30;
      b[p++] = HEX.charCodeAt(c >> 4);
      b[p++] = HEX.charCodeAt(c & 15);
      return p;
  }
}

const B64 = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

/** `"<base64>"` of `bytes`, standard alphabet with padding (Jackson's default Base64 variant). */
function writeBase64(out: ByteBuilder, bytes: Uint8Array): void {
  const n = bytes.length;
  if (n > 96) {
    out.pushByte(QUOTE);
    out.pushAscii(Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('base64'));
    out.pushByte(QUOTE);
    return;
  }
  out.reserve(Math.ceil(n / 3) * 4 + 2);
  const b = out.buf;
  let p = out.length;
  b[p++] = QUOTE;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const t = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    b[p++] = B64[t >> 18];
    b[p++] = B64[(t >> 12) & 63];
    b[p++] = B64[(t >> 6) & 63];
    b[p++] = B64[t & 63];
  }
  if (i < n) {
    const t = (bytes[i] << 16) | (i + 1 < n ? bytes[i + 1] << 8 : 0);
    b[p++] = B64[t >> 18];
    b[p++] = B64[(t >> 12) & 63];
    b[p++] = i + 1 < n ? B64[(t >> 6) & 63] : 0x3d;
    b[p++] = 0x3d;
  }
  b[p++] = QUOTE;
  out.length = p;
}

/** below 2^47 the two's-complement bytes (at most 6) are computed exactly with doubles */
const SMALL = 2n ** 47n;
/** scratch for a small unscaled value's two's-complement bytes */
const unscaledScratch = new Uint8Array(6);

/** Connect's Decimal as Kafka writes it by default: base64 of the unscaled value's two's-complement bytes. */
function writeDecimal(v: unknown, out: ByteBuilder): void {
  if (!(v instanceof Decimal)) throw new ConnectError(`expected a Decimal, got ${typeof v}`);
  const u = v.unscaled;
  if (u > -SMALL && u < SMALL) {
    // The common case without bigint arithmetic: minimal big-endian two's complement (BigInteger.toByteArray).
    let n = Number(u);
    let len = 1;
    while (len < 6 && (n < -(2 ** (len * 8 - 1)) || n >= 2 ** (len * 8 - 1))) len++;
    if (n < 0) n += 2 ** (len * 8);
    for (let i = len - 1; i >= 0; i--) {
      unscaledScratch[i] = n % 256;
      n = Math.floor(n / 256);
    }
    writeBase64(out, unscaledScratch.subarray(0, len));
    return;
  }
  writeBase64(out, v.unscaledBytes());
}

function writeDecimalNumber(v: unknown, out: ByteBuilder): void {
  out.pushAscii((v as Decimal).toString());
}

export function toBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new ConnectError(`expected bytes, got ${typeof v}`);
}

/** Java's Double.toString spelling (Java 17's, see java-float.ts), as Jackson writes doubles; NaN and infinities quoted. */
export function floatJson(n: number): string {
  return Number.isFinite(n) ? javaDoubleString(n) : `"${javaDoubleString(n)}"`;
}

/** Java's Float.toString spelling of a float32 value, as Jackson writes floats. */
export function float32Json(n: number): string {
  const f = Math.fround(n);
  return Number.isFinite(f) ? javaFloatString(f) : `"${javaFloatString(f)}"`;
}
