import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../../runtime/data/index.js';
import { SubmittedBatches } from '../../../runtime/offsets/submitted.js';

const rec = (part: string, pos: number): ChangeRecord => ({
  topic: 't',
  key: null,
  value: null,
  headers: [],
  sourcePartition: { p: part },
  sourceOffset: { pos },
});

describe('SubmittedBatches', () => {
  it('commits only the acknowledged prefix, per partition', () => {
    const s = new SubmittedBatches();
    const b1 = s.submit([rec('a', 1), rec('b', 1)], 0);
    const b2 = s.submit([rec('a', 2)], 0);
    const b3 = s.submit([rec('b', 2), rec('a', 3)], 0);
    s.ack(b2); // out of order: nothing committable yet
    expect(s.takeCommittable().size).toBe(0);
    s.ack(b1);
    const c = s.takeCommittable();
    expect([...c.values()].map((v) => [v.partition.p, v.offset.pos])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(s.unacked).toBe(1);
    s.ack(b3);
    expect([...s.takeCommittable().values()].map((v) => [v.partition.p, v.offset.pos])).toEqual([
      ['b', 2],
      ['a', 3],
    ]);
    expect(s.inFlightRecords).toBe(0);
  });

  it('puts back offsets of a failed commit without overriding newer ones', () => {
    const s = new SubmittedBatches();
    s.ack(s.submit([rec('a', 1), rec('b', 1)], 0));
    const taken = s.takeCommittable();
    s.ack(s.submit([rec('a', 5)], 0));
    s.restore(taken);
    const again = s.takeCommittable();
    expect([...again.values()].map((v) => [v.partition.p, v.offset.pos]).sort()).toEqual([
      ['a', 5],
      ['b', 1],
    ]);
  });

  it('counts in-flight records and bytes until acknowledged', () => {
    const s = new SubmittedBatches();
    const b = s.submit([rec('a', 1), rec('a', 2)], 100);
    expect([s.inFlightRecords, s.inFlightBytes]).toEqual([2, 100]);
    s.ack(b);
    expect([s.inFlightRecords, s.inFlightBytes]).toEqual([0, 0]);
  });
});
