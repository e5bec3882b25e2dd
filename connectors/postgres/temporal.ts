import { civilFromDays, daysFromCivil } from '../../runtime/api/index.js';

/**
 * PostgreSQL's text forms of dates and times (DateStyle ISO, TimeZone UTC, IntervalStyle iso_8601, which the
 * connector sets on its sessions) turned into Debezium's numbers and strings, with integer arithmetic only so
 * that no microsecond is lost.
 */

const MICROS_PER_DAY = 86_400_000_000n;

export { civilFromDays, daysFromCivil };

/** Sentinels Debezium uses for PostgreSQL's infinite dates and timestamps. */
export const INFINITY = {
  dateDays: 2147483647,
  negDateDays: -2147483648,
  micros: 9223372036854775807n,
  negMicros: -9223372036854775808n,
} as const;

/** `2024-02-29` or `0044-03-15 BC` → days since the epoch; infinities map to int32 bounds. */
export function parseDate(text: string): number {
  if (text === 'infinity') return INFINITY.dateDays;
  if (text === '-infinity') return INFINITY.negDateDays;
  const m = /^(\d+)-(\d{2})-(\d{2})( BC)?$/.exec(text);
  if (!m) throw new SyntaxError(`not a date: ${text}`);
  const year = m[4] ? 1 - Number(m[1]) : Number(m[1]);
  return daysFromCivil(year, Number(m[2]), Number(m[3]));
}

/** `13:45:07.123456` → microseconds of the day (24:00:00 is allowed by PostgreSQL). */
export function parseTimeMicros(text: string): bigint {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) throw new SyntaxError(`not a time: ${text}`);
  const frac = BigInt((m[4] ?? '').padEnd(6, '0'));
  return ((BigInt(m[1]) * 60n + BigInt(m[2])) * 60n + BigInt(m[3])) * 1_000_000n + frac;
}

/** `2024-01-02 03:04:05.123456[+hh[:mm[:ss]]][ BC]` → epoch microseconds (UTC when an offset is given). */
/**
 * Like parseTimestampMicros, as a number when the value is a safe integer (years 1700–2250 or so): the common
 * case, without BigInt allocations on the hot path.
 */
export function timestampMicros(text: string): number | bigint {
  const m = PLAIN_TIMESTAMP.exec(text);
  if (m) {
    const days = daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
    const frac = m[7] ? Number(m[7].padEnd(6, '0')) : 0;
    const micros = days * 86_400_000_000 + ((Number(m[4]) * 60 + Number(m[5])) * 60 + Number(m[6])) * 1_000_000 + frac;
    if (Number.isSafeInteger(micros)) return micros;
  }
  const big = parseTimestampMicros(text);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

const PLAIN_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:\+00)?$/;

export function parseTimestampMicros(text: string): bigint {
  if (text === 'infinity') return INFINITY.micros;
  if (text === '-infinity') return INFINITY.negMicros;
  const m = /^(\d+)-(\d{2})-(\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)([+-]\d{2}(?::\d{2}){0,2})?( BC)?$/.exec(text);
  if (!m) throw new SyntaxError(`not a timestamp: ${text}`);
  const year = m[6] ? 1 - Number(m[1]) : Number(m[1]);
  const days = BigInt(daysFromCivil(year, Number(m[2]), Number(m[3])));
  let micros = days * MICROS_PER_DAY + parseTimeMicros(m[4]);
  if (m[5]) micros -= BigInt(offsetSeconds(m[5])) * 1_000_000n;
  return micros;
}

function offsetSeconds(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  const [h, mi = '0', s = '0'] = text.slice(1).split(':');
  return sign * (Number(h) * 3600 + Number(mi) * 60 + Number(s));
}

const UTC_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,6})?\+00$/;

/** `.123400` → `.1234`, `.000000` → `` (as Java's ISO formatter prints fractions). */
function trimFraction(dotted: string): string {
  let end = dotted.length;
  while (end > 1 && dotted.charCodeAt(end - 1) === 48) end--;
  return end === 1 ? '' : dotted.slice(0, end);
}

function fraction(micros: bigint): string {
  if (micros === 0n) return '';
  return `.${micros.toString().padStart(6, '0').replace(/0+$/, '')}`;
}

