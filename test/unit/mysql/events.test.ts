import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../runtime/api/index.js';
import { BinlogDecoder, type DecodedEvent } from '../../../connectors/mysql/binlog/events.js';
import { crc32 } from '../../../connectors/mysql/binlog/crc32.js';
import { decodeRows } from '../../../connectors/mysql/binlog/rows.js';
import { dumpGtidPayload, encodeMysqlGtidSet } from '../../../connectors/mysql/binlog/client.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/mariadb-10.11-binlog.json', import.meta.url), 'utf8')) as {
  events: string[];
};

function decodeAll(hex: string[]): { dec: BinlogDecoder; events: DecodedEvent[] } {
  const dec = new BinlogDecoder(true);
  return { dec, events: hex.map((h) => dec.decode(Buffer.from(h, 'hex'))) };
}

describe('binlog decoder on events captured from MariaDB 10.11', () => {
  it('decodes the event sequence with CRC32 verified', () => {
    const { events } = decodeAll(fixture.events);
    const types = events.map((e) => e.event.type);
    expect(types.slice(0, 4)).toEqual(['rotate', 'format', 'gtidList', 'other']);
    expect(types).toContain('mariaGtid');
    expect(types).toContain('annotate');
    expect(types.filter((t) => t === 'rows')).toHaveLength(2);
    expect(types.filter((t) => t === 'xid')).toHaveLength(2);
    const fmt = events[1].event;
    expect(fmt.type === 'format' && fmt.serverVersion.startsWith('10.11')).toBe(true);
    const ddl = events.find((e) => e.event.type === 'query' && e.event.sql.startsWith('CREATE TABLE'));
    expect(ddl?.event.type === 'query' && ddl.event.sql).toContain('ENUM');
    const gtid = events.find((e) => e.event.type === 'mariaGtid' && !e.event.standalone);
    expect(gtid?.event.type === 'mariaGtid' && gtid.event.gtid).toMatch(/^0-1-\d+$/);
  });

  it('decodes TABLE_MAP full metadata: names, signedness, charsets, enum and set values, primary key', () => {
    const { events } = decodeAll(fixture.events);
    const tm = events.find((e) => e.event.type === 'tableMap');
    if (tm?.event.type !== 'tableMap') throw new Error('no table map');
    const m = tm.event.map;
    expect([m.database, m.table]).toEqual(['d', 't']);
    expect(m.columns.map((c) => c.name)).toEqual(['id', 'a', 'b', 'c', 'e', 'ts', 'tm', 'bi', 's', 'y']);
    expect(m.columns[0].unsigned).toBe(true);
    expect(m.columns[2].unsigned).toBe(false);
    expect(m.columns[7].unsigned).toBe(true);
    expect(m.columns[1].collation).toBe(8); // latin1_swedish_ci
    expect(m.columns[4].enumValues).toEqual(['x', 'y']);
    expect(m.columns[8].setValues).toEqual(['a', 'b', 'c']);
    expect(m.primaryKey).toEqual([0]);
    expect(m.columns[0].nullable).toBe(false);
  });

  it('decodes WRITE_ROWS v1 and UPDATE_ROWS v1 values exactly (microseconds, unsigned 64-bit, decimal, negative TIME)', () => {
    const { dec, events } = decodeAll(fixture.events);
    const rows = events.filter((e) => e.event.type === 'rows');
    const [insert, update] = rows.map((e) => {
      if (e.event.type !== 'rows') throw new Error();
      const map = dec.tables.get(e.event.rows.tableId);
      if (!map) throw new Error('no map');
      return decodeRows(e.event.rows, map, []);
    });
    const after = insert[0].after ?? [];
    expect(after[0]).toBe(1);
    expect((after[1] as Buffer).toString('latin1')).toBe('héllo');
    expect((after[2] as Decimal).equals(new Decimal(-123456789012n, 6))).toBe(true);
    expect(after[3]).toEqual({
      kind: 'datetime',
      year: 2024,
      month: 1,
      day: 2,
      hour: 3,
      minute: 4,
      second: 5,
      micros: 123456,
    });
    expect(after[4]).toEqual({ kind: 'enum', index: 2 });
    expect(after[5]).toEqual({ kind: 'timestamp', seconds: Date.UTC(2024, 4, 6, 7, 8, 9) / 1000, micros: 123000 });
    expect(after[6]).toEqual({ kind: 'time', micros: -(838 * 3600 + 59 * 60 + 58) * 1_000_000 - 123400 });
    expect(after[7]).toBe(18446744073709551615n);
    expect(after[8]).toEqual({ kind: 'set', bits: 5n });
    expect(after[9]).toBe(2024);
    const before = update[0].before ?? [];
    const changed = update[0].after ?? [];
    expect((before[1] as Buffer).toString('latin1')).toBe('héllo');
    expect((changed[1] as Buffer).toString()).toBe('bye');
    expect((changed[2] as Decimal).toString()).toBe('0.500000');
  });

  it('rejects an event whose CRC32 does not match', () => {
    const dec = new BinlogDecoder(true);
    for (const h of fixture.events.slice(0, 2)) dec.decode(Buffer.from(h, 'hex'));
    const bad = Buffer.from(fixture.events[2], 'hex');
    bad[bad.length - 6] ^= 0xff;
    expect(() => dec.decode(bad)).toThrow(/checksum mismatch/);
  });
});

/**
 * MySQL 8 events, built by hand from the documented formats (MySQL's libbinlogevents: control_events.h,
 * rows_event.h): no MySQL server is obtainable here. Header: timestamp, type, server id, size, next position,
 * flags; body; CRC32 of both.
 */
