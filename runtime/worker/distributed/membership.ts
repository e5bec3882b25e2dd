import type { Logger } from '../../api/index.js';
import type { KafkaGroupMember } from '../../transport/kafka/group-member.js';
import { describe } from '../../transport/kafka/produce-queue.js';
import type { Member } from './assignment.js';

export interface MembershipView {
  /** this worker's member id; empty before the first join */
  readonly memberId: string;
  /** the group generation of the last accepted heartbeat (Connect's status `generation`) */
  readonly generation: number;
  /** every member, this one included; empty while this worker is not (or cannot tell that it is) a member */
  readonly members: readonly Member[];
  /**
   * false from the moment a rebalance is known to be under way until the coordinator lists the new generation:
   * the members may be about to change, so nothing should start meanwhile (what runs keeps running)
   */
  readonly settled: boolean;
}

export interface MembershipOptions {
  readonly member: KafkaGroupMember;
  readonly self: { readonly workerId: string; readonly url: string };
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly log: Logger;
  readonly onChange: (view: MembershipView) => void;
}

export function encodeAnnouncement(self: { workerId: string; url: string }): Buffer {
  return Buffer.from(JSON.stringify({ worker_id: self.workerId, url: self.url }), 'utf8');
}

function decodeAnnouncement(memberId: string, data: Buffer | null): Member | undefined {
  if (!data) return undefined;
  try {
    const v = JSON.parse(data.toString('utf8')) as { worker_id?: unknown; url?: unknown };
    if (typeof v.worker_id !== 'string') return undefined;
    return { memberId, workerId: v.worker_id, url: typeof v.url === 'string' ? v.url : '' };
  } catch {
    return undefined;
  }
}

const sameMembers = (a: readonly Member[], b: readonly Member[]) =>
  a.length === b.length && a.every((m, i) => m.memberId === b[i].memberId && m.workerId === b[i].workerId);

/**
 * This worker's view of the group: who the members are, read from the coordinator (DescribeGroups) after every
 * join and every few seconds. A worker that has not heard from the coordinator for longer than its session can last
 * (plus two heartbeats of slack for a rejoin waiting on others) fences itself: it reports no members, so it runs
 * nothing. The coordinator has expelled it by then and the others take its tasks; stopping on its own side bounds
 * the time a task could run twice to that slack and the task's stop.
 */
export class Membership {
  private memberId = '';
  private generation = -1;
  private members: Member[] = [];
  private settled = false;
  private confirmedAt = 0;
  private refreshSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastDescribe = 0;
  private stopped = false;

  constructor(private readonly o: MembershipOptions) {}

  get view(): MembershipView {
    return { memberId: this.memberId, generation: this.generation, members: this.members, settled: this.settled };
  }

  async start(): Promise<void> {
    await this.o.member.start({
      onJoined: (memberId) => {
        this.memberId = memberId;
        this.settled = false;
        this.confirmedAt = Date.now();
        this.o.log.info({ memberId }, 'Joined the worker group');
        void this.refresh();
      },
      onHeartbeat: (generation) => {
        this.confirmedAt = Date.now();
        this.generation = generation;
      },
      onRebalancing: () => {
        this.confirmedAt = Date.now();
        this.settled = false;
        this.o.log.info('Worker group is rebalancing');
      },
      onCrash: (err) => {
        this.o.log.error({ err: describe(err) }, 'Worker group membership failed; this worker runs nothing now');
        this.memberId = '';
        this.set([], false);
      },
    });
    this.timer = setInterval(() => this.tick(), Math.max(250, Math.min(1000, this.o.heartbeatIntervalMs)));
  }

  private get fenceAfterMs(): number {
    return this.o.sessionTimeoutMs + 2 * this.o.heartbeatIntervalMs;
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.members.length > 0 && Date.now() - this.confirmedAt > this.fenceAfterMs) {
      this.o.log.warn(
        { silentMs: Date.now() - this.confirmedAt },
        "No word from the group coordinator for longer than the session lasts: stopping this worker's tasks until it rejoins",
      );
      this.set([], false);
      return;
    }
    // A safety net: every membership change makes this worker rejoin (and refresh), but a describe is cheap.
    if (this.memberId && Date.now() - this.lastDescribe > Math.max(3000, this.o.heartbeatIntervalMs))
      void this.refresh();
  }

  /** Reads the group's members; applies only the answer of the latest call, and only a settled (Stable) group. */
  private async refresh(attempt = 0): Promise<void> {
    const seq = ++this.refreshSeq;
    this.lastDescribe = Date.now();
    let snapshot: Awaited<ReturnType<KafkaGroupMember['describe']>>;
    try {
      snapshot = await Promise.race([
        this.o.member.describe(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 15 s')), 15_000).unref()),
      ]);
    } catch (err) {
      this.o.log.debug({ err: describe(err) }, 'Describing the worker group failed; will try again');
      return;
    }
    if (seq !== this.refreshSeq || this.stopped) return;
    if (snapshot.state !== 'Stable') {
      // A rebalance is under way (perhaps before this worker's next heartbeat would tell): hold new starts; this
      // worker rejoins and refreshes again, and until then looks again shortly.
      this.settled = false;
      if (attempt < 20) setTimeout(() => void this.refresh(attempt + 1), 250).unref();
      return;
    }
    const members: Member[] = [];
    for (const m of snapshot.members) {
      const decoded = decodeAnnouncement(m.memberId, m.metadata);
      if (decoded) members.push(decoded);
      else this.o.log.warn({ memberId: m.memberId }, 'A member of the worker group is not a sluice worker');
    }
    members.sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
    if (!members.some((m) => m.memberId === this.memberId)) {
      // Expelled (or not yet joined again): run nothing until the coordinator counts this worker in.
      this.set([], false);
      return;
    }
    this.confirmedAt = Date.now();
    const ids = members.map((m) => m.workerId);
    if (new Set(ids).size !== ids.length)
      this.o.log.warn(
        { workers: ids },
        'Two members of the worker group share a worker id (rest.advertised.host.name:port); task hand-over relies on unique ids',
      );
    this.set(members, true);
  }

  private set(members: Member[], settled: boolean): void {
    const same = sameMembers(members, this.members);
    if (same && settled === this.settled) return;
    this.members = members;
    this.settled = settled;
    if (!same) this.o.log.info({ members: members.map((m) => m.workerId) }, 'Worker group membership');
    this.o.onChange(this.view);
  }

  /** Leaves the group (the others rebalance at once). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.o.member.stop().catch(() => undefined);
  }
}
