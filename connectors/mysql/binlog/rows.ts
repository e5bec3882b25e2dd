import { ConnectError } from '../../../runtime/api/index.js';
import type { Cell } from './cells.js';
import { ColumnType } from './constants.js';
import { decodeBinaryDecimal, decimalBinarySize } from './decimal.js';
import { jsonBinaryToText } from './json-binary.js';
import { ByteReader } from './reader.js';
import type { MappedColumn, TableMap } from './table-map.js';

export type RowsKind = 'insert' | 'update' | 'delete';

/** A rows event with its images still undecoded, so rows of filtered-out tables cost nothing. */
export interface RowsEvent {
  kind: RowsKind;
  tableId: number;
  flags: number;
  columnCount: number;
  present: Buffer;
  presentAfter?: Buffer;
  body: Buffer;
  /** offset of the first row image in body */
  rowsStart: number;
}

export interface RowImage {
  before?: Cell[];
  after?: Cell[];
}

export function decodeRowsHeader(r: ByteReader, kind: RowsKind, v2: boolean, postHeaderLength: number): RowsEvent {
  const tableId = postHeaderLength === 6 ? r.u32() : r.u48();
  const flags = r.u16();
  if (v2) {
    const extra = r.u16();
    r.skip(extra - 2);
  }
  const columnCount = r.lenenc();
  const bitmapLen = (columnCount + 7) >> 3;
  const present = r.bytes(bitmapLen);
  const presentAfter = kind === 'update' ? r.bytes(bitmapLen) : undefined;
  return {
    kind,
    tableId,
    flags,
    columnCount,
    present,
    presentAfter,
    body: r.buf.subarray(0, r.end),
    rowsStart: r.offset,
  };
}

/** Decodes every row image; `unsigned[i]` overrides the table map's signedness when that is absent. */
export function decodeRows(ev: RowsEvent, map: TableMap, unsigned: readonly boolean[]): RowImage[] {
  const r = new ByteReader(ev.body, ev.rowsStart);
  const out: RowImage[] = [];
  while (r.remaining() > 0) {
    if (ev.kind === 'insert') out.push({ after: readImage(r, ev.present, map, unsigned) });
    else if (ev.kind === 'delete') out.push({ before: readImage(r, ev.present, map, unsigned) });
    else {
      const before = readImage(r, ev.present, map, unsigned);
      const after = readImage(r, ev.presentAfter as Buffer, map, unsigned);
      out.push({ before, after });
    }
  }
  return out;
}

function bit(bitmap: Buffer, i: number): boolean {
  return (bitmap[i >> 3] & (1 << (i & 7))) !== 0;
}

function readImage(r: ByteReader, present: Buffer, map: TableMap, unsigned: readonly boolean[]): Cell[] {
  const n = map.columns.length;
  let presentCount = 0;
  for (let i = 0; i < n; i++) if (bit(present, i)) presentCount++;
  const nulls = r.bytes((presentCount + 7) >> 3);
  const cells: Cell[] = new Array(n).fill(null);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (!bit(present, i)) continue;
    const isNull = (nulls[k >> 3] & (1 << (k & 7))) !== 0;
    k++;
    if (isNull) continue;
    const col = map.columns[i];
    cells[i] = readCell(r, col, col.unsigned ?? unsigned[i] ?? false, map);
  }
  return cells;
}

function fractionMicros(r: ByteReader, fsp: number): number {
  if (fsp <= 0) return 0;
  if (fsp <= 2) return r.u8() * 10000;
  if (fsp <= 4) return r.uintBE(2) * 100;
  return r.uintBE(3);
}

