import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { type Admin, Kafka, type KafkaConfig, type LogEntry, logLevel, type Producer, type SASLOptions } from 'kafkajs';
import { type Config, ConnectError, type Logger } from '../../../runtime/api/index.js';
import type { HistoryStore } from './history.js';

export interface KafkaHistoryOptions {
  topic: string;
  bootstrapServers: string[];
  /** Debezium's `schema.history.internal.producer.*` / `.consumer.*` keys, prefix removed */
  producer: Record<string, string>;
  consumer: Record<string, string>;
  /** how long recovery waits to read the topic to its end */
  recoveryTimeoutMs: number;
  createTimeoutMs: number;
  queryTimeoutMs: number;
}

export function kafkaHistoryOptions(c: Config): KafkaHistoryOptions {
  const topic = c.optionalString('schema.history.internal.kafka.topic');
  const servers = c.optionalString('schema.history.internal.kafka.bootstrap.servers');
  if (!topic || !servers) {
    throw new ConnectError(
      'schema.history.internal=io.debezium.storage.kafka.history.KafkaSchemaHistory needs schema.history.internal.kafka.topic and schema.history.internal.kafka.bootstrap.servers',
    );
  }
  const prefixed = (prefix: string) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.raw)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
    return out;
  };
  return {
    topic,
    bootstrapServers: servers
      .split(',')
      .map((s) => s.trim().replace(/^[A-Z_]+:\/\//, ''))
      .filter(Boolean),
    producer: prefixed('schema.history.internal.producer.'),
    consumer: prefixed('schema.history.internal.consumer.'),
    recoveryTimeoutMs: Math.max(
      10_000,
      c.int('schema.history.internal.kafka.recovery.attempts') *
        c.int('schema.history.internal.kafka.recovery.poll.interval.ms'),
    ),
    createTimeoutMs: c.int('schema.history.internal.kafka.create.timeout.ms'),
    queryTimeoutMs: c.int('schema.history.internal.kafka.query.timeout.ms'),
  };
}

/** Java client keys (`security.protocol`, `sasl.*`, PEM `ssl.truststore.*`) as kafkajs options. */
function security(props: Record<string, string>): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const protocol = (props['security.protocol'] ?? 'PLAINTEXT').toUpperCase();
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const tls: ConnectionOptions = {};
    const location = props['ssl.truststore.location'];
    if (location) {
      if ((props['ssl.truststore.type'] ?? 'JKS').toUpperCase() !== 'PEM') {
        throw new ConnectError(
          `schema history: ssl.truststore.type must be PEM (${location}); Node.js cannot read Java keystores`,
        );
      }
      tls.ca = readFileSync(location, 'utf8');
    }
    out.ssl = tls;
  } else if (protocol !== 'PLAINTEXT' && protocol !== 'SASL_PLAINTEXT') {
    throw new ConnectError(
      `schema history: security.protocol=${protocol} is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL`,
    );
  }
  if (protocol.startsWith('SASL_')) {
    const mechanism = (props['sasl.mechanism'] ?? 'GSSAPI').toLowerCase();
    const jaas = props['sasl.jaas.config'] ?? '';
    const username = /username\s*=\s*"([^"]*)"/.exec(jaas)?.[1];
    const password = /password\s*=\s*"([^"]*)"/.exec(jaas)?.[1];
    if ((mechanism !== 'plain' && mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512') || !username) {
      throw new ConnectError(
        'schema history: SASL needs sasl.mechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 and sasl.jaas.config with username="…" password="…"',
      );
    }
    out.sasl = { mechanism, username, password: password ?? '' } as SASLOptions;
  }
  return out;
}

function logCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      if (level <= logLevel.ERROR) log.warn({ kafkajs: rest }, `schema history kafka client: ${message}`);
      else log.debug({ kafkajs: rest }, `schema history kafka client: ${message}`);
    };
}

/**
 * `io.debezium.storage.kafka.history.KafkaSchemaHistory`: one entry per message on a single-partition topic with
 * unlimited retention, as Debezium keeps it. Appends are sent on `flush()` with acks=all through an idempotent
 * producer; recovery reads the topic from the start to its end offset of that moment.
 */
