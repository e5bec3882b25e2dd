import { describe, expect, it } from 'vitest';
import { operatorOffsets as mysqlOffsets } from '../../../connectors/mysql/offsets.js';
import { operatorOffsets as mongoOffsets } from '../../../connectors/mongodb/oplog.js';
import { highestLsn, operatorOffsets, readStoredOffset } from '../../../connectors/postgres/offsets.js';
import { ConfigError, ConnectError, type Json } from '../../../runtime/api/index.js';

const ctx = { connector: 'pg', task: 0 };
const pg = (offset: Record<string, Json>, partition: Record<string, Json> = { server: 'srv' }) =>
  operatorOffsets([{ partition, offset }], 'srv');
const problems = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => `${i.key}: ${i.message}`).join('\n');
  }
  throw new Error('expected a ConfigError');
};

describe('PostgreSQL offsets', () => {
  it('{"lsn": N} alone is a start point: lsn_proc and lsn_commit default to it, marked as the operator\'s', () => {
    expect(pg({ lsn: 1000 })[0].offset).toEqual({
      lsn: 1000,
      lsn_proc: 1000,
      lsn_commit: 1000,
      txId: null,
      ts_usec: 0,
      operator: true,
    });
    expect(pg({ lsn: '0/3E8' })[0].offset).toMatchObject({ lsn: 1000, lsn_proc: 1000 });
    expect(pg({ lsn: '1/0' })[0].offset).toMatchObject({ lsn: 2 ** 32 });
  });

  it('a whole offset (as GET shows it) keeps its fields; a null offset passes', () => {
    const full = { lsn: 10, lsn_proc: 5, lsn_commit: 20, txId: 7, ts_usec: 99, event: 2 };
    expect(pg(full)[0].offset).toEqual({ ...full, operator: true });
    expect(operatorOffsets([{ partition: { server: 'srv' }, offset: null }], 'srv')[0].offset).toBeNull();
  });

  it('names every wrong field at once', () => {
    const msg = problems(() => pg({ lsn: 'NAN/NAN', lsn_proc: -1, txId: 'x', snapshot: 'yes', lsnn: 1 }));
    expect(msg).toMatch(/offset\.lsn: "NAN\/NAN" is not an LSN/);
    expect(msg).toMatch(/offset\.lsn_proc: -1 is not an LSN/);
    expect(msg).toMatch(/offset\.txId: "x" is not an integer/);
    expect(msg).toMatch(/offset\.snapshot: "yes" is not true or false/);
    expect(msg).toMatch(/offset\.lsnn: unknown field/);
    expect(problems(() => pg({ lsn_proc: 1 }))).toMatch(/offset\.lsn: missing/);
    expect(problems(() => pg({ lsn: 2 ** 60 }))).toMatch(/offset\.lsn: .* is not an LSN/);
    expect(problems(() => pg({ lsn: 1 }, { server: 'x' }))).toMatch(
      /partition\.server: this connector's only partition is \{"server":"srv"\}/,
    );
  });

  it('Debezium offset fields are accepted (transaction metadata, incremental snapshots, xmin)', () => {
    expect(() =>
      pg({ lsn: 1, xmin: null, transaction_id: 'x', incremental_snapshot_window_opened: false }),
    ).not.toThrow();
  });

  it('a stored offset that does not parse fails naming the offset and field', () => {
    const e = (() => {
      try {
        readStoredOffset({ lsn: 'NAN/NAN' }, 'srv', ctx);
      } catch (err) {
        return err as ConnectError;
      }
      throw new Error('no error');
    })();
    expect(e).toBeInstanceOf(ConnectError);
    expect(e.retriable).toBe(false);
    expect(e.message).toMatch(
      /stored offset \{"lsn":"NAN\/NAN"\} of partition \{"server":"srv"\} cannot be used: offset\.lsn/,
    );
    expect(readStoredOffset(null, 'srv', ctx)).toBeNull();
    expect(highestLsn(readStoredOffset({ lsn: 5, lsn_proc: 9, lsn_commit: 7 }, 'srv', ctx)!)).toBe(9);
  });
});

