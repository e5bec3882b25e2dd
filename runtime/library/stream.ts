import { ConnectError } from '../api/errors.js';
import type { Logger } from '../api/plugins.js';
import type { ChangeRecord, SourceOffset } from '../data/record.js';
import type { Batch, CaptureEvent } from './events.js';
import type { CaptureOptions } from './options.js';
import { toEvent, ValueNormalizer } from './values.js';

/** What capture() returns: an async iterable of batches, and a way to stop it. */
export interface ChangeStream<E> extends AsyncIterable<Batch<E>> {
  /**
   * Stops now: the source stops reading, what was committed stays committed, the database connections close.
   * Batches received and not committed will be delivered again by the next capture() with the same offsets.
   * Iteration then ends. Safe to call more than once.
   */
  close(): Promise<void>;
}

/** The running part, loaded on first use (pipeline.ts): source task runners and their offset store. */
export interface Pipeline {
  readonly log: Logger;
  readonly gracefulMs: number;
  /** commits what every task has acknowledged, after any commit in progress */
  commit(): Promise<void>;
  stop(): Promise<void>;
}

/** How the pipeline reaches the stream. */
export interface PipelineSink {
  /** resolves when the source may poll again (see CaptureStream.deliver) */
  deliver(records: readonly ChangeRecord[], done: (err?: unknown) => void): Promise<void>;
  fail(err: ConnectError): void;
}

interface Pending {
  readonly batch: Batch<CaptureEvent>;
  readonly done: (err?: unknown) => void;
}

type Waiter = { resolve: (r: IteratorResult<Batch<CaptureEvent>>) => void; reject: (err: unknown) => void };

/** How long a consumer may wait for a batch while holding uncommitted ones before it is told why nothing comes. */
const STALL_WARNING_MS = 30_000;

/**
 * The consumer's side of capture(): batches wait here between the source runner's transport and `next()`.
 * A batch is acknowledged to the runner (its offsets may then be committed) only by `commit()` of it or of a later
 * batch; memory stays bounded because the runner stops polling once `max.queue.size` records (or
 * `max.queue.size.in.bytes`) are unacknowledged.
 *
 * The runner also polls only on demand: its send of a batch resolves when the consumer next asks for a batch and
 * none is waiting, as the CLI's send resolves once its sink has written the batch. Reading ahead up to
 * `max.queue.size` instead kept four batches of records and events alive beside the connector's own queue; they
 * lived long enough to be promoted to V8's old generation: draining 200k PostgreSQL changes peaked at 283 MiB RSS
 * instead of 227 MiB with V8's default flags, 194 instead of 153–160 MiB with the CLI's (docs/FACTS.md).
 */
export class CaptureStream implements ChangeStream<CaptureEvent>, PipelineSink {
  private readonly normalizer: ValueNormalizer;
  private starting: Promise<void> | undefined;
  private pipeline: Pipeline | undefined;
  /** received from the runner, not yet handed to the consumer */
  private queue: Pending[] = [];
  /** handed to the consumer, not yet committed, in the order handed */
  private delivered: Pending[] = [];
  private waiters: Waiter[] = [];
  /** source runners waiting for the consumer to ask for more before they poll again */
  private senders: Array<() => void> = [];
  private failure: unknown;
  private closing: Promise<void> | undefined;
  /** the signal aborted: the consumer's next call to next() ends the iteration */
  private draining = false;

