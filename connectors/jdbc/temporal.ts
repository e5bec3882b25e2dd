import { civilFromDays, daysFromCivil } from '../../runtime/api/index.js';
/**
 * Debezium's temporal numbers (days, milli/micro/nanoseconds since the epoch or midnight) written as the SQL text
 * a database parses back exactly. Integer arithmetic only: a microsecond never passes through a double.
 */

export const MICROS_PER_DAY = 86_400_000_000n;

const pad = (n: number | bigint, width: number) => String(n).padStart(width, '0');

/** `2024-02-29`; years before 1 as PostgreSQL writes them (`0044-03-15 BC`) when `bc` is allowed, else null. */
export function formatDate(days: number, bc: boolean): string | null {
  const [y, m, d] = civilFromDays(days);
  if (y >= 1) return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
  return bc ? `${pad(1 - y, 4)}-${pad(m, 2)}-${pad(d, 2)} BC` : null;
}

/** Fraction digits of a count of microseconds within a second, trailing zeros removed (`.5`, `.000001`, or ``). */
function fraction(micros: bigint): string {
  if (micros === 0n) return '';
  return `.${pad(micros, 6).replace(/0+$/, '')}`;
}

/**
 * A time of day (or, for MySQL, a duration of up to ±838 hours) in microseconds: `23:59:59.999999`,
 * `-12:34:56.789012`, `838:59:59`.
 */
export function formatTime(micros: bigint): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const secs = abs / 1_000_000n;
  const h = secs / 3600n;
  const m = (secs / 60n) % 60n;
  const s = secs % 60n;
  return `${negative ? '-' : ''}${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${fraction(abs % 1_000_000n)}`;
}

/** A wall-clock timestamp in microseconds since the epoch: `2024-01-02 03:04:05.123456` (or `… BC`). */
export function formatTimestamp(micros: bigint, bc: boolean): string | null {
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const date = formatDate(Number(days), false);
  const time = formatTime(rest);
  if (date !== null) return `${date} ${time}`;
  if (!bc) return null;
  const [y, m, d] = civilFromDays(Number(days));
  return `${pad(1 - y, 4)}-${pad(m, 2)}-${pad(d, 2)} ${time} BC`;
}

/** Parses Debezium's ZonedTimestamp (`2024-01-02T01:04:05.123456Z`, `…+02:00`) into UTC microseconds. */
export function parseZonedTimestamp(text: string): bigint | null {
  const m =
    /^([+-]?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)$/.exec(
      text,
    );
  if (!m) return null;
  const days = daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
  const frac = BigInt((m[7] ?? '').padEnd(9, '0').slice(0, 6) || '0');
  const local =
    BigInt(days) * MICROS_PER_DAY + BigInt((Number(m[4]) * 60 + Number(m[5])) * 60 + Number(m[6])) * 1_000_000n + frac;
  return local - offsetMicros(m[8]);
}

/** Parses Debezium's ZonedTime (`08:11:12.123456Z`, `10:11:12+02:00`) into UTC microseconds since midnight. */
export function parseZonedTime(text: string): bigint | null {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)$/.exec(text);
  if (!m) return null;
  const frac = BigInt((m[4] ?? '').padEnd(9, '0').slice(0, 6) || '0');
  const local = BigInt((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1_000_000n + frac;
  return local - offsetMicros(m[5]);
}

function offsetMicros(zone: string): bigint {
  if (zone === 'Z') return 0n;
  const sign = zone[0] === '-' ? -1n : 1n;
  const digits = zone.slice(1).replace(/:/g, '');
  const h = Number(digits.slice(0, 2));
  const min = Number(digits.slice(2, 4) || '0');
  const s = Number(digits.slice(4, 6) || '0');
  return sign * BigInt((h * 60 + min) * 60 + s) * 1_000_000n;
}

/**
 * The wall clock of a UTC instant in a time zone (`use.time.zone`): an IANA name (`Europe/Paris`), `UTC`, or a
 * fixed offset (`+02:00`). Returns local microseconds since the epoch.
 */
export class TimeZone {
  private readonly fixed: bigint | undefined;
  private readonly format: Intl.DateTimeFormat | undefined;

  constructor(readonly name: string) {
    const offset = /^(?:UTC|GMT)?([+-]\d{2}(?::?\d{2})?)$/.exec(name);
    if (name === 'UTC' || name === 'Z' || name === 'GMT') this.fixed = 0n;
    else if (offset) this.fixed = offsetMicros(offset[1]);
    else {
      // Throws RangeError for an unknown zone; the config validator reports it.
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        era: 'short',
      });
    }
  }

  get isUtc(): boolean {
    return this.fixed === 0n;
  }

  /** `+00:00`-style offset for session settings, or the IANA name. */
  get sessionName(): string {
    if (this.fixed === undefined) return this.name;
    const total = this.fixed / 1_000_000n;
    const sign = total < 0n ? '-' : '+';
    const abs = total < 0n ? -total : total;
    return `${sign}${pad(abs / 3600n, 2)}:${pad((abs / 60n) % 60n, 2)}`;
  }

  toLocal(utcMicros: bigint): bigint {
    if (this.fixed !== undefined) return utcMicros + this.fixed;
    const ms = Number(utcMicros / 1000n);
    const parts = Object.fromEntries(
      (this.format as Intl.DateTimeFormat).formatToParts(new Date(ms)).map((p) => [p.type, p.value]),
    );
    const year = parts.era === 'BC' ? 1 - Number(parts.year) : Number(parts.year);
    const days = daysFromCivil(year, Number(parts.month), Number(parts.day));
    const localSeconds =
      BigInt(days) * 86_400n + BigInt((Number(parts.hour) * 60 + Number(parts.minute)) * 60 + Number(parts.second));
    const utcSeconds = utcMicros >= 0n ? utcMicros / 1_000_000n : -((-utcMicros + 999_999n) / 1_000_000n);
    return utcMicros + (localSeconds - utcSeconds) * 1_000_000n;
  }
}

export function isValidTimeZone(name: string): boolean {
  try {
    new TimeZone(name);
    return true;
  } catch {
    return false;
  }
}
