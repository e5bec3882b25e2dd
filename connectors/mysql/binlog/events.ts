import { ConnectError } from '../../../runtime/api/index.js';
import { BINLOG_HEADER_SIZE, CHECKSUM_ALG_CRC32, CHECKSUM_SIZE, EventType } from './constants.js';
import { crc32 } from './crc32.js';
import { ByteReader } from './reader.js';
import { decodeRowsHeader, type RowsEvent } from './rows.js';
import { decodeTableMap, type TableMap } from './table-map.js';

export interface EventHeader {
  timestamp: number;
  type: number;
  serverId: number;
  eventSize: number;
  /** position of the next event in the file; 0 for artificial events */
  nextPosition: number;
  flags: number;
}

export type BinlogEvent =
  | { type: 'format'; binlogVersion: number; serverVersion: string; checksum: boolean }
  | { type: 'rotate'; position: number; file: string }
  | { type: 'query'; threadId: number; database: string; sql: string; errorCode: number }
  | { type: 'xid'; xid: bigint }
  | { type: 'tableMap'; map: TableMap }
  | { type: 'rows'; rows: RowsEvent }
  | { type: 'heartbeat'; file: string }
  | { type: 'gtid'; gtid: string }
  | { type: 'mariaGtid'; domain: number; sequence: bigint; standalone: boolean; gtid: string }
  | { type: 'previousGtids'; gtidSet: string }
  | { type: 'gtidList'; gtids: string[] }
  | { type: 'annotate'; sql: string }
  | { type: 'other'; code: number };

export interface DecodedEvent {
  header: EventHeader;
  event: BinlogEvent;
}

/**
 * Decoding state that spans events: the FORMAT_DESCRIPTION (post-header lengths, checksum) and the table
 * maps announced so far.
 */
export class BinlogDecoder {
  private postHeader: number[] = [];
  /** from FORMAT_DESCRIPTION; until one arrives, what the session negotiated */
  checksum: boolean;
  readonly tables = new Map<number, TableMap>();

  constructor(checksum: boolean) {
    this.checksum = checksum;
  }

  private postHeaderLength(type: number, fallback: number): number {
    const v = this.postHeader[type - 1];
    return v === undefined ? fallback : v;
  }

  decode(raw: Buffer): DecodedEvent {
    if (raw.length < BINLOG_HEADER_SIZE)
      throw new ConnectError(`binlog event shorter than its header (${raw.length} bytes)`);
    const header: EventHeader = {
      timestamp: raw.readUInt32LE(0),
      type: raw[4],
      serverId: raw.readUInt32LE(5),
      eventSize: raw.readUInt32LE(9),
      nextPosition: raw.readUInt32LE(13),
      flags: raw.readUInt16LE(17),
    };
    if (header.eventSize !== raw.length) {
      throw new ConnectError(`binlog event size ${header.eventSize} does not match packet length ${raw.length}`);
    }
    let end = raw.length;
    if (header.type === EventType.FORMAT_DESCRIPTION) {
      // The FDE always reserves the algorithm byte and a checksum slot, whatever the algorithm.
      const alg = raw[raw.length - CHECKSUM_SIZE - 1];
      this.checksum = alg === CHECKSUM_ALG_CRC32;
      if (this.checksum) verify(raw, header);
      end = raw.length - CHECKSUM_SIZE - 1;
    } else if (this.checksum) {
      verify(raw, header);
      end = raw.length - CHECKSUM_SIZE;
    }
    const r = new ByteReader(raw, BINLOG_HEADER_SIZE, end);
    return { header, event: this.body(header, r) };
  }