export class KafkaHistoryStore implements HistoryStore {
  private readonly producerClient: Kafka;
  private readonly consumerClient: Kafka;
  private admin: Admin | undefined;
  private producer: Producer | undefined;
  private pending: string[] = [];

  constructor(
    private readonly o: KafkaHistoryOptions,
    private readonly log: Logger,
    clientId: string,
  ) {
    const base = (props: Record<string, string>): KafkaConfig => ({
      clientId,
      brokers: o.bootstrapServers,
      requestTimeout: o.queryTimeoutMs > 0 ? Math.max(o.queryTimeoutMs, 10_000) : 30_000,
      logLevel: logLevel.ERROR,
      logCreator: logCreator(log),
      retry: { initialRetryTime: 100, maxRetryTime: 5000, retries: 8 },
      ...security(props),
    });
    this.producerClient = new Kafka(base(this.o.producer));
    this.consumerClient = new Kafka(base(this.o.consumer));
  }

  get description(): string {
    return `Kafka topic ${this.o.topic}`;
  }

  async start(): Promise<void> {
    try {
      this.admin = this.producerClient.admin();
      await this.admin.connect();
      const topics = await this.admin.listTopics();
      if (!topics.includes(this.o.topic)) {
        // Debezium's settings: one partition keeps the order, and nothing may ever be deleted from it.
        await this.admin.createTopics({
          topics: [
            {
              topic: this.o.topic,
              numPartitions: 1,
              replicationFactor: -1,
              configEntries: [
                { name: 'cleanup.policy', value: 'delete' },
                { name: 'retention.ms', value: '9223372036854775807' },
                { name: 'retention.bytes', value: '-1' },
              ],
            },
          ],
          waitForLeaders: true,
          timeout: this.o.createTimeoutMs,
        });
        this.log.info({ topic: this.o.topic }, 'created the schema history topic');
      }
      const offsets = await this.admin.fetchTopicOffsets(this.o.topic);
      if (offsets.length !== 1) {
        throw new ConnectError(
          `The schema history topic ${this.o.topic} has ${offsets.length} partitions; it must have exactly one (its order is the order of the DDL).`,
        );
      }
      this.producer = this.producerClient.producer({ idempotent: true, maxInFlightRequests: 1 });
      await this.producer.connect();
    } catch (err) {
      if (err instanceof ConnectError) throw err;
      throw new ConnectError(`Cannot open the schema history ${this.description}: ${(err as Error).message}`, {
        retriable: true,
        cause: err,
      });
    }
  }

  async readAll(): Promise<string[]> {
    if (!this.admin) throw new ConnectError('schema history store used before start()');
    const [end] = await this.admin.fetchTopicOffsets(this.o.topic);
    const high = BigInt(end.high);
    if (high === 0n || BigInt(end.low) >= high) return [];
    // kafkajs has no assign(): a group of our own that never commits reads the one partition from the start.
    const consumer = this.consumerClient.consumer({ groupId: `sluice-schema-history-${randomUUID()}` });
    const lines: string[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [this.o.topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new ConnectError(
                `Timed out reading the schema history ${this.description} to its end (offset ${high}); read ${lines.length} entries`,
                { retriable: true },
              ),
            ),
          this.o.recoveryTimeoutMs,
        );
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ message }) => {
              if (BigInt(message.offset) >= high) return;
              if (message.value) lines.push(message.value.toString('utf8'));
              if (BigInt(message.offset) + 1n >= high) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch((err: Error) => {
            clearTimeout(timer);
            reject(err);
          });
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    return lines;
  }

  append(line: string): void {
    this.pending.push(line);
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    if (!this.producer) throw new ConnectError('schema history store used before start()');
    const lines = this.pending;
    try {
      await this.producer.send({
        topic: this.o.topic,
        acks: -1,
        messages: lines.map((value) => ({ key: null, value, partition: 0 })),
      });
    } catch (err) {
      // Kept for the next flush: the records after this DDL are not handed out until it is stored.
      throw new ConnectError(`Writing the schema history to ${this.description} failed: ${(err as Error).message}`, {
        retriable: true,
        cause: err,
      });
    }
    this.pending = this.pending.slice(lines.length);
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }
}
