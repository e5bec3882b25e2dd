import type { Schema } from '../../../runtime/api/index.js';

export type DecimalMode = 'precise' | 'double' | 'string';
export type TimePrecisionMode =
  | 'adaptive'
  | 'adaptive_time_microseconds'
  | 'connect'
  | 'isostring'
  | 'microseconds'
  | 'nanoseconds';
export type BinaryMode = 'bytes' | 'base64' | 'base64-url-safe' | 'hex';
export type IntervalMode = 'numeric' | 'string';
export type HstoreMode = 'json' | 'map';

/** The settings that change how values are represented (Debezium's *.handling.mode keys). */
export interface TypeModes {
  decimal: DecimalMode;
  time: TimePrecisionMode;
  binary: BinaryMode;
  interval: IntervalMode;
  hstore: HstoreMode;
  /** include.unknown.datatypes: types without a mapping become bytes (per binary mode) instead of being left out */
  unknown: boolean;
}

/** How one column is represented: its Connect schema (optionality set by the caller) and the text decoder. */
export interface ColumnCodec {
  readonly schema: Schema;
  /** the value of PostgreSQL's text form; null when Debezium has no value for it (a NaN in precise mode) */
  decode(text: string): unknown;
  /** what an unchanged TOASTed value becomes: the placeholder in this column's own type, or null */
  placeholder(placeholder: string): unknown;
  /**
   * The value of a NOT NULL column that has none (a before image holding the key only): Debezium's fallback for
   * the type (JdbcValueConverters#convertValue), used when the column has no default.
   */
  readonly fallback: unknown;
}

export function scalar(schema: Schema, decode: (t: string) => unknown, fallback: unknown): ColumnCodec {
  return { schema, decode, placeholder: () => null, fallback };
}

/** A string column: the text as it is, TOAST placeholder as text. */
export function textCodec(
  schema: Schema,
  decode: (t: string) => unknown = (t) => t,
  fallback: unknown = '',
): ColumnCodec {
  return { schema, decode, placeholder: (p) => p, fallback };
}

/** numeric's and time's typmod: precision and scale; -1 means unconstrained. */
export function numericPrecisionScale(typmod: number): { precision: number; scale: number } | undefined {
  if (typmod < 4) return undefined;
  const t = typmod - 4;
  return { precision: (t >> 16) & 0xffff, scale: t & 0xffff };
}

/** Fractional-second digits declared for time/timestamp columns; -1 (unspecified) is 6. */
export function timePrecision(typmod: number): number {
  return typmod < 0 ? 6 : typmod;
}

export function int64(text: string): bigint | number {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Java's `(long) d`: truncation toward zero, saturating at the int64 bounds, NaN → 0. */
export function javaLong(d: number): number | bigint {
  if (Number.isNaN(d)) return 0;
  if (Number.isSafeInteger(Math.trunc(d))) return Math.trunc(d);
  // 2^63 as a double: anything at or beyond it saturates.
  if (d >= 2 ** 63) return INT64_MAX;
  if (d <= -(2 ** 63)) return INT64_MIN;
  return BigInt(Math.trunc(d));
}

/** An int64 that must fit: saturated at the int64 bounds (as Java's long arithmetic of Debezium's would not). */
export function clampInt64(v: bigint): bigint | number {
  const c = v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
  return c >= BigInt(Number.MIN_SAFE_INTEGER) && c <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(c) : c;
}
