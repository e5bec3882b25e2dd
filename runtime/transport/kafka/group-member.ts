import type { Kafka, PartitionAssigner } from 'kafkajs';
import { kafkajs } from './kafkajs.js';

/**
 * Membership in a Kafka consumer group without consuming anything: how distributed workers find each other
 * through Kafka's group coordinator (DESIGN §2: Kafka is the distributed engine, sluice grows no consensus of its
 * own). Each member announces a small payload (its worker id and REST URL); the coordinator decides who is in the
 * group, expels members whose session expires, and makes the rest rejoin when anyone comes or goes.
 */

export interface GroupMemberOptions {
  readonly groupId: string;
  /** what this member announces to the others */
  readonly metadata: Buffer;
  /** an existing topic: the consumer protocol needs a subscription, but nothing of it is ever assigned or read */
  readonly topic: string;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
}

export interface GroupSnapshot {
  /** the coordinator's group state: `Stable` once every member has its assignment */
  readonly state: string;
  readonly members: ReadonlyArray<{ readonly memberId: string; readonly metadata: Buffer | null }>;
}

export interface GroupMemberHooks {
  /** this member joined (or rejoined) the group, with the id the coordinator gave it */
  onJoined(memberId: string): void;
  /** a heartbeat was accepted: the coordinator still counts this member in that generation */
  onHeartbeat(generation: number): void;
  /** the coordinator asked this member to rejoin: someone came or went */
  onRebalancing(): void;
  /** the client gave up (it retries retriable errors itself) */
  onCrash(err: Error): void;
}

export interface KafkaGroupMember {
  start(hooks: GroupMemberHooks): Promise<void>;
  /** every member the coordinator lists now, with what each announced */
  describe(): Promise<GroupSnapshot>;
  /** leaves the group at once, so the others rebalance without waiting for the session to expire */
  stop(): Promise<void>;
}

const PROTOCOL = 'sluice-worker';

/**
 * The protocol's assigner. The coordinator hands the group leader every member's metadata; as the work is not
 * topic partitions, it assigns nothing, and every member reads the membership with DescribeGroups instead (kafkajs
 * drops the assignment's user data before its caller could see it).
 */
function assigner(metadata: Buffer, topic: string): PartitionAssigner {
  return () => ({
    name: PROTOCOL,
    // Version 0 of the consumer protocol's layouts, which Kafka's own tools can parse (kafka-consumer-groups).
    version: 0,
    async assign({ members }) {
      return members.map((m) => ({
        memberId: m.memberId,
        memberAssignment: kafkajs().AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol() {
      return {
        name: PROTOCOL,
        metadata: kafkajs().AssignerProtocol.MemberMetadata.encode({ version: 0, topics: [topic], userData: metadata }),
      };
    },
  });
}

/** Decodes what a member announced (the user data of its protocol metadata); null when it is not ours. */
export function announced(memberMetadata: Buffer | null | undefined): Buffer | null {
  if (!memberMetadata || memberMetadata.length === 0) return null;
  try {
    return kafkajs().AssignerProtocol.MemberMetadata.decode(memberMetadata)?.userData ?? null;
  } catch {
    return null;
  }
}

export function createGroupMember(kafka: Kafka, o: GroupMemberOptions): KafkaGroupMember {
  const consumer = kafka.consumer({
    groupId: o.groupId,
    partitionAssigners: [assigner(o.metadata, o.topic)],
    sessionTimeout: o.sessionTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    rebalanceTimeout: o.rebalanceTimeoutMs,
    // With nothing assigned, the fetch loop sleeps this long between heartbeat checks.
    maxWaitTimeInMs: Math.min(500, o.heartbeatIntervalMs),
    allowAutoTopicCreation: false,
    retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: Number.MAX_SAFE_INTEGER },
  });
  // The consumer retries without end (it must stay in the group through broker restarts); a describe must not, so
  // it goes through an admin client with the client's bounded retries.
  const admin = kafka.admin();
  return {
    async start(hooks) {
      const { GROUP_JOIN, HEARTBEAT, REBALANCING, CRASH } = consumer.events;
      consumer.on(GROUP_JOIN, (e) => hooks.onJoined(e.payload.memberId));
      consumer.on(HEARTBEAT, (e) => hooks.onHeartbeat(e.payload.groupGenerationId));
      consumer.on(REBALANCING, () => hooks.onRebalancing());
      consumer.on(CRASH, (e) => {
        if (!e.payload.restart) hooks.onCrash(e.payload.error);
      });
      await admin.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: [o.topic], fromBeginning: false });
      await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
    },
    async describe() {
      const { groups } = await admin.describeGroups([o.groupId]);
      const g = groups.find((x) => x.groupId === o.groupId);
      if (!g) return { state: 'Unknown', members: [] };
      return {
        state: g.state,
        members: g.members.map((m) => ({ memberId: m.memberId, metadata: announced(m.memberMetadata) })),
      };
    },
    async stop() {
      await consumer.disconnect();
      await admin.disconnect().catch(() => undefined);
    },
  };
}
