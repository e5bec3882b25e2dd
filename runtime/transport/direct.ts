import { type ChangeRecord, ConnectError, type Logger } from '../api/index.js';
import { sleep } from '../tasks/retry.js';
import type { SinkHandler, SourceBatch, Transport } from './transport.js';

type Ack = (err?: unknown) => void;

/** One sink task's lane: its operations run one after another, in order. */
interface Lane {
  handler: SinkHandler;
  chain: Promise<void>;
  /** acknowledgements waiting for this sink's next successful flush */
  unflushed: Ack[];
  pendingFlush?: Promise<void>;
  failure?: unknown;
}

/** A sink connector's hold on its topics; it outlives task restarts so no record slips past a restarting sink. */
interface Claim {
  connector: string;
  topics: ReadonlySet<string>;
  regex?: RegExp;
  taskCount: number;
  lanes: Array<Lane | undefined>;
}

/**
 * In-process delivery (DESIGN §1.3, the embedded default). A batch goes to every sink connector whose topics
 * match; within a connector, one task per topic (hash of the topic) so order per topic holds. A batch is
 * acknowledged when every sink that received part of it has flushed. A topic no sink claims is acknowledged at
 * once, as a Kafka topic nobody reads would be; a claimed topic whose task is restarting waits for it.
 */
export class DirectTransport implements Transport {
  readonly kind = 'direct' as const;
  readonly releasesOnSend: boolean = true;
  private readonly claims = new Map<string, Claim>();
  private routes = new Map<string, Claim[]>();
  private stopped = false;
  private readonly warnedTopics = new Set<string>();

  constructor(private readonly log?: Logger) {}

  async start(): Promise<void> {}

  private claimsFor(topic: string): Claim[] {
    let r = this.routes.get(topic);
    if (!r) {
      r = [...this.claims.values()].filter((c) => c.topics.has(topic) || (c.regex?.test(topic) ?? false));
      this.routes.set(topic, r);
      if (r.length === 0 && !this.warnedTopics.has(topic)) {
        this.warnedTopics.add(topic);
        this.log?.info({ topic }, 'No sink consumes this topic; its records are acknowledged without delivery');
      }
    }
    return r;
  }

  async send(batch: SourceBatch, done: Ack): Promise<void> {
    if (this.stopped) return done(new ConnectError('transport stopped', { retriable: true }));
    const perClaim = new Map<Claim, Map<number, ChangeRecord[]>>();
    for (const r of batch.records) {
      for (const c of this.claimsFor(r.topic)) {
        let byTask = perClaim.get(c);
        if (!byTask) {
          byTask = new Map();
          perClaim.set(c, byTask);
        }
        const t = c.taskCount > 1 ? topicHash(r.topic) % c.taskCount : 0;
        const list = byTask.get(t);
        if (list) list.push(r);
        else byTask.set(t, [r]);
      }
    }
    const parts: Array<[Claim, number, ChangeRecord[]]> = [];
    for (const [c, byTask] of perClaim) for (const [t, recs] of byTask) parts.push([c, t, recs]);
    if (parts.length === 0) return done();

    let remaining = parts.length;
    let settled = false;
    const ackPart: Ack = (err) => {
      if (settled) return;
      if (err !== undefined) {
        settled = true;
        return done(err);
      }
      if (--remaining === 0) {
        settled = true;
        done();
      }
    };
    await Promise.all(
      parts.map(async ([claim, taskId, recs]) => {
        const lane = await this.laneOf(claim, taskId);
        if (!lane) return ackPart(new ConnectError(`sink ${claim.connector} is gone`, { retriable: true }));
        if (lane.failure !== undefined) return ackPart(sinkFailed(lane));
        await this.run(lane, async () => {
          await lane.handler.put(recs);
          lane.unflushed.push(ackPart);
        }).catch((err) => {
          lane.failure ??= err;
          ackPart(sinkFailed(lane));
        });
      }),
    );
  }

  /** Waits while a claimed task is restarting; gives up when the transport stops or the claim is released. */
  private async laneOf(claim: Claim, taskId: number): Promise<Lane | undefined> {
    for (;;) {
      const lane = claim.lanes[taskId];
      if (lane) return lane;
      if (this.stopped || this.claims.get(claim.connector) !== claim) return undefined;
      await sleep(50);
    }
  }

  private run(lane: Lane, op: () => Promise<void>): Promise<void> {
    const p = lane.chain.then(op);
    lane.chain = p.catch(() => undefined);
    return p;
  }

  private flushLane(lane: Lane): Promise<void> {
    if (lane.pendingFlush) return lane.pendingFlush;
    if (lane.unflushed.length === 0) return Promise.resolve();
    lane.pendingFlush = this.run(lane, async () => {
      lane.pendingFlush = undefined;
      const acks = lane.unflushed.splice(0);
      if (acks.length === 0) return;
      try {
        await lane.handler.flush();
      } catch (err) {
        lane.failure ??= err;
        for (const a of acks) a(sinkFailed(lane));
        return;
      }
      for (const a of acks) a();
    });
    return lane.pendingFlush;
  }

  async flush(): Promise<void> {
    const lanes: Lane[] = [];
    for (const c of this.claims.values()) for (const l of c.lanes) if (l) lanes.push(l);
    await Promise.all(lanes.map((l) => this.flushLane(l)));
  }

  async addSink(handler: SinkHandler): Promise<void> {
    let claim = this.claims.get(handler.connector);
    if (!claim || claim.taskCount !== handler.taskCount) {
      claim = {
        connector: handler.connector,
        topics: new Set(handler.topics),
        regex: handler.topicsRegex,
        taskCount: handler.taskCount,
        lanes: claim?.lanes ?? [],
      };
      this.claims.set(handler.connector, claim);
      this.routes = new Map();
    }
    claim.lanes[handler.taskId] = { handler, chain: Promise.resolve(), unflushed: [] };
  }

  async removeSink(handler: SinkHandler): Promise<void> {
    const claim = this.claims.get(handler.connector);
    const lane = claim?.lanes[handler.taskId];
    if (!claim || !lane || lane.handler !== handler) return;
    await this.flushLane(lane);
    await lane.chain;
    claim.lanes[handler.taskId] = undefined;
    for (const a of lane.unflushed.splice(0))
      a(new ConnectError(`sink ${handler.connector} stopped`, { retriable: true }));
  }

  async releaseSink(connector: string): Promise<void> {
    const claim = this.claims.get(connector);
    if (!claim) return;
    for (const l of claim.lanes) if (l) await this.removeSink(l.handler);
    this.claims.delete(connector);
    this.routes = new Map();
  }

  async stop(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.stopped = true;
  }
}

function sinkFailed(lane: Lane): ConnectError {
  const cause = lane.failure;
  return new ConnectError(
    `Sink ${lane.handler.connector} task ${lane.handler.taskId} failed; records for it were not delivered and their offsets are not committed. Restart the sink, then this source.`,
    { cause },
  );
}

/** Java's String.hashCode, non-negative: stable task choice per topic. */
function topicHash(topic: string): number {
  let h = 0;
  for (let i = 0; i < topic.length; i++) h = (Math.imul(31, h) + topic.charCodeAt(i)) | 0;
  return h & 0x7fffffff;
}
