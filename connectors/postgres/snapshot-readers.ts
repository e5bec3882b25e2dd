import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { siblingModule, startThread } from '../../runtime/threads/spawn.js';
import type { FromReader, ReaderThreadData, ThreadFailure, ToReader } from './snapshot-protocol.js';

/** A PostgreSQL error as the thread reported it: the fields `explain` (errors.ts) reads. */
function threadError(f: ThreadFailure): Error {
  return Object.assign(new Error(f.message), {
    code: f.code,
    severity: f.severity,
    detail: f.detail,
    hint: f.hint,
  });
}

/**
 * Each thread's V8 heap, capped: a thread holds two fetches of raw rows and two batches per reader at most, and
 * without a cap every isolate grows its heap as if it had the process to itself.
 */
const THREAD_HEAP = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16 };

/**
 * The task's side of the snapshot's reader threads (snapshot-thread.ts). `readers` connections are spread over
 * one thread fewer than the machine has cores (at least one, at most one per reader): the task's thread keeps a core
 * for the records, and a thread hosts several connections as easily as one (their waits are I/O), so four readers on
 * two cores are one thread, not four isolates competing for the same core.
 */
export class SnapshotReaders {
  private readonly workers: Worker[] = [];
  private readonly inboxes: FromReader[][] = [];
  private readonly wakes: Array<(() => void) | undefined> = [];
  private readonly threadOf: number[] = [];
  private failure?: Error;
  private done = false;

  constructor(data: Omit<ReaderThreadData, 'readers'>, readers: number, name: string) {
    const threads = Math.max(1, Math.min(readers, availableParallelism() - 1));
    for (let t = 0; t < threads; t++) {
      const hosted: number[] = [];
      for (let n = t; n < readers; n += threads) {
        hosted.push(n);
        this.threadOf[n] = t;
      }
      const worker = startThread(
        siblingModule(import.meta.url, 'snapshot-thread'),
        { ...data, readers: hosted } satisfies ReaderThreadData,
        `${name}-${t}`,
        THREAD_HEAP,
      );
      worker.on('message', (m: FromReader) => {
        if (m.type === 'error') this.fail(threadError(m.error));
        else {
          this.inboxes[m.reader].push(m);
          this.notify(m.reader);
        }
      });
      worker.on('error', (err) => {
        this.fail(
          (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new Error(
                `snapshot reader thread ${name}-${t} ran out of memory (its heap is capped at ${THREAD_HEAP.maxOldGenerationSizeMb} MiB): rows of this size need a smaller snapshot.fetch.size`,
                { cause: err },
              )
            : err,
        );
      });
      worker.on('exit', (code) => {
        if (!this.done) this.fail(new Error(`snapshot reader thread ${name}-${t} exited (code ${code})`));
      });
      this.workers.push(worker);
    }
    for (let n = 0; n < readers; n++) this.inboxes.push([]);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (let n = 0; n < this.inboxes.length; n++) this.notify(n);
  }

  private notify(reader: number): void {
    const w = this.wakes[reader];
    this.wakes[reader] = undefined;
    w?.();
  }

  send(m: ToReader): void {
    this.workers[this.threadOf[m.reader]].postMessage(m);
  }

  /** Reader `n`'s next message; throws a thread's failure (a failure wins over messages not yet taken). */
  async receive(n: number): Promise<FromReader> {
    for (;;) {
      if (this.failure) throw this.failure;
      const m = this.inboxes[n].shift();
      if (m) return m;
      await new Promise<void>((r) => (this.wakes[n] = r));
    }
  }

  /** Commits every reader's transaction and closes its connection. */
  async commit(): Promise<void> {
    await Promise.all(
      this.inboxes.map(async (_, n) => {
        this.send({ type: 'commit', reader: n });
        for (;;) if ((await this.receive(n)).type === 'committed') return;
      }),
    );
  }

  /** Ends the threads (and with them the connections still open). */
  async stop(): Promise<void> {
    this.done = true;
    await Promise.all(this.workers.map((w) => w.terminate().catch(() => undefined)));
  }
}
