import { Decimal, LogicalSchemas, type Schema, Schemas } from '../../runtime/api/index.js';
import type { Cell, DateTimeCell } from './binlog/cells.js';
import { decodeText } from './charsets.js';
import type { ColumnDef } from './schema/model.js';

/** Debezium's mapping options (same keys and values). */
export interface MappingOptions {
  decimalHandling: 'precise' | 'double' | 'string';
  timePrecision: 'adaptive_time_microseconds' | 'adaptive' | 'connect';
  bigintUnsigned: 'long' | 'precise';
  binaryHandling: 'bytes' | 'base64' | 'base64-url-safe' | 'hex';
}

/** A column's Connect schema and its converters from a binlog cell and from a snapshot's text-protocol bytes. */
export interface ColumnMapping {
  readonly name: string;
  readonly schema: Schema;
  fromCell(cell: Cell, enumValues?: readonly string[]): unknown;
  fromText(bytes: Buffer | null): unknown;
}

const INT_TYPES = new Set(['TINYINT', 'SMALLINT', 'MEDIUMINT', 'INT', 'BIGINT']);
const BLOB_TYPES = new Set(['BINARY', 'VARBINARY', 'TINYBLOB', 'BLOB', 'MEDIUMBLOB', 'LONGBLOB']);
const TEXT_TYPES = new Set(['CHAR', 'VARCHAR', 'TINYTEXT', 'TEXT', 'MEDIUMTEXT', 'LONGTEXT']);
const GEOMETRY_TYPES = new Set([
  'GEOMETRY',
  'LINESTRING',
  'POLYGON',
  'MULTIPOINT',
  'MULTILINESTRING',
  'MULTIPOLYGON',
  'GEOMETRYCOLLECTION',
  'GEOMCOLLECTION',
]);

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function epochDays(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function micros(seconds: number, frac: number): number | bigint {
  const v = seconds * 1_000_000 + frac;
  return Number.isSafeInteger(v) ? v : BigInt(seconds) * 1_000_000n + BigInt(frac);
}

function dateTimeMicros(c: DateTimeCell): number | bigint {
  const secs = epochDays(c.year, c.month, c.day) * 86400 + c.hour * 3600 + c.minute * 60 + c.second;
  return micros(secs, c.micros);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** ISO-8601 UTC with exactly `fsp` fraction digits, as Debezium's ZonedTimestamp for MySQL TIMESTAMP(fsp). */
export function zonedTimestamp(seconds: number, microsPart: number, fsp: number): string {
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  const frac = fsp > 0 ? `.${pad(microsPart, 6).slice(0, fsp)}` : '';
  return `${base}${frac}Z`;
}

function parseDateText(s: string): { year: number; month: number; day: number } {
  return { year: Number(s.slice(0, 4)), month: Number(s.slice(5, 7)), day: Number(s.slice(8, 10)) };
}

function parseFraction(s: string | undefined): number {
  return s ? Number(s.padEnd(6, '0').slice(0, 6)) : 0;
}

function parseDateTimeText(s: string): DateTimeCell {
  const d = parseDateText(s);
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

function isZeroDate(y: number, m: number, d: number): boolean {
  return y === 0 || m === 0 || d === 0;
}

export function mapColumn(col: ColumnDef, opts: MappingOptions): ColumnMapping {
  const optional = col.nullable;
  const t = col.type;
  const name = col.name;
  // Debezium: a zero date in a nullable column is null, in a NOT NULL column the epoch.
  const zero = <T>(epoch: T): T | null => (optional ? null : epoch);

  if (t === 'BOOLEAN') {
    const s = Schemas.boolean(optional);
    return {
      name,
      schema: s,
      fromCell: (c) => (c === null ? null : Number(c) !== 0),
      fromText: (b) => (b === null ? null : Number(b.toString()) !== 0),
    };
  }
  if (INT_TYPES.has(t)) {
    let schema: Schema;
    let conv: (v: number | bigint) => unknown;
    if (t === 'BIGINT') {
      if (col.unsigned && opts.bigintUnsigned === 'precise') {
        schema = LogicalSchemas.decimal(0, undefined, optional);
        conv = (v) => new Decimal(BigInt(v), 0);
      } else {
        schema = Schemas.int64(optional);
        // "long" mode keeps the 64 bits: values above 2^63-1 wrap negative, as Debezium documents.
        conv = (v) => {
          const b = BigInt.asIntN(64, BigInt(v));
          return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
        };
      }
    } else if (t === 'INT' && col.unsigned) {
      schema = Schemas.int64(optional);
      conv = (v) => Number(v);
    } else if (t === 'TINYINT' || (t === 'SMALLINT' && !col.unsigned)) {
      schema = Schemas.int16(optional);
      conv = (v) => Number(v);
    } else {
      schema = Schemas.int32(optional);
      conv = (v) => Number(v);
    }
    return {
      name,
      schema,
      fromCell: (c) => (c === null ? null : conv(c as number | bigint)),
      fromText: (b) => (b === null ? null : conv(t === 'BIGINT' ? BigInt(b.toString()) : Number(b.toString()))),
    };
  }
  if (t === 'DECIMAL') {
    const precision = col.length ?? 10;
    const scale = col.scale ?? 0;
    const schema =
      opts.decimalHandling === 'precise'
        ? LogicalSchemas.decimal(scale, precision, optional)
        : opts.decimalHandling === 'double'
          ? Schemas.float64(optional)
          : Schemas.string(optional);
    const conv = (d: Decimal): unknown =>
      opts.decimalHandling === 'precise'
        ? d.withScale(scale)
        : opts.decimalHandling === 'double'
          ? d.toNumber()
          : d.toString();
    return {
      name,
      schema,
      fromCell: (c) => (c === null ? null : conv(c as Decimal)),
      fromText: (b) => (b === null ? null : conv(Decimal.parse(b.toString()))),
    };
  }
  if (t === 'FLOAT' || t === 'DOUBLE') {
    // FLOAT(p) with p > 23 and FLOAT(M,D) are doubles; plain FLOAT is single precision.
    const single = t === 'FLOAT' && (col.length === undefined || (col.scale === undefined && col.length <= 23));
    const schema = single ? Schemas.float32(optional) : Schemas.float64(optional);
    return {
      name,
      schema,
      fromCell: (c) => (c === null ? null : (c as number)),
      fromText: (b) => (b === null ? null : single ? Math.fround(Number(b.toString())) : Number(b.toString())),
    };
  }
  if (t === 'BIT') {
    const bits = col.length ?? 1;
    if (bits === 1) {
      return {
        name,
        schema: Schemas.boolean(optional),
        fromCell: (c) => (c === null ? null : (c as Buffer).some((x) => x !== 0)),
        fromText: (b) => (b === null ? null : b.some((x) => x !== 0)),
      };
    }
    const n = Math.ceil(bits / 8);
    // Debezium sends BIT(n) little-endian in exactly ceil(n/8) bytes; MySQL stores it big-endian.
    const le = (be: Buffer) => {
      const out = Buffer.alloc(n);
      for (let i = 0; i < n && i < be.length; i++) out[i] = be[be.length - 1 - i];
      return out;
    };
    return {
      name,
      schema: LogicalSchemas.bits(bits, optional),
      fromCell: (c) => (c === null ? null : le(c as Buffer)),
      fromText: (b) => (b === null ? null : le(b)),
    };
  }
  if (t === 'YEAR') {
    return {
      name,
      schema: LogicalSchemas.year(optional),
      fromCell: (c) => (c === null ? null : (c as number)),
      fromText: (b) => (b === null ? null : Number(b.toString())),
    };
  }
  if (t === 'DATE') {
    const schema =
      opts.timePrecision === 'connect' ? LogicalSchemas.connectDate(optional) : LogicalSchemas.date(optional);
    const conv = (y: number, m: number, d: number) => (isZeroDate(y, m, d) ? zero(0) : epochDays(y, m, d));
    return {
      name,
      schema,
      fromCell: (c) => {
        if (c === null) return null;
        const d = c as { year: number; month: number; day: number };
        return conv(d.year, d.month, d.day);
      },
      fromText: (b) => {
        if (b === null) return null;
        const d = parseDateText(b.toString());
        return conv(d.year, d.month, d.day);
      },
    };
  }
  if (t === 'TIME') {
    const fsp = col.length ?? 0;
    let schema: Schema;
    let conv: (us: number) => unknown;
    if (opts.timePrecision === 'connect') {
      schema = LogicalSchemas.connectTime(optional);
      conv = (us) => Math.trunc(us / 1000);
    } else if (opts.timePrecision === 'adaptive' && fsp <= 3) {
      schema = LogicalSchemas.time(optional);
      conv = (us) => Math.trunc(us / 1000);
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
  if (t === 'DATETIME') {
    const fsp = col.length ?? 0;
    let schema: Schema;
    let conv: (c: DateTimeCell) => unknown;
    const toMillis = (c: DateTimeCell) => {
      const v = dateTimeMicros(c);
      return typeof v === 'bigint' ? v / 1000n : Math.floor(v / 1000);
    };
    if (opts.timePrecision === 'connect') {
      schema = LogicalSchemas.connectTimestamp(optional);
      conv = toMillis;
    } else if (fsp <= 3) {
      schema = LogicalSchemas.timestamp(optional);
      conv = toMillis;
    } else {
      schema = LogicalSchemas.microTimestamp(optional);
      conv = dateTimeMicros;
    }
    const guarded = (c: DateTimeCell) => (isZeroDate(c.year, c.month, c.day) ? zero(0) : conv(c));
    return {
      name,
      schema,
      fromCell: (c) => (c === null ? null : guarded(c as DateTimeCell)),
      fromText: (b) => (b === null ? null : guarded(parseDateTimeText(b.toString()))),
    };
  }
  if (t === 'TIMESTAMP') {
    const fsp = col.length ?? 0;
    const epoch = zonedTimestamp(0, 0, fsp);
    const conv = (seconds: number, us: number) =>
      seconds === 0 && us === 0 ? zero(epoch) : zonedTimestamp(seconds, us, fsp);
    return {
      name,
      schema: LogicalSchemas.zonedTimestamp(optional),
      fromCell: (c) => {
        if (c === null) return null;
        const ts = c as { seconds: number; micros: number };
        return conv(ts.seconds, ts.micros);
      },
      // The snapshot session runs with time_zone '+00:00', so the text is UTC.
      fromText: (b) => {
        if (b === null) return null;
        const d = parseDateTimeText(b.toString());
        if (isZeroDate(d.year, d.month, d.day)) return zero(epoch);
        const secs = epochDays(d.year, d.month, d.day) * 86400 + d.hour * 3600 + d.minute * 60 + d.second;
        return conv(secs, d.micros);
      },
    };
  }
  if (t === 'ENUM' || t === 'SET') {
    const values = col.enumValues ?? [];
    const schema =
      t === 'ENUM' ? LogicalSchemas.enumeration(values, optional) : LogicalSchemas.enumSet(values, optional);
    return {
      name,
      schema,
      fromCell: (c, metaValues) => {
        if (c === null) return null;
        const vals = values.length ? values : (metaValues ?? []);
        if (typeof c === 'object' && 'kind' in c && c.kind === 'enum')
          return c.index === 0 ? '' : (vals[c.index - 1] ?? '');
        if (typeof c === 'object' && 'kind' in c && c.kind === 'set') {
          const out: string[] = [];
          vals.forEach((v, i) => {
            if ((c.bits >> BigInt(i)) & 1n) out.push(v);
          });
          return out.join(',');
        }
        return Buffer.isBuffer(c) ? decodeText(c, col.charset) : String(c);
      },
      fromText: (b) => (b === null ? null : b.toString('utf8')),
    };
  }
  if (t === 'JSON') {
    return {
      name,
      schema: LogicalSchemas.json(optional),
      fromCell: (c) => (c === null ? null : typeof c === 'string' ? c : decodeText(c as Buffer, 'utf8mb4')),
      fromText: (b) => (b === null ? null : b.toString('utf8')),
    };
  }
  if (GEOMETRY_TYPES.has(t) || t === 'POINT') {
    const point = t === 'POINT';
    const schema = point
      ? Schemas.struct(
          [
            ['x', Schemas.float64()],
            ['y', Schemas.float64()],
            ['wkb', Schemas.bytes(true)],
            ['srid', Schemas.int32(true)],
          ],
          optional,
          { name: 'io.debezium.data.geometry.Point', version: 1, doc: 'Geometry (POINT)' },
        )
      : Schemas.struct(
          [
            ['wkb', Schemas.bytes()],
            ['srid', Schemas.int32(true)],
          ],
          optional,
          { name: 'io.debezium.data.geometry.Geometry', version: 1, doc: 'Geometry' },
        );
    // MySQL stores a geometry as a 4-byte little-endian SRID followed by the WKB.
    const conv = (b: Buffer) => {
      const srid = b.readUInt32LE(0);
      const wkb = Buffer.from(b.subarray(4));
      if (!point) return { wkb, srid };
      const le = wkb[0] === 1;
      const x = le ? wkb.readDoubleLE(5) : wkb.readDoubleBE(5);
      const y = le ? wkb.readDoubleLE(13) : wkb.readDoubleBE(13);
      return { x, y, wkb, srid };
    };
    return {
      name,
      schema,
      fromCell: (c) => (c === null ? null : conv(c as Buffer)),
      fromText: (b) => (b === null ? null : conv(b)),
    };
  }
  if (BLOB_TYPES.has(t) || (TEXT_TYPES.has(t) && col.charset === 'binary')) {
    const mode = opts.binaryHandling;
    const schema = mode === 'bytes' ? Schemas.bytes(optional) : Schemas.string(optional);
    const conv = (b: Buffer): unknown => {
      if (mode === 'bytes') return Buffer.from(b);
      if (mode === 'hex') return b.toString('hex');
      // Debezium uses Java's Base64.getUrlEncoder(), which keeps the '=' padding; Node's 'base64url' drops it.
      if (mode === 'base64-url-safe') return b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
      return b.toString('base64');
    };
    // The binlog drops a BINARY(n) value's trailing zero bytes; SELECT returns them, and so does Debezium.
    const width = t === 'BINARY' ? (col.length ?? 1) : 0;
    const padded = (b: Buffer) => (b.length < width ? Buffer.concat([b, Buffer.alloc(width - b.length)]) : b);
    return {
      name,
      schema,
      fromCell: (c) => (c === null ? null : conv(padded(c as Buffer))),
      fromText: (b) => (b === null ? null : conv(b)),
    };
  }
  // CHAR, VARCHAR, TEXT and anything unknown: text in the column's charset.
  return {
    name,
    schema: Schemas.string(optional),
    fromCell: (c) =>
      c === null ? null : typeof c === 'string' ? c : Buffer.isBuffer(c) ? decodeText(c, col.charset) : String(c),
    fromText: (b) => (b === null ? null : b.toString('utf8')),
  };
}
