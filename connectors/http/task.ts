import {
  type ChangeRecord,
  type Config,
  ConnectError,
  partitionKey,
  type SinkTask,
  type SinkTaskContext,
} from '../../runtime/api/index.js';
import { body, chunk, encodeRecord } from './body.js';
import { HttpClient } from './client.js';
import { type HttpSettings, readHttpSettings } from './config.js';

interface Encoded {
  readonly record: ChangeRecord;
  readonly bytes: Buffer;
}

/** Source partitions' keys: records of one source share the partition object, so each is computed once. */
const partitionKeys = new WeakMap<object, string>();

/** The ordering unit: a Kafka topic-partition, or (direct mode) the topic and the source partition. */
function unitOf(r: ChangeRecord): string {
  if (r.kafkaPartition !== undefined) return `${r.topic}\u0000${r.kafkaPartition}`;
  let k = partitionKeys.get(r.sourcePartition);
  if (k === undefined) {
    k = partitionKey(r.sourcePartition);
    partitionKeys.set(r.sourcePartition, k);
  }
  return `${r.topic}\u0000${k}`;
}

function positionOf(r: ChangeRecord): string {
  const offset = r.sourceOffset.offset;
  if (r.kafkaPartition !== undefined && offset !== undefined) return `${r.topic}-${r.kafkaPartition}@${String(offset)}`;
  return `${r.topic} ${JSON.stringify(r.sourceOffset)}`;
}

/**
 * Sends each put's records as batches to http.url: one request in flight per ordering unit (so per-key order
 * holds), up to http.max.in.flight for different units. A put resolves once every batch got a 2xx, so flush()
 * has nothing left to do. A batch the server rejects (4xx other than 408/429) is sent again record by record;
 * a record still rejected goes to the errant record reporter (errors.tolerance / the DLQ) or fails the put.
 */
export class HttpSinkTask implements SinkTask {
  private s!: HttpSettings;
  private ctx!: SinkTaskContext;
  private client!: HttpClient;
  /** records of a put that failed and will be retried with the same array: those already delivered are skipped */
  private retry: { records: readonly ChangeRecord[]; delivered: Set<ChangeRecord> } | undefined;

  async start(config: Config, ctx: SinkTaskContext): Promise<void> {
    this.ctx = ctx;
    try {
      this.s = readHttpSettings(config);
    } catch (err) {
      throw new ConnectError((err as Error).message);
    }
    this.client = new HttpClient(this.s, ctx.signal, ctx.log);
  }

  async put(records: readonly ChangeRecord[]): Promise<void> {
    const delivered = this.retry?.records === records ? this.retry.delivered : new Set<ChangeRecord>();
    this.retry = undefined;
    const units = new Map<string, Encoded[]>();
    for (const record of records) {
      if (delivered.has(record)) continue;
      const u = unitOf(record);
      let list = units.get(u);
      if (!list) {
        list = [];
        units.set(u, list);
      }
      list.push({
        record,
        bytes: encodeRecord(record, this.s.recordFormat, this.ctx.keyConverter, this.ctx.valueConverter),
      });
    }
    const queue = [...units.values()];
    const worker = async () => {
      for (let unit = queue.shift(); unit; unit = queue.shift()) {
        for (const batch of chunk(unit, this.s.batchSize, this.s.batchBytes)) {
          await this.deliver(batch);
          for (const e of batch) delivered.add(e.record);
        }
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(this.s.maxInFlight, units.size) }, worker));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      this.retry = { records, delivered };
      throw (failed as PromiseRejectedResult).reason;
    }
  }

  private async deliver(batch: readonly Encoded[]): Promise<void> {
    const rejected = await this.client.send(
      body(
        batch.map((e) => e.bytes),
        this.s.format,
      ),
      batch.length,
    );
    if (!rejected) return;
    if (batch.length > 1) {
      this.ctx.log.debug(
        { status: rejected.status, records: batch.length },
        'Batch rejected; sending its records one by one',
      );
      for (const e of batch) await this.deliver([e]);
      return;
    }
    const r = batch[0].record;
    const err = new ConnectError(
      `The HTTP endpoint rejected the record (topic ${r.topic}, position ${positionOf(r)}): ${rejected.message}`,
      {
        retriable: false,
        context: { position: positionOf(r), stage: 'TASK_PUT' },
      },
    );
    if (!this.ctx.errantRecordReporter) throw err;
    await this.ctx.errantRecordReporter.report(r, err);
  }

  async flush(): Promise<void> {
    // Every put is delivered before it resolves.
  }

  async stop(): Promise<void> {
    this.retry = undefined;
  }
}
