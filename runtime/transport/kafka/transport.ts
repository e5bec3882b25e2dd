import { asConnectError, type ChangeRecord, type Config, ConnectError, type Logger } from '../../api/index.js';
import { clientOverrides } from '../../config/client-overrides.js';
import { ConfigProviders, resolveOrThrow, workerProviders } from '../../config/providers/index.js';
import type { DeadLetterFailure, SinkHandler, SourceBatch, Transport } from '../transport.js';
import { registerCodecs } from './codecs.js';
import {
  createKafkajsClient,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaProducer,
  type OutgoingMessage,
} from './client.js';
import { JavaCompatiblePartitioner } from './partitioner.js';
import { describe, nonRetriable, ProduceQueue } from './produce-queue.js';
import {
  type ConsumerSettings,
  connectionSettings,
  consumerSettings,
  type ProducerSettings,
  producerSettings,
  roleProperties,
} from './settings.js';
import { KafkaSinkConsumer, sinkGroupId } from './sink-consumer.js';
import { needsPrepare, type PrepareContext, prepareFromRecord, retryPolicy } from './prepare.js';
import { ruleFor, topicCreationRules, type TopicCreationRule } from './topic-creation.js';

export interface KafkaTransportOptions {
  /** the worker's settings as strings (`bootstrap.servers`, `producer.*`, `security.protocol`, …) */
  readonly worker: Readonly<Record<string, string>>;
  readonly log: Logger;
  /** a connector's config (raw): topic creation rules, errors.*, DLQ, `consumer.override.*` */
  readonly connectorConfig?: (connector: string) => Readonly<Record<string, string>> | undefined;
  /** for tests and other clients; default kafkajs */
  readonly client?: KafkaClient;
  /** the sink commit interval (worker `offset.flush.interval.ms`) */
  readonly flushIntervalMs?: number;
  /** the worker's config providers, for connector configs' `${…}` references (default: none) */
  readonly providers?: ConfigProviders;
}

/**
 * Kafka mode (DESIGN §1.3): source batches are converted with the connector's converters and produced
 * (idempotent, acks=all) with Java's partitioning; a batch is done when the broker acknowledged every record.
 * Sink tasks consume in group `connect-<connector>` and commit consumer offsets after their flush.
 */
export class KafkaTransport implements Transport {
  readonly kind = 'kafka' as const;
  private readonly client: KafkaClient;
  private readonly producerSettings: ProducerSettings;
  private readonly producer: KafkaProducer;
  private readonly admin: KafkaAdmin;
  private readonly queue: ProduceQueue;
  /** the shared producer and admin client, for connectors without client overrides */
  private readonly sharedLane: ClientLane;
  /** per connector with `producer.override.*` / `admin.override.*`: its own clients, as Connect's per-task ones */
  private readonly lanes = new Map<string, ClientLane>();
  private readonly sinks = new Map<SinkHandler, KafkaSinkConsumer>();
  private readonly draining = new Map<SinkHandler, KafkaSinkConsumer>();
  private readonly topicRules = new Map<string, { fingerprint: string; rules: TopicCreationRule[] }>();
  private readonly readyTopics = new Map<string, Promise<void>>();
  private readonly topicCreationEnabled: boolean;
  private started = false;

  constructor(private readonly o: KafkaTransportOptions) {
    registerCodecs();
    const producerProps = roleProperties(o.worker, 'producer');
    const adminProps = roleProperties(o.worker, 'admin');
    this.producerSettings = producerSettings(producerProps);
    this.client = o.client ?? createKafkajsClient(connectionSettings(producerProps, 'producer'), o.log);
    this.producer = this.client.producer(this.producerSettings, new JavaCompatiblePartitioner());
    this.admin = (o.client ?? createKafkajsClient(connectionSettings(adminProps, 'admin'), o.log)).admin();
    this.queue = new ProduceQueue(this.producer, this.producerSettings, o.log);
    this.sharedLane = {
      fingerprint: '',
      producer: this.producer,
      queue: this.queue,
      admin: this.admin,
      ready: Promise.resolve(),
    };
    this.topicCreationEnabled = (o.worker['topic.creation.enable'] ?? 'true').toLowerCase() !== 'false';
  }

  /**
   * A connector's config with config providers resolved (the herder keeps `${file:…}` references unresolved, and
   * an override such as `producer.override.sasl.jaas.config` usually is one).
   */
  private connectorProps(connector: string): Readonly<Record<string, string>> {
    const raw = this.o.connectorConfig?.(connector) ?? {};
    try {
      return resolveOrThrow(this.o.providers ?? ConfigProviders.NONE, raw).values;
    } catch (err) {
      throw new ConnectError(`Cannot resolve the config of connector ${connector}: ${describe(err)}`, {
        cause: err,
        context: { connector },
      });
    }
  }

