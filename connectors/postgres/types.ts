import { Decimal, LogicalSchemas, type Schema, Schemas } from '../../runtime/api/index.js';
import {
  INFINITY,
  intervalIso,
  intervalMicros,
  parseDate,
  parseTimeMicros,
  parseTimestampMicros,
  timestampMicros,
  zonedTime,
  zonedTimestamp,
} from './temporal.js';

export type DecimalMode = 'precise' | 'double' | 'string';
export type TimePrecisionMode = 'adaptive' | 'adaptive_time_microseconds' | 'connect';
export type BinaryMode = 'bytes' | 'base64' | 'base64-url-safe' | 'hex';
export type IntervalMode = 'numeric' | 'string';

export interface TypeModes {
  decimal: DecimalMode;
  time: TimePrecisionMode;
  binary: BinaryMode;
  interval: IntervalMode;
}

/** One row of pg_type, enough to map any column (arrays, enums and domains resolve through it). */
export interface PgType {
  oid: number;
  name: string;
  /** b base, e enum, d domain, c composite, r range, m multirange, p pseudo */
  kind: string;
  /** element type of an array type, else 0 */
  elem: number;
  /** base type of a domain, else 0 */
  base: number;
  /** typmod a domain applies to its base type */
  baseTypmod: number;
  category: string;
  enumLabels?: readonly string[];
}

export interface TypeLookup {
  type(oid: number): PgType | undefined;
}

/** How one column is represented: its Connect schema (optionality set by the caller) and the text decoder. */
export interface ColumnCodec {
  readonly schema: Schema;
  decode(text: string): unknown;
  /** what an unchanged TOASTed value becomes: the placeholder in this column's own type, or null */
  placeholder(placeholder: string): unknown;
}

const PG = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  xml: 142,
  float4: 700,
  float8: 701,
  money: 790,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  bit: 1560,
  varbit: 1562,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

function textCodec(schema: Schema): ColumnCodec {
  return { schema, decode: (t) => t, placeholder: (p) => p };
}

function scalar(schema: Schema, decode: (t: string) => unknown): ColumnCodec {
  return { schema, decode, placeholder: () => null };
}

/** numeric's typmod holds precision and scale; -1 means unconstrained. */
function numericPrecisionScale(typmod: number): { precision: number; scale: number } | undefined {
  if (typmod < 4) return undefined;
  const t = typmod - 4;
  return { precision: (t >> 16) & 0xffff, scale: t & 0xffff };
}

/** Fractional-second digits declared for time/timestamp columns; -1 (unspecified) is 6. */
function timePrecision(typmod: number): number {
  return typmod < 0 ? 6 : typmod;
}