function readCell(r: ByteReader, col: MappedColumn, unsigned: boolean, map: TableMap): Cell {
  const { buf } = r;
  switch (col.type) {
    case ColumnType.TINY:
      return unsigned ? r.u8() : r.intLE(1);
    case ColumnType.SHORT:
      return unsigned ? r.u16() : r.intLE(2);
    case ColumnType.INT24:
      return unsigned ? r.u24() : r.intLE(3);
    case ColumnType.LONG:
      return unsigned ? r.u32() : r.intLE(4);
    case ColumnType.LONGLONG:
      return unsigned ? r.u64() : r.i64();
    case ColumnType.FLOAT:
      return r.f32();
    case ColumnType.DOUBLE:
      return r.f64();
    case ColumnType.NEWDECIMAL: {
      const precision = col.meta >> 8;
      const scale = col.meta & 0xff;
      const d = decodeBinaryDecimal(buf, r.offset, precision, scale);
      r.offset += decimalBinarySize(precision, scale);
      return d;
    }
    case ColumnType.YEAR: {
      const y = r.u8();
      return y === 0 ? 0 : 1900 + y;
    }
    case ColumnType.DATE:
    case ColumnType.NEWDATE: {
      const v = r.u24();
      return { kind: 'date', year: v >> 9, month: (v >> 5) & 15, day: v & 31 };
    }
    case ColumnType.TIME: {
      // Pre-5.6 TIME: HHMMSS as a signed 3-byte integer.
      const v = r.intLE(3);
      const a = Math.abs(v);
      const micros = (Math.floor(a / 10000) * 3600 + (Math.floor(a / 100) % 100) * 60 + (a % 100)) * 1_000_000;
      return { kind: 'time', micros: v < 0 ? -micros : micros };
    }
    case ColumnType.TIME2:
      return readTime2(r, col.meta);
    case ColumnType.DATETIME: {
      const v = r.u64();
      const d = v / 1000000n;
      const t = v % 1000000n;
      return {
        kind: 'datetime',
        year: Number(d / 10000n),
        month: Number((d / 100n) % 100n),
        day: Number(d % 100n),
        hour: Number(t / 10000n),
        minute: Number((t / 100n) % 100n),
        second: Number(t % 100n),
        micros: 0,
      };
    }
    case ColumnType.DATETIME2: {
      const v = buf.readUIntBE(r.offset, 5) - 0x8000000000;
      r.offset += 5;
      const micros = fractionMicros(r, col.meta);
      const ymd = Math.floor(v / 2 ** 17);
      const ym = Math.floor(ymd / 32);
      const hms = v % 2 ** 17;
      return {
        kind: 'datetime',
        year: Math.floor(ym / 13),
        month: ym % 13,
        day: ymd % 32,
        hour: hms >> 12,
        minute: (hms >> 6) & 63,
        second: hms & 63,
        micros,
      };
    }
    case ColumnType.TIMESTAMP:
      return { kind: 'timestamp', seconds: r.u32(), micros: 0 };
    case ColumnType.TIMESTAMP2: {
      const seconds = buf.readUInt32BE(r.offset);
      r.offset += 4;
      return { kind: 'timestamp', seconds, micros: fractionMicros(r, col.meta) };
    }
    case ColumnType.VARCHAR:
    case ColumnType.VAR_STRING:
      return r.bytes(col.meta < 256 ? r.u8() : r.u16());
    case ColumnType.STRING:
      return r.bytes(col.meta < 256 ? r.u8() : r.u16());
    case ColumnType.ENUM:
      return { kind: 'enum', index: r.uintLE(col.meta & 0xff) };
    case ColumnType.SET: {
      const n = col.meta & 0xff;
      let bits = 0n;
      for (let i = 0; i < n; i++) bits |= BigInt(r.u8()) << BigInt(8 * i);
      return { kind: 'set', bits };
    }
    case ColumnType.BIT: {
      const bytes = (col.meta & 0xff) + ((col.meta >> 8) & 0xff ? 1 : 0);
      return Buffer.from(r.bytes(bytes));
    }
    case ColumnType.BLOB:
    case ColumnType.TINY_BLOB:
    case ColumnType.MEDIUM_BLOB:
    case ColumnType.LONG_BLOB:
    case ColumnType.GEOMETRY:
      return r.bytes(r.uintLE(col.meta));
    case ColumnType.JSON:
      return jsonBinaryToText(r.bytes(r.uintLE(col.meta)));
    default:
      throw new ConnectError(`unsupported column type ${col.type} in binlog row of ${map.database}.${map.table}`, {
        context: { table: `${map.database}.${map.table}` },
      });
  }
}

function readTime2(r: ByteReader, fsp: number): Cell {
  const { buf } = r;
  const OFS = 0x800000;
  let packed: number;
  // my_time_packed_from_binary: the integer part and the fraction combine into one signed packed value.
  if (fsp >= 5) {
    packed = buf.readUIntBE(r.offset, 6) - 0x800000000000;
    r.offset += 6;
  } else {
    let intPart = buf.readUIntBE(r.offset, 3) - OFS;
    r.offset += 3;
    let frac = 0;
    if (fsp >= 3) {
      frac = buf.readUInt16BE(r.offset);
      r.offset += 2;
      if (intPart < 0 && frac) {
        intPart++;
        frac -= 0x10000;
      }
      frac *= 100;
    } else if (fsp >= 1) {
      frac = buf[r.offset];
      r.offset += 1;
      if (intPart < 0 && frac) {
        intPart++;
        frac -= 0x100;
      }
      frac *= 10000;
    }
    packed = intPart * 2 ** 24 + frac;
  }
  const negative = packed < 0;
  const abs = Math.abs(packed);
  const hms = Math.floor(abs / 2 ** 24);
  const frac = abs % 2 ** 24;
  const hour = (hms >> 12) % 1024;
  const minute = (hms >> 6) % 64;
  const second = hms % 64;
  const micros = (hour * 3600 + minute * 60 + second) * 1_000_000 + frac;
  return { kind: 'time', micros: negative ? -micros : micros };
}
