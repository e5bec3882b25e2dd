import { LogicalSchemas, Schemas } from '../../../runtime/api/index.js';
import {
  civilFromDays,
  INFINITY,
  parseDate,
  parseInterval,
  parseTimeMicros,
  parseTimestampMicros,
  timestampMicros,
  zonedTime,
  zonedTimestamp,
} from '../temporal.js';
import { javaDoubleString } from '../../../runtime/data/java-float.js';
import {
  clampInt64,
  type ColumnCodec,
  type IntervalMode,
  javaLong,
  scalar,
  type TimePrecisionMode,
  textCodec,
  timePrecision,
} from './codec.js';

/**
 * Dates, times, timestamps and intervals per time.precision.mode and interval.handling.mode, as Debezium's
 * TemporalPrecisionMode builders choose them. Values beyond what the target type holds saturate at its bounds;
 * PostgreSQL's infinities keep Debezium's sentinels where it has sane ones (the int64 bounds) and become the
 * bounds of the type or the words `infinity` / `-infinity` elsewhere (docs/compatibility.md lists where Debezium
 * writes other values).
 */

const MICROS_PER_DAY = 86_400_000_000n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function pad(n: number | bigint, width: number): string {
  const s = (n < 0 ? -n : n).toString().padStart(width, '0');
  return n < 0 ? `-${s}` : s;
}

/** Java's ISO_LOCAL_DATE year: 4 digits, a sign beyond 9999 and before year 0 (proleptic: 1 BC is 0000). */
function isoYear(y: number): string {
  if (y > 9999) return `+${y}`;
  return y < 0 ? `-${String(-y).padStart(4, '0')}` : String(y).padStart(4, '0');
}

