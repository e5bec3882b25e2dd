import { describe, expect, it } from 'vitest';
import {
  addMysqlGtid,
  MariaGtidPosition,
  MysqlGtidSet,
  parseMariaGtid,
  purgedMariaDomains,
} from '../../../connectors/mysql/gtid.js';

describe('GTID positions', () => {
  it('MariaDB: one GTID per domain, filtered by domain-server source', () => {
    const p = new MariaGtidPosition('0-1-42, 5-2-7');
    p.set(parseMariaGtid('0-3-43'));
    expect(p.toString()).toBe('0-3-43,5-2-7');
    p.advance(parseMariaGtid('5-2-6'));
    expect(p.get(5)?.seq).toBe(7n);
    const keep = (s: string) => /^(?:0-.*)$/.test(s);
    expect(p.filter(keep).toString()).toBe('0-3-43');
    expect(() => parseMariaGtid('0-1')).toThrow();
  });

  it('MariaDB: a position older than the oldest file GTID_LIST is purged', () => {
    const wanted = new MariaGtidPosition('0-1-10,1-1-3');
    expect(purgedMariaDomains(wanted, [parseMariaGtid('0-1-10')])).toEqual([]);
    expect(purgedMariaDomains(wanted, [parseMariaGtid('0-1-11'), parseMariaGtid('2-1-1')])).toEqual([
      parseMariaGtid('0-1-10'),
    ]);
  });

  it('MySQL: sets merge intervals, union, filter by UUID and compare', () => {
    const u = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    const v = '4a11fa47-71ca-11e1-9e33-c80aa9429562';
    const s = new MysqlGtidSet(`${u}:1-5:7, ${v}:2`);
    s.add(`${u}:6`);
    expect(s.toString()).toBe(`${u}:1-7,${v}:2`);
    expect(s.union(new MysqlGtidSet(`${v}:1:3-4`)).toString()).toBe(`${u}:1-7,${v}:1-4`);
    expect(s.filter((x) => x === u).toString()).toBe(`${u}:1-7`);
    expect(new MysqlGtidSet(`${u}:2-3`).isSubsetOf(s)).toBe(true);
    expect(new MysqlGtidSet(`${u}:7-8`).isSubsetOf(s)).toBe(false);
    expect(new MysqlGtidSet(`${v}:1`).isSubsetOf(s)).toBe(false);
    expect(addMysqlGtid(null, `${u}:1`)).toBe(`${u}:1`);
  });
});