  /**
   * The producer (and admin client) a connector's records go through: the shared ones, or — when the connector
   * sets `producer.override.*` or `admin.override.*` (KIP-458) — clients of its own built from the worker's
   * `producer.` / `admin.` settings with the overrides on top. A changed override set gets new clients; the old
   * ones close once what they hold is acknowledged.
   */
  private lane(connector: string, raw: Readonly<Record<string, string>>): ClientLane {
    const producerOverrides = clientOverrides(raw, 'producer');
    const adminOverrides = clientOverrides(raw, 'admin');
    const fingerprint = JSON.stringify([producerOverrides, adminOverrides]);
    if (fingerprint === '[{},{}]' || this.o.client) return this.sharedLane;
    const existing = this.lanes.get(connector);
    if (existing?.fingerprint === fingerprint) return existing;
    if (existing) void this.retire(existing);
    const producerProps = { ...roleProperties(this.o.worker, 'producer'), ...producerOverrides };
    const adminProps = { ...roleProperties(this.o.worker, 'admin'), ...adminOverrides };
    const settings = producerSettings(producerProps);
    const log = this.o.log.child({ connector });
    const producer = createKafkajsClient(connectionSettings(producerProps, 'producer'), log).producer(
      settings,
      new JavaCompatiblePartitioner(),
    );
    const admin =
      Object.keys(adminOverrides).length > 0
        ? createKafkajsClient(connectionSettings(adminProps, 'admin'), log).admin()
        : this.admin;
    const ready = (async () => {
      try {
        if (admin !== this.admin) await admin.connect();
        await producer.connect();
      } catch (err) {
        throw connectFailure(`Connector ${connector} cannot connect to Kafka with its client overrides`, err);
      }
    })();
    ready.catch(() => {
      // A lane that cannot connect is dropped, so the next attempt (a restarted task) connects again.
      if (this.lanes.get(connector)?.ready === ready) this.lanes.delete(connector);
    });
    const lane: ClientLane = { fingerprint, producer, queue: new ProduceQueue(producer, settings, log), admin, ready };
    this.lanes.set(connector, lane);
    log.info(
      { producerOverrides: Object.keys(producerOverrides), adminOverrides: Object.keys(adminOverrides) },
      'Kafka clients with connector overrides',
    );
    return lane;
  }

  private async retire(lane: ClientLane): Promise<void> {
    await lane.queue.idle();
    lane.queue.stop();
    await lane.producer.disconnect().catch(() => undefined);
    if (lane.admin !== this.admin) await lane.admin.disconnect().catch(() => undefined);
  }

  async start(): Promise<void> {
    if (this.started) return;
    try {
      await this.admin.connect();
      await this.producer.connect();
    } catch (err) {
      throw connectFailure(`Cannot connect to Kafka at ${this.o.worker['bootstrap.servers']}`, err);
    }
    this.started = true;
  }

  async send(batch: SourceBatch, done: (err?: unknown) => void): Promise<void> {
    let raw: Readonly<Record<string, string>>;
    let lane: ClientLane;
    try {
      raw = this.connectorProps(batch.connector);
      lane = this.lane(batch.connector, raw);
      await lane.ready;
    } catch (err) {
      return done(asConnectError(err, { connector: batch.connector, task: batch.taskId }));
    }
    const tolerateAll = raw['errors.tolerance']?.toLowerCase() === 'all';
    const items: Array<{ topic: string; message: OutgoingMessage }> = [];
    const topics = new Set<string>();
    const where = { connector: batch.connector, task: batch.taskId };
    const prepare: PrepareContext | undefined = needsPrepare(batch.converters, 'from')
      ? { policy: retryPolicy(raw), where, signal: batch.signal, log: this.o.log }
      : undefined;
    for (const r of batch.records) {
      let message: OutgoingMessage;
      try {
        if (prepare) await prepareFromRecord(batch.converters, r, prepare);
        message = toMessage(batch, r);
      } catch (err) {
        const e = asConnectError(err, { connector: batch.connector, task: batch.taskId });
        if (!tolerateAll) return done(e);
        this.o.log.warn(
          { connector: batch.connector, topic: r.topic, err: e.describe() },
          'Record could not be converted; skipped (errors.tolerance=all)',
        );
        continue;
      }
      items.push({ topic: r.topic, message });
      topics.add(r.topic);
    }
    try {
      for (const t of topics) await this.ensureTopic(batch.connector, raw, lane.admin, t);
    } catch (err) {
      return done(err);
    }
    await lane.queue.enqueue(items, done);
  }