function isoDateOfDays(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${isoYear(y)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** Java's ISO_LOCAL_TIME of microseconds of the day: seconds always, the fraction without trailing zeros. */
function isoTimeOfMicros(micros: bigint): string {
  const secs = micros / 1_000_000n;
  const frac = micros % 1_000_000n;
  const base = `${pad(secs / 3600n, 2)}:${pad((secs / 60n) % 60n, 2)}:${pad(secs % 60n, 2)}`;
  return frac === 0n ? base : `${base}.${frac.toString().padStart(6, '0').replace(/0+$/, '')}`;
}

function isInfinity(t: string): boolean {
  return t === 'infinity' || t === '-infinity';
}

export function dateCodec(mode: TimePrecisionMode): ColumnCodec {
  if (mode === 'isostring') {
    return textCodec(
      Schemas.string(false, { name: 'io.debezium.time.IsoDate', version: 1 }),
      (t) => (isInfinity(t) ? t : `${isoDateOfDays(parseDate(t))}Z`),
      '1970-01-01Z',
    );
  }
  return scalar(mode === 'connect' ? LogicalSchemas.connectDate() : LogicalSchemas.date(), parseDate, 0);
}

export function timeCodec(typmod: number, mode: TimePrecisionMode): ColumnCodec {
  const p = timePrecision(typmod);
  const millis = (t: string) => Number(parseTimeMicros(t) / 1000n);
  switch (mode) {
    case 'isostring':
      return textCodec(
        Schemas.string(false, { name: 'io.debezium.time.IsoTime', version: 1 }),
        (t) => `${isoTimeOfMicros(parseTimeMicros(t) % MICROS_PER_DAY)}Z`,
        '00:00:00Z',
      );
    case 'connect':
      return scalar(LogicalSchemas.connectTime(), millis, 0);
    case 'nanoseconds':
      return scalar(Schemas.int64(false, { name: 'io.debezium.time.NanoTime', version: 1 }), nanoTime, 0);
    case 'adaptive':
      if (p <= 3) return scalar(LogicalSchemas.time(), millis, 0);
      return scalar(LogicalSchemas.microTime(), (t) => Number(parseTimeMicros(t)), 0);
    default:
      return scalar(LogicalSchemas.microTime(), (t) => Number(parseTimeMicros(t)), 0);
  }
}

function inInt64(v: bigint): number | bigint | null {
  return v > INFINITY.micros || v < INFINITY.negMicros ? null : clampInt64(v);
}

function nanoTime(t: string): number | bigint {
  return clampInt64(parseTimeMicros(t) * 1000n);
}

export function timestampCodec(typmod: number, mode: TimePrecisionMode): ColumnCodec {
  const p = timePrecision(typmod);
  const millis = (t: string) => {
    if (t === 'infinity') return INFINITY.micros;
    if (t === '-infinity') return INFINITY.negMicros;
    return clampInt64(floorDiv(parseTimestampMicros(t), 1000n));
  };
  // A timestamp beyond what an int64 of the unit holds (after year 292277 in microseconds, outside 1677–2262 in
  // nanoseconds) is null, as Debezium's nanoseconds are (its microseconds wrap around instead).
  const micros = (t: string) => {
    if (isInfinity(t)) return t === 'infinity' ? INFINITY.micros : INFINITY.negMicros;
    const v = timestampMicros(t);
    return typeof v === 'bigint' ? inInt64(v) : v;
  };
  const nanos = (t: string) => {
    if (isInfinity(t)) return t === 'infinity' ? INFINITY.micros : INFINITY.negMicros;
    return inInt64(parseTimestampMicros(t) * 1000n);
  };
  switch (mode) {
    case 'isostring':
      return textCodec(
        Schemas.string(false, { name: 'io.debezium.time.IsoTimestamp', version: 1 }),
        (t) => (isInfinity(t) ? t : isoTimestamp(parseTimestampMicros(t))),
        '1970-01-01T00:00:00Z',
      );
    case 'connect':
      return scalar(LogicalSchemas.connectTimestamp(), millis, 0);
    case 'microseconds':
      return scalar(LogicalSchemas.microTimestamp(), micros, 0);
    case 'nanoseconds':
      return scalar(Schemas.int64(false, { name: 'io.debezium.time.NanoTimestamp', version: 1 }), nanos, 0);
    default:
      if (p <= 3) return scalar(LogicalSchemas.timestamp(), millis, 0);
      return scalar(LogicalSchemas.microTimestamp(), micros, 0);
  }
}

function isoTimestamp(micros: bigint): string {
  const days = floorDiv(micros, MICROS_PER_DAY);
  const rest = micros - days * MICROS_PER_DAY;
  return `${isoDateOfDays(Number(days))}T${isoTimeOfMicros(rest)}Z`;
}

export function timestamptzCodec(typmod: number): ColumnCodec {
  return {
    schema: LogicalSchemas.zonedTimestamp(),
    decode: (t) => zonedTimestamp(t, timePrecision(typmod)),
    placeholder: () => null,
    fallback: '1970-01-01T00:00:00Z',
  };
}

export function timetzCodec(): ColumnCodec {
  return { schema: LogicalSchemas.zonedTime(), decode: zonedTime, placeholder: () => null, fallback: '00:00:00Z' };
}

/**
 * interval: MicroDuration (numeric mode) computed as Debezium's MicroDuration#durationMicros does, in doubles (a
 * month is 365.25 / 12 days) and then Java's `(long)` cast, which saturates at the int64 bounds; or the ISO string
 * of its fields (string mode). PostgreSQL 17's `infinity` / `-infinity` become the int64 bounds, or the words.
 */
export function intervalCodec(mode: IntervalMode): ColumnCodec {
  if (mode === 'string') {
    return textCodec(LogicalSchemas.interval(), (t) => (isInfinity(t) ? t : intervalIso(t)), 'P0Y0M0DT0H0M0S');
  }
  return scalar(
    LogicalSchemas.microDuration(),
    (t) => {
      if (t === 'infinity') return INFINITY.micros;
      if (t === '-infinity') return INFINITY.negMicros;
      return intervalMicros(t);
    },
    0,
  );
}

/** The fields as the JDBC driver's PGInterval holds them: seconds as a double (whole + micros / 10^6). */
function pgIntervalFields(text: string) {
  const p = parseInterval(text);
  const whole = p.micros / 1_000_000n;
  const micros = p.micros % 1_000_000n;
  return { ...p, seconds: Number(whole) + Number(micros) / 1_000_000 };
}

export function intervalMicros(text: string): number | bigint {
  const f = pgIntervalFields(text);
  // Java: ((years * 12) + months) in int arithmetic, the rest in double.
  const months = (f.years * 12 + f.months) | 0;
  const numberOfDays = months * (365.25 / 12.0) + f.days;
  const numberOfSeconds = ((numberOfDays * 24 + f.hours) * 60 + f.minutes) * 60 + f.seconds;
  return javaLong(numberOfSeconds * 1e6);
}

/** Debezium's Interval#toIsoString: every field, seconds as BigDecimal.valueOf(double) without trailing zeros. */
export function intervalIso(text: string): string {
  const f = pgIntervalFields(text);
  return `P${f.years}Y${f.months}M${f.days}DT${f.hours}H${f.minutes}M${plainSeconds(f.seconds)}S`;
}

/** BigDecimal.valueOf(d).stripTrailingZeros().toPlainString(). */
function plainSeconds(d: number): string {
  const s = javaDoubleString(d);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:E(-?\d+))?$/.exec(s);
  if (!m) return s;
  const [, sign, int, frac = '', exp] = m;
  let digits = int + frac;
  let point = int.length + (exp ? Number(exp) : 0);
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  }
  if (point > digits.length) digits = digits.padEnd(point, '0');
  const i = digits.slice(0, point).replace(/^0+(?=\d)/, '') || '0';
  const f = digits.slice(point).replace(/0+$/, '');
  const out = f ? `${i}.${f}` : i;
  return out === '0' ? '0' : `${sign}${out}`;
}
