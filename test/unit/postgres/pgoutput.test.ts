import { describe, expect, it } from 'vitest';
import { formatLsn, parseLsn } from '../../../connectors/postgres/lsn.js';
import { parsePgOutput, UNCHANGED_TOAST } from '../../../connectors/postgres/pgoutput.js';

/** Builds protocol bytes the way the server writes them. */
class W {
  private parts: Buffer[] = [];
  u8(v: number) {
    this.parts.push(Buffer.from([v]));
    return this;
  }
  i16(v: number) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  i32(v: number) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  i64(v: bigint) {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }
  str(s: string) {
    this.parts.push(Buffer.from(`${s}\0`, 'utf8'));
    return this;
  }
  text(s: string) {
    const b = Buffer.from(s, 'utf8');
    return this.u8(0x74).i32(b.length).raw(b);
  }
  raw(b: Buffer) {
    this.parts.push(b);
    return this;
  }
  done() {
    return Buffer.concat(this.parts);
  }
}

describe('pgoutput parser', () => {
  it('parses LSNs both ways', () => {
    expect(parseLsn('0/18FBE30')).toBe(0x18fbe30);
    expect(parseLsn('1/0')).toBe(2 ** 32);
    expect(formatLsn(2 ** 32 + 255)).toBe('1/FF');
  });

  it('parses begin, relation, insert with null and TOAST markers, commit', () => {
    expect(parsePgOutput(new W().u8(0x42).i64(0x100n).i64(5n).i32(742).done())).toEqual({
      tag: 'begin',
      finalLsn: 0x100,
      commitTime: 5n,
      xid: 742,
    });
    const rel = new W()
      .u8(0x52)
      .i32(16384)
      .str('public')
      .str('t')
      .u8(0x64)
      .i16(2)
      .u8(1)
      .str('id')
      .i32(23)
      .i32(-1)
      .u8(0)
      .str('note')
      .i32(25)
      .i32(-1)
      .done();
    expect(parsePgOutput(rel)).toEqual({
      tag: 'relation',
      relationId: 16384,
      schema: 'public',
      table: 't',
      replicaIdentity: 'd',
      columns: [
        { name: 'id', typeOid: 23, typmod: -1, key: true },
        { name: 'note', typeOid: 25, typmod: -1, key: false },
      ],
    });
    const ins = new W().u8(0x49).i32(16384).u8(0x4e).i16(3).text('42').u8(0x6e).u8(0x75).done();
    expect(parsePgOutput(ins)).toEqual({ tag: 'insert', relationId: 16384, newTuple: ['42', null, UNCHANGED_TOAST] });
    const commit = new W().u8(0x43).u8(0).i64(0x100n).i64(0x130n).i64(5n).done();
    expect(parsePgOutput(commit)).toEqual({ tag: 'commit', commitLsn: 0x100, endLsn: 0x130, commitTime: 5n });
  });

  it('parses updates with key and old tuples, deletes and truncates', () => {
    const upd = new W().u8(0x55).i32(7).u8(0x4b).i16(1).text('1').u8(0x4e).i16(1).text('2').done();
    expect(parsePgOutput(upd)).toEqual({
      tag: 'update',
      relationId: 7,
      keyTuple: ['1'],
      oldTuple: undefined,
      newTuple: ['2'],
    });
    const full = new W().u8(0x55).i32(7).u8(0x4f).i16(1).text('1').u8(0x4e).i16(1).text('ü').done();
    expect(parsePgOutput(full)).toMatchObject({ oldTuple: ['1'], newTuple: ['ü'] });
    const del = new W().u8(0x44).i32(7).u8(0x4f).i16(1).text('9').done();
    expect(parsePgOutput(del)).toEqual({ tag: 'delete', relationId: 7, oldTuple: ['9'] });
    const trunc = new W().u8(0x54).i32(2).u8(3).i32(7).i32(8).done();
    expect(parsePgOutput(trunc)).toEqual({
      tag: 'truncate',
      relationIds: [7, 8],
      cascade: true,
      restartIdentity: true,
    });
    expect(parsePgOutput(Buffer.from([0x53, 0, 0]))).toEqual({ tag: 'unknown', code: 0x53 });
  });
});
