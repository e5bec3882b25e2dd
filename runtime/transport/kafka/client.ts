import type { Admin, Consumer, CompressionTypes, IHeaders, KafkaConfig, LogEntry, Producer } from 'kafkajs';
import type { Logger } from '../../api/index.js';
import { kafkajs } from './kafkajs.js';
import { createGroupMember, type GroupMemberOptions, type KafkaGroupMember } from './group-member.js';
import type { JavaCompatiblePartitioner } from './partitioner.js';
import { messageBytes } from './produce-queue.js';
import type { ConnectionSettings, ConsumerSettings, ProducerSettings } from './settings.js';

/**
 * The Kafka client surface sluice uses, kept small so that kafkajs (in maintenance mode) can be replaced by
 * another client without touching the transport, the sink consumers or the offset store.
 */

export interface OutgoingMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** in order; a key may repeat */
  readonly headers: ReadonlyArray<readonly [string, Buffer | null]>;
  /** epoch ms; absent: the broker's/producer's time */
  readonly timestamp?: number;
  /** absent: the Java-compatible partitioner decides */
  readonly partition?: number;
}

export interface TopicMessages {
  readonly topic: string;
  readonly messages: readonly OutgoingMessage[];
}

export interface KafkaProducer {
  connect(): Promise<void>;
  /** Resolves when the broker acknowledged every message (acks as configured). */
  send(batch: readonly TopicMessages[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface IncomingMessage {
  readonly topic: string;
  readonly partition: number;
  /** int64 as decimal text */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyArray<{ key: string; value: Buffer | null }>;
  readonly timestamp: number;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface ConsumerHooks {
  /** Messages of one partition in offset order. Throwing stops the consumer (onCrash). */
  onBatch(messages: readonly IncomingMessage[], control: { heartbeat(): Promise<void> }): Promise<void>;
  /** The group is rebalancing: the partitions held now may be taken away once this resolves. */
  onRebalance(): Promise<void>;
  onAssigned(partitions: readonly TopicPartition[]): void;
  /** A final failure: the consumer stopped and will not restart. */
  onCrash(err: Error): void;
  /** The consumer stopped on a retriable error and restarts itself after a backoff (onAssigned once it rejoined). */
  onRestarting?(err: Error): void;
}

export interface KafkaConsumer {
  connect(): Promise<void>;
  subscribe(topics: readonly string[] | RegExp): Promise<void>;
  run(hooks: ConsumerHooks): Promise<void>;
  /** Commits the next offset to read per partition (Kafka's convention: last processed + 1). */
  commit(offsets: ReadonlyArray<TopicPartition & { offset: string }>): Promise<void>;
  disconnect(): Promise<void>;
}

export interface NewTopic {
  readonly topic: string;
  /** -1: the broker's default */
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly configs?: Readonly<Record<string, string>>;
}

export interface KafkaAdmin {
  connect(): Promise<void>;
  listTopics(): Promise<string[]>;
  /** false when it already existed */
  createTopic(spec: NewTopic): Promise<boolean>;
  /** the offset after the last message of each partition (the high watermark) */
  endOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>>;
  disconnect(): Promise<void>;
}

export interface KafkaClient {
  producer(settings: ProducerSettings, partitioner: JavaCompatiblePartitioner): KafkaProducer;
  consumer(groupId: string, settings: ConsumerSettings): KafkaConsumer;
  admin(): KafkaAdmin;
  /** a member of a group that consumes nothing: distributed workers' membership */
  groupMember(options: GroupMemberOptions): KafkaGroupMember;
}

/** kafkajs' log levels onto ours; kafkajs is chatty at INFO about joins and reconnects, so INFO goes to debug. */
/** Answers to a commit that mean the group moved on without this member; kafkajs' runner rejoins on these. */
const MEMBERSHIP_LOST = new Set([
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
]);

/** The protocol error under kafkajs' retry wrappers when it says the group moved on without this member. */
export function groupMembershipLost(err: unknown): Error | undefined {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 10; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && MEMBERSHIP_LOST.has(type)) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function logCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      const obj = { kafkajs: rest };
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      // kafkajs logs every error response at ERROR before retrying it (coordinator loading, leader moved, …);
      // the callers report what retries could not fix.
      if (message.startsWith('Response ')) return log.debug(obj, `kafka client: ${message}`);
      if (level === kafkajs().logLevel.ERROR) log.warn(obj, `kafka client: ${message}`);
      else if (level === kafkajs().logLevel.WARN) log.warn(obj, `kafka client: ${message}`);
      else log.debug(obj, `kafka client: ${message}`);
    };
}

/** kafkajs client options from Java-style connection settings (also the kafka signal channel's). */
export function kafkaConfig(conn: ConnectionSettings, log: Logger): KafkaConfig {
  const cfg: KafkaConfig = {
    clientId: conn.clientId,
    brokers: conn.brokers,
    requestTimeout: conn.requestTimeoutMs,
    connectionTimeout: conn.connectionTimeoutMs,
    logLevel: kafkajs().logLevel.WARN,
    logCreator: logCreator(log),
    // Retries with growing backoff up to 30 s per attempt chain; the callers add their own deadline on top.
    retry: { initialRetryTime: 100, maxRetryTime: 5000, retries: 8 },
  };
  if (conn.ssl) cfg.ssl = conn.ssl;
  if (conn.sasl) {
    const { mechanism, username, password } = conn.sasl;
    cfg.sasl =
      mechanism === 'plain'
        ? { mechanism: 'plain', username, password }
        : mechanism === 'scram-sha-256'
          ? { mechanism: 'scram-sha-256', username, password }
          : { mechanism: 'scram-sha-512', username, password };
  }
  return cfg;
}

function toHeaders(headers: OutgoingMessage['headers']): IHeaders | undefined {
  if (headers.length === 0) return undefined;
  const out: Record<string, Buffer | Buffer[]> = {};
  for (const [k, v] of headers) {
    // kafkajs writes a null header value as Kafka's null (length -1); its typings only lack the null.
    const value = v as Buffer;
    const prev = out[k];
    if (prev === undefined) out[k] = value;
    else out[k] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

function fromHeaders(headers: IHeaders | undefined): Array<{ key: string; value: Buffer | null }> {
  const out: Array<{ key: string; value: Buffer | null }> = [];
  if (!headers) return out;
  for (const [key, v] of Object.entries(headers)) {
    const values = Array.isArray(v) ? v : [v];
    for (const x of values)
      out.push({ key, value: x === undefined || x === null ? null : Buffer.isBuffer(x) ? x : Buffer.from(String(x)) });
  }
  return out;
}

/**
 * kafkajs' sendBatch loses records when a partition's leader moves during its retries: it resends only to
 * brokers that have not answered yet, so a partition whose new leader already answered for another partition
 * is dropped while the call succeeds (producer/sendMessages.js, `brokersWithoutResponse`; seen as missing
 * records on a 3-node cluster with a broker killed). So this adapter partitions records itself and sends one
 * request per partition: each then has exactly one leader, and kafkajs' retry finds the new one.
 */
class KafkajsProducer implements KafkaProducer {
  private readonly partitionCounts = new Map<string, { count: number; available: number[]; at: number }>();

  constructor(
    private readonly producer: Producer,
    private readonly admin: Admin,
    private readonly settings: ProducerSettings,
    private readonly partitioner: JavaCompatiblePartitioner,
  ) {}

  async connect(): Promise<void> {
    await this.admin.connect();
    await this.producer.connect();
  }

  /** Partition count (and partitions with a leader) of a topic, from metadata at most 5 min old. */
  private async partitions(topic: string, sample: OutgoingMessage): Promise<{ count: number; available: number[] }> {
    const cached = this.partitionCounts.get(topic);
    if (cached && Date.now() - cached.at < 300_000) return cached;
    let meta = await this.admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
    if (!meta || meta.topics[0]?.partitions.length === 0) {
      // Unknown topic: the producer's metadata request lets the broker auto-create it (as Java's producer would);
      // one record alone is one partition, so this request is not subject to the multi-partition retry problem.
      await this.sendPartition(topic, [sample], sample.partition);
      meta = await this.admin.fetchTopicMetadata({ topics: [topic] });
      const info = this.remember(topic, meta.topics[0]?.partitions ?? []);
      throw new FirstRecordSent(info);
    }
    return this.remember(topic, meta.topics[0].partitions);
  }

  private remember(topic: string, parts: ReadonlyArray<{ partitionId: number; leader: number }>) {
    const info = {
      count: parts.length,
      available: parts.filter((p) => p.leader >= 0).map((p) => p.partitionId),
      at: Date.now(),
    };
    if (info.count > 0) this.partitionCounts.set(topic, info);
    return info;
  }

  async send(batch: readonly TopicMessages[]): Promise<void> {
    const groups = new Map<string, { topic: string; partition: number; messages: OutgoingMessage[] }>();
    for (const t of batch) {
      let messages = t.messages;
      if (messages.length === 0) continue;
      let info: { count: number; available: number[] };
      try {
        info = await this.partitions(t.topic, messages[0]);
      } catch (err) {
        if (!(err instanceof FirstRecordSent)) throw err;
        info = err.info;
        messages = messages.slice(1);
      }
      for (const m of messages) {
        const partition = m.partition ?? this.partitioner.partition(t.topic, m.key, info.count, info.available);
        const k = `${partition}:${t.topic}`;
        const g = groups.get(k);
        if (g) g.messages.push(m);
        else groups.set(k, { topic: t.topic, partition, messages: [m] });
      }
    }
    const results = await Promise.allSettled(
      [...groups.values()].map(async (g) => {
        // Requests of one partition go one after another (their order is the records' order), each at most
        // max.request.size, which also keeps each record batch under the broker's message.max.bytes.
        for (const piece of splitBySize(g.messages, this.settings.maxRequestBytes))
          await this.sendPartition(g.topic, piece, g.partition);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // Leaders or partition counts may have changed: ask again next time.
      for (const g of groups.values()) this.partitionCounts.delete(g.topic);
      throw failed.reason;
    }
  }

  private async sendPartition(
    topic: string,
    messages: readonly OutgoingMessage[],
    partition: number | undefined,
  ): Promise<void> {
    await this.producer.sendBatch({
      acks: this.settings.acks,
      timeout: 30000,
      compression: compressionType(this.settings.compression),
      topicMessages: [
        {
          topic,
          messages: messages.map((m) => ({
            key: m.key,
            value: m.value,
            headers: toHeaders(m.headers),
            timestamp: m.timestamp === undefined ? undefined : String(m.timestamp),
            partition,
          })),
        },
      ],
    });
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
    await this.admin.disconnect();
  }
}

function compressionType(codec: ProducerSettings['compression']): CompressionTypes {
  const { CompressionTypes: types } = kafkajs();
  return { none: types.None, gzip: types.GZIP, snappy: types.Snappy, lz4: types.LZ4 }[codec];
}

function splitBySize(messages: OutgoingMessage[], maxBytes: number): OutgoingMessage[][] {
  const pieces: OutgoingMessage[][] = [];
  let piece: OutgoingMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const b = messageBytes(m);
    if (piece.length > 0 && bytes + b > maxBytes) {
      pieces.push(piece);
      piece = [];
      bytes = 0;
    }
    piece.push(m);
    bytes += b;
  }
  if (piece.length > 0) pieces.push(piece);
  return pieces;
}

/** The first record of a new topic went alone (to create the topic); the rest are still to send. */
class FirstRecordSent extends Error {
  constructor(readonly info: { count: number; available: number[] }) {
    super('first record sent');
  }
}

class KafkajsConsumer implements KafkaConsumer {
  constructor(
    private readonly consumer: Consumer,
    private readonly settings: ConsumerSettings,
  ) {}
  connect(): Promise<void> {
    return this.consumer.connect();
  }
  async subscribe(topics: readonly string[] | RegExp): Promise<void> {
    await this.consumer.subscribe({
      topics: topics instanceof RegExp ? [topics] : [...topics],
      fromBeginning: this.settings.fromBeginning,
    });
  }
  async run(hooks: ConsumerHooks): Promise<void> {
    const { GROUP_JOIN, REBALANCING, CRASH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, (e) => {
      const assigned: TopicPartition[] = [];
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        for (const partition of partitions) assigned.push({ topic, partition });
      }
      hooks.onAssigned(assigned);
    });
    this.consumer.on(REBALANCING, () => {
      void hooks.onRebalance();
    });
    this.consumer.on(CRASH, (e) => {
      // kafkajs restarts itself after retriable crashes; only a final one fails the task, a restart is retrying.
      if (e.payload.restart) hooks.onRestarting?.(e.payload.error);
      else hooks.onCrash(e.payload.error);
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat }) => {
        const messages: IncomingMessage[] = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ?? null,
          value: m.value ?? null,
          headers: fromHeaders(m.headers),
          timestamp: Number(m.timestamp),
        }));
        if (messages.length > 0) await hooks.onBatch(messages, { heartbeat });
      },
    });
  }
  async commit(offsets: ReadonlyArray<TopicPartition & { offset: string }>): Promise<void> {
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
      );
    } catch (err) {
      // kafkajs wraps "this member left the group" answers (a session that expired while the event loop was
      // busy, a rebalance) in a non-retriable error, and a non-retriable error thrown from eachBatch stops the
      // consumer for good. Its fetch loop rejoins the group when it sees the protocol error itself, as Connect's
      // consumer does after a CommitFailedException: hand that one on. The uncommitted records come again.
      throw groupMembershipLost(err) ?? err;
    }
  }
  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }
}