function int64(text: string): bigint | number {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

function bytesFromHex(text: string): Buffer {
  // bytea_output=hex (the default since 9.0); the escape format would be ambiguous, so it is not accepted.
  if (!text.startsWith('\\x')) throw new SyntaxError('bytea value not in hex output format; set bytea_output=hex');
  return Buffer.from(text.slice(2), 'hex');
}

function binaryCodec(mode: BinaryMode): ColumnCodec {
  switch (mode) {
    case 'bytes':
      return { schema: Schemas.bytes(), decode: bytesFromHex, placeholder: (p) => Buffer.from(p, 'utf8') };
    case 'base64':
      return textCodecWith((t) => bytesFromHex(t).toString('base64'));
    case 'base64-url-safe':
      // Debezium uses Java's Base64.getUrlEncoder(), which keeps the '=' padding; Node's 'base64url' drops it.
      return textCodecWith((t) => bytesFromHex(t).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'));
    case 'hex':
      return textCodecWith((t) => bytesFromHex(t).toString('hex'));
  }
}

function textCodecWith(decode: (t: string) => string): ColumnCodec {
  return { schema: Schemas.string(), decode, placeholder: (p) => p };
}

const SPECIAL_NUMERIC: Readonly<Record<string, string>> = {
  NaN: 'NAN',
  Infinity: 'POSITIVE_INFINITY',
  '-Infinity': 'NEGATIVE_INFINITY',
};

/**
 * Java's BigDecimal.toString(), which Debezium's string mode writes: plain notation, but scientific when the
 * value is below 1e-6 (`0.0000001` → `1E-7`, a zero with scale 10 → `0E-10`); special values by Debezium's
 * names (`NAN`, `POSITIVE_INFINITY`, `NEGATIVE_INFINITY`).
 */
export function javaDecimalString(text: string): string {
  const special = SPECIAL_NUMERIC[text];
  if (special) return special;
  const d = Decimal.parse(text);
  const negative = d.unscaled < 0n;
  const coeff = (negative ? -d.unscaled : d.unscaled).toString();
  const adjusted = coeff.length - 1 - d.scale;
  if (adjusted >= -6) return text;
  return `${negative ? '-' : ''}${coeff[0]}${coeff.length > 1 ? `.${coeff.slice(1)}` : ''}E${adjusted}`;
}

function noPreciseForm(t: string): never {
  throw new RangeError(
    `${t} has no form in decimal.handling.mode=precise (Debezium fails here too). Fix: set decimal.handling.mode to string or double.`,
  );
}

function numericCodec(typmod: number, mode: DecimalMode): ColumnCodec {
  if (mode === 'double') return scalar(Schemas.float64(), (t) => Number(t));
  if (mode === 'string') return textCodecWith(javaDecimalString);
  const ps = numericPrecisionScale(typmod);
  if (ps) {
    return scalar(LogicalSchemas.decimal(ps.scale, ps.precision), (t) =>
      SPECIAL_NUMERIC[t] ? noPreciseForm(t) : Decimal.parse(t).withScale(ps.scale),
    );
  }
  return scalar(LogicalSchemas.variableScaleDecimal(), (t) => {
    if (SPECIAL_NUMERIC[t]) noPreciseForm(t);
    // Debezium strips trailing zeros of a variable-scale value (BigDecimal.stripTrailingZeros, never below scale 0).
    const d = Decimal.parse(t.includes('.') ? t.replace(/\.?0+$/, '') : t);
    return { scale: d.scale, value: d.unscaledBytes() };
  });
}

function moneyCodec(mode: DecimalMode): ColumnCodec {
  // lc_monetary decides the text; the connector's sessions use the C locale: `$1,234.56`, `-$5.00`.
  const clean = (t: string) => t.replace(/[$,]/g, '');
  if (mode === 'double') return scalar(Schemas.float64(), (t) => Number(clean(t)));
  if (mode === 'string') return textCodecWith(clean);
  return scalar(LogicalSchemas.decimal(2), (t) => Decimal.parse(clean(t)).withScale(2));
}

function timeCodec(typmod: number, mode: TimePrecisionMode): ColumnCodec {
  const p = timePrecision(typmod);
  if (mode === 'connect') return scalar(LogicalSchemas.connectTime(), (t) => Number(parseTimeMicros(t) / 1000n));
  if (mode === 'adaptive' && p <= 3) return scalar(LogicalSchemas.time(), (t) => Number(parseTimeMicros(t) / 1000n));
  return scalar(LogicalSchemas.microTime(), (t) => Number(parseTimeMicros(t)));
}

function timestampCodec(typmod: number, mode: TimePrecisionMode): ColumnCodec {
  const p = timePrecision(typmod);
  const millis = (t: string) => {
    if (t === 'infinity') return INFINITY.micros;
    if (t === '-infinity') return INFINITY.negMicros;
    return int64(floorDiv(parseTimestampMicros(t), 1000n).toString());
  };
  if (mode === 'connect') return scalar(LogicalSchemas.connectTimestamp(), millis);
  if (p <= 3) return scalar(LogicalSchemas.timestamp(), millis);
  return scalar(LogicalSchemas.microTimestamp(), timestampMicros);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function dateCodec(mode: TimePrecisionMode): ColumnCodec {
  return scalar(mode === 'connect' ? LogicalSchemas.connectDate() : LogicalSchemas.date(), parseDate);
}

function bitCodec(typmod: number, oid: number): ColumnCodec {
  if (oid === PG.bit && typmod === 1) return scalar(Schemas.boolean(), (t) => t === '1');
  const length = typmod > 0 ? typmod : 64;
  return scalar(LogicalSchemas.bits(length), (t) => {
    // Debezium writes bits as a little-endian byte array (java.util.BitSet.toByteArray).
    const bytes = Buffer.alloc(Math.ceil(t.length / 8));
    for (let i = 0; i < t.length; i++) if (t[t.length - 1 - i] === '1') bytes[i >> 3] |= 1 << (i & 7);
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    return bytes.subarray(0, end);
  });
}

/** Splits a one-dimensional array literal `{a,"b c",NULL}` into element texts (null for NULL). */
export function parseArrayLiteral(text: string, delimiter = ','): (string | null)[] {
  let s = text;
  if (s.startsWith('[')) s = s.slice(s.indexOf('=') + 1); // explicit bounds `[0:1]={…}`
  if (!s.startsWith('{') || !s.endsWith('}')) throw new SyntaxError(`not an array literal: ${text}`);
  const out: (string | null)[] = [];
  const body = s.slice(1, -1);
  if (body === '') return out;
  let i = 0;
  while (i <= body.length) {
    if (body[i] === '"') {
      let v = '';
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        v += body[i];
        i++;
      }
      out.push(v);
      i += 2; // closing quote and delimiter
    } else {
      let end = body.indexOf(delimiter, i);
      if (end < 0) end = body.length;
      const v = body.slice(i, end).trim();
      out.push(v === 'NULL' ? null : v);
      i = end + 1;
    }
  }
  return out;
}

/**
 * Maps a column type to Debezium's representation (PostgresValueConverter), given the modes. Unknown types
 * (ranges, geometric types, composites…) are passed as their text form in a string: never dropped, never guessed.
 */
export function columnCodec(oid: number, typmod: number, modes: TypeModes, types: TypeLookup): ColumnCodec {
  switch (oid) {
    case PG.bool:
      return scalar(Schemas.boolean(), (t) => t === 't');
    case PG.int2:
      return scalar(Schemas.int16(), Number);
    case PG.int4:
      return scalar(Schemas.int32(), Number);
    case PG.int8:
    case PG.oid:
      return scalar(Schemas.int64(), int64);
    case PG.float4:
      return scalar(Schemas.float32(), Number);
    case PG.float8:
      return scalar(Schemas.float64(), Number);
    case PG.numeric:
      return numericCodec(typmod, modes.decimal);
    case PG.money:
      return moneyCodec(modes.decimal);
    case PG.text:
    case PG.varchar:
    case PG.bpchar:
    case PG.char:
    case PG.name:
      return textCodec(Schemas.string());
    case PG.bytea:
      return binaryCodec(modes.binary);
    case PG.date:
      return dateCodec(modes.time);
    case PG.time:
      return timeCodec(typmod, modes.time);
    case PG.timetz:
      return { schema: LogicalSchemas.zonedTime(), decode: zonedTime, placeholder: () => null };
    case PG.timestamp:
      return timestampCodec(typmod, modes.time);
    case PG.timestamptz:
      return {
        schema: LogicalSchemas.zonedTimestamp(),
        decode: (t) => zonedTimestamp(t, timePrecision(typmod)),
        placeholder: () => null,
      };
    case PG.interval:
      return modes.interval === 'string'
        ? { schema: LogicalSchemas.interval(), decode: intervalIso, placeholder: () => null }
        : scalar(LogicalSchemas.microDuration(), (t) => int64(intervalMicros(t).toString()));
    case PG.uuid:
      return { schema: LogicalSchemas.uuid(), decode: (t) => t, placeholder: (p) => p };
    case PG.json:
    case PG.jsonb:
      return { schema: LogicalSchemas.json(), decode: (t) => t, placeholder: (p) => p };
    case PG.xml:
      return { schema: LogicalSchemas.xml(), decode: (t) => t, placeholder: (p) => p };
    case PG.bit:
    case PG.varbit:
      return bitCodec(typmod, oid);
  }
  const t = types.type(oid);
  if (t?.kind === 'e') {
    return { schema: LogicalSchemas.enumeration(t.enumLabels ?? []), decode: (v) => v, placeholder: (p) => p };
  }
  if (t?.kind === 'd' && t.base) return columnCodec(t.base, t.baseTypmod, modes, types);
  if (t && t.category === 'A' && t.elem) {
    const element = columnCodec(t.elem, typmod, modes, types);
    const elementSchema = Schemas.withOptional(element.schema, true);
    return {
      schema: Schemas.array(elementSchema),
      decode: (text) => parseArrayLiteral(text).map((e) => (e === null ? null : element.decode(e))),
      placeholder: (p) => {
        const inner = element.placeholder(p);
        return inner === null ? null : [inner];
      },
    };
  }
  return textCodec(Schemas.string());
}