  /** Creates a topic by the connector's KIP-158 rules before its first record, once per topic and worker. */
  private ensureTopic(
    connector: string,
    raw: Readonly<Record<string, string>>,
    admin: KafkaAdmin,
    topic: string,
  ): Promise<void> {
    let ready = this.readyTopics.get(topic);
    if (ready) return ready;
    // Rules are kept per config: an updated connector config brings its new topic.creation.* rules.
    const fingerprint = JSON.stringify(Object.entries(raw).filter(([k]) => k.startsWith('topic.creation.')));
    let cached = this.topicRules.get(connector);
    if (cached?.fingerprint !== fingerprint) {
      cached = { fingerprint, rules: topicCreationRules(raw, this.topicCreationEnabled) };
      this.topicRules.set(connector, cached);
    }
    const rule = ruleFor(cached.rules, topic);
    if (!rule) return Promise.resolve();
    ready = (async () => {
      const existing = await admin.listTopics();
      if (existing.includes(topic)) return;
      const created = await admin.createTopic({
        topic,
        numPartitions: rule.partitions,
        replicationFactor: rule.replicationFactor,
        configs: rule.configs,
      });
      if (created)
        this.o.log.info(
          {
            connector,
            topic,
            group: rule.group,
            partitions: rule.partitions,
            replicationFactor: rule.replicationFactor,
          },
          'Created topic',
        );
    })().catch((err) => {
      this.readyTopics.delete(topic);
      throw new ConnectError(`Cannot create topic ${topic} (topic.creation group ${rule.group}): ${describe(err)}`, {
        retriable: true,
        cause: err,
        context: { connector },
      });
    });
    this.readyTopics.set(topic, ready);
    return ready;
  }

  async flush(): Promise<void> {
    await Promise.all([this.queue.idle(), ...[...this.lanes.values()].map((l) => l.queue.idle())]);
  }

  async addSink(handler: SinkHandler): Promise<void> {
    const raw = this.connectorProps(handler.connector);
    const overrides = clientOverrides(raw, 'consumer');
    const consumerProps = { ...roleProperties(this.o.worker, 'consumer'), ...overrides };
    const settings: ConsumerSettings = consumerSettings(consumerProps);
    const client = this.o.client ?? createKafkajsClient(connectionSettings(consumerProps, 'consumer'), this.o.log);
    // As in Connect, the group is connect-<name> unless the connector overrides it; the worker's own group.id (its
    // Connect cluster in distributed mode) never is a sink's group.
    const groupId = overrides['group.id']?.trim() || sinkGroupId(handler.connector);
    const consumer = new KafkaSinkConsumer(handler, () => client.consumer(groupId, settings), {
      flushIntervalMs: this.o.flushIntervalMs ?? Number(this.o.worker['offset.flush.interval.ms'] ?? 60000),
      topicRefreshMs: Number(consumerProps['metadata.max.age.ms'] ?? 300000),
      tolerateAll: raw['errors.tolerance']?.toLowerCase() === 'all',
      retry: retryPolicy(raw),
      dlqTopic: raw['errors.deadletterqueue.topic.name'] ?? '',
      dlqContextHeaders: raw['errors.deadletterqueue.context.headers.enable']?.toLowerCase() === 'true',
      sendDeadLetter: (topic, message) => this.sendDeadLetter(handler.connector, raw, topic, message),
      converterClasses: {
        key: raw['key.converter'] ?? this.o.worker['key.converter'] ?? 'org.apache.kafka.connect.json.JsonConverter',
        value:
          raw['value.converter'] ?? this.o.worker['value.converter'] ?? 'org.apache.kafka.connect.json.JsonConverter',
        header:
          raw['header.converter'] ??
          this.o.worker['header.converter'] ??
          'org.apache.kafka.connect.storage.SimpleHeaderConverter',
      },
      listTopics: () => this.admin.listTopics(),
      log: this.o.log.child({ connector: handler.connector, task: handler.taskId }),
      onFailure: (err) => {
        this.o.log.error(
          { connector: handler.connector, task: handler.taskId, err: err.describe() },
          'Kafka sink consumer failed',
        );
        handler.transportFailed?.(err);
      },
      onRetrying: (err) => handler.transportRetrying?.(err),
    });
    this.sinks.set(handler, consumer);
    consumer.start();
  }

  private readonly dlqReady = new Map<string, Promise<void>>();

