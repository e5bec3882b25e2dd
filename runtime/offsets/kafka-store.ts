import { type Config, ConnectError, type Logger, type SourceOffset, type SourcePartition } from '../api/index.js';
import { createKafkajsClient, type KafkaClient } from '../transport/kafka/client.js';
import { registerCodecs } from '../transport/kafka/codecs.js';
import { CompactedLog } from '../transport/kafka/compacted-log.js';
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
  private readonly log: CompactedLog;

  constructor(private readonly o: KafkaOffsetStoreOptions) {
    // A topic-level compression.type makes the broker recompress the offset records; they must stay readable.
    registerCodecs();
    const client = (role: 'producer' | 'consumer' | 'admin', props: Record<string, string>) =>
      o.client ?? createKafkajsClient(connectionSettings(props, role), o.log);
    const producerProps = roleProperties(o.worker, 'producer');
    const consumerProps = { ...roleProperties(o.worker, 'consumer'), 'auto.offset.reset': 'earliest' };
    this.log = new CompactedLog({
      topic: o.topic,
      purpose: 'offset storage',
      partitions: o.partitions,
      replicationFactor: o.replicationFactor,
      producerClient: client('producer', producerProps),
      producerSettings: producerSettings(producerProps),
      consumerClient: client('consumer', consumerProps),
      consumerSettings: consumerSettings(consumerProps),
      adminClient: client('admin', roleProperties(o.worker, 'admin')),
      log: o.log,
      groupPrefix: 'sluice-offsets',
      onRecord: (key, value) => {
        const e = decodeOffsetRecord(key, value);
        if (e) this.apply(e);
        else o.log.warn({ topic: o.topic }, 'Skipped a record of the offset topic that is not a Connect offset');
      },
    });
  }

  async start(): Promise<void> {
    try {
      await this.log.start();
    } catch (err) {
      if (err instanceof ConnectError) throw err;
      throw new ConnectError(`Cannot start the Kafka offset store on topic ${this.o.topic}: ${String(err)}`, {
        retriable: true,
        cause: err,
      });
    }
  }

  private apply(e: OffsetEntry): void {
    const k = storedKey(e.connector, e.partition);
    if (e.offset === null) this.entries.delete(k);
    else this.entries.set(k, { connector: e.connector, partition: e.partition, offset: e.offset });
  }

  async read(connector: string): Promise<Array<{ partition: SourcePartition; offset: SourceOffset }>> {
    await this.log.readToEnd(60_000);
    const out: Array<{ partition: SourcePartition; offset: SourceOffset }> = [];
    for (const e of this.entries.values())
      if (e.connector === connector) out.push({ partition: e.partition, offset: e.offset });
    return out;
  }

  async write(entries: readonly OffsetEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.log.write(
      entries.map((e) => ({ key: encodeOffsetKey(e.connector, e.partition), value: encodeOffsetValue(e.offset) })),
    );
  }

  async stop(): Promise<void> {
    await this.log.stop();
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
