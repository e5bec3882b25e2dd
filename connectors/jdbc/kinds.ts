import { Decimal, Logical, type Schema } from '../../runtime/api/index.js';

/**
 * What a field is, for choosing its column type and writing its value: the Connect type refined by the logical
 * name (Debezium's JDBC sink resolves types the same way, logical name first, then the schema type).
 */
export type Kind =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'boolean'
  | 'string'
  | 'bytes'
  | 'decimal'
  | 'variable-decimal'
  | 'date'
  | 'time-millis'
  | 'time-micros'
  | 'time-nanos'
  | 'zoned-time'
  | 'timestamp-millis'
  | 'timestamp-micros'
  | 'timestamp-nanos'
  | 'zoned-timestamp'
  | 'micro-duration'
  | 'interval'
  | 'year'
  | 'json'
  | 'uuid'
  | 'enum'
  | 'enum-set'
  | 'bits'
  | 'xml'
  | 'geometry'
  | 'point'
  | 'array'
  | 'map'
  | 'struct';

const BY_NAME: Record<string, Kind> = {
  [Logical.Decimal]: 'decimal',
  [Logical.VariableScaleDecimal]: 'variable-decimal',
  [Logical.Date]: 'date',
  [Logical.DebeziumDate]: 'date',
  [Logical.Time]: 'time-millis',
  [Logical.DebeziumTime]: 'time-millis',
  [Logical.MicroTime]: 'time-micros',
  [Logical.NanoTime]: 'time-nanos',
  [Logical.ZonedTime]: 'zoned-time',
  [Logical.Timestamp]: 'timestamp-millis',
  [Logical.DebeziumTimestamp]: 'timestamp-millis',
  [Logical.MicroTimestamp]: 'timestamp-micros',
  [Logical.NanoTimestamp]: 'timestamp-nanos',
  [Logical.ZonedTimestamp]: 'zoned-timestamp',
  [Logical.MicroDuration]: 'micro-duration',
  [Logical.Interval]: 'interval',
  [Logical.Year]: 'year',
  [Logical.Json]: 'json',
  [Logical.Uuid]: 'uuid',
  [Logical.Enum]: 'enum',
  [Logical.EnumSet]: 'enum-set',
  [Logical.Bits]: 'bits',
  [Logical.Xml]: 'xml',
  [Logical.Geometry]: 'geometry',
  'io.debezium.data.geometry.Geography': 'geometry',
  [Logical.Point]: 'point',
};

export function kindOf(schema: Schema): Kind {
  const byName = schema.name ? BY_NAME[schema.name] : undefined;
  if (byName) return byName;
  return schema.type as Kind;
}

/** An int64 (or smaller) value as a bigint; the JSON converter gives numbers or bigints, never fractions. */
export function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new TypeError(`expected an integer, got ${describe(v)}`);
}

export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new TypeError(`expected a number, got ${describe(v)}`);
}

export function toBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new TypeError(`expected bytes, got ${describe(v)}`);
}

export function toText(v: unknown): string {
  if (typeof v === 'string') return v;
  throw new TypeError(`expected a string, got ${describe(v)}`);
}

/** Connect Decimal values are `Decimal`s; a number or string is accepted from schemaless producers. */
export function toDecimal(v: unknown, schema: Schema): Decimal {
  if (v instanceof Decimal) return v;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return Decimal.parse(String(v));
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    return Decimal.fromUnscaledBytes(toBuffer(v), Number(schema.parameters?.scale ?? 0));
  }
  throw new TypeError(`expected a decimal, got ${describe(v)}`);
}

/** Debezium's VariableScaleDecimal: `{ scale, value }` with the unscaled value as two's-complement bytes. */
export function toVariableDecimal(v: unknown): Decimal {
  if (v instanceof Decimal) return v;
  if (v !== null && typeof v === 'object' && 'scale' in v && 'value' in v) {
    const s = v as { scale: unknown; value: unknown };
    return Decimal.fromUnscaledBytes(toBuffer(s.value), Number(s.scale));
  }
  throw new TypeError(`expected a VariableScaleDecimal struct, got ${describe(v)}`);
}

/** Digits before and after the point of a decimal, trailing fractional zeros not counted. */
export function decimalDigits(d: Decimal): { integer: number; fraction: number } {
  const text = d.toString().replace('-', '');
  const [i, f = ''] = text.split('.');
  return { integer: i.replace(/^0+/, '').length, fraction: f.replace(/0+$/, '').length };
}

/** Temporal values in microseconds from their logical unit. */
export function timeMicros(kind: Kind, v: unknown): bigint {
  const n = toBigInt(v);
  if (kind === 'time-millis' || kind === 'timestamp-millis') return n * 1000n;
  if (kind === 'time-nanos' || kind === 'timestamp-nanos') return n / 1000n;
  return n;
}

/** Whether a nanosecond value has digits below the microsecond (a column of precision 6 cannot hold them). */
export function hasSubMicros(kind: Kind, v: unknown): boolean {
  return (kind === 'time-nanos' || kind === 'timestamp-nanos') && toBigInt(v) % 1000n !== 0n;
}

/** Debezium's Bits are little-endian bytes (bit 0 in the first byte); SQL bit strings are written most significant first. */
export function bitString(v: unknown, length: number): string {
  const bytes = toBuffer(v);
  let out = '';
  for (let i = length - 1; i >= 0; i--) {
    const byte = bytes[i >> 3] ?? 0;
    out += (byte >> (i & 7)) & 1 ? '1' : '0';
  }
  return out;
}

/** A map's entries as a JSON object text (keys as strings). */
export function mapJson(v: unknown): string {
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as Record<string, unknown>);
  return `{${entries.map(([k, x]) => `${JSON.stringify(String(k))}:${jsonValue(x)}`).join(',')}}`;
}

/** JSON text of an array or map element, exact for int64 and decimals. */
export function jsonValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
  if (v instanceof Decimal) return v.toString();
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return JSON.stringify(toBuffer(v).toString('base64'));
  if (Array.isArray(v)) return `[${v.map(jsonValue).join(',')}]`;
  if (v instanceof Map) return mapJson(v);
  if (typeof v === 'object') return mapJson(v);
  return JSON.stringify(v);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Buffer.isBuffer(v)) return `${v.length} bytes`;
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : `a ${typeof v}`;
}
