import { asConnectError, type ChangeRecord, type Config, ConnectError, type Logger } from '../../api/index.js';
import type { SinkHandler, SourceBatch, Transport } from '../transport.js';
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
  private readonly sinks = new Map<SinkHandler, KafkaSinkConsumer>();
  private readonly topicRules = new Map<string, TopicCreationRule[]>();
  private readonly readyTopics = new Map<string, Promise<void>>();
  private readonly topicCreationEnabled: boolean;
  private started = false;

  constructor(private readonly o: KafkaTransportOptions) {
    const producerProps = roleProperties(o.worker, 'producer');
    const adminProps = roleProperties(o.worker, 'admin');
    this.producerSettings = producerSettings(producerProps);
    this.client = o.client ?? createKafkajsClient(connectionSettings(producerProps, 'producer'), o.log);
    this.producer = this.client.producer(this.producerSettings, new JavaCompatiblePartitioner());
    this.admin = (o.client ?? createKafkajsClient(connectionSettings(adminProps, 'admin'), o.log)).admin();
    this.queue = new ProduceQueue(this.producer, this.producerSettings, o.log);
    this.topicCreationEnabled = (o.worker['topic.creation.enable'] ?? 'true').toLowerCase() !== 'false';
  }

  async start(): Promise<void> {
    if (this.started) return;
    try {
      await this.admin.connect();
      await this.producer.connect();
    } catch (err) {
      // Wrong credentials or an untrusted certificate stay wrong on retry; an unreachable broker may come back.
      throw new ConnectError(`Cannot connect to Kafka at ${this.o.worker['bootstrap.servers']}: ${describe(err)}`, {
        retriable: !nonRetriable(err) && !/certificate|self.signed/i.test(describe(err)),
        cause: err,
      });
    }
    this.started = true;
  }

  async send(batch: SourceBatch, done: (err?: unknown) => void): Promise<void> {
    const raw = this.o.connectorConfig?.(batch.connector) ?? {};
    const tolerateAll = raw['errors.tolerance']?.toLowerCase() === 'all';
    const items: Array<{ topic: string; message: OutgoingMessage }> = [];
    const topics = new Set<string>();
    for (const r of batch.records) {
      let message: OutgoingMessage;
      try {
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
      for (const t of topics) await this.ensureTopic(batch.connector, raw, t);
    } catch (err) {
      return done(err);
    }
    await this.queue.enqueue(items, done);
  }

  /** Creates a topic by the connector's KIP-158 rules before its first record, once per topic and worker. */
  private ensureTopic(connector: string, raw: Readonly<Record<string, string>>, topic: string): Promise<void> {
    let ready = this.readyTopics.get(topic);
    if (ready) return ready;
    let rules = this.topicRules.get(connector);
    if (!rules) {
      rules = topicCreationRules(raw, this.topicCreationEnabled);
      this.topicRules.set(connector, rules);
    }
    const rule = ruleFor(rules, topic);
    if (!rule) return Promise.resolve();
    ready = (async () => {
      const existing = await this.admin.listTopics();
      if (existing.includes(topic)) return;
      const created = await this.admin.createTopic({
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
    await this.queue.idle();
  }

  async addSink(handler: SinkHandler): Promise<void> {
    const raw = this.o.connectorConfig?.(handler.connector) ?? {};
    const consumerProps = { ...roleProperties(this.o.worker, 'consumer'), ...prefixed(raw, 'consumer.override.') };
    const settings: ConsumerSettings = consumerSettings(consumerProps);
    const client = this.o.client ?? createKafkajsClient(connectionSettings(consumerProps, 'consumer'), this.o.log);
    const consumer = new KafkaSinkConsumer(handler, client.consumer(sinkGroupId(handler.connector), settings), {
      flushIntervalMs: this.o.flushIntervalMs ?? Number(this.o.worker['offset.flush.interval.ms'] ?? 60000),
      tolerateAll: raw['errors.tolerance']?.toLowerCase() === 'all',
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
    });
    this.sinks.set(handler, consumer);
    consumer.start();
  }

  private readonly dlqReady = new Map<string, Promise<void>>();

  private async sendDeadLetter(
    connector: string,
    raw: Readonly<Record<string, string>>,
    topic: string,
    message: OutgoingMessage,
  ): Promise<void> {
    let ready = this.dlqReady.get(topic);
    if (!ready) {
      ready = (async () => {
        if ((await this.admin.listTopics()).includes(topic)) return;
        const rf = Number(raw['errors.deadletterqueue.topic.replication.factor'] ?? 3);
        await this.admin.createTopic({ topic, numPartitions: 1, replicationFactor: rf });
        this.o.log.info({ connector, topic, replicationFactor: rf }, 'Created dead letter queue topic');
      })();
      ready.catch(() => this.dlqReady.delete(topic));
      this.dlqReady.set(topic, ready);
    }
    await ready;
    await new Promise<void>((resolve, reject) => {
      void this.queue.enqueue([{ topic, message }], (err) => (err === undefined ? resolve() : reject(err)));
    });
  }

  async removeSink(handler: SinkHandler): Promise<void> {
    const consumer = this.sinks.get(handler);
    if (!consumer) return;
    this.sinks.delete(handler);
    await consumer.stop();
  }

  async releaseSink(connector: string): Promise<void> {
    for (const h of [...this.sinks.keys()]) if (h.connector === connector) await this.removeSink(h);
  }

  async stop(): Promise<void> {
    for (const h of [...this.sinks.keys()]) await this.removeSink(h).catch(() => undefined);
    const deadline = new Promise((r) => setTimeout(r, 30000).unref());
    await Promise.race([this.queue.idle(), deadline]);
    this.queue.stop();
    await this.producer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
    this.started = false;
  }
}

function prefixed(raw: Readonly<Record<string, string>>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
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
  });
}
