import { readLsn } from './lsn.js';

/**
 * pgoutput's logical replication messages (protocol version 1), parsed from an XLogData payload. Column values
 * stay as text: decoding them is the type mapper's job, never `pg`'s global parsers.
 */

/** A tuple column: null, unchanged TOASTed value (not sent), or its text form. */
export type TupleValue = null | { readonly toast: true } | string;
export const UNCHANGED_TOAST = Object.freeze({ toast: true as const });

export interface RelationColumn {
  readonly name: string;
  readonly typeOid: number;
  readonly typmod: number;
  /** part of the replica identity */
  readonly key: boolean;
}

export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: number; commitTime: bigint; xid: number }
  | { tag: 'commit'; commitLsn: number; endLsn: number; commitTime: bigint }
  | { tag: 'origin'; lsn: number; name: string }
  | {
      tag: 'relation';
      relationId: number;
      schema: string;
      table: string;
      replicaIdentity: string;
      columns: RelationColumn[];
    }
  | { tag: 'type'; typeOid: number; schema: string; name: string }
  | { tag: 'insert'; relationId: number; newTuple: TupleValue[] }
  | { tag: 'update'; relationId: number; keyTuple?: TupleValue[]; oldTuple?: TupleValue[]; newTuple: TupleValue[] }
  | { tag: 'delete'; relationId: number; keyTuple?: TupleValue[]; oldTuple?: TupleValue[] }
  | { tag: 'truncate'; relationIds: number[]; cascade: boolean; restartIdentity: boolean }
  | { tag: 'message'; transactional: boolean; prefix: string; content: Buffer }
  | { tag: 'unknown'; code: number };

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  u8(): number {
    return this.buf[this.pos++];
  }
  i16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  lsn(): number {
    const v = readLsn(this.buf, this.pos);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  tuple(): TupleValue[] {
    const n = this.i16();
    const out: TupleValue[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const kind = this.u8();
      if (kind === 0x6e /* n */) out[i] = null;
      else if (kind === 0x75 /* u */) out[i] = UNCHANGED_TOAST;
      else {
        // 't' text; 'b' binary is never requested, so reading it as text would be a bug worth failing on.
        if (kind !== 0x74) throw new Error(`unexpected tuple column kind ${String.fromCharCode(kind)}`);
        const len = this.i32();
        out[i] = this.buf.toString('utf8', this.pos, this.pos + len);
        this.pos += len;
      }
    }
    return out;
  }
}

export function parsePgOutput(buf: Buffer): PgOutputMessage {
  const r = new Reader(buf);
  const code = r.u8();
  switch (code) {
    case 0x42 /* B */:
      return { tag: 'begin', finalLsn: r.lsn(), commitTime: r.i64(), xid: r.u32() };
    case 0x43 /* C */:
      {
        r.u8(); // flags, unused
        return { tag: 'commit', commitLsn: r.lsn(), endLsn: r.lsn(), commitTime: r.i64() };
      }
    case 0x4f /* O */:
      // The commit LSN on the origin server, then the origin's name.
      return { tag: 'origin', lsn: r.lsn(), name: r.cstring() };
    case 0x52 /* R */:
      {
        const relationId = r.u32();
        const schema = r.cstring();
        const table = r.cstring();
        const replicaIdentity = String.fromCharCode(r.u8());
        const n = r.i16();
        const columns: RelationColumn[] = [];
        for (let i = 0; i < n; i++) {
          const flags = r.u8();
          columns.push({ name: r.cstring(), typeOid: r.u32(), typmod: r.i32(), key: (flags & 1) === 1 });
        }
        return { tag: 'relation', relationId, schema, table, replicaIdentity, columns };
      }
    case 0x59 /* Y */:
      return { tag: 'type', typeOid: r.u32(), schema: r.cstring(), name: r.cstring() };
    case 0x49 /* I */:
      {
        const relationId = r.u32();
        r.u8(); // 'N'
        return { tag: 'insert', relationId, newTuple: r.tuple() };
      }
    case 0x55 /* U */:
      {
        const relationId = r.u32();
        let kind = r.u8();
        let keyTuple: TupleValue[] | undefined;
        let oldTuple: TupleValue[] | undefined;
        if (kind === 0x4b /* K */) {
          keyTuple = r.tuple();
          kind = r.u8();
        } else if (kind === 0x4f /* O */) {
          oldTuple = r.tuple();
          kind = r.u8();
        }
        return { tag: 'update', relationId, keyTuple, oldTuple, newTuple: r.tuple() };
      }
    case 0x44 /* D */:
      {
        const relationId = r.u32();
        const kind = r.u8();
        const tuple = r.tuple();
        return kind === 0x4b
          ? { tag: 'delete', relationId, keyTuple: tuple }
          : { tag: 'delete', relationId, oldTuple: tuple };
      }
    case 0x54 /* T */:
      {
        const n = r.u32();
        const options = r.u8();
        const relationIds: number[] = [];
        for (let i = 0; i < n; i++) relationIds.push(r.u32());
        return { tag: 'truncate', relationIds, cascade: (options & 1) !== 0, restartIdentity: (options & 2) !== 0 };
      }
    case 0x4d /* M */:
      {
        const transactional = r.u8() === 1;
        r.lsn();
        const prefix = r.cstring();
        const len = r.i32();
        return { tag: 'message', transactional, prefix, content: Buffer.from(r.bytes(len)) };
      }
    default:
      // Streaming, two-phase and origin-filter messages only come when asked for; we never ask.
      return { tag: 'unknown', code };
  }
}

/** PostgreSQL timestamps in the protocol count microseconds from 2000-01-01. */
export const PG_EPOCH_MICROS = 946_684_800_000_000n;
