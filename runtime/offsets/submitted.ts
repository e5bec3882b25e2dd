import { type ChangeRecord, partitionKey, type SourceOffset, type SourcePartition } from '../api/index.js';

export interface PartitionOffset {
  readonly partition: SourcePartition;
  readonly offset: SourceOffset;
}

export interface SubmittedBatch {
  readonly records: number;
  readonly bytes: number;
  /** last offset per source partition within the batch */
  readonly offsets: ReadonlyMap<string, PartitionOffset>;
  acked: boolean;
}

/**
 * Tracks batches from poll to acknowledgement and yields only the acknowledged prefix, per Kafka Connect's
 * SubmittedRecords: a batch acked out of order waits for every batch before it. Batches, not records, are the
 * unit, because a poll's records are delivered and acknowledged together.
 */
export class SubmittedBatches {
  private readonly queue: SubmittedBatch[] = [];
  private head = 0;
  private pending = new Map<string, PartitionOffset>();
  private waiters: Array<() => void> = [];
  inFlightRecords = 0;
  inFlightBytes = 0;

  submit(records: readonly ChangeRecord[], bytes: number): SubmittedBatch {
    const offsets = new Map<string, PartitionOffset>();
    let lastPartition: ChangeRecord['sourcePartition'] | undefined;
    let lastKey = '';
    for (const r of records) {
      // Most batches hold one partition; skip re-serializing the same partition object.
      if (r.sourcePartition !== lastPartition) {
        lastPartition = r.sourcePartition;
        lastKey = partitionKey(r.sourcePartition);
      }
      offsets.set(lastKey, { partition: r.sourcePartition, offset: r.sourceOffset });
    }
    const batch: SubmittedBatch = { records: records.length, bytes, offsets, acked: false };
    this.queue.push(batch);
    this.inFlightRecords += batch.records;
    this.inFlightBytes += batch.bytes;
    return batch;
  }

  ack(batch: SubmittedBatch): void {
    if (batch.acked) return;
    batch.acked = true;
    while (this.head < this.queue.length && this.queue[this.head].acked) {
      const b = this.queue[this.head++];
      for (const [k, v] of b.offsets) this.pending.set(k, v);
      this.inFlightRecords -= b.records;
      this.inFlightBytes -= b.bytes;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  get unacked(): number {
    return this.queue.length - this.head;
  }

  /** Offsets of the acknowledged prefix not yet handed out; the caller commits them. */
  takeCommittable(): Map<string, PartitionOffset> {
    const out = this.pending;
    this.pending = new Map();
    return out;
  }

  /** Puts back offsets whose commit failed, unless a newer offset for the partition arrived meanwhile. */
  restore(offsets: ReadonlyMap<string, PartitionOffset>): void {
    for (const [k, v] of offsets) if (!this.pending.has(k)) this.pending.set(k, v);
  }

  /** Resolves at the next acknowledgement (or after `ms`). */
  waitForAck(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
