import { asConnectError, type ChangeRecord, type ConnectError, type Header, type Logger } from '../../api/index.js';
import type { DeadLetterFailure, SinkHandler } from '../transport.js';
import type { IncomingMessage, KafkaConsumer, OutgoingMessage, TopicPartition } from './client.js';
import type { RetryPolicy } from '../../tasks/retry.js';
import { type DeadLetterContext, deadLetterMessage, type ErrorStage } from './dead-letter.js';
import { needsPrepare, prepareToRecord } from './prepare.js';

export interface SinkConsumerOptions {
  readonly flushIntervalMs: number;
  /**
   * With topics.regex: how often the topic list is read again, so topics created later are consumed too (Java's
   * consumer refreshes its metadata every metadata.max.age.ms, default 5 min, and re-subscribes to new matches).
   */
  readonly topicRefreshMs?: number;
  readonly tolerateAll: boolean;
  /** how converters backed by a schema registry retry while it is unreachable (errors.retry.*) */
  readonly retry?: RetryPolicy;
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
  /** the consumer lost the broker and restarts by itself (err), or consumes again (undefined) */
  readonly onRetrying?: (err: ConnectError | undefined) => void;
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
  private consumer: KafkaConsumer;
  /** counts consumers: callbacks of a consumer being replaced are ignored */
  private generation = 0;
  /** topics.regex: the matching topics the current consumer subscribed to */
  private subscribed = new Set<string>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  /** stops a conversion waiting for its schema registry */
  private readonly abort = new AbortController();
  /** the consumer crashed on a retriable error and has not rejoined its group since */
  private restarting = false;

  /** `newConsumer` makes a consumer of the sink's group; a regex sink makes another when new topics match. */
  constructor(
    private readonly handler: SinkHandler,
    private readonly newConsumer: () => KafkaConsumer,
    private readonly o: SinkConsumerOptions,
  ) {
    this.consumer = newConsumer();
  }

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
    await this.consume();
    this.timer = setInterval(() => {
      this.commit('interval').catch((err) =>
        this.o.log.warn({ err: String(err) }, 'Periodic sink commit failed; will retry'),
      );
    }, this.o.flushIntervalMs);
    const regex = this.handler.topicsRegex;
    if (regex && this.o.topicRefreshMs && this.o.topicRefreshMs > 0) {
      this.refreshTimer = setInterval(() => {
        if (this.refreshing || this.stopping || this.failed) return;
        this.refreshing = this.refreshTopics(regex)
          .catch((err) => {
            this.fail(
              asConnectError(err, {
                connector: this.handler.connector,
                task: this.handler.taskId,
                stage: 'KAFKA_CONSUME',
              }),
            );
          })
          .finally(() => {
            this.refreshing = undefined;
          });
      }, this.o.topicRefreshMs);
    }
  }

  /** Connects the current consumer, subscribes and runs it; its callbacks count only while it is current. */
  private async consume(): Promise<void> {
    const gen = this.generation;
    const current = () => gen === this.generation && !this.stopping;
    const regex = this.handler.topicsRegex;
    if (regex) this.subscribed = new Set((await this.o.listTopics()).filter((t) => regex.test(t)));
    await this.consumer.connect();
    this.connected = true;
    await this.consumer.subscribe(regex ?? this.handler.topics);
    await this.consumer.run({
      onBatch: async (messages, control) => {
        if (!current()) return;
        this.retrying(undefined);
        // kafkajs heartbeats only between batches; a sink slower than session.timeout.ms (a database that
        // stalls, a webhook that retries) would be dropped from the group mid-batch. Keep the session alive
        // while the batch is put and committed (kafkajs sends at most one heartbeat per heartbeat.interval.ms).
        const beat = setInterval(() => void control.heartbeat().catch(() => undefined), 1000);
        try {
          await this.onBatch(messages, current);
        } finally {
          clearInterval(beat);
        }
      },
      onRebalance: async () => {
        if (!current()) return;
        await this.commit('rebalance').catch((err) =>
          this.o.log.warn({ err: String(err) }, 'Commit before rebalance failed'),
        );
      },
      onAssigned: (parts) => {
        if (!current()) return;
        this.retrying(undefined);
        this.onAssigned(parts);
      },
      onRestarting: (err) => {
        if (current())
          this.retrying(
            asConnectError(err, {
              connector: this.handler.connector,
              task: this.handler.taskId,
              stage: 'KAFKA_CONSUME',
            }),
          );
      },
      onCrash: (err) => {
        if (current())
          this.fail(
            asConnectError(err, {
              connector: this.handler.connector,
              task: this.handler.taskId,
              stage: 'KAFKA_CONSUME',
            }),
          );
      },
    });
  }

  /** Tells the task whether its consumer is restarting (its status then says `retrying`) or consuming again. */
  private retrying(err: ConnectError | undefined): void {
    if (err === undefined && !this.restarting) return;
    this.restarting = err !== undefined;
    this.o.onRetrying?.(err);
  }

  /**
   * kafkajs resolves a regex once, when it subscribes. When a topic created since then matches, what was put is
   * flushed and committed, and a new consumer of the same group subscribes again: it resumes every partition from
   * the committed offsets, so nothing is skipped (records fetched but not yet put are fetched again).
   */
  private async refreshTopics(regex: RegExp): Promise<void> {
    const matching = (await this.o.listTopics()).filter((t) => regex.test(t));
    const added = matching.filter((t) => !this.subscribed.has(t));
    if (added.length === 0 || this.stopping || this.failed) return;
    this.o.log.info({ added }, 'New topics match topics.regex; subscribing again');
    const previous = this.consumer;
    this.generation++;
    await this.commit('resubscribe');
    await previous.disconnect().catch(() => undefined);
    if (this.stopping || this.failed) return;
    this.uncommitted.clear();
    this.consumer = this.newConsumer();
    await this.consume();
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

  private async onBatch(messages: readonly IncomingMessage[], current: () => boolean): Promise<void> {
    if (this.stopping || this.failed) return;
    await this.serial(async () => {
      // A batch of a consumer being replaced is left alone: its records come again from the committed offset.
      if (this.stopping || this.failed || !current()) return;
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
      if (needsPrepare(converters, 'to')) {
        await prepareToRecord(converters, m, {
          policy: this.o.retry ?? { timeoutMs: 0, maxDelayMs: 60000 },
          where: { connector: this.handler.connector, task: this.handler.taskId },
          signal: this.abort.signal,
          log: this.o.log,
        }).catch((err) => {
          stage = (asConnectError(err).context.stage as ErrorStage | undefined) ?? stage;
          throw err;
        });
      }
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
    this.abort.abort();
    await this.starting;
    clearInterval(this.timer);
    clearInterval(this.refreshTimer);
    await this.refreshing;
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
