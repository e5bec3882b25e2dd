import { describe, expect, it } from 'vitest';
import { jsonBinaryToText } from '../../../connectors/mysql/binlog/json-binary.js';

/**
 * Fixtures built by hand from MySQL's documented binary JSON layout (sql/json_binary.h): type byte, then for
 * containers a count and a byte size, key entries (offset, length), value entries (type, inlined value or
 * offset), keys, values; offsets count from the byte after the container's type byte. MySQL 8 is not available
 * on these machines, so no server-made bytes exist here.
 */
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};

describe('MySQL binary JSON', () => {
  it('decodes a small object with a nested array of int, literal and string, and a double', () => {
    const array = Buffer.concat([
      u16(3),
      u16(15),
      Buffer.from([0x05]),
      u16(1),
      Buffer.from([0x04]),
      u16(1),
      Buffer.from([0x0c]),
      u16(13),
      Buffer.from([1]),
      Buffer.from('x'),
    ]);
    const dbl = Buffer.alloc(8);
    dbl.writeDoubleLE(1.5);
    const obj = Buffer.concat([
      u16(2),
      u16(43),
      u16(18),
      u16(1),
      u16(19),
      u16(1),
      Buffer.from([0x02]),
      u16(20),
      Buffer.from([0x0b]),
      u16(35),
      Buffer.from('ab'),
      array,
      dbl,
    ]);
    expect(obj.length).toBe(43);
    expect(jsonBinaryToText(Buffer.concat([Buffer.from([0x00]), obj]))).toBe('{"a":[1,true,"x"],"b":1.5}');
  });

  it('decodes scalars at the top level: int64, uint64, literals, escaped strings', () => {
    const i64 = Buffer.alloc(9);
    i64[0] = 0x09;
    i64.writeBigInt64LE(-9223372036854775808n, 1);
    expect(jsonBinaryToText(i64)).toBe('-9223372036854775808');
    const u64 = Buffer.alloc(9);
    u64[0] = 0x0a;
    u64.writeBigUInt64LE(18446744073709551615n, 1);
    expect(jsonBinaryToText(u64)).toBe('18446744073709551615');
    expect(jsonBinaryToText(Buffer.from([0x04, 0x00]))).toBe('null');
    expect(jsonBinaryToText(Buffer.from([0x04, 0x02]))).toBe('false');
    const s = Buffer.from('say "hi"\n', 'utf8');
    expect(jsonBinaryToText(Buffer.concat([Buffer.from([0x0c, s.length]), s]))).toBe('"say \\"hi\\"\\n"');
  });

  it('decodes a large array (4-byte offsets, inlined int32) and a 2-byte string length', () => {
    const long = 'y'.repeat(200);
    // [7, "yyy…"]: count 2, size, entries (type + 4 bytes) ×2 = 18 header bytes, then the string at 18.
    const len = Buffer.from([0xc8, 0x01]); // 200 as 7-bit groups: 0x48|0x80, 0x01
    const body = Buffer.alloc(18);
    body.writeUInt32LE(2, 0);
    body.writeUInt32LE(18 + 2 + 200, 4);
    body[8] = 0x07;
    body.writeInt32LE(7, 9);
    body[13] = 0x0c;
    body.writeUInt32LE(18, 14);
    expect(jsonBinaryToText(Buffer.concat([Buffer.from([0x03]), body, len, Buffer.from(long)]))).toBe(`[7,"${long}"]`);
  });

  it('decodes opaque DECIMAL and DATETIME values as Debezium does (number and string)', () => {
    // DECIMAL(4,2) 12.34: precision, scale, then decimal2bin (0x80|12, 34).
    const dec = Buffer.from([0x0f, 246, 4, 4, 2, 0x8c, 0x22]);
    expect(jsonBinaryToText(dec)).toBe('12.34');
    // DATETIME 2024-01-02 03:04:05.000006 packed: ((ym*32+d)<<17 | h<<12 | m<<6 | s) << 24 | micros.
    const ym = 2024n * 13n + 1n;
    const packed = (((ym * 32n + 2n) << 17n) | (3n << 12n) | (4n << 6n) | 5n) * (1n << 24n) + 6n;
    const dt = Buffer.alloc(11);
    dt[0] = 0x0f;
    dt[1] = 12;
    dt[2] = 8;
    dt.writeBigInt64LE(packed, 3);
    expect(jsonBinaryToText(dt)).toBe('"2024-01-02 03:04:05.000006"');
  });
});