describe('MySQL / MariaDB start points', () => {
  const my = (offset: Record<string, Json>) => mysqlOffsets([{ partition: { server: 'srv' }, offset }], 'srv');
  it('a file and position, or GTIDs, become a whole offset at a transaction boundary', () => {
    expect(my({ file: 'binlog.000003', pos: 4 })[0].offset).toEqual({
      file: 'binlog.000003',
      pos: 4,
      event: 0,
      row: 0,
      operator: true,
    });
    expect(my({ gtids: '0-1-42, 1-2-7' })[0].offset).toEqual({
      file: '',
      pos: 4,
      gtids: '0-1-42,1-2-7',
      event: 0,
      row: 0,
      operator: true,
    });
    expect(my({ gtids: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77' })[0].offset).toMatchObject({
      gtids: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77',
    });
  });
  it('names what is wrong', () => {
    expect(problems(() => my({ pos: 4 }))).toMatch(/offset\.file: missing/);
    expect(problems(() => my({ file: '../etc', pos: 4 }))).toMatch(
      /offset\.file: "\.\.\/etc" is not a binlog file name/,
    );
    expect(problems(() => my({ file: 'b.1', pos: 3 }))).toMatch(/offset\.pos: 3 is not a binlog position/);
    expect(problems(() => my({ gtids: '1-2' }))).toMatch(/offset\.gtids: "1-2" is not a GTID set/);
    expect(problems(() => my({ file: 'b.1', pos: 4, lsn: 1 }))).toMatch(/offset\.lsn: unknown field/);
  });
});

describe('MongoDB start points', () => {
  const partition = { server_id: 'srv', rs: 'rs0' };
  const mo = (offset: Record<string, Json>) => mongoOffsets([{ partition, offset }], 'srv');
  it('a cluster time, or a resume token (whose time fills sec/ord)', () => {
    expect(mo({ sec: 1765000000, ord: 3 })[0].offset).toEqual({ sec: 1765000000, ord: 3, operator: true });
    expect(mo({ resume_token: '6937a5f000000002' })[0].offset).toEqual({
      sec: 0x6937a5f0,
      ord: 2,
      resume_token: '6937a5f000000002',
      operator: true,
    });
  });
  it('names what is wrong', () => {
    expect(problems(() => mo({ ord: 1 }))).toMatch(/offset\.sec: missing/);
    expect(problems(() => mo({ sec: -1 }))).toMatch(/offset\.sec: -1 is not a cluster time part/);
    expect(problems(() => mo({ resume_token: 'xyz' }))).toMatch(/offset\.resume_token/);
    expect(problems(() => mongoOffsets([{ partition: { server_id: 'srv' }, offset: { sec: 1 } }], 'srv'))).toMatch(
      /partition\.server_id/,
    );
  });
});

describe('PostgreSQL slot holders', () => {
  it('a connector knows its own sessions even when the server cut the application_name at 63 bytes', async () => {
    const { ownApplication, slotInUse } = await import('../../../connectors/postgres/slot.js');
    const long = 'c'.repeat(80);
    expect(ownApplication(`sluice-${long}`.slice(0, 63), long)).toBe(true);
    expect(ownApplication('sluice-other', long)).toBe(false);
    expect(slotInUse('s', 'sluice-other', 7, 'me', {}).retriable).toBe(false);
    expect(slotInUse('s', 'sluice-other', 7, 'me', {}).message).toMatch(/in use by connector "other" \(pid 7\)/);
    expect(slotInUse('s', 'pg_recvlogical', 7, 'me', {}).retriable).toBe(true);
    expect(slotInUse('s', 'sluice-me', 7, 'me', {}).retriable).toBe(true);
  });
});
