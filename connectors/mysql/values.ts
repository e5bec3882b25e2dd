import { ConnectError, Decimal, LogicalSchemas, type Schema, Schemas } from '../../runtime/api/index.js';
import type { Cell } from './binlog/cells.js';
import { decodeText } from './charsets.js';
import { columnDefault } from './column-defaults.js';
import type { ColumnDef } from './schema/model.js';
import { mapTemporal } from './values-temporal.js';

export { epochDays, zonedTimestamp } from './values-temporal.js';

/** Debezium's mapping options (same keys and values). */
export interface MappingOptions {
  decimalHandling: 'precise' | 'double' | 'string';
  timePrecision: 'adaptive_time_microseconds' | 'connect' | 'isostring' | 'microseconds' | 'nanoseconds';
  /** enable.time.adjuster: two-digit years in DATE/DATETIME are 2000–2069 / 1970–1999 */
  timeAdjuster: boolean;
  bigintUnsigned: 'long' | 'precise';
  binaryHandling: 'bytes' | 'base64' | 'base64-url-safe' | 'hex';
}

/**
 * A value Debezium cannot write either. `kind: 'range'`: the mapping has no representation for it and the column is
 * NOT NULL (Debezium fails: "null used for required field"); `kind: 'invalid'`: the binlog holds something that is
 * not a value (an invalid date), which Debezium fails on unless event.processing.failure.handling.mode says to go
 * on, writing `fallback`. `setting` is the key that changes the behaviour.
 */
export class ValueError extends Error {
  constructor(
    message: string,
    readonly kind: 'range' | 'invalid',
    readonly setting: string,
    readonly fallback?: unknown,
  ) {
    super(message);
  }
}

/**
 * The task's error for a ValueError that is not to be passed over: it names the table, column, position and the
 * setting that changes the behaviour.
 */
export function valueFailure(err: ValueError, table: string, column: string, position: string): ConnectError {
  const advice =
    err.kind === 'invalid'
      ? 'Debezium stops here too. Set event.processing.failure.handling.mode=warn (or skip) to write the epoch instead and go on, or correct the row.'
      : `Debezium stops here too ("null used for required field"). Set ${err.setting}=adaptive_time_microseconds (the default) to write it as microseconds.`;
  return new ConnectError(`Table ${table}, column ${column}: ${err.message}, at ${position}. ${advice}`, {
    context: { table, position },
  });
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

/**
 * A column's Connect schema (with Debezium's `default`, from the column's DEFAULT) and its value converters.
 */
export function mapColumn(col: ColumnDef, opts: MappingOptions): ColumnMapping {
  const box: { value?: unknown } = {};
  const base = mapValue(col, opts, () => box.value);
  const value = columnDefault(col, opts, base);
  if (value === undefined || value === null) return base;
  box.value = value;
  return { ...base, schema: Object.freeze({ ...base.schema, defaultValue: value }) };
}

function mapValue(col: ColumnDef, opts: MappingOptions, fallback: () => unknown): ColumnMapping {
  const optional = col.nullable;
  const t = col.type;
  const name = col.name;

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
        schema = LogicalSchemas.decimal(0, 20, optional);
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
          : d.withScale(scale).toString();
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
    // FLOAT(M,D) is stored in 4 bytes but mapped to a double, as Debezium: the float's value, widened.
    const stored = t === 'FLOAT' && (single || col.scale !== undefined);
    const schema = single ? Schemas.float32(optional) : Schemas.float64(optional);
    return {
      name,
      schema,
      fromCell: (c) => (c === null ? null : (c as number)),
      fromText: (b) => (b === null ? null : stored ? Math.fround(Number(b.toString())) : Number(b.toString())),
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
  const temporal = mapTemporal(col, opts, fallback);
  if (temporal) return temporal;
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
    // SRID 0 (none) is null, as Debezium writes it.
    const conv = (b: Buffer) => {
      const srid = b.readUInt32LE(0) || null;
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