  /** Through the sink connector's own producer and admin client when it overrides them (as Connect's DLQ producer). */
  private async sendDeadLetter(
    connector: string,
    raw: Readonly<Record<string, string>>,
    topic: string,
    message: OutgoingMessage,
  ): Promise<void> {
    const lane = this.lane(connector, raw);
    await lane.ready;
    let ready = this.dlqReady.get(topic);
    if (!ready) {
      ready = (async () => {
        if ((await lane.admin.listTopics()).includes(topic)) return;
        const rf = Number(raw['errors.deadletterqueue.topic.replication.factor'] ?? 3);
        await lane.admin.createTopic({ topic, numPartitions: 1, replicationFactor: rf });
        this.o.log.info({ connector, topic, replicationFactor: rf }, 'Created dead letter queue topic');
      })();
      ready.catch(() => this.dlqReady.delete(topic));
      this.dlqReady.set(topic, ready);
    }
    await ready;
    await new Promise<void>((resolve, reject) => {
      void lane.queue.enqueue([{ topic, message }], (err) => (err === undefined ? resolve() : reject(err)));
    });
  }

  async deadLetter(handler: SinkHandler, record: ChangeRecord, failure: DeadLetterFailure): Promise<void> {
    const consumer = this.sinks.get(handler) ?? this.draining.get(handler);
    if (!consumer)
      throw new ConnectError(`Sink ${handler.connector}-${handler.taskId} is not consuming; cannot dead-letter`, {
        retriable: true,
      });
    await consumer.deadLetterRecord(record, failure);
  }

  async removeSink(handler: SinkHandler): Promise<void> {
    const consumer = this.sinks.get(handler);
    if (!consumer) return;
    this.sinks.delete(handler);
    // Its final flush may still wait for dead letters the task reported.
    this.draining.set(handler, consumer);
    try {
      await consumer.stop();
    } finally {
      this.draining.delete(handler);
    }
  }

  async releaseSink(connector: string): Promise<void> {
    for (const h of [...this.sinks.keys()]) if (h.connector === connector) await this.removeSink(h);
  }

  async stop(): Promise<void> {
    for (const h of [...this.sinks.keys()]) await this.removeSink(h).catch(() => undefined);
    const deadline = new Promise((r) => setTimeout(r, 30000).unref());
    await Promise.race([this.flush(), deadline]);
    const lanes = [...this.lanes.values()];
    this.lanes.clear();
    for (const lane of lanes) {
      lane.queue.stop();
      await lane.producer.disconnect().catch(() => undefined);
      if (lane.admin !== this.admin) await lane.admin.disconnect().catch(() => undefined);
    }
    this.queue.stop();
    await this.producer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
    this.started = false;
  }
}

/** A producer with its send queue and the admin client for the topics it creates. */
interface ClientLane {
  /** the overrides it was built from */
  readonly fingerprint: string;
  readonly producer: KafkaProducer;
  readonly queue: ProduceQueue;
  readonly admin: KafkaAdmin;
  /** connected (rejects with the connection failure) */
  readonly ready: Promise<void>;
}

/** Wrong credentials or an untrusted certificate stay wrong on retry; an unreachable broker may come back. */
function connectFailure(what: string, err: unknown): ConnectError {
  return new ConnectError(`${what}: ${describe(err)}`, {
    retriable: !nonRetriable(err) && !/certificate|self.signed/i.test(describe(err)),
    cause: err,
  });
}

/** A record in Kafka's terms: converted key, value and headers; kafkaPartition and timestamp when set. */
function toMessage(batch: SourceBatch, r: ChangeRecord): OutgoingMessage {
  const { key: kc, value: vc, header: hc } = batch.converters;
  let stage = 'KEY_CONVERTER';
  try {
    const key = kc.fromRecord(r.topic, r.keySchema, r.key);
    stage = 'VALUE_CONVERTER';
    const value = vc.fromRecord(r.topic, r.valueSchema, r.value);
    stage = 'HEADER_CONVERTER';
    const headers = r.headers.map((h) => [h.key, hc.fromRecord(r.topic, h.schema, h.value)] as const);
    return { key, value, headers, timestamp: r.timestamp, partition: r.kafkaPartition };
  } catch (err) {
    throw asConnectError(err, { stage, position: JSON.stringify(r.sourceOffset) });
  }
}

/** The worker's factory for Kafka mode (`bootstrap.servers` set). */
export function createKafkaTransport(
  worker: Config,
  log: Logger,
  connectorConfig?: (connector: string) => Readonly<Record<string, string>> | undefined,
): KafkaTransport {
  return new KafkaTransport({
    worker: worker.raw,
    log: log.child({ component: 'kafka-transport' }),
    connectorConfig,
    flushIntervalMs: worker.int('offset.flush.interval.ms'),
    providers: workerProviders(worker),
  });
}
