import { type ByteBuilder, ConnectError, type Schema } from '../../api/index.js';
import { toBuffer } from '../json-writer.js';
import { decimalBytes, isDecimal } from './avro-schema.js';

/**
 * Avro's binary encoding of Connect values, compiled once per Connect schema and written straight into the
 * converter's ByteBuilder, following the Avro schema AvroSchemaBuilder makes for the same Connect schema (an
 * optional value is the union `["null", T]`, or `[T, "null"]` when it has a default; maps with other than
 * required string keys are arrays of key/value records).
 *
 * Why not avsc here: avsc writes only its own value shapes — int64 beyond 2^53 needs a custom long type that
 * round-trips every long through an 8-byte buffer, and Decimal, Map and Uint8Array values would each need a copy of
 * the record in avsc's representation first. Connect values go to bytes directly here; avsc decodes (decoder.ts),
 * and the tests read what this writes with avsc and with Confluent's own deserializer.
 */
export type AvroWriter = (value: unknown, out: ByteBuilder) => void;

const AVRO_TYPE_ENUM = 'io.confluent.connect.avro.Enum';

export class AvroWriters {
  private readonly writers = new WeakMap<Schema, AvroWriter>();

  constructor(private readonly enhancedSchemaSupport = false) {}

  /** The writer for a value of `schema` (null and undefined included: default, union branch, or an error). */
  writer(schema: Schema, where = 'value'): AvroWriter {
    let w = this.writers.get(schema);
    if (w === undefined) {
      w = this.compileNullable(schema, where);
      this.writers.set(schema, w);
    }
    return w;
  }

  private compileNullable(schema: Schema, where: string): AvroWriter {
    const base = this.compile(schema);
    const hasDefault = schema.defaultValue !== undefined && schema.defaultValue !== null;
    const def = schema.defaultValue;
    if (!schema.optional) {
      if (hasDefault) return (v, out) => base(v === null || v === undefined ? def : v, out);
      return (v, out) => {
        if (v === null || v === undefined) {
          throw new ConnectError(`Conversion error: null value for non-optional schema (${where})`);
        }
        base(v, out);
      };
    }
    if (hasDefault && schema.type !== 'struct') {
      // [T, "null"]: a null becomes the default (Connect's Struct.get), so it is always the first branch.
      return (v, out) => {
        out.pushByte(0);
        base(v === null || v === undefined ? def : v, out);
      };
    }
    // ["null", T]
    return (v, out) => {
      if (v === null || v === undefined) {
        if (hasDefault) {
          out.pushByte(2);
          base(def, out);
        } else out.pushByte(0);
        return;
      }
      out.pushByte(2);
      base(v, out);
    };
  }

  /** Writes a non-null value. */
  private compile(schema: Schema): AvroWriter {
    switch (schema.type) {
      case 'int8':
      case 'int16':
      case 'int32':
        return writeInt;
      case 'int64':
        return writeLong;
      case 'float32':
        return writeFloat;
      case 'float64':
        return writeDouble;
      case 'boolean':
        return (v, out) => out.pushByte(v ? 1 : 0);
      case 'string': {
        const params = schema.parameters;
        if (this.enhancedSchemaSupport && params && AVRO_TYPE_ENUM in params) {
          const symbols = Object.keys(params)
            .filter((k) => k.startsWith(`${AVRO_TYPE_ENUM}.`))
            .map((k) => k.slice(AVRO_TYPE_ENUM.length + 1));
          return (v, out) => {
            const i = symbols.indexOf(String(v));
            if (i < 0) throw new ConnectError(`"${String(v)}" is not a symbol of enum ${params[AVRO_TYPE_ENUM]}`);
            writeLongNumber(i, out);
          };
        }
        return writeString;
      }
      case 'bytes':
        if (isDecimal(schema)) return (v, out) => writeBytes(decimalBytes(schema, v), out);
        return (v, out) => {
          if (typeof v === 'string') throw new ConnectError('Invalid type for bytes: string');
          writeBytes(toBuffer(v as Uint8Array), out);
        };
      case 'array': {
        const item = this.writer(schema.valueSchema!, 'array item');
        return (v, out) => {
          const items = v as unknown[];
          if (items.length > 0) {
            writeLongNumber(items.length, out);
            for (let i = 0; i < items.length; i++) item(items[i], out);
          }
          out.pushByte(0);
        };
      }
      case 'map': {
        const valueW = this.writer(schema.valueSchema!, 'map value');
        const entriesOf = (v: unknown): Array<[unknown, unknown]> =>
          v instanceof Map ? [...v.entries()] : Object.entries(v as object);
        if (schema.keySchema!.type === 'string' && !schema.keySchema!.optional) {
          return (v, out) => {
            const entries = entriesOf(v);
            if (entries.length > 0) {
              writeLongNumber(entries.length, out);
              for (const [k, x] of entries) {
                writeString(String(k), out);
                valueW(x, out);
              }
            }
            out.pushByte(0);
          };
        }
        const keyW = this.writer(schema.keySchema!, 'map key');
        return (v, out) => {
          const entries = entriesOf(v);
          if (entries.length > 0) {
            writeLongNumber(entries.length, out);
            for (const [k, x] of entries) {
              keyW(k, out);
              valueW(x, out);
            }
          }
          out.pushByte(0);
        };
      }
      case 'struct':
        return this.compileStruct(schema);
    }
  }