  constructor(
    private readonly options: CaptureOptions,
    private readonly load: (o: CaptureOptions, sink: PipelineSink) => Promise<Pipeline>,
  ) {
    this.normalizer = new ValueNormalizer({ dates: options.dates === true });
    const signal = options.signal;
    if (signal?.aborted) void this.close();
    else signal?.addEventListener('abort', () => this.drain(), { once: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<Batch<CaptureEvent>> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  private start(): Promise<void> {
    this.starting ??= this.load(this.options, this).then(
      (p) => {
        // close() waits for this start, then stops what it started.
        this.pipeline = p;
      },
      (err) => {
        this.failure ??= err;
        this.closing ??= Promise.resolve();
      },
    );
    return this.starting;
  }

  async next(): Promise<IteratorResult<Batch<CaptureEvent>>> {
    if (!this.closing && !this.draining) await this.start();
    if (this.failure !== undefined) {
      await this.closing;
      throw this.failure;
    }
    if (this.draining || this.closing) {
      await this.close();
      return { done: true, value: undefined };
    }
    const p = this.queue.shift();
    if (p) {
      this.delivered.push(p);
      return { done: false, value: p.batch };
    }
    this.wakeSenders();
    return new Promise((resolve, reject) => {
      let stall: NodeJS.Timeout | undefined;
      if (this.delivered.length > 0) {
        stall = setTimeout(() => {
          this.pipeline?.log.warn(
            { uncommittedBatches: this.delivered.length },
            'capture(): waiting for changes while earlier batches are not committed; the source waits for commit() once max.queue.size records are uncommitted',
          );
        }, STALL_WARNING_MS);
        stall.unref();
      }
      this.waiters.push({
        resolve: (r) => {
          clearTimeout(stall);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(stall);
          reject(e);
        },
      });
    });
  }

  private wakeSenders(): void {
    for (const s of this.senders.splice(0)) s();
  }

  /**
   * PipelineSink: a batch from a source runner (after transforms). Resolves when the runner may poll again: at the
   * consumer's next `next()` that finds nothing waiting, or at close.
   */
  deliver(records: readonly ChangeRecord[], done: (err?: unknown) => void): Promise<void> {
    if (this.closing || this.failure !== undefined) {
      done(new ConnectError('capture() is closed', { retriable: true }));
      return Promise.resolve();
    }
    // Every record a transform dropped: nothing to show, and its offsets commit with the batches before it.
    if (records.length === 0) {
      done();
      return Promise.resolve();
    }
    const events = records.map((r) => toEvent(r, this.normalizer));
    const position: SourceOffset = records[records.length - 1].sourceOffset;
    const pending: Pending = {
      done,
      batch: { events, position, commit: () => this.commit(pending) },
    };
    const w = this.waiters.shift();
    if (w) {
      this.delivered.push(pending);
      w.resolve({ done: false, value: pending.batch });
    } else {
      this.queue.push(pending);
    }
    return new Promise((resolve) => this.senders.push(resolve));
  }

  /** PipelineSink: a task failed (after its retries); the consumer gets the error from next(). */
  fail(err: ConnectError): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    const waiting = this.waiters.splice(0);
    const closing = this.close();
    for (const w of waiting) void closing.then(() => w.reject(err));
  }

  private async commit(p: Pending): Promise<void> {
    if (this.closing) {
      throw new ConnectError(
        'capture() was closed before this commit(): the batch is not committed and will be delivered again',
      );
    }
    const i = this.delivered.indexOf(p);
    // Not found: committed already, by its own commit() or a later batch's; committing again is harmless and
    // waits for that commit to be durable.
    if (i >= 0) for (const d of this.delivered.splice(0, i + 1)) d.done();
    await (this.pipeline as Pipeline).commit();
  }

  /** The signal aborted: finish the batch in hand (and its commit), then stop at the next next() call. */
  private drain(): void {
    if (this.closing) return;
    this.draining = true;
    for (const w of this.waiters.splice(0)) void this.close().then(() => w.resolve({ done: true, value: undefined }));
    // A consumer that does not come back still lets the capture stop.
    const gracefulMs = this.pipeline?.gracefulMs ?? 5000;
    setTimeout(() => void this.close(), gracefulMs).unref();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const w of this.waiters.splice(0)) w.resolve({ done: true, value: undefined });
      this.queue = [];
      this.wakeSenders();
      await this.starting;
      await this.pipeline?.stop();
      this.delivered = [];
    })();
    return this.closing;
  }
}
