import { ColumnType } from './constants.js';
import { ByteReader } from './reader.js';

/** One column as TABLE_MAP describes it; the optional fields come from binlog_row_metadata=FULL. */
export interface MappedColumn {
  /** binlog type code; for STRING columns the real type (ENUM, SET or STRING) */
  type: number;
  /** type-specific metadata decoded: see `meta*` helpers below */
  meta: number;
  nullable: boolean;
  name?: string;
  unsigned?: boolean;
  /** collation id of a character, ENUM or SET column */
  collation?: number;
  enumValues?: string[];
  setValues?: string[];
  geometryType?: number;
}

export interface TableMap {
  tableId: number;
  database: string;
  table: string;
  columns: MappedColumn[];
  /** primary key column indexes, when the server sent them */
  primaryKey?: number[];
  /** true when column names came with the event (binlog_row_metadata=FULL) */
  hasFullMetadata: boolean;
}

const OptMeta = {
  SIGNEDNESS: 1,
  DEFAULT_CHARSET: 2,
  COLUMN_CHARSET: 3,
  COLUMN_NAME: 4,
  SET_STR_VALUE: 5,
  ENUM_STR_VALUE: 6,
  GEOMETRY_TYPE: 7,
  SIMPLE_PRIMARY_KEY: 8,
  PRIMARY_KEY_WITH_PREFIX: 9,
  ENUM_AND_SET_DEFAULT_CHARSET: 10,
  ENUM_AND_SET_COLUMN_CHARSET: 11,
} as const;

export function isNumericType(t: number): boolean {
  return (
    t === ColumnType.TINY ||
    t === ColumnType.SHORT ||
    t === ColumnType.INT24 ||
    t === ColumnType.LONG ||
    t === ColumnType.LONGLONG ||
    t === ColumnType.NEWDECIMAL ||
    t === ColumnType.FLOAT ||
    t === ColumnType.DOUBLE
  );
}

export function isCharacterType(t: number): boolean {
  return (
    t === ColumnType.STRING ||
    t === ColumnType.VAR_STRING ||
    t === ColumnType.VARCHAR ||
    t === ColumnType.BLOB ||
    t === ColumnType.TINY_BLOB ||
    t === ColumnType.MEDIUM_BLOB ||
    t === ColumnType.LONG_BLOB
  );
}

/** Reads the per-type metadata bytes; returns [realType, meta]. */
function readMeta(r: ByteReader, type: number): [number, number] {
  switch (type) {
    case ColumnType.FLOAT:
    case ColumnType.DOUBLE:
    case ColumnType.BLOB:
    case ColumnType.TINY_BLOB:
    case ColumnType.MEDIUM_BLOB:
    case ColumnType.LONG_BLOB:
    case ColumnType.GEOMETRY:
    case ColumnType.JSON:
    case ColumnType.TIME2:
    case ColumnType.DATETIME2:
    case ColumnType.TIMESTAMP2:
      return [type, r.u8()];
    case ColumnType.VARCHAR:
    case ColumnType.VAR_STRING:
      return [type, r.u16()];
    case ColumnType.BIT:
    case ColumnType.NEWDECIMAL: {
      const hi = r.u8();
      const lo = r.u8();
      return [type, (hi << 8) | lo];
    }
    case ColumnType.STRING:
    case ColumnType.ENUM:
    case ColumnType.SET: {
      const b0 = r.u8();
      const b1 = r.u8();
      // CHAR lengths above 255 borrow two bits of the real-type byte (MySQL bug #37426).
      if ((b0 & 0x30) !== 0x30) return [b0 | 0x30, b1 | (((b0 & 0x30) ^ 0x30) << 4)];
      return [b0, b1];
    }
    default:
      return [type, 0];
  }
}

