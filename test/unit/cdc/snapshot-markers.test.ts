import { describe, expect, it } from 'vitest';
import {
  type SnapshotMarker,
  SnapshotMarking,
  SnapshotTable,
  snapshotMarker,
} from '../../../connectors/cdc/snapshot-markers.js';
import type { ChangeRecord } from '../../../runtime/api/index.js';

type Source = { table: string; snapshot: SnapshotMarker };

/** Runs a snapshot of tables with the given row counts; returns each record's "table:row marker". */
function snapshot(rowCounts: readonly number[]): { marks: string[]; records: ChangeRecord[] } {
  const marking = new SnapshotMarking<Source>();
  const records: ChangeRecord[] = [];
  rowCounts.forEach((rows, index) => {
    const table = new SnapshotTable<Source>(index, rowCounts.length, (snapshot) => ({ table: `t${index}`, snapshot }));
    for (let row = 0; row < rows; row++) {
      const record: ChangeRecord = {
        topic: `t${index}`,
        key: row,
        value: { op: 'r', after: { row }, source: null },
        headers: [],
        sourcePartition: {},
        sourceOffset: {},
      };
      const out = marking.next(record, table);
      if (out) records.push(out);
    }
  });
  const last = marking.finish();
  if (last) records.push(last);
  const marks = records.map((r) => {
    const v = r.value as { after: { row: number }; source: Source };
    return `${v.source.table}:${v.after.row} ${v.source.snapshot}`;
  });
  return { marks, records };
}

describe("snapshot markers (Debezium's setSnapshotMarker order)", () => {
  it('the snapshot ends win over its start, and the snapshot over a table', () => {
    expect(snapshotMarker(true, true, true, true)).toBe('last');
    expect(snapshotMarker(true, false, true, true)).toBe('first');
    expect(snapshotMarker(false, false, true, true)).toBe('last_in_data_collection');
    expect(snapshotMarker(false, true, true, false)).toBe('first_in_data_collection');
    expect(snapshotMarker(true, true, false, false)).toBe('true');
  });

  it('several tables of several rows, a one-row table in between', () => {
    expect(snapshot([3, 1, 3]).marks).toEqual([
      't0:0 first',
      't0:1 true',
      't0:2 last_in_data_collection',
      't1:0 last_in_data_collection',
      't2:0 first_in_data_collection',
      't2:1 true',
      't2:2 last',
    ]);
  });

  it('a one-row first table is first; a one-row last table is last', () => {
    expect(snapshot([1, 2, 1]).marks).toEqual([
      't0:0 first',
      't1:0 first_in_data_collection',
      't1:1 last_in_data_collection',
      't2:0 last',
    ]);
  });

  it('one table: first … last; one table of one row: last', () => {
    expect(snapshot([3]).marks).toEqual(['t0:0 first', 't0:1 true', 't0:2 last']);
    expect(snapshot([1]).marks).toEqual(['t0:0 last']);
    expect(snapshot([0]).marks).toEqual([]);
  });

  it('empty tables: no first when the first table is empty; the final record is last even from an earlier table', () => {
    expect(snapshot([0, 2, 2, 0, 0]).marks).toEqual([
      't1:0 first_in_data_collection',
      't1:1 last_in_data_collection',
      't2:0 first_in_data_collection',
      't2:1 last',
    ]);
  });

  it("a table's rows share one source block per marker", () => {
    const { records } = snapshot([5, 4]);
    const sources = records.map((r) => (r.value as { source: Source }).source);
    expect(new Set(sources).size).toBe(6); // t0: first, true, last_in…; t1: first_in…, true, last
    expect(sources[1]).toBe(sources[2]);
    expect(sources[6]).toBe(sources[7]);
    expect(sources[1]).not.toBe(sources[6]);
  });
});
