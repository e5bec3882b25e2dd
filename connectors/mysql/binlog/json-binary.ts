import { ColumnType } from './constants.js';
import { decodeBinaryDecimal } from './decimal.js';

/**
 * MySQL's binary JSON (json_binary.h) to compact JSON text, as Debezium's JsonBinary does. MariaDB never
 * writes this: its JSON columns are LONGTEXT. Offsets inside an object or array count from the byte after its
 * type byte; small containers use 2-byte counts and offsets, large ones 4.
 */
const T = {
  SMALL_OBJECT: 0x00,
  LARGE_OBJECT: 0x01,
  SMALL_ARRAY: 0x02,
  LARGE_ARRAY: 0x03,
  LITERAL: 0x04,
  INT16: 0x05,
  UINT16: 0x06,
  INT32: 0x07,
  UINT32: 0x08,
  INT64: 0x09,
  UINT64: 0x0a,
  DOUBLE: 0x0b,
  STRING: 0x0c,
  OPAQUE: 0x0f,
} as const;

export function jsonBinaryToText(buf: Buffer): string {
  // An empty value is what MySQL logs for a JSON column set to '' in non-strict mode; Debezium emits null JSON.
  if (buf.length === 0) return 'null';
  return value(buf, buf[0], 1);
}

function value(buf: Buffer, type: number, pos: number): string {
  switch (type) {
    case T.SMALL_OBJECT:
      return container(buf, pos, false, true);
    case T.LARGE_OBJECT:
      return container(buf, pos, true, true);
    case T.SMALL_ARRAY:
      return container(buf, pos, false, false);
    case T.LARGE_ARRAY:
      return container(buf, pos, true, false);
    case T.LITERAL:
      return literal(buf[pos]);
    case T.INT16:
      return String(buf.readInt16LE(pos));
    case T.UINT16:
      return String(buf.readUInt16LE(pos));
    case T.INT32:
      return String(buf.readInt32LE(pos));
    case T.UINT32:
      return String(buf.readUInt32LE(pos));
    case T.INT64:
      return buf.readBigInt64LE(pos).toString();
    case T.UINT64:
      return buf.readBigUInt64LE(pos).toString();
    case T.DOUBLE:
      return doubleText(buf.readDoubleLE(pos));
    case T.STRING: {
      const [len, start] = varLength(buf, pos);
      return JSON.stringify(buf.toString('utf8', start, start + len));
    }
    case T.OPAQUE:
      return opaque(buf, pos);
    default:
      throw new RangeError(`unknown binary JSON value type 0x${type.toString(16)}`);
  }
}

function literal(b: number): string {
  if (b === 0) return 'null';
  if (b === 1) return 'true';
  if (b === 2) return 'false';
  throw new RangeError(`unknown binary JSON literal ${b}`);
}

function doubleText(n: number): string {
  // Debezium writes doubles with Java's Double.toString, which keeps ".0" on integral values.
  if (Number.isInteger(n) && Math.abs(n) < 1e7) return `${n}.0`;
  return String(n);
}

function container(buf: Buffer, start: number, large: boolean, isObject: boolean): string {
  const w = large ? 4 : 2;
  const read = (p: number) => (large ? buf.readUInt32LE(p) : buf.readUInt16LE(p));
  const count = read(start);
  let p = start + 2 * w;
  const keys: string[] = [];
  if (isObject) {
    for (let i = 0; i < count; i++) {
      const keyOffset = read(p);
      const keyLength = buf.readUInt16LE(p + w);
      keys.push(buf.toString('utf8', start + keyOffset, start + keyOffset + keyLength));
      p += w + 2;
    }
  }
  const items: string[] = [];
  for (let i = 0; i < count; i++) {
    const type = buf[p];
    const inlined =
      type === T.LITERAL || type === T.INT16 || type === T.UINT16 || (large && (type === T.INT32 || type === T.UINT32));
    items.push(inlined ? value(buf, type, p + 1) : value(buf, type, start + read(p + 1)));
    p += 1 + w;
  }
  if (!isObject) return `[${items.join(',')}]`;
  return `{${items.map((v, i) => `${JSON.stringify(keys[i])}:${v}`).join(',')}}`;
}

/** Variable length: 7 bits per byte, low bits first, high bit set while more bytes follow. */
function varLength(buf: Buffer, pos: number): [number, number] {
  let len = 0;
  for (let i = 0; i < 5; i++) {
    const b = buf[pos + i];
    len |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) === 0) return [len >>> 0, pos + i + 1];
  }
  throw new RangeError('binary JSON variable length too long');
}

function opaque(buf: Buffer, pos: number): string {
  const fieldType = buf[pos];
  const [len, start] = varLength(buf, pos + 1);
  const data = buf.subarray(start, start + len);
  switch (fieldType) {
    case ColumnType.NEWDECIMAL:
      return decodeBinaryDecimal(data, 2, data[0], data[1]).toString();
    case ColumnType.DATE:
    case ColumnType.DATETIME:
    case ColumnType.TIMESTAMP:
      return JSON.stringify(packedDateTime(data.readBigInt64LE(0), fieldType === ColumnType.DATE));
    case ColumnType.TIME:
      return JSON.stringify(packedTime(data.readBigInt64LE(0)));
    default:
      return JSON.stringify(`base64:type${fieldType}:${data.toString('base64')}`);
  }
}

const p2 = (n: number | bigint) => String(n).padStart(2, '0');

function fraction(micros: bigint): string {
  return micros === 0n ? '' : `.${String(micros).padStart(6, '0')}`;
}

function packedDateTime(packed: bigint, dateOnly: boolean): string {
  const abs = packed < 0n ? -packed : packed;
  const ymdhms = abs >> 24n;
  const micros = abs % (1n << 24n);
  const ymd = ymdhms >> 17n;
  const ym = ymd >> 5n;
  const hms = ymdhms % (1n << 17n);
  const date = `${String(ym / 13n).padStart(4, '0')}-${p2(ym % 13n)}-${p2(ymd % 32n)}`;
  if (dateOnly) return date;
  return `${date} ${p2(hms >> 12n)}:${p2((hms >> 6n) % 64n)}:${p2(hms % 64n)}${fraction(micros)}`;
}

function packedTime(packed: bigint): string {
  const negative = packed < 0n;
  const abs = negative ? -packed : packed;
  const hms = abs >> 24n;
  const micros = abs % (1n << 24n);
  return `${negative ? '-' : ''}${p2((hms >> 12n) % 1024n)}:${p2((hms >> 6n) % 64n)}:${p2(hms % 64n)}${fraction(micros)}`;
}
