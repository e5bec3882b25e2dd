import { randomUUID } from 'node:crypto';
import { type Config, ConnectError, type Logger, type SourceOffset, type SourcePartition } from '../api/index.js';
import {
  createKafkajsClient,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaConsumer,
} from '../transport/kafka/client.js';
import { registerCodecs } from '../transport/kafka/codecs.js';
import { JavaCompatiblePartitioner } from '../transport/kafka/partitioner.js';
import { ensureCompactedTopic } from '../transport/kafka/topic-creation.js';
import { describe, ProduceQueue } from '../transport/kafka/produce-queue.js';
import { connectionSettings, consumerSettings, producerSettings, roleProperties } from '../transport/kafka/settings.js';
import { decodeOffsetRecord, encodeOffsetKey, encodeOffsetValue, storedKey } from './kafka-format.js';
import type { OffsetEntry, OffsetStore } from './store.js';

export interface KafkaOffsetStoreOptions {
  /** worker settings as strings (`bootstrap.servers`, security, `producer.` / `consumer.` / `admin.` overrides) */
  readonly worker: Readonly<Record<string, string>>;
  readonly topic: string;
  /** for a topic that does not exist yet */
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly log: Logger;
  readonly client?: KafkaClient;
}

interface Stored {
  connector: string;
  partition: SourcePartition;
  offset: SourceOffset;
}

/**
 * Source offsets on a compacted Kafka topic in Kafka Connect's format. start() reads the topic to its end; a
 * consumer keeps following it (another worker may write); read() first catches up to the end offsets of that
 * moment, so it sees every write acknowledged before it. write() resolves when the broker acknowledged
 * (acks=all, idempotent), which is what durable means here.
 */
export class KafkaOffsetStore implements OffsetStore {
  private readonly entries = new Map<string, Stored>();
  /** next offset to read per topic partition */
  private readonly positions = new Map<number, bigint>();
  private readonly client: KafkaClient;
  private readonly admin: KafkaAdmin;
  private readonly queue: ProduceQueue;
  private readonly producer;
  private consumer: KafkaConsumer | undefined;
  private progressWaiters: Array<() => void> = [];
  private failure: Error | undefined;

  constructor(private readonly o: KafkaOffsetStoreOptions) {
    // A topic-level compression.type makes the broker recompress the offset records; they must stay readable.
    registerCodecs();
    const producerProps = roleProperties(o.worker, 'producer');
    this.client = o.client ?? createKafkajsClient(connectionSettings(producerProps, 'producer'), o.log);
    const settings = producerSettings(producerProps);
    this.producer = this.client.producer(settings, new JavaCompatiblePartitioner());
    this.queue = new ProduceQueue(this.producer, settings, o.log);
    this.admin = (
      o.client ?? createKafkajsClient(connectionSettings(roleProperties(o.worker, 'admin'), 'admin'), o.log)
    ).admin();
  }

  async start(): Promise<void> {
    const { topic } = this.o;
    try {
      await this.admin.connect();
      await ensureCompactedTopic(
        this.admin,
        {
          topic,
          partitions: this.o.partitions,
          replicationFactor: this.o.replicationFactor,
          purpose: 'offset storage',
        },
        this.o.log,
      );
      await this.producer.connect();
      const consumerProps = { ...roleProperties(this.o.worker, 'consumer'), 'auto.offset.reset': 'earliest' };
      const consumerClient =
        this.o.client ?? createKafkajsClient(connectionSettings(consumerProps, 'consumer'), this.o.log);
      // A group of its own that never commits: every worker reads the whole topic from the start.
      this.consumer = consumerClient.consumer(`sluice-offsets-${randomUUID()}`, consumerSettings(consumerProps));
      await this.consumer.connect();
      await this.consumer.subscribe([topic]);
      await this.consumer.run({
        onBatch: async (messages) => {
          for (const m of messages) {
            const e = decodeOffsetRecord(m.key, m.value);
            if (e) this.apply(e);
            else
              this.o.log.warn(
                { topic, partition: m.partition, offset: m.offset },
                'Skipped a record of the offset topic that is not a Connect offset',
              );
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
      throw new ConnectError(`Cannot start the Kafka offset store on topic ${topic}: ${describe(err)}`, {
        retriable: true,
        cause: err,
      });
    }
    await this.catchUp(120_000);
  }

  /** Waits until everything in the topic at this moment has been read. */
  private async catchUp(timeoutMs: number): Promise<void> {
    const ends = await this.admin.endOffsets(this.o.topic);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure)
        throw new ConnectError(`Reading offset topic ${this.o.topic} failed: ${this.failure.message}`, {
          retriable: true,
          cause: this.failure,
        });
      const behind = ends.filter((e) => (this.positions.get(e.partition) ?? 0n) < BigInt(e.offset));
      if (behind.length === 0) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ConnectError(
          `Timed out reading offset topic ${this.o.topic} to its end (${behind.length} partitions behind)`,
          { retriable: true },
        );
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 500));
        this.progressWaiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  private apply(e: OffsetEntry): void {
    const k = storedKey(e.connector, e.partition);
    if (e.offset === null) this.entries.delete(k);
    else this.entries.set(k, { connector: e.connector, partition: e.partition, offset: e.offset });
  }

  async read(connector: string): Promise<Array<{ partition: SourcePartition; offset: SourceOffset }>> {
    await this.catchUp(60_000);
    const out: Array<{ partition: SourcePartition; offset: SourceOffset }> = [];
    for (const e of this.entries.values())
      if (e.connector === connector) out.push({ partition: e.partition, offset: e.offset });
    return out;
  }

  async write(entries: readonly OffsetEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const items = entries.map((e) => ({
      topic: this.o.topic,
      message: { key: encodeOffsetKey(e.connector, e.partition), value: encodeOffsetValue(e.offset), headers: [] },
    }));
    await new Promise<void>((resolve, reject) => {
      void this.queue.enqueue(items, (err) => (err === undefined ? resolve() : reject(err)));
    });
  }

  async stop(): Promise<void> {
    await this.queue.idle();
    this.queue.stop();
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }
}

/** The worker's factory: `offset.storage.topic` (+ `.partitions`, `.replication.factor`) on the worker's brokers. */
export function createKafkaOffsetStore(worker: Config, log: Logger): KafkaOffsetStore {
  const raw = worker.raw;
  const topic = worker.string('offset.storage.topic');
  if (!topic) throw new ConnectError('offset.storage.topic is empty: the Kafka offset store needs a topic name');
  return new KafkaOffsetStore({
    worker: raw,
    topic,
    partitions: Number(raw['offset.storage.partitions'] ?? 25),
    replicationFactor: Number(raw['offset.storage.replication.factor'] ?? 3),
    log: log.child({ component: 'kafka-offsets' }),
  });
}
