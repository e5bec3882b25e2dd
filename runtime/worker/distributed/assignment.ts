/**
 * Who runs what in a distributed cluster. Every worker computes this itself from two inputs every member sees
 * alike: the group's membership (from Kafka's group coordinator) and the connectors with their committed task
 * counts (from the config topic). Same inputs, same answer, so no leader has to hand assignments out.
 *
 * Each unit (a connector, or one of its tasks) goes to the member that scores highest for it (rendezvous hashing),
 * then members above an even share hand their least attached units to members below it. Ranking by hash instead of
 * by position keeps most units where they were when a worker or a connector comes or goes; the share keeps the
 * split even: with n units over m members, every member gets ⌊n/m⌋ or ⌈n/m⌉ of them.
 */

export interface Member {
  /** the coordinator's id for this membership (changes when a worker restarts) */
  readonly memberId: string;
  /** host:port, shown as worker_id */
  readonly workerId: string;
  /** the worker's REST endpoint */
  readonly url: string;
}

export interface ConnectorWork {
  readonly name: string;
  /** committed task count; 0 for a stopped connector */
  readonly tasks: number;
}

export interface Assignment {
  /** connector name → the member answering for it */
  readonly connectors: ReadonlyMap<string, Member>;
  /** `taskId(name, n)` → the member running it */
  readonly tasks: ReadonlyMap<string, Member>;
}

export const taskId = (connector: string, task: number) => `${connector}\u0000${task}`;

/** 32-bit FNV-1a: stable across processes and versions, which is all the ranking needs. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(text, 'utf8');
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // A final mix: FNV's low bits vary little between strings that differ only at the end.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

function spread(units: readonly string[], members: readonly Member[]): Map<string, Member> {
  const out = new Map<string, Member>();
  if (members.length === 0) return out;
  const score = (unit: string, m: Member) => fnv1a(`${unit}\u0000${m.workerId}`);
  const better = (unit: string, a: Member, b: Member) => {
    const sa = score(unit, a);
    const sb = score(unit, b);
    return sa > sb || (sa === sb && a.memberId < b.memberId);
  };
  // 1. Every unit to its highest-scoring member: a member that comes or goes moves only the units it wins or held.
  const held = new Map<string, string[]>(members.map((m) => [m.memberId, []]));
  for (const unit of units) {
    let best = members[0];
    for (const m of members) if (better(unit, m, best)) best = m;
    out.set(unit, best);
    held.get(best.memberId)?.push(unit);
  }
  // 2. Even it out: ⌈n/m⌉ for the (n mod m) most loaded members, ⌊n/m⌋ for the rest; the excess moves, the units
  // least attached to their member first, each to the member with room that scores highest for it.
  const floor = Math.floor(units.length / members.length);
  const byLoad = [...members].sort(
    (a, b) =>
      (held.get(b.memberId)?.length ?? 0) - (held.get(a.memberId)?.length ?? 0) ||
      (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : a.memberId < b.memberId ? -1 : 1),
  );
  const cap = new Map(byLoad.map((m, i) => [m.memberId, floor + (i < units.length % members.length ? 1 : 0)]));
  const excess: string[] = [];
  for (const m of members) {
    const mine = held.get(m.memberId) ?? [];
    const limit = cap.get(m.memberId) ?? floor;
    if (mine.length <= limit) continue;
    mine.sort((a, b) => score(a, m) - score(b, m) || (a < b ? -1 : 1));
    excess.push(...mine.splice(0, mine.length - limit));
  }
  excess.sort((a, b) => fnv1a(a) - fnv1a(b) || (a < b ? -1 : 1));
  for (const unit of excess) {
    let best: Member | undefined;
    for (const m of members) {
      if ((held.get(m.memberId)?.length ?? 0) >= (cap.get(m.memberId) ?? floor)) continue;
      if (!best || better(unit, m, best)) best = m;
    }
    if (!best) continue; // cannot happen: the caps add up to the unit count
    out.set(unit, best);
    held.get(best.memberId)?.push(unit);
  }
  return out;
}

export function assign(members: readonly Member[], work: readonly ConnectorWork[]): Assignment {
  const sorted = [...members].sort((a, b) =>
    a.workerId === b.workerId ? (a.memberId < b.memberId ? -1 : 1) : a.workerId < b.workerId ? -1 : 1,
  );
  const connectors = spread(
    work.map((w) => w.name),
    sorted,
  );
  const tasks = spread(
    work.flatMap((w) => Array.from({ length: w.tasks }, (_, i) => taskId(w.name, i))),
    sorted,
  );
  return { connectors, tasks };
}