function event(type: number, body: Buffer, nextPos = 1000): Buffer {
  const size = 19 + body.length + 4;
  const h = Buffer.alloc(19);
  h.writeUInt32LE(1_700_000_000, 0);
  h[4] = type;
  h.writeUInt32LE(8, 5);
  h.writeUInt32LE(size, 9);
  h.writeUInt32LE(nextPos, 13);
  const ev = Buffer.concat([h, body, Buffer.alloc(4)]);
  ev.writeUInt32LE(crc32(ev, 0, ev.length - 4), ev.length - 4);
  return ev;
}

function mysqlFormatDescription(): Buffer {
  const body = Buffer.alloc(2 + 50 + 4 + 1);
  body.writeUInt16LE(4, 0);
  body.write('8.0.36', 2, 'latin1');
  body[56] = 19;
  // Post-header lengths of event types 1..41 as MySQL 8.0 writes them (TABLE_MAP 8, ROWS v2 10, GTID 42, …).
  const post = Buffer.from([
    56, 13, 0, 8, 0, 18, 0, 4, 4, 4, 4, 18, 0, 0, 95, 0, 4, 0, 8, 0, 0, 0, 8, 8, 8, 2, 0, 0, 10, 10, 10, 42, 42, 0, 18,
    52, 0, 0, 0, 0, 0,
  ]);
  return event(15, Buffer.concat([body, post, Buffer.from([1])]));
}

describe('binlog decoder on hand-built MySQL 8 events', () => {
  it('decodes GTID and PREVIOUS_GTIDS', () => {
    const dec = new BinlogDecoder(true);
    dec.decode(mysqlFormatDescription());
    const sid = Buffer.from('3e11fa47712311e19e33c80aa9429562', 'hex');
    const gno = Buffer.alloc(8);
    gno.writeBigUInt64LE(23n);
    const gtid = dec.decode(event(33, Buffer.concat([Buffer.from([1]), sid, gno, Buffer.alloc(42 - 25)])));
    expect(gtid.event).toEqual({ type: 'gtid', gtid: '3e11fa47-7123-11e1-9e33-c80aa9429562:23' });
    const set = encodeMysqlGtidSet('3e11fa47-7123-11e1-9e33-c80aa9429562:1-5:7');
    const prev = dec.decode(event(35, set));
    expect(prev.event).toEqual({ type: 'previousGtids', gtidSet: '3e11fa47-7123-11e1-9e33-c80aa9429562:1-5:7' });
  });

  it('decodes TABLE_MAP and WRITE_ROWS v2 with a binary JSON column and a signed BIGINT', () => {
    const dec = new BinlogDecoder(true);
    dec.decode(mysqlFormatDescription());
    // Table 42 `db`.`j` (id BIGINT, doc JSON): types [8, 245], metadata [json pack length 4], null bits 0b10.
    const tm = Buffer.concat([
      Buffer.from([42, 0, 0, 0, 0, 0, 1, 0]),
      Buffer.from([2]),
      Buffer.from('db\0'),
      Buffer.from([1]),
      Buffer.from('j\0'),
      Buffer.from([2, 8, 245, 1, 4, 0b10]),
      // optional metadata: SIGNEDNESS (1) len 1 [0], COLUMN_NAME (4) len 6 ["id","doc"]
      Buffer.from([1, 1, 0x00, 4, 7, 2]),
      Buffer.from('id'),
      Buffer.from([3]),
      Buffer.from('doc'),
    ]);
    const mapped = dec.decode(event(19, tm));
    expect(mapped.event.type === 'tableMap' && mapped.event.map.columns.map((c) => c.name)).toEqual(['id', 'doc']);
    const json = Buffer.from([0x04, 0x01]); // true
    const id = Buffer.alloc(8);
    id.writeBigInt64LE(-5n);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length);
    // v2 post-header: table id, flags, extra-data length 2 (no extra data); then column count, present bitmap, row.
    const rowsBody = Buffer.concat([
      Buffer.from([42, 0, 0, 0, 0, 0, 1, 0, 2, 0]),
      Buffer.from([2, 0b11, 0b00]),
      id,
      len,
      json,
    ]);
    const rows = dec.decode(event(30, rowsBody));
    if (rows.event.type !== 'rows') throw new Error('not rows');
    const map = dec.tables.get(42);
    if (!map) throw new Error('no map');
    expect(decodeRows(rows.event.rows, map, [])).toEqual([{ after: [-5n, 'true'] }]);
  });

  it('refuses TRANSACTION_PAYLOAD (compressed transactions) with the server setting to change', () => {
    const dec = new BinlogDecoder(true);
    dec.decode(mysqlFormatDescription());
    expect(() => dec.decode(event(40, Buffer.from([1, 2, 3])))).toThrow(/binlog_transaction_compression=OFF/);
  });

  it('writes COM_BINLOG_DUMP_GTID with the GTID set in its binary form', () => {
    const p = dumpGtidPayload(77, { file: '', position: 4, mysqlGtidSet: '3e11fa47-7123-11e1-9e33-c80aa9429562:1-5' });
    expect(p[0]).toBe(0x1e);
    expect(p.readUInt32LE(3)).toBe(77);
    const setLen = p.readUInt32LE(1 + 2 + 4 + 4 + 0 + 8);
    const set = p.subarray(p.length - setLen);
    expect(set.readBigUInt64LE(0)).toBe(1n);
    expect(set.subarray(8, 24).toString('hex')).toBe('3e11fa47712311e19e33c80aa9429562');
    expect([set.readBigUInt64LE(32), set.readBigUInt64LE(40)]).toEqual([1n, 6n]);
  });
});
