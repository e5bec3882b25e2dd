import { asConnectError, type ChangeRecord, type ConnectError, type Header, type Logger } from '../../api/index.js';
import type { DeadLetterFailure, SinkHandler } from '../transport.js';
import type { IncomingMessage, KafkaConsumer, OutgoingMessage, TopicPartition } from './client.js';
import { type DeadLetterContext, deadLetterMessage, type ErrorStage } from './dead-letter.js';

export interface SinkConsumerOptions {
  readonly flushIntervalMs: number;
  readonly tolerateAll: boolean;
  /** dead letter queue topic; empty: tolerated records are only skipped */
  readonly dlqTopic: string;
  readonly dlqContextHeaders: boolean;
  /** resolves when the broker acknowledged the dead-lettered message */
  readonly sendDeadLetter: (topic: string, message: OutgoingMessage) => Promise<void>;
  readonly converterClasses: { key: string; value: string; header: string };
  readonly listTopics: () => Promise<string[]>;
  readonly log: Logger;
  /** a final failure (the task cannot go on) */
  readonly onFailure: (err: ConnectError) => void;
}

const tpKey = (topic: string, partition: number) => `${partition}:${topic}`;

/**
 * Feeds one sink task from a consumer group (`connect-<connector>`). Consumer offsets are committed only after
 * the task's flush() resolved, every offset.flush.interval.ms, when the group starts rebalancing (before the
 * partitions move) and at stop; so a crash at any instant re-delivers, never skips (at-least-once).
 */
export class KafkaSinkConsumer {
  /** next offset to commit per partition: after records that were put, not yet committed */
  private readonly uncommitted = new Map<string, { topic: string; partition: number; offset: string }>();
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private failed: ConnectError | undefined;
  private lastCommit = Date.now();
  private connected = false;
  /** the messages being put, so a record the sink rejects is dead-lettered as it was consumed */
  private batch: readonly IncomingMessage[] | undefined;

  constructor(
    private readonly handler: SinkHandler,
    private readonly consumer: KafkaConsumer,
    private readonly o: SinkConsumerOptions,
  ) {}

  private starting: Promise<void> = Promise.resolve();

  /**
   * Starts consuming in the background and returns at once. A sink usually starts before the source that
   * creates its topics; subscribing then would make kafkajs fail (or, with auto-creation, create the topic with
   * broker defaults before the source's topic.creation rules apply), so the consumer first waits until every
   * listed topic exists.
   */
  start(): void {
    this.starting = this.run().catch((err) => {
      this.fail(
        asConnectError(err, { connector: this.handler.connector, task: this.handler.taskId, stage: 'KAFKA_CONSUME' }),
      );
    });
  }

