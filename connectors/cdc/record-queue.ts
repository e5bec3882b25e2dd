import type { ChangeRecord, ConnectError } from '../../runtime/api/index.js';

/**
 * The hand-off between a CDC source's readers (snapshot, log) and the runtime's poll(), as Debezium's
 * ChangeEventQueue: bounded by `max.queue.size`, drained `max.batch.size` records at a time. A reader that finds it
 * full waits for room; a failure wakes the poll, which throws it.
 */
export class RecordQueue {
  private readonly records: ChangeRecord[] = [];
  private wake?: () => void;
  private failure?: ConnectError;

  constructor(
    private readonly maxQueue: number,
    private readonly maxBatch: number,
    /** tells a reader whether to give up waiting for room (the task stops) */
    private readonly stopped: () => boolean,
  ) {}

  get length(): number {
    return this.records.length;
  }

  get full(): boolean {
    return this.records.length >= this.maxQueue;
  }

  get failed(): ConnectError | undefined {
    return this.failure;
  }

  push(record: ChangeRecord): void {
    this.records.push(record);
    this.notify();
  }

  /** Records the first failure (later ones are its consequences) and wakes the poll; false when one was recorded. */
  fail(err: ConnectError): boolean {
    if (this.failure) return false;
    this.failure = err;
    this.notify();
    return true;
  }

  /** Wakes a waiting poll (data, a failure, the task stopping). */
  notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Resolves when the queue has room (readers wait here). */
  async room(): Promise<void> {
    while (this.full && !this.stopped() && !this.failure) await new Promise((r) => setTimeout(r, 5));
  }

  /** A batch, or null after `waitMs` without data; throws the recorded failure. */
  async poll(waitMs = 500): Promise<ChangeRecord[] | null> {
    if (this.failure) throw this.failure;
    if (this.records.length === 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    if (this.failure) throw this.failure;
    if (this.records.length === 0) return null;
    return this.records.splice(0, this.maxBatch);
  }
}