class KafkajsAdmin implements KafkaAdmin {
  constructor(private readonly admin: Admin) {}
  connect(): Promise<void> {
    return this.admin.connect();
  }
  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }
  async createTopic(spec: NewTopic): Promise<boolean> {
    try {
      return await this.admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: spec.topic,
            numPartitions: spec.numPartitions,
            replicationFactor: spec.replicationFactor,
            configEntries: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
          },
        ],
      });
    } catch (err) {
      // Two workers (or a worker and auto-creation) racing to create one topic: the topic exists, which is the goal.
      if (
        /already exists/i.test(String((err as Error).message)) ||
        (err as { type?: string }).type === 'TOPIC_ALREADY_EXISTS'
      )
        return false;
      // kafkajs' waitForLeaders asks one broker for metadata, which on a multi-node cluster may not know the new
      // topic yet ("This server does not host this topic-partition") although the controller created it, and
      // gives up at once.
      // So ask again until every partition has a leader; a topic that never appears was really not created.
      await this.waitForLeaders(spec.topic, 30_000).catch(() => {
        throw err;
      });
      return true;
    }
  }

  private async waitForLeaders(topic: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const meta = await this.admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      const parts = meta?.topics[0]?.partitions ?? [];
      if (parts.length > 0 && parts.every((p) => p.leader >= 0)) return;
      if (Date.now() > deadline)
        throw new Error(`topic ${topic} has partitions without a leader after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async endOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>> {
    // Right after a topic is created, or a broker restarted, a partition's leader may not serve yet ("This server
    // is not the leader for that topic-partition"): kafkajs' admin gives up on the first such answer, and a worker
    // starting then exited (found by the Kafka fault suite). Retriable answers are asked again for a while.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const rows = await this.admin.fetchTopicOffsets(topic);
        return rows.map((r) => ({ partition: r.partition, offset: r.high }));
      } catch (err) {
        if ((err as { retriable?: unknown }).retriable !== true || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }
}

/** The kafkajs implementation of our client surface. */
export function createKafkajsClient(conn: ConnectionSettings, log: Logger): KafkaClient {
  const kafka = new (kafkajs().Kafka)(kafkaConfig(conn, log));
  return {
    producer(settings, partitioner) {
      const producer = kafka.producer({
        idempotent: settings.idempotent,
        // kafkajs serialises produce requests per broker when idempotent; sluice sends one request at a time anyway.
        maxInFlightRequests: settings.idempotent ? 1 : 5,
        allowAutoTopicCreation: true,
        // Finite: the transport retries failed requests itself until delivery.timeout.ms, so a dead broker cannot
        // hang a send forever. kafkajs warns that this weakens idempotence; resending the same records in order
        // within one producer session is exactly what its sequence numbers deduplicate.
        retry: { initialRetryTime: settings.retryBackoffMs, maxRetryTime: settings.retryBackoffMaxMs, retries: 10 },
        // Used only for a new topic's first record (sent alone to create the topic); every other record
        // arrives with the partition the adapter chose.
        createPartitioner:
          () =>
          ({ topic, partitionMetadata, message }) =>
            message.partition ??
            partitioner.partition(
              topic,
              message.key === null || message.key === undefined
                ? null
                : Buffer.isBuffer(message.key)
                  ? message.key
                  : Buffer.from(message.key),
              partitionMetadata.length,
              partitionMetadata.filter((p) => p.leader >= 0).map((p) => p.partitionId),
            ),
      });
      return new KafkajsProducer(producer, kafka.admin(), settings, partitioner);
    },
    consumer(groupId, settings) {
      const consumer = kafka.consumer({
        groupId,
        sessionTimeout: settings.sessionTimeoutMs,
        heartbeatInterval: settings.heartbeatIntervalMs,
        rebalanceTimeout: settings.rebalanceTimeoutMs,
        minBytes: settings.fetchMinBytes,
        maxBytes: settings.fetchMaxBytes,
        maxWaitTimeInMs: settings.fetchMaxWaitMs,
        maxBytesPerPartition: settings.maxPartitionFetchBytes,
        allowAutoTopicCreation: false,
        // A crashed consumer restarts itself after retriable errors (broker restarts); the rest surface as a crash.
        retry: { initialRetryTime: 300, maxRetryTime: 10000, retries: Number.MAX_SAFE_INTEGER },
      });
      return new KafkajsConsumer(consumer, settings);
    },
    admin() {
      return new KafkajsAdmin(kafka.admin());
    },
    groupMember(options) {
      return createGroupMember(kafka, options);
    },
  };
}
