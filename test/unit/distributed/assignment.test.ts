import { describe, expect, it } from 'vitest';
import { assign, type Member, taskId } from '../../../runtime/worker/distributed/assignment.js';
import { holderOf } from '../../../runtime/worker/distributed/handoff.js';

const member = (n: number): Member => ({ memberId: `m-${n}`, workerId: `host${n}:8083`, url: `http://host${n}:8083` });

function loads(members: Member[], work: Array<{ name: string; tasks: number }>) {
  const a = assign(members, work);
  const count = new Map<string, number>();
  for (const m of a.tasks.values()) count.set(m.workerId, (count.get(m.workerId) ?? 0) + 1);
  return { a, count };
}

describe('assignment', () => {
  it('spreads tasks evenly: every member gets ⌊n/m⌋ or ⌈n/m⌉', () => {
    for (const m of [1, 2, 3, 5]) {
      for (const connectors of [1, 2, 4, 7]) {
        const members = Array.from({ length: m }, (_, i) => member(i));
        const work = Array.from({ length: connectors }, (_, i) => ({ name: `c${i}`, tasks: 1 + (i % 3) }));
        const total = work.reduce((s, w) => s + w.tasks, 0);
        const { a, count } = loads(members, work);
        expect(a.tasks.size).toBe(total);
        const counts = members.map((x) => count.get(x.workerId) ?? 0);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        expect(a.connectors.size).toBe(connectors);
      }
    }
  });

  it('two one-task connectors on two workers land on different workers', () => {
    const { count } = loads(
      [member(1), member(2)],
      [
        { name: 'in', tasks: 1 },
        { name: 'out', tasks: 1 },
      ],
    );
    expect([...count.values()]).toEqual([1, 1]);
  });

  it('does not depend on the order members or connectors are listed in', () => {
    const work = [
      { name: 'a', tasks: 2 },
      { name: 'b', tasks: 1 },
      { name: 'c', tasks: 3 },
    ];
    const x = assign([member(1), member(2), member(3)], work);
    const y = assign([member(3), member(1), member(2)], [...work].reverse());
    expect([...x.tasks].map(([k, m]) => [k, m.memberId]).sort()).toEqual(
      [...y.tasks].map(([k, m]) => [k, m.memberId]).sort(),
    );
  });

  it('a joining worker takes a share, and most tasks stay where they were', () => {
    const work = Array.from({ length: 12 }, (_, i) => ({ name: `c${i}`, tasks: 1 }));
    const before = assign([member(1), member(2)], work);
    const after = assign([member(1), member(2), member(3)], work);
    const moved = [...after.tasks].filter(([k, m]) => before.tasks.get(k)?.workerId !== m.workerId);
    const toNew = moved.filter(([, m]) => m.workerId === member(3).workerId);
    expect(toNew.length).toBe(4);
    // 4 moves would be the least possible; evening out may move one or two more between the old workers.
    expect(moved.length).toBeLessThanOrEqual(6);
  });

  it('stopped connectors (0 tasks) and no members', () => {
    expect(assign([], [{ name: 'a', tasks: 2 }]).tasks.size).toBe(0);
    const a = assign([member(1)], [{ name: 'a', tasks: 0 }]);
    expect(a.tasks.size).toBe(0);
    expect(a.connectors.get('a')?.memberId).toBe('m-1');
    expect(a.tasks.has(taskId('a', 0))).toBe(false);
  });
});

describe('task hand-over', () => {
  const status = (state: 'RUNNING' | 'UNASSIGNED' | 'FAILED' | 'PAUSED', worker: string) => ({
    state,
    trace: null,
    worker_id: worker,
    generation: 1,
  });
  const live = new Set(['a:1', 'b:1']);

  it('waits for a live worker that still runs (or pauses) the task', () => {
    expect(holderOf(status('RUNNING', 'b:1'), 'a:1', live)).toBe('b:1');
    expect(holderOf(status('PAUSED', 'b:1'), 'a:1', live)).toBe('b:1');
  });

  it('takes a released, failed, never-run or orphaned task at once', () => {
    expect(holderOf(status('UNASSIGNED', 'b:1'), 'a:1', live)).toBeUndefined();
    expect(holderOf(status('FAILED', 'b:1'), 'a:1', live)).toBeUndefined();
    expect(holderOf(undefined, 'a:1', live)).toBeUndefined();
    // the worker that ran it left the group (crashed and its session expired)
    expect(holderOf(status('RUNNING', 'c:1'), 'a:1', live)).toBeUndefined();
    expect(holderOf(status('RUNNING', 'a:1'), 'a:1', live)).toBeUndefined();
  });
});
