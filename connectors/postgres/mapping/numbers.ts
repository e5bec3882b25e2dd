import { Decimal, LogicalSchemas, Schemas } from '../../../runtime/api/index.js';
import { type ColumnCodec, type DecimalMode, numericPrecisionScale, scalar, textCodec } from './codec.js';

/** PostgreSQL's special numeric values and the names Debezium's string mode gives them (SpecialValueDecimal). */
const SPECIAL_NUMERIC: Readonly<Record<string, string>> = {
  NaN: 'NAN',
  Infinity: 'POSITIVE_INFINITY',
  '-Infinity': 'NEGATIVE_INFINITY',
};

export function isSpecialNumeric(text: string): boolean {
  // Compared, not looked up: a property lookup by an arbitrary numeric text hashes (internalizes) every value, which
  // showed as 3% of a snapshot's main-thread time (bench/results/snapshots.md).
  const c = text.charCodeAt(text.length - 1);
  return (c === 78 || c === 121) && (text === 'NaN' || text === 'Infinity' || text === '-Infinity');
}

/**
 * Debezium's `decimal.handling.mode=string` text: BigDecimal.toPlainString() (never scientific), special values by
 * their SpecialValueDecimal names (`NAN`, `POSITIVE_INFINITY`, `NEGATIVE_INFINITY`).
 */
export function decimalString(text: string): string {
  return SPECIAL_NUMERIC[text] ?? text;
}

/** numeric(p,s) / numeric per decimal.handling.mode (PostgresValueConverter#numericSchema, #convertDecimal). */
export function numericCodec(typmod: number, mode: DecimalMode): ColumnCodec {
  const ps = numericPrecisionScale(typmod);
  const scaled = (t: string) => (ps ? Decimal.parse(t).withScale(ps.scale).toString() : t);
  if (mode === 'double') return scalar(Schemas.float64(), (t) => Number(t), 0);
  if (mode === 'string') {
    return textCodec(Schemas.string(), (t) => (isSpecialNumeric(t) ? decimalString(t) : scaled(t)), scaled('0'));
  }
  // NaN and ±Infinity have no BigDecimal: Debezium writes null (and a null array for an array holding one).
  if (ps) {
    return scalar(
      LogicalSchemas.decimal(ps.scale, ps.precision),
      (t) => (isSpecialNumeric(t) ? null : Decimal.parse(t).withScale(ps.scale)),
      Decimal.parse('0').withScale(ps.scale),
    );
  }
  return scalar(LogicalSchemas.variableScaleDecimal(), variableScale, variableScale('0'));
}

/** Debezium strips trailing zeros of a variable-scale value (BigDecimal.stripTrailingZeros, never below scale 0). */
function variableScale(t: string): { scale: number; value: Buffer } | null {
  if (isSpecialNumeric(t)) return null;
  const d = Decimal.parse(t.includes('.') ? t.replace(/\.?0+$/, '') : t);
  return { scale: d.scale, value: d.unscaledBytes() };
}

/**
 * money per decimal.handling.mode (PostgresValueConverter#moneySchema): Decimal with money.fraction.digits (2),
 * double, or the plain string. The connector's sessions use the C locale: `$1,234.56`, `-$5.00`.
 */
export function moneyCodec(mode: DecimalMode): ColumnCodec {
  const clean = (t: string) => t.replace(/[$,]/g, '');
  if (mode === 'double') return scalar(Schemas.float64(), (t) => Number(clean(t)), 0);
  if (mode === 'string')
    return textCodec(Schemas.string(), (t) => Decimal.parse(clean(t)).withScale(2).toString(), '0.00');
  return scalar(
    LogicalSchemas.decimal(2),
    (t) => Decimal.parse(clean(t)).withScale(2),
    Decimal.parse('0').withScale(2),
  );
}
