import { describe, expect, it } from 'vitest';
import { addMysqlGtid } from '../../../connectors/mysql/gtid.js';
import { epochDays, mapColumn, zonedTimestamp } from '../../../connectors/mysql/values.js';
import type { ColumnDef } from '../../../connectors/mysql/schema/model.js';

const col = (over: Partial<ColumnDef>): ColumnDef => ({
  name: 'c',
  type: 'INT',
  typeExpression: '',
  unsigned: false,
  nullable: true,
  autoIncrement: false,
  ...over,
});
const opts = {
  decimalHandling: 'precise',
  timePrecision: 'adaptive_time_microseconds',
  bigintUnsigned: 'long',
  binaryHandling: 'bytes',
  timeAdjuster: true,
} as const;

describe('value mapping helpers', () => {
  it('counts epoch days for the whole DATE range without Date', () => {
    expect(epochDays(1970, 1, 1)).toBe(0);
    expect(epochDays(1969, 12, 31)).toBe(-1);
    expect(epochDays(2024, 2, 29)).toBe(19782);
    expect(epochDays(1, 1, 1)).toBe(-719162);
    expect(epochDays(9999, 12, 31)).toBe(2932896);
  });

  it('formats ZonedTimestamp with exactly the column precision', () => {
    expect(zonedTimestamp(0, 0, 0)).toBe('1970-01-01T00:00:00Z');
    expect(zonedTimestamp(1709208000, 1, 6)).toBe('2024-02-29T12:00:00.000001Z');
    expect(zonedTimestamp(1709208000, 120000, 3)).toBe('2024-02-29T12:00:00.120Z');
  });

  it("writes every second of years 0000–9999 and beyond as Date's ISO form, the fraction without trailing zeros", () => {
    const seconds = [0, -1, 86_399, 86_400, 951_782_400, 253_402_300_799, 253_402_300_800, -62_167_219_200];
    seconds.push(-62_167_219_201, 1e11, -1e11);
    // a spread of instants across (and past) the range, every day of a leap and a century year among them
    for (let s = -2.6e11; s < 2.6e11; s += 7_777_777_777) seconds.push(s);
    for (let s = 951_782_400 - 86_400 * 60; s < 951_782_400 + 86_400 * 370; s += 86_399) seconds.push(s);
    for (const s of seconds) {
      const iso = new Date(s * 1000).toISOString().slice(0, 19);
      expect(zonedTimestamp(s, 0)).toBe(`${iso}Z`);
      expect(zonedTimestamp(s, 120_000)).toBe(`${iso}.12Z`);
      expect(zonedTimestamp(s, 1_200)).toBe(`${iso}.0012Z`);
      expect(zonedTimestamp(s, 999_999, 3)).toBe(`${iso}.999Z`);
    }
  });

  it('keeps DATETIME(6) exact beyond 2^53 microseconds and maps zero dates by nullability', () => {
    const m = mapColumn(col({ type: 'DATETIME', length: 6 }), opts);
    expect(
      m.fromCell({
        kind: 'datetime',
        year: 9999,
        month: 12,
        day: 31,
        hour: 23,
        minute: 59,
        second: 59,
        micros: 999999,
      }),
    ).toBe(253402300799999999n);
    expect(m.fromText(Buffer.from('0000-00-00 00:00:00'))).toBeNull();
    const notNull = mapColumn(col({ type: 'DATE', nullable: false }), opts);
    expect(notNull.fromText(Buffer.from('0000-00-00'))).toBe(0);
  });

  it('wraps BIGINT UNSIGNED in long mode and keeps it exact in precise mode', () => {
    expect(mapColumn(col({ type: 'BIGINT', unsigned: true }), opts).fromCell(18446744073709551615n)).toBe(-1);
    const precise = mapColumn(col({ type: 'BIGINT', unsigned: true }), { ...opts, bigintUnsigned: 'precise' });
    expect(String(precise.fromCell(18446744073709551615n))).toBe('18446744073709551615');
  });

  it('extends MySQL GTID sets', () => {
    expect(addMysqlGtid(null, 'u:1')).toBe('u:1');
    expect(addMysqlGtid('u:1-5', 'u:6')).toBe('u:1-6');
    expect(addMysqlGtid('u:1-5', 'u:9')).toBe('u:1-5:9');
    expect(addMysqlGtid('u:1-5', 'v:3')).toBe('u:1-5,v:3');
  });
});