export function decodeTableMap(body: ByteReader, postHeaderLength: number): TableMap {
  const tableId = postHeaderLength === 6 ? body.u32() : body.u48();
  body.u16();
  const database = body.string(body.u8());
  body.skip(1);
  const table = body.string(body.u8());
  body.skip(1);
  const count = body.lenenc();
  const types = [...body.bytes(count)];
  const metaLength = body.lenenc();
  const metaEnd = body.offset + metaLength;
  const columns: MappedColumn[] = types.map((t) => {
    const [type, meta] = readMeta(body, t);
    return { type, meta, nullable: true };
  });
  body.offset = metaEnd;
  const nullBits = body.bytes((count + 7) >> 3);
  for (let i = 0; i < count; i++) columns[i].nullable = (nullBits[i >> 3] & (1 << (i & 7))) !== 0;
  const map: TableMap = { tableId, database, table, columns, hasFullMetadata: false };
  while (body.remaining() > 0) readOptionalMetadata(body, map);
  return map;
}

function readOptionalMetadata(r: ByteReader, map: TableMap): void {
  const kind = r.u8();
  const len = r.lenenc();
  const end = r.offset + len;
  const sub = new ByteReader(r.buf, r.offset, end);
  r.offset = end;
  const cols = map.columns;
  const numeric = cols.filter((c) => isNumericType(c.type));
  const chars = cols.filter((c) => isCharacterType(c.type));
  const enumSet = cols.filter((c) => c.type === ColumnType.ENUM || c.type === ColumnType.SET);
  switch (kind) {
    case OptMeta.SIGNEDNESS: {
      const bits = sub.rest();
      numeric.forEach((c, i) => {
        c.unsigned = (bits[i >> 3] & (0x80 >> (i & 7))) !== 0;
      });
      break;
    }
    case OptMeta.DEFAULT_CHARSET:
    case OptMeta.ENUM_AND_SET_DEFAULT_CHARSET: {
      const target = kind === OptMeta.DEFAULT_CHARSET ? chars : enumSet;
      const def = sub.lenenc();
      for (const c of target) c.collation = def;
      while (sub.remaining() > 0) {
        const index = sub.lenenc();
        const collation = sub.lenenc();
        if (target[index]) target[index].collation = collation;
      }
      break;
    }
    case OptMeta.COLUMN_CHARSET:
    case OptMeta.ENUM_AND_SET_COLUMN_CHARSET: {
      const target = kind === OptMeta.COLUMN_CHARSET ? chars : enumSet;
      for (const c of target) c.collation = sub.lenenc();
      break;
    }
    case OptMeta.COLUMN_NAME:
      for (const c of cols) c.name = sub.lenencBytes().toString('utf8');
      map.hasFullMetadata = true;
      break;
    case OptMeta.SET_STR_VALUE:
    case OptMeta.ENUM_STR_VALUE: {
      const wanted = kind === OptMeta.SET_STR_VALUE ? ColumnType.SET : ColumnType.ENUM;
      for (const c of cols.filter((x) => x.type === wanted)) {
        const n = sub.lenenc();
        const values: string[] = [];
        for (let i = 0; i < n; i++) values.push(sub.lenencBytes().toString('utf8'));
        if (wanted === ColumnType.SET) c.setValues = values;
        else c.enumValues = values;
      }
      break;
    }
    case OptMeta.GEOMETRY_TYPE:
      for (const c of cols.filter((x) => x.type === ColumnType.GEOMETRY)) c.geometryType = sub.lenenc();
      break;
    case OptMeta.SIMPLE_PRIMARY_KEY: {
      const pk: number[] = [];
      while (sub.remaining() > 0) pk.push(sub.lenenc());
      map.primaryKey = pk;
      break;
    }
    case OptMeta.PRIMARY_KEY_WITH_PREFIX: {
      const pk: number[] = [];
      while (sub.remaining() > 0) {
        pk.push(sub.lenenc());
        sub.lenenc();
      }
      map.primaryKey = pk;
      break;
    }
    default:
      // Later servers add kinds (e.g. COLUMN_VISIBILITY); skipping them keeps the known ones usable.
      break;
  }
}
