import type { Decimal } from '../../runtime/api/index.js';
import type { ColumnMeta } from './dialect.js';
import { decimalDigits } from './kinds.js';

/**
 * Checks a value against what an existing column can hold, where the database would otherwise round or cut it
 * silently (NUMERIC scale, fractional seconds) or fail without naming the column (lengths, integer ranges).
 * Returns the problem, or undefined when the value fits.
 */
export class ValueError extends Error {}

const INT_RANGES: Record<string, [bigint, bigint]> = {
  tinyint: [-128n, 127n],
  'tinyint unsigned': [0n, 255n],
  smallint: [-32768n, 32767n],
  int2: [-32768n, 32767n],
  'smallint unsigned': [0n, 65535n],
  mediumint: [-8388608n, 8388607n],
  'mediumint unsigned': [0n, 16777215n],
  integer: [-2147483648n, 2147483647n],
  int: [-2147483648n, 2147483647n],
  int4: [-2147483648n, 2147483647n],
  'int unsigned': [0n, 4294967295n],
  bigint: [-9223372036854775808n, 9223372036854775807n],
  int8: [-9223372036854775808n, 9223372036854775807n],
  'bigint unsigned': [0n, 18446744073709551615n],
};

/** The integer range of a column, from its type (`integer`, `int unsigned`, `tinyint(1)`…), if it is an integer column. */
export function integerRange(meta: ColumnMeta): [bigint, bigint] | undefined {
  const base = meta.type.toLowerCase();
  const unsigned = /unsigned/i.test(meta.fullType);
  return INT_RANGES[unsigned ? `${base} unsigned` : base];
}

export function checkInteger(meta: ColumnMeta | undefined, v: bigint): void {
  if (!meta) return;
  const range = integerRange(meta);
  if (range && (v < range[0] || v > range[1]))
    throw new ValueError(`${v} is out of range for ${meta.fullType} (${range[0]} to ${range[1]})`);
}

export function checkText(meta: ColumnMeta | undefined, v: string): void {
  if (!meta?.charLength) return;
  // Both databases count characters (code points), not UTF-16 units.
  let n = 0;
  for (const _ of v) n++;
  if (n > meta.charLength) throw new ValueError(`a text of ${n} characters does not fit ${meta.fullType}`);
}

export function checkBytes(meta: ColumnMeta | undefined, v: Buffer): void {
  if (meta?.charLength && /binary/.test(meta.type) && v.length > meta.charLength)
    throw new ValueError(`${v.length} bytes do not fit ${meta.fullType}`);
}

const DECIMAL_TYPES = new Set(['numeric', 'decimal']);

export function checkDecimal(meta: ColumnMeta | undefined, d: Decimal): void {
  if (!meta) return;
  const type = meta.type.toLowerCase();
  const digits = decimalDigits(d);
  if (DECIMAL_TYPES.has(type)) {
    if (meta.precision === undefined || meta.precision === null) return;
    const scale = meta.scale ?? 0;
    if (digits.fraction > scale)
      throw new ValueError(`${d} has ${digits.fraction} digits after the point; ${meta.fullType} keeps ${scale}`);
    if (digits.integer > meta.precision - scale)
      throw new ValueError(
        `${d} has ${digits.integer} digits before the point; ${meta.fullType} holds ${meta.precision - scale}`,
      );
    return;
  }
  const range = integerRange(meta);
  if (range) {
    if (digits.fraction > 0) throw new ValueError(`${d} has a fraction; ${meta.fullType} holds integers`);
    const whole = BigInt(d.toString().split('.')[0]);
    if (whole < range[0] || whole > range[1]) throw new ValueError(`${d} is out of range for ${meta.fullType}`);
  }
}

/** Fractional-second digits of a count of microseconds that a column of the given precision would drop. */
export function checkFraction(meta: ColumnMeta | undefined, micros: bigint): void {
  const p = meta?.datetimePrecision;
  if (p === undefined || p === null || p >= 6) return;
  const unit = 10n ** BigInt(6 - p);
  const frac = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  if (frac % unit !== 0n)
    throw new ValueError(
      `the value has fractional seconds (.${String(frac).padStart(6, '0')}) that ${meta?.fullType} (precision ${p}) would drop`,
    );
}
