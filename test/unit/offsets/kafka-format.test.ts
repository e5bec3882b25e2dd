import { describe, expect, it } from 'vitest';
import {
  decodeOffsetRecord,
  encodeOffsetKey,
  encodeOffsetValue,
  storedKey,
} from '../../../runtime/offsets/kafka-format.js';

describe("Kafka Connect's offset record format", () => {
  it('writes key ["<connector>",{partition}] and value {offset} as compact JSON, as JsonConverter (schemas off) does', () => {
    expect(encodeOffsetKey('inventory', { server: 'dbserver1' }).toString()).toBe(
      '["inventory",{"server":"dbserver1"}]',
    );
    expect(encodeOffsetValue({ lsn: 24023128, txId: 555, ts_usec: 1559033904863123 })?.toString()).toBe(
      '{"lsn":24023128,"txId":555,"ts_usec":1559033904863123}',
    );
    expect(encodeOffsetValue(null)).toBeNull();
  });

  it('reads records written by Kafka Connect (Debezium PostgreSQL and FileStreamSource examples)', () => {
    expect(
      decodeOffsetRecord(
        Buffer.from('["inventory-connector",{"server":"dbserver1"}]'),
        Buffer.from(
          '{"last_snapshot_record":true,"lsn":24023128,"txId":555,"ts_usec":1559033904863123,"snapshot":true}',
        ),
      ),
    ).toEqual({
      connector: 'inventory-connector',
      partition: { server: 'dbserver1' },
      offset: { last_snapshot_record: true, lsn: 24023128, txId: 555, ts_usec: 1559033904863123, snapshot: true },
    });
    expect(
      decodeOffsetRecord(
        Buffer.from('["local-file-source",{"filename":"/tmp/test.txt"}]'),
        Buffer.from('{"position":42}'),
      ),
    ).toEqual({
      connector: 'local-file-source',
      partition: { filename: '/tmp/test.txt' },
      offset: { position: 42 },
    });
  });

  it('reads a null value (and a JSON null) as the deletion of that partition', () => {
    expect(decodeOffsetRecord(Buffer.from('["c",{"p":1}]'), null)).toEqual({
      connector: 'c',
      partition: { p: 1 },
      offset: null,
    });
    expect(decodeOffsetRecord(Buffer.from('["c",{"p":1}]'), Buffer.from('null'))).toEqual({
      connector: 'c',
      partition: { p: 1 },
      offset: null,
    });
  });

  it('skips records that are not offsets', () => {
    expect(decodeOffsetRecord(null, Buffer.from('{}'))).toBeUndefined();
    expect(decodeOffsetRecord(Buffer.from('not json'), Buffer.from('{}'))).toBeUndefined();
    expect(decodeOffsetRecord(Buffer.from('{"a":1}'), Buffer.from('{}'))).toBeUndefined();
    expect(decodeOffsetRecord(Buffer.from('["c"]'), Buffer.from('{}'))).toBeUndefined();
    expect(decodeOffsetRecord(Buffer.from('[1,{}]'), Buffer.from('{}'))).toBeUndefined();
    expect(decodeOffsetRecord(Buffer.from('["c",{}]'), Buffer.from('[1]'))).toBeUndefined();
    expect(decodeOffsetRecord(Buffer.from('["c",{}]'), Buffer.from('{"x":'))).toBeUndefined();
  });

  it('round-trips, and identifies a partition whatever the key order of its map', () => {
    const key = encodeOffsetKey('c', { b: 2, a: 'x' });
    const value = encodeOffsetValue({ pos: 7 });
    expect(decodeOffsetRecord(key, value)).toEqual({ connector: 'c', partition: { b: 2, a: 'x' }, offset: { pos: 7 } });
    expect(storedKey('c', { b: 2, a: 'x' })).toBe(storedKey('c', { a: 'x', b: 2 }));
    expect(storedKey('c', { a: 1 })).not.toBe(storedKey('d', { a: 1 }));
  });
});