function pad(n: number | bigint, width: number): string {
  return n.toString().padStart(width, '0');
}

/** `.1` → `.100` for 3 digits; 0 digits: Java's ISO formatter, which drops trailing zeros. */
function fixedFraction(dotted: string, digits: number): string {
  if (digits <= 0) return trimFraction(dotted);
  return `.${(dotted.slice(1) || '').padEnd(digits, '0').slice(0, digits)}`;
}

/**
 * timestamptz(p) → Debezium's ZonedTimestamp: ISO-8601 in UTC with exactly `digits` fraction digits (the
 * column's precision, 6 when unconstrained), as Debezium writes it since 2.2 (DBZ-6163: `…05.100000Z`, not
 * `…05.1Z`); `digits` 0 drops trailing zeros, as Java's ISO_OFFSET_DATE_TIME. `infinity` / `-infinity` are
 * kept as words.
 */
export function zonedTimestamp(text: string, digits = 6): string {
  if (text === 'infinity' || text === '-infinity') return text;
  // The connector's sessions run with TimeZone=UTC, so the common case is already UTC: reshape the text only.
  const utc = UTC_TIMESTAMP.exec(text);
  // join, not a template: V8 keeps a concatenation of 13+ characters as a rope (a ConsString per `+` over its
  // pieces, ~180 bytes here) until something reads it whole; a record waits in queues as a rope, join's flat string
  // is 40 bytes (docs/FACTS.md, "Most of a streamed PostgreSQL record's strings are ropes").
  if (utc) return [utc[1], 'T', utc[2], fixedFraction(utc[3] ?? '.', digits), 'Z'].join('');
  const micros = parseTimestampMicros(text);
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const [y, mo, d] = civilFromDays(Number(days));
  const secs = rest / 1_000_000n;
  const year = y >= 0 && y <= 9999 ? pad(y, 4) : y > 9999 ? `+${y}` : `-${pad(-y, 4)}`;
  return [
    year,
    '-',
    pad(mo, 2),
    '-',
    pad(d, 2),
    'T',
    timeOfDay(secs),
    fixedFraction(`.${pad(rest % 1_000_000n, 6)}`, digits),
    'Z',
  ].join('');
}

function timeOfDay(secs: bigint): string {
  return `${pad(secs / 3600n, 2)}:${pad((secs / 60n) % 60n, 2)}:${pad(secs % 60n, 2)}`;
}

/** timetz → Debezium's ZonedTime: the time moved to UTC, e.g. `08:15:12.5Z`. */
export function zonedTime(text: string): string {
  const m = /^(\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)([+-]\d{2}(?::\d{2}){0,2})$/.exec(text);
  if (!m) throw new SyntaxError(`not a time with time zone: ${text}`);
  let micros = parseTimeMicros(m[1]) - BigInt(offsetSeconds(m[2])) * 1_000_000n;
  micros = ((micros % MICROS_PER_DAY) + MICROS_PER_DAY) % MICROS_PER_DAY;
  return `${timeOfDay(micros / 1_000_000n)}${fraction(micros % 1_000_000n)}Z`;
}

export interface IntervalParts {
  years: number;
  months: number;
  days: number;
  hours: number;
  minutes: number;
  /** whole and fractional seconds as microseconds */
  micros: bigint;
}

/** IntervalStyle iso_8601: `P1Y2M3DT4H5M6.789S`, components may be negative, `PT0S` for zero. */
export function parseInterval(text: string): IntervalParts {
  const m = /^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+(?:\.\d+)?)S)?)?$/.exec(
    text,
  );
  if (!m) throw new SyntaxError(`not an ISO-8601 interval: ${text}`);
  let micros = 0n;
  if (m[6]) {
    const negative = m[6].startsWith('-');
    const [whole, frac = ''] = m[6].replace('-', '').split('.');
    micros = BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0').slice(0, 6));
    if (negative) micros = -micros;
  }
  return {
    years: Number(m[1] ?? 0),
    months: Number(m[2] ?? 0),
    days: Number(m[3] ?? 0),
    hours: Number(m[4] ?? 0),
    minutes: Number(m[5] ?? 0),
    micros,
  };
}