  /**
   * Generated code for one struct: each field's writer bound to a variable, its name a JSON string literal (names
   * come from databases and users: never identifiers), so V8 sees monomorphic loads and calls.
   */
  private compileStruct(schema: Schema): AvroWriter {
    const fields = schema.fields ?? [];
    const writers = fields.map((f) => this.writer(f.schema, `field ${f.name}`));
    const bindings = writers.map((_, i) => `var W${i} = W[${i}];`).join('\n');
    const body = fields.map((f, i) => `W${i}(v[${JSON.stringify(f.name)}], out);`).join('\n');
    const factory = new Function('W', `${bindings}\nreturn function writeRecord(v, out) {\n${body}\n};`);
    return factory(writers) as AvroWriter;
  }
}

function writeInt(v: unknown, out: ByteBuilder): void {
  const n = v as number;
  if (typeof n !== 'number' || (n | 0) !== n) {
    if (typeof v === 'bigint' && v >= -(2n ** 31n) && v < 2n ** 31n) {
      writeInt(Number(v), out);
      return;
    }
    throw new ConnectError(`Invalid value for an Avro int: ${String(v)}`);
  }
  // zigzag, then varint
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  out.reserve(5);
  const b = out.buf;
  let p = out.length;
  while (z > 0x7f) {
    b[p++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  b[p++] = z;
  out.length = p;
}

function writeLong(v: unknown, out: ByteBuilder): void {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new ConnectError(`Invalid value for an Avro long: ${v}`);
    writeLongNumber(v, out);
  } else if (typeof v === 'bigint') {
    if (v >= -(2n ** 53n) && v <= 2n ** 53n) writeLongNumber(Number(v), out);
    else writeLongBig(v, out);
  } else throw new ConnectError(`Invalid value for an Avro long: ${typeof v}`);
}

/** zigzag varint of a safe integer, with double arithmetic above 2^31 */
function writeLongNumber(n: number, out: ByteBuilder): void {
  if (n >= -0x40000000 && n < 0x40000000) {
    let z = ((n << 1) ^ (n >> 31)) >>> 0;
    out.reserve(5);
    const b = out.buf;
    let p = out.length;
    while (z > 0x7f) {
      b[p++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    b[p++] = z;
    out.length = p;
    return;
  }
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  out.reserve(10);
  const b = out.buf;
  let p = out.length;
  while (z >= 0x80) {
    b[p++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  b[p++] = z;
  out.length = p;
}

const MASK64 = (1n << 64n) - 1n;

function writeLongBig(v: bigint, out: ByteBuilder): void {
  if (v < -(1n << 63n) || v >= 1n << 63n) throw new ConnectError(`Value out of range for an Avro long: ${v}`);
  let z = ((v << 1n) ^ (v >> 63n)) & MASK64;
  out.reserve(10);
  const b = out.buf;
  let p = out.length;
  while (z >= 0x80n) {
    b[p++] = Number(z & 0x7fn) | 0x80;
    z >>= 7n;
  }
  b[p++] = Number(z);
  out.length = p;
}

function writeFloat(v: unknown, out: ByteBuilder): void {
  if (typeof v !== 'number') throw new ConnectError(`Invalid value for an Avro float: ${typeof v}`);
  out.reserve(4);
  out.buf.writeFloatLE(v, out.length);
  out.length += 4;
}

function writeDouble(v: unknown, out: ByteBuilder): void {
  if (typeof v !== 'number') throw new ConnectError(`Invalid value for an Avro double: ${typeof v}`);
  out.reserve(8);
  out.buf.writeDoubleLE(v, out.length);
  out.length += 8;
}

function writeString(v: unknown, out: ByteBuilder): void {
  if (typeof v !== 'string') throw new ConnectError(`Invalid value for an Avro string: ${typeof v}`);
  const n = v.length;
  // ASCII (the common case) has as many bytes as characters: write the length, then the characters.
  let ascii = n < 64;
  if (ascii) {
    for (let i = 0; i < n; i++) {
      if (v.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
  }
  if (ascii) {
    writeLongNumber(n, out);
    out.pushAscii(v);
    return;
  }
  const len = Buffer.byteLength(v, 'utf8');
  writeLongNumber(len, out);
  out.reserve(len);
  out.buf.write(v, out.length, len, 'utf8');
  out.length += len;
}

function writeBytes(bytes: Uint8Array, out: ByteBuilder): void {
  writeLongNumber(bytes.length, out);
  out.pushBytes(bytes);
}