  private body(h: EventHeader, r: ByteReader): BinlogEvent {
    switch (h.type) {
      case EventType.FORMAT_DESCRIPTION: {
        const binlogVersion = r.u16();
        const serverVersion = r.bytes(50).toString('latin1').replace(/\0.*$/s, '');
        r.u32();
        const headerLength = r.u8();
        if (headerLength !== BINLOG_HEADER_SIZE)
          throw new ConnectError(`unsupported binlog header length ${headerLength}`);
        this.postHeader = [...r.rest()];
        return { type: 'format', binlogVersion, serverVersion, checksum: this.checksum };
      }
      case EventType.ROTATE: {
        const position = Number(r.u64());
        return { type: 'rotate', position, file: r.rest().toString('utf8') };
      }
      case EventType.QUERY:
      case EventType.MARIA_QUERY_COMPRESSED: {
        if (h.type === EventType.MARIA_QUERY_COMPRESSED) throw compressedError('QUERY_COMPRESSED');
        const threadId = r.u32();
        r.u32();
        const dbLength = r.u8();
        const errorCode = r.u16();
        const post = this.postHeaderLength(h.type, 13);
        const statusLength = post >= 13 ? r.u16() : 0;
        r.skip(Math.max(0, post - 13));
        r.skip(statusLength);
        const database = r.string(dbLength);
        r.skip(1);
        return { type: 'query', threadId, database, errorCode, sql: r.rest().toString('utf8') };
      }
      case EventType.XID:
        return { type: 'xid', xid: r.u64() };
      case EventType.TABLE_MAP: {
        const map = decodeTableMap(r, this.postHeaderLength(h.type, 8));
        this.tables.set(map.tableId, map);
        return { type: 'tableMap', map };
      }
      case EventType.WRITE_ROWS_V1:
      case EventType.UPDATE_ROWS_V1:
      case EventType.DELETE_ROWS_V1:
      case EventType.WRITE_ROWS_V2:
      case EventType.UPDATE_ROWS_V2:
      case EventType.DELETE_ROWS_V2: {
        const v2 = h.type >= EventType.WRITE_ROWS_V2;
        const k = (h.type - (v2 ? EventType.WRITE_ROWS_V2 : EventType.WRITE_ROWS_V1)) as 0 | 1 | 2;
        const kind = (['insert', 'update', 'delete'] as const)[k];
        return { type: 'rows', rows: decodeRowsHeader(r, kind, v2, this.postHeaderLength(h.type, v2 ? 10 : 8)) };
      }
      case EventType.HEARTBEAT:
      case EventType.HEARTBEAT_V2:
        return { type: 'heartbeat', file: h.type === EventType.HEARTBEAT ? r.rest().toString('utf8') : '' };
      case EventType.GTID: {
        r.u8();
        const sid = r.bytes(16);
        const gno = r.u64();
        return { type: 'gtid', gtid: `${uuid(sid)}:${gno}` };
      }
      case EventType.ANONYMOUS_GTID:
        return { type: 'other', code: h.type };
      case EventType.PREVIOUS_GTIDS:
        return { type: 'previousGtids', gtidSet: decodeGtidSet(r) };
      case EventType.MARIA_GTID: {
        const sequence = r.u64();
        const domain = r.u32();
        const flags = r.u8();
        return {
          type: 'mariaGtid',
          domain,
          sequence,
          standalone: (flags & 1) !== 0,
          gtid: `${domain}-${h.serverId}-${sequence}`,
        };
      }
      case EventType.MARIA_GTID_LIST: {
        const count = r.u32() & 0x0fffffff;
        const gtids: string[] = [];
        for (let i = 0; i < count; i++) {
          const domain = r.u32();
          const server = r.u32();
          gtids.push(`${domain}-${server}-${r.u64()}`);
        }
        return { type: 'gtidList', gtids };
      }
      case EventType.MARIA_ANNOTATE_ROWS:
        return { type: 'annotate', sql: r.rest().toString('utf8') };
      case EventType.ROWS_QUERY:
        r.u8();
        return { type: 'annotate', sql: r.rest().toString('utf8') };
      case EventType.TRANSACTION_PAYLOAD:
        throw new ConnectError(
          'the server writes compressed binlog transactions (TRANSACTION_PAYLOAD, binlog_transaction_compression=ON), which sluice does not decode; set binlog_transaction_compression=OFF on the server',
        );
      case EventType.PARTIAL_UPDATE_ROWS:
        throw new ConnectError(
          'the server writes partial JSON updates (PARTIAL_UPDATE_ROWS); set binlog_row_value_options="" on the server',
        );
      case EventType.MARIA_WRITE_ROWS_COMPRESSED_V1:
      case EventType.MARIA_UPDATE_ROWS_COMPRESSED_V1:
      case EventType.MARIA_DELETE_ROWS_COMPRESSED_V1:
      case EventType.MARIA_WRITE_ROWS_COMPRESSED:
      case EventType.MARIA_UPDATE_ROWS_COMPRESSED:
      case EventType.MARIA_DELETE_ROWS_COMPRESSED:
        throw compressedError('ROWS_COMPRESSED');
      default:
        return { type: 'other', code: h.type };
    }
  }
}

function compressedError(what: string): ConnectError {
  return new ConnectError(
    `the server writes compressed binlog events (${what}, log_bin_compress=ON), which sluice does not decode; set log_bin_compress=OFF on the server`,
  );
}

function verify(raw: Buffer, h: EventHeader): void {
  const expected = raw.readUInt32LE(raw.length - CHECKSUM_SIZE);
  const actual = crc32(raw, 0, raw.length - CHECKSUM_SIZE);
  if (expected !== actual) {
    throw new ConnectError(
      `binlog event checksum mismatch (type ${h.type}, next position ${h.nextPosition}): expected ${expected.toString(16)}, computed ${actual.toString(16)}`,
      { retriable: true, context: { position: String(h.nextPosition) } },
    );
  }
}

export function uuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** MySQL's GTID set in its text form: `uuid:1-5:7-9,uuid2:1-3` (stored intervals are half-open). */
function decodeGtidSet(r: ByteReader): string {
  const n = Number(r.u64());
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const sid = uuid(r.bytes(16));
    const intervals = Number(r.u64());
    let text = sid;
    for (let j = 0; j < intervals; j++) {
      const start = r.u64();
      const end = r.u64() - 1n;
      text += start === end ? `:${start}` : `:${start}-${end}`;
    }
    parts.push(text);
  }
  return parts.join(',');
}
