import { civilFromDays, daysFromCivil, LogicalSchemas, type Schema, Schemas } from '../../runtime/api/index.js';
import type { DateTimeCell } from './binlog/cells.js';
import type { ColumnDef } from './schema/model.js';
import { type ColumnMapping, type MappingOptions, ValueError } from './values.js';

/**
 * DATE, TIME, DATETIME, TIMESTAMP and YEAR as Debezium's MySQL/MariaDB connector maps them, per
 * time.precision.mode, from a binlog cell (streaming) or the text protocol (snapshot). Where Debezium's two paths
 * differ (a TIMESTAMP's fraction digits, a zero TIMESTAMP), so do these.
 */

/** Days since 1970-01-01 of a proleptic Gregorian date. */
export const epochDays = daysFromCivil;

function micros(seconds: number, frac: number): number | bigint {
  const v = seconds * 1_000_000 + frac;
  return Number.isSafeInteger(v) ? v : BigInt(seconds) * 1_000_000n + BigInt(frac);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * ISO-8601 UTC, as Debezium's ZonedTimestamp for MySQL TIMESTAMP(fsp): with exactly `fsp` fraction digits, or
 * (`fsp` undefined: the snapshot's form) with the fraction's trailing zeros dropped.
 */
export function zonedTimestamp(seconds: number, microsPart: number, fsp?: number): string {
  const base = isoSeconds(seconds);
  let frac = '';
  if (fsp === undefined) {
    if (microsPart !== 0) {
      // the fraction without its trailing zeros: 120000 → ".12", 1200 → ".0012"
      let m = microsPart;
      let n = 6;
      while (m % 10 === 0) {
        m /= 10;
        n--;
      }
      frac = `.${pad(m, n)}`;
    }
  } else if (fsp > 0) frac = `.${pad(microsPart, 6).slice(0, fsp)}`;
  return `${base}${frac}Z`;
}

/**
 * `YYYY-MM-DDTHH:MM:SS` of seconds since the epoch, UTC. Integer arithmetic (Hinnant's civil_from_days) instead of
 * a Date and toISOString, which were 13% of the MariaDB snapshot's time (issue 22's profile); years outside
 * 0–9999, which ISO writes with a sign and six digits, still go through Date.
 */
function isoSeconds(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  if (days < -719528 || days > 2932896) return new Date(seconds * 1000).toISOString().slice(0, 19);
  let sod = seconds - days * 86400;
  const [y, m, d] = civilFromDays(days);
  const hh = Math.floor(sod / 3600);
  sod -= hh * 3600;
  const mm = Math.floor(sod / 60);
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}T${pad(hh)}:${pad(mm)}:${pad(sod - mm * 60)}`;
}

interface Ymd {
  year: number;
  month: number;
  day: number;
}

function parseDateText(s: string): Ymd {
  return { year: Number(s.slice(0, 4)), month: Number(s.slice(5, 7)), day: Number(s.slice(8, 10)) };
}

function parseFraction(s: string | undefined): number {
  return s ? Number(s.padEnd(6, '0').slice(0, 6)) : 0;
}

function parseDateTimeText(s: string): DateTimeCell {
  const d = parseDateText(s);
  // The text protocol's own form, `YYYY-MM-DD HH:MM:SS[.f…]`, read by position; anything else by the pattern.
  if (s.length >= 19 && s.charCodeAt(13) === 0x3a && s.charCodeAt(16) === 0x3a && (s.length === 19 || s[19] === '.')) {
    const hour = Number(s.slice(11, 13));
    const minute = Number(s.slice(14, 16));
    const second = Number(s.slice(17, 19));
    if (Number.isInteger(hour) && Number.isInteger(minute) && Number.isInteger(second))
      return { kind: 'datetime', ...d, hour, minute, second, micros: parseFraction(s.slice(20)) };
  }
  const m = /(\d+):(\d+):(\d+)(?:\.(\d+))?/.exec(s.slice(10)) ?? ['', '0', '0', '0', ''];
  return {
    kind: 'datetime',
    ...d,
    hour: Number(m[1]),
    minute: Number(m[2]),
    second: Number(m[3]),
    micros: parseFraction(m[4]),
  };
}

function parseTimeText(s: string): number {
  const m = /^(-)?(\d+):(\d+):(\d+)(?:\.(\d+))?$/.exec(s.trim());
  if (!m) return 0;
  const v = (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])) * 1_000_000 + parseFraction(m[5]);
  return m[1] ? -v : v;
}

function isZeroDate(d: Ymd): boolean {
  return d.year === 0 || d.month === 0 || d.day === 0;
}

/**
 * Debezium's time adjuster (enable.time.adjuster, on by default): MySQL takes two-digit years, so a year 0–69 is
 * read as 2000–2069 and 70–99 as 1970–1999 — for every DATE and DATETIME, whatever was written.
 */
function adjust<T extends Ymd>(d: T, on: boolean): T {
  if (!on || d.year >= 100) return d;
  return { ...d, year: d.year + (d.year < 70 ? 2000 : 1900) };
}

function dateTimeMicros(c: DateTimeCell): number | bigint {
  const secs = epochDays(c.year, c.month, c.day) * 86400 + c.hour * 3600 + c.minute * 60 + c.second;
  return micros(secs, c.micros);
}

function toMillis(c: DateTimeCell): number | bigint {
  const v = dateTimeMicros(c);
  if (typeof v !== 'bigint') return Math.floor(v / 1000);
  // floor, as Java's: bigint division truncates toward zero
  const q = v / 1000n;
  const ms = q * 1000n > v ? q - 1n : q;
  return Number.isSafeInteger(Number(ms)) ? Number(ms) : ms;
}

/** Nanoseconds since the epoch as Debezium's int64 holds them: outside 1677–2262 they wrap, as Java's long does. */
function toNanos(c: DateTimeCell): bigint {
  return BigInt.asIntN(64, BigInt(dateTimeMicros(c)) * 1000n);
}

const DAY_MICROS = 86_400_000_000;

/** Whether a date exists: MySQL's ALLOW_INVALID_DATES stores 2021-02-30, which Debezium's binlog reader refuses. */
function validDate(d: Ymd): boolean {
  if (d.month < 1 || d.month > 12 || d.day < 1) return false;
  const leap = (d.year % 4 === 0 && d.year % 100 !== 0) || d.year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][d.month - 1];
  return d.day <= days;
}

const MONTHS = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
];

/** Debezium's isostring forms end in `Z` for every temporal type, DATE and TIME included. */
const isoDate = (d: Ymd) => `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}Z`;

/** A time of day (0 to 24 h exclusive) as `HH:MM:SS[.fraction]`, the fraction without trailing zeros. */
function clock(us: number): string {
  const secs = Math.floor(us / 1_000_000);
  const frac = us % 1_000_000;
  const text = `${pad(Math.floor(secs / 3600))}:${pad(Math.floor(secs / 60) % 60)}:${pad(secs % 60)}`;
  return frac ? `${text}.${pad(frac, 6).replace(/0+$/, '')}` : text;
}

const isoSchema = (name: string, optional: boolean): Schema => Schemas.string(optional, { name, version: 1 });

/** A temporal column's mapping; undefined when `col` is not temporal. `fallback` is the column default, if any. */
export function mapTemporal(col: ColumnDef, opts: MappingOptions, fallback: () => unknown): ColumnMapping | undefined {
  const optional = col.nullable;
  const name = col.name;
  const mode = opts.timePrecision;
  // Debezium: a zero date is null in a nullable column; in a NOT NULL one, the column's default, else the epoch.
  const zero = <T>(epoch: T): unknown => (optional ? null : (fallback() ?? epoch));
  const adjuster = opts.timeAdjuster;
  // A binlog date that does not exist: Debezium's reader refuses it (unless told to go on, when it writes the epoch).
  const checked = <T extends Ymd>(d: T, epochValue: unknown): T => {
    if (isZeroDate(d) || validDate(d)) return d;
    throw new ValueError(
      `invalid date '${MONTHS[d.month - 1] ?? d.month} ${d.day}' (${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)})`,
      'invalid',
      'event.processing.failure.handling.mode',
      epochValue,
    );
  };
  // A value the mode cannot represent: null, or (NOT NULL) a failure, as Debezium's "null used for required field".
  const unrepresentable = (what: string): null => {
    if (optional) return null;
    throw new ValueError(
      `${what} cannot be represented with time.precision.mode=${mode}`,
      'range',
      'time.precision.mode',
    );
  };

  if (col.type === 'YEAR') {
    return {
      name,
      schema: LogicalSchemas.year(optional),
      fromCell: (c) => (c === null ? null : (c as number)),
      fromText: (b) => (b === null ? null : Number(b.toString())),
    };
  }
  if (col.type === 'DATE') {
    let schema: Schema;
    let conv: (d: Ymd) => unknown;
    if (mode === 'connect') {
      schema = LogicalSchemas.connectDate(optional);
      conv = (d) => epochDays(d.year, d.month, d.day);
    } else if (mode === 'isostring') {
      schema = isoSchema('io.debezium.time.IsoDate', optional);
      conv = isoDate;
    } else {
      schema = LogicalSchemas.date(optional);
      conv = (d) => epochDays(d.year, d.month, d.day);
    }
    const epoch = conv({ year: 1970, month: 1, day: 1 });
    const map = (d: Ymd) => (isZeroDate(d) ? zero(epoch) : conv(adjust(d, adjuster)));
    return {
      name,
      schema,
      fromCell: (c) => (c === null ? null : map(checked(c as Ymd, epoch))),
      // The snapshot's reader is lenient (2021-02-30 is 2021-03-02), as Debezium's JDBC read is.
      fromText: (b) => (b === null ? null : map(parseDateText(b.toString()))),
    };
  }
  if (col.type === 'TIME') {
    let schema: Schema;
    let conv: (us: number) => unknown;
    // Connect's Time and an ISO time of day hold 00:00:00 up to 24 h: Debezium writes null outside that range.
    const ofDay = (us: number, f: (x: number) => unknown) =>
      us >= 0 && us < DAY_MICROS ? f(us) : unrepresentable(`TIME ${us < 0 ? 'before 00:00:00' : 'beyond 24:00:00'}`);
    if (mode === 'connect') {
      schema = LogicalSchemas.connectTime(optional);
      conv = (us) => ofDay(us, (x) => Math.trunc(x / 1000));
    } else if (mode === 'nanoseconds') {
      schema = Schemas.int64(optional, { name: 'io.debezium.time.NanoTime', version: 1 });
      conv = (us) => BigInt(us) * 1000n;
    } else if (mode === 'isostring') {
      schema = isoSchema('io.debezium.time.IsoTime', optional);
      conv = (us) => ofDay(us, (x) => `${clock(x)}Z`);
    } else {
      schema = LogicalSchemas.microTime(optional);
      conv = (us) => us;
    }
    return {
      name,
      schema,
      fromCell: (c) => (c === null ? null : conv((c as { micros: number }).micros)),
      fromText: (b) => (b === null ? null : conv(parseTimeText(b.toString()))),
    };
  }
  if (col.type === 'DATETIME') {
    const fsp = col.length ?? 0;
    let schema: Schema;
    let conv: (c: DateTimeCell) => unknown;
    if (mode === 'connect') {
      schema = LogicalSchemas.connectTimestamp(optional);
      conv = toMillis;
    } else if (mode === 'nanoseconds') {
      schema = Schemas.int64(optional, { name: 'io.debezium.time.NanoTimestamp', version: 1 });
      conv = toNanos;
    } else if (mode === 'isostring') {
      schema = isoSchema('io.debezium.time.IsoTimestamp', optional);
      conv = (c) =>
        `${isoDate(c).slice(0, -1)}T${clock(c.hour * 3_600_000_000 + c.minute * 60_000_000 + c.second * 1_000_000 + c.micros)}Z`;
    } else if (mode === 'microseconds' || fsp > 3) {
      schema = LogicalSchemas.microTimestamp(optional);
      conv = dateTimeMicros;
    } else {
      schema = LogicalSchemas.timestamp(optional);
      conv = toMillis;
    }
    const epoch: DateTimeCell = {
      kind: 'datetime',
      year: 1970,
      month: 1,
      day: 1,
      hour: 0,
      minute: 0,
      second: 0,
      micros: 0,
    };
    const map = (c: DateTimeCell) => (isZeroDate(c) ? zero(conv(epoch)) : conv(adjust(c, adjuster)));
    return {
      name,
      schema,
      fromCell: (c) => (c === null ? null : map(checked(c as DateTimeCell, conv(epoch)))),
      fromText: (b) => (b === null ? null : map(parseDateTimeText(b.toString()))),
    };
  }
  if (col.type === 'TIMESTAMP') {
    const fsp = col.length ?? 0;
    return {
      name,
      schema: LogicalSchemas.zonedTimestamp(optional),
      // The binlog's zero TIMESTAMP is 0 seconds: Debezium writes the epoch, at the column's precision.
      fromCell: (c) => {
        if (c === null) return null;
        const ts = c as { seconds: number; micros: number };
        return zonedTimestamp(ts.seconds, ts.micros, fsp);
      },
      // The snapshot session runs with time_zone '+00:00', so the text is UTC. Debezium's snapshot drops the
      // fraction's trailing zeros, and reads a zero TIMESTAMP as a zero date.
      fromText: (b) => {
        if (b === null) return null;
        const d = parseDateTimeText(b.toString());
        if (isZeroDate(d)) return zero(zonedTimestamp(0, 0));
        const secs = epochDays(d.year, d.month, d.day) * 86400 + d.hour * 3600 + d.minute * 60 + d.second;
        return zonedTimestamp(secs, d.micros);
      },
    };
  }
  return undefined;
}
