import { randomUUID } from 'node:crypto';
import { ConnectError, type Logger } from '../../api/index.js';
import type { KafkaAdmin, KafkaClient, KafkaConsumer, KafkaProducer } from './client.js';
import { JavaCompatiblePartitioner } from './partitioner.js';
import { describe, ProduceQueue } from './produce-queue.js';
import type { ConsumerSettings, ProducerSettings } from './settings.js';
import { ensureCompactedTopic } from './topic-creation.js';

export interface CompactedLogOptions {
  readonly topic: string;
  /** what the topic is for, in messages */
  readonly purpose: string;
  /** for a topic that does not exist yet */
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Connect's config topic must have exactly one partition: its records are a log whose order matters */
  readonly requireSinglePartition?: boolean;
  readonly producerClient: KafkaClient;
  readonly producerSettings: ProducerSettings;
  readonly consumerClient: KafkaClient;
  readonly consumerSettings: ConsumerSettings;
  readonly adminClient: KafkaClient;
  readonly log: Logger;
  /** every record with a key, in offset order per partition */
  readonly onRecord: (key: Buffer, value: Buffer | null) => void;
  /** the consumer group's name prefix (a random suffix makes each reader's group its own) */
  readonly groupPrefix?: string;
}

/**
 * A compacted topic read as a table, as Connect's KafkaBasedLog (the offset store, and distributed mode's config and
 * status topics): every worker reads it whole from the start and
 * then follows it; a write resolves when the broker acknowledged it (acks=all); `readToEnd()` waits until every
 * record that existed when it was called has been read, so after `write` + `readToEnd` this worker's view holds
 * the write and everything before it. Keys are partitioned by murmur2 of their UTF-8 bytes, as Connect's producer.
 */
export class CompactedLog {
  private readonly producer: KafkaProducer;
  private readonly queue: ProduceQueue;
  private readonly admin: KafkaAdmin;
  private consumer: KafkaConsumer | undefined;
  /** next offset to read per partition */
  private readonly positions = new Map<number, bigint>();
  private progressWaiters: Array<() => void> = [];
  private failure: Error | undefined;

  constructor(private readonly o: CompactedLogOptions) {
    this.producer = o.producerClient.producer(o.producerSettings, new JavaCompatiblePartitioner());
    this.queue = new ProduceQueue(this.producer, o.producerSettings, o.log);
    this.admin = o.adminClient.admin();
  }

  get topic(): string {
    return this.o.topic;
  }

  async start(): Promise<void> {
    const { topic } = this.o;
    try {
      await this.admin.connect();
      await ensureCompactedTopic(
        this.admin,
        { topic, partitions: this.o.partitions, replicationFactor: this.o.replicationFactor, purpose: this.o.purpose },
        this.o.log,
      );
      if (this.o.requireSinglePartition) {
        const parts = await this.admin.endOffsets(topic);
        if (parts.length > 1)
          throw new ConnectError(
            `Topic ${topic} (${this.o.purpose}) has ${parts.length} partitions; it must have exactly one, so that every worker reads its records in one order`,
          );
      }
      await this.producer.connect();
      // A group of its own that never commits: every worker reads the whole topic from the start.
      this.consumer = this.o.consumerClient.consumer(`${this.o.groupPrefix ?? 'sluice-log'}-${randomUUID()}`, {
        ...this.o.consumerSettings,
        fromBeginning: true,
      });
      await this.consumer.connect();
      await this.consumer.subscribe([topic]);
      await this.consumer.run({
        onBatch: async (messages) => {
          for (const m of messages) {
            if (m.key === null) continue;
            try {
              this.o.onRecord(m.key, m.value);
            } catch (err) {
              this.o.log.error(
                { topic, partition: m.partition, offset: m.offset, err: describe(err) },
                `A record of the ${this.o.purpose} topic could not be applied`,
              );
            }
          }
          const last = messages[messages.length - 1];
          this.positions.set(last.partition, BigInt(last.offset) + 1n);
          for (const w of this.progressWaiters.splice(0)) w();
        },
        onRebalance: async () => undefined,
        onAssigned: () => undefined,
        onCrash: (err) => {
          this.failure = err;
          for (const w of this.progressWaiters.splice(0)) w();
        },
      });
    } catch (err) {
      if (err instanceof ConnectError && !err.retriable) throw err;
      throw new ConnectError(`Cannot read the ${this.o.purpose} topic ${topic}: ${describe(err)}`, {
        retriable: true,
        cause: err,
      });
    }
    await this.readToEnd(120_000);
  }

  /** Waits until everything in the topic at this moment has been read (and applied). */
  async readToEnd(timeoutMs = 30_000): Promise<void> {
    const ends = await this.admin.endOffsets(this.o.topic);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure)
        throw new ConnectError(`Reading the ${this.o.purpose} topic ${this.o.topic} failed: ${this.failure.message}`, {
          retriable: true,
          cause: this.failure,
        });
      const behind = ends.filter((e) => (this.positions.get(e.partition) ?? 0n) < BigInt(e.offset));
      if (behind.length === 0) return;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new ConnectError(
          `Timed out reading the ${this.o.purpose} topic ${this.o.topic} to its end (${behind.length} partitions behind)`,
          { retriable: true },
        );
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 500));
        this.progressWaiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Resolves when the broker acknowledged every record (in this order within a partition). */
  write(records: ReadonlyArray<{ key: string | Buffer; value: Buffer | null }>): Promise<void> {
    const items = records.map((r) => ({
      topic: this.o.topic,
      message: { key: typeof r.key === 'string' ? Buffer.from(r.key, 'utf8') : r.key, value: r.value, headers: [] },
    }));
    return new Promise<void>((resolve, reject) => {
      void this.queue.enqueue(items, (err) => (err === undefined ? resolve() : reject(err)));
    });
  }

  /** Waits for writes still in flight (bounded), then closes the clients. */
  async stop(timeoutMs = 10_000): Promise<void> {
    await Promise.race([this.queue.idle(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    this.queue.stop();
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }
}
