import { ConfigError } from '../../api/index.js';

/**
 * The part of java.text.SimpleDateFormat that timestamp configs use, always in UTC as Kafka's
 * TimestampConverter and TimestampRouter set it: y M d H h k K m s S a E D Z X z and quoted literals.
 */
type Token = { letter: string; count: number } | { literal: string };

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
// Y (week year) is read as the calendar year; they differ only in the days around New Year.
const LETTERS = 'yYMdHhkKmsSaEDZXzGuw';

export class DateFormat {
  private readonly tokens: Token[];
  private parser?: { re: RegExp; tokens: Token[] };

  constructor(
    readonly pattern: string,
    configKey: string,
  ) {
    this.tokens = tokenize(pattern, configKey);
  }

  format(epochMillis: number): string {
    const d = new Date(epochMillis);
    let out = '';
    for (const t of this.tokens) {
      if ('literal' in t) {
        out += t.literal;
        continue;
      }
      const n = t.count;
      switch (t.letter) {
        case 'G':
          out += d.getUTCFullYear() > 0 ? 'AD' : 'BC';
          break;
        case 'y':
        case 'Y':
        case 'u': {
          const y = d.getUTCFullYear();
          out += n === 2 ? pad(y % 100, 2) : pad(y, n);
          break;
        }
        case 'M':
          out +=
            n >= 4
              ? MONTHS[d.getUTCMonth()]
              : n === 3
                ? MONTHS[d.getUTCMonth()].slice(0, 3)
                : pad(d.getUTCMonth() + 1, n);
          break;
        case 'd':
          out += pad(d.getUTCDate(), n);
          break;
        case 'D': {
          const start = Date.UTC(d.getUTCFullYear(), 0, 1);
          out += pad(Math.floor((epochMillis - start) / 86_400_000) + 1, n);
          break;
        }
        case 'E':
          out += n >= 4 ? DAYS[d.getUTCDay()] : DAYS[d.getUTCDay()].slice(0, 3);
          break;
        case 'H':
          out += pad(d.getUTCHours(), n);
          break;
        case 'k':
          out += pad(d.getUTCHours() || 24, n);
          break;
        case 'K':
          out += pad(d.getUTCHours() % 12, n);
          break;
        case 'h':
          out += pad(d.getUTCHours() % 12 || 12, n);
          break;
        case 'a':
          out += d.getUTCHours() < 12 ? 'AM' : 'PM';
          break;
        case 'm':
          out += pad(d.getUTCMinutes(), n);
          break;
        case 's':
          out += pad(d.getUTCSeconds(), n);
          break;
        case 'S':
          out += pad(d.getUTCMilliseconds(), n);
          break;
        case 'Z':
          out += '+0000';
          break;
        case 'X':
          out += 'Z';
          break;
        case 'z':
          out += n >= 4 ? 'Coordinated Universal Time' : 'UTC';
          break;
        case 'w':
          out += pad(isoWeek(d), n);
          break;
      }
    }
    return out;
  }

  /** Epoch milliseconds of a text in this format; throws when the text does not match. */
  parse(text: string): number {
    if (!this.parser) this.parser = buildParser(this.tokens);
    const m = this.parser.re.exec(text);
    if (!m) throw new Error(`Could not parse timestamp: value (${text}) does not match pattern (${this.pattern})`);
    let year = 1970;
    let month = 0;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let milli = 0;
    let pm: boolean | undefined;
    let offsetMinutes = 0;
    let g = 1;
    for (const t of this.parser.tokens) {
      if ('literal' in t) continue;
      const v = m[g++];
      switch (t.letter) {
        case 'y':
        case 'Y':
        case 'u':
          year = t.count === 2 ? 2000 + Number(v) : Number(v);
          break;
        case 'M':
          month =
            t.count >= 3
              ? MONTHS.findIndex((x) => x.toLowerCase().startsWith(v.toLowerCase().slice(0, 3)))
              : Number(v) - 1;
          break;
        case 'd':
          day = Number(v);
          break;
        case 'H':
        case 'k':
        case 'K':
        case 'h':
          hour = Number(v) % (t.letter === 'H' || t.letter === 'k' ? 24 : 12);
          break;
        case 'a':
          pm = v.toUpperCase() === 'PM';
          break;
        case 'm':
          minute = Number(v);
          break;
        case 's':
          second = Number(v);
          break;
        case 'S':
          milli = Number(v);
          break;
        case 'Z':
        case 'X':
          offsetMinutes = parseOffset(v);
          break;
      }
    }
    if (pm === true && hour < 12) hour += 12;
    return Date.UTC(year, month, day, hour, minute, second, milli) - offsetMinutes * 60_000;
  }
}

function tokenize(pattern: string, configKey: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0)
        throw new ConfigError([
          { key: configKey, message: `Unterminated quote in date format ${JSON.stringify(pattern)}` },
        ]);
      out.push({ literal: end === i + 1 ? "'" : pattern.slice(i + 1, end) });
      i = end + 1;
    } else if (/[A-Za-z]/.test(c)) {
      if (!LETTERS.includes(c))
        throw new ConfigError([{ key: configKey, message: `Illegal pattern character '${c}'` }]);
      let j = i;
      while (pattern[j] === c) j++;
      out.push({ letter: c, count: j - i });
      i = j;
    } else {
      out.push({ literal: c });
      i++;
    }
  }
  return out;
}

function buildParser(tokens: Token[]): { re: RegExp; tokens: Token[] } {
  let src = '^';
  for (const t of tokens) {
    if ('literal' in t) {
      src += t.literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      continue;
    }
    switch (t.letter) {
      case 'M':
        src += t.count >= 3 ? '([A-Za-z]+)' : '(\\d{1,2})';
        break;
      case 'E':
        src += '([A-Za-z]+)';
        break;
      case 'a':
        src += '([AaPp][Mm])';
        break;
      case 'Z':
      case 'X':
        src += '(Z|[+-]\\d{2}(?::?\\d{2})?)';
        break;
      case 'z':
        src += '([A-Za-z ]+)';
        break;
      case 'y':
      case 'Y':
      case 'u':
        src += t.count === 2 ? '(\\d{2})' : '(\\d{1,9})';
        break;
      case 'S':
        src += '(\\d{1,9})';
        break;
      default:
        src += t.count > 1 ? `(\\d{${t.count}})` : '(\\d+)';
    }
  }
  return { re: new RegExp(`${src}$`), tokens };
}

function parseOffset(v: string): number {
  if (v === 'Z') return 0;
  const sign = v[0] === '-' ? -1 : 1;
  const digits = v.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n));
  return (n < 0 ? '-' : '') + (s.length >= width ? s : '0'.repeat(width - s.length) + s);
}

function isoWeek(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
}