  private async run(): Promise<void> {
    if (!this.handler.topicsRegex) {
      let warned = false;
      for (;;) {
        if (this.stopping) return;
        const existing = new Set(await this.o.listTopics());
        const missing = this.handler.topics.filter((t) => !existing.has(t));
        if (missing.length === 0) break;
        if (!warned) this.o.log.info({ missing }, 'Sink waits for its topics to exist');
        warned = true;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    if (this.stopping) return;
    await this.consumer.connect();
    this.connected = true;
    await this.consumer.subscribe(this.handler.topicsRegex ?? this.handler.topics);
    await this.consumer.run({
      onBatch: (messages) => this.onBatch(messages),
      onRebalance: () =>
        this.commit('rebalance').catch((err) =>
          this.o.log.warn({ err: String(err) }, 'Commit before rebalance failed'),
        ),
      onAssigned: (parts) => this.onAssigned(parts),
      onCrash: (err) =>
        this.fail(
          asConnectError(err, { connector: this.handler.connector, task: this.handler.taskId, stage: 'KAFKA_CONSUME' }),
        ),
    });
    this.timer = setInterval(() => {
      this.commit('interval').catch((err) =>
        this.o.log.warn({ err: String(err) }, 'Periodic sink commit failed; will retry'),
      );
    }, this.o.flushIntervalMs);
  }

  /** One operation at a time: a put never overlaps a flush, so a flush covers exactly what was put before it. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const p = this.chain.then(op);
    this.chain = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  private async onBatch(messages: readonly IncomingMessage[]): Promise<void> {
    if (this.stopping || this.failed) return;
    await this.serial(async () => {
      if (this.stopping || this.failed) return;
      const records: ChangeRecord[] = [];
      for (const m of messages) {
        const r = await this.convert(m);
        if (r) records.push(r);
      }
      if (records.length > 0) {
        this.batch = messages;
        try {
          await this.handler.put(records);
        } catch (err) {
          throw this.fail(
            asConnectError(err, { connector: this.handler.connector, task: this.handler.taskId, stage: 'TASK_PUT' }),
          );
        } finally {
          this.batch = undefined;
        }
      }
      const last = messages[messages.length - 1];
      this.uncommitted.set(tpKey(last.topic, last.partition), {
        topic: last.topic,
        partition: last.partition,
        offset: (BigInt(last.offset) + 1n).toString(),
      });
    });
    if (Date.now() - this.lastCommit >= this.o.flushIntervalMs) await this.commit('interval');
  }

  /** Converts with the handler's converters; a failure is tolerated (and dead-lettered) or fails the task. */
  private async convert(m: IncomingMessage): Promise<ChangeRecord | undefined> {
    const { converters } = this.handler;
    let stage: ErrorStage = 'KEY_CONVERTER';
    try {
      const key = converters.key.toRecord(m.topic, m.key);
      stage = 'VALUE_CONVERTER';
      const value = converters.value.toRecord(m.topic, m.value);
      stage = 'HEADER_CONVERTER';
      const headers: Header[] = m.headers.map((h) => {
        const c = converters.header.toRecord(m.topic, h.value);
        return { key: h.key, value: c.value, schema: c.schema };
      });
      return {
        topic: m.topic,
        kafkaPartition: m.partition,
        keySchema: key.schema,
        key: key.value,
        valueSchema: value.schema,
        value: value.value,
        headers,
        timestamp: m.timestamp,
        sourcePartition: { topic: m.topic, partition: m.partition },
        sourceOffset: { offset: Number(m.offset) },
      };
    } catch (cause) {
      const err = asConnectError(cause, {
        connector: this.handler.connector,
        task: this.handler.taskId,
        stage,
        position: `${m.topic}-${m.partition}@${m.offset}`,
      });
      if (!this.o.tolerateAll) throw this.fail(err);
      this.o.log.warn(
        { topic: m.topic, partition: m.partition, offset: m.offset, stage, err: err.message },
        'Record could not be converted; skipped (errors.tolerance=all)',
      );
      if (this.o.dlqTopic) {
        const className =
          stage === 'KEY_CONVERTER'
            ? this.o.converterClasses.key
            : stage === 'VALUE_CONVERTER'
              ? this.o.converterClasses.value
              : this.o.converterClasses.header;
        const ctx: DeadLetterContext = {
          connector: this.handler.connector,
          taskId: this.handler.taskId,
          stage,
          className,
          error: err,
        };
        // Awaited: the consumer offset past this record is committed only once its dead letter is durable.
        await this.o.sendDeadLetter(this.o.dlqTopic, deadLetterMessage(m, ctx, this.o.dlqContextHeaders));
      }
      return undefined;
    }
  }

  /**
   * Produces a record the sink (or a sink transform) rejected to the dead letter queue with Connect's error context
   * (stage TASK_PUT or TRANSFORMATION). The message is the one consumed when the record comes from the batch being
   * put; otherwise (a task reporting later, or a record it made itself) the record converted back, as Connect's
   * WorkerErrantRecordReporter does. Resolves when the broker acknowledged it.
   */
  async deadLetterRecord(record: ChangeRecord, failure: DeadLetterFailure): Promise<void> {
    if (!this.o.dlqTopic) return;
    const m = this.original(record) ?? this.reconverted(record);
    const ctx: DeadLetterContext = {
      connector: this.handler.connector,
      taskId: this.handler.taskId,
      stage: failure.stage,
      className: failure.className,
      error: failure.error,
    };
    await this.o.sendDeadLetter(this.o.dlqTopic, deadLetterMessage(m, ctx, this.o.dlqContextHeaders));
  }

  private original(record: ChangeRecord): IncomingMessage | undefined {
    const batch = this.batch;
    const { topic, partition } = record.sourcePartition;
    const offset = Number(record.sourceOffset.offset);
    if (!batch || batch.length === 0 || batch[0].topic !== topic || batch[0].partition !== partition) return undefined;
    // One partition's messages in offset order (with gaps on compacted topics): binary search.
    let lo = 0;
    let hi = batch.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const at = Number(batch[mid].offset);
      if (at === offset) return batch[mid];
      if (at < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  private reconverted(record: ChangeRecord): IncomingMessage {
    const { converters } = this.handler;
    const t = record.topic;
    return {
      topic: t,
      partition: record.kafkaPartition ?? -1,
      offset: String(record.sourceOffset.offset ?? -1),
      key: converters.key.fromRecord(t, record.keySchema, record.key),
      value: converters.value.fromRecord(t, record.valueSchema, record.value),
      headers: record.headers.map((h) => ({ key: h.key, value: converters.header.fromRecord(t, h.schema, h.value) })),
      timestamp: record.timestamp ?? Date.now(),
    };
  }

  private onAssigned(parts: readonly TopicPartition[]): void {
    const owned = new Set(parts.map((p) => tpKey(p.topic, p.partition)));
    // Partitions that moved away belong to another member now; committing our stale position would rewind it.
    for (const k of [...this.uncommitted.keys()]) if (!owned.has(k)) this.uncommitted.delete(k);
  }

  /** flush(), then commit what that flush made durable. */
  commit(reason: string): Promise<void> {
    return this.serial(async () => {
      this.lastCommit = Date.now();
      if (this.uncommitted.size === 0 || this.failed) return;
      const offsets = [...this.uncommitted.values()];
      try {
        await this.handler.flush();
      } catch (err) {
        throw this.fail(
          asConnectError(err, { connector: this.handler.connector, task: this.handler.taskId, stage: 'TASK_FLUSH' }),
        );
      }
      await this.consumer.commit(offsets);
      for (const o of offsets) {
        const k = tpKey(o.topic, o.partition);
        if (this.uncommitted.get(k) === o) this.uncommitted.delete(k);
      }
      this.o.log.debug({ reason, partitions: offsets.length }, 'Sink offsets committed');
    });
  }

  private fail(err: ConnectError): ConnectError {
    if (!this.failed) {
      this.failed = err;
      this.o.onFailure(err);
    }
    return this.failed;
  }

  /** Stops taking records, flushes and commits what was put, leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.starting;
    clearInterval(this.timer);
    if (!this.connected) return;
    try {
      await this.commit('stop');
    } catch (err) {
      this.o.log.warn(
        { err: String(err) },
        'Final sink commit failed; the records since the last commit will be delivered again',
      );
    } finally {
      await this.consumer.disconnect().catch(() => undefined);
    }
  }

  get failure(): ConnectError | undefined {
    return this.failed;
  }
}

export function sinkGroupId(connector: string): string {
  return `connect-${connector}`;
}
