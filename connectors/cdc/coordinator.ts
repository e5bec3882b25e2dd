import type { Logger } from '../../runtime/api/index.js';
import type { SnapshotCollection } from './incremental.js';
import { type Signal, type SignalAnswer, SignalError, type SnapshotRequest, snapshotRequest } from './signals.js';

/**
 * What a CDC connector hands the coordinator for one run. The connector supplies only its own parts: how to read
 * the initial snapshot and how to read the log; the coordinator decides the order and owns the timers and signals.
 */
export interface SourcePlan {
  /** the initial snapshot, when one is needed */
  snapshot?: () => Promise<void>;
  /**
   * true when the snapshot runs inside the stream (PostgreSQL's catch-up handover: the stream first reaches the
   * snapshot's point, then the snapshot is read, then the stream goes on): the coordinator then only starts the
   * stream, which calls the snapshot itself.
   */
  snapshotInStream?: boolean;
  /** reading the log; absent when there is nothing to stream (snapshot.mode=initial_only) */
  stream?: () => Promise<void>;
}

/** Receives signals (execute-snapshot, stop-snapshot, …) while the source runs. */
export type SignalHandler = (signal: Signal, channel: string) => Promise<SignalAnswer>;

/**
 * A connector's part of a blocking ad-hoc snapshot (`execute-snapshot` with `"type": "blocking"`, Debezium's
 * BlockingSnapshot): `run` stops the stream at a point between transactions, reads the collections as the initial
 * snapshot reads tables (`op: "r"`, the initial snapshot's `source.snapshot` markers), and lets the stream go on
 * from where it stopped; it resolves once the stream has resumed.
 */
export interface BlockingSnapshotSource {
  /** The captured collections a request names, conditions checked; throws SignalError with the reason. */
  resolve(signalId: string, req: SnapshotRequest): Promise<SnapshotCollection[]>;
  run(signalId: string, collections: SnapshotCollection[]): Promise<void>;
}

/**
 * Debezium's ChangeEventSourceCoordinator, cut to what sluice needs: runs the snapshot source, then the streaming
 * source; owns the periodic work of a run (heartbeats, status updates, log reports) so that it all ends with the
 * run; and routes signals from every channel (the source table, REST) to the part that handles them.
 */
export class ChangeEventCoordinator {
  private readonly timers: NodeJS.Timeout[] = [];
  private handler?: SignalHandler;
  private blocking?: { source: BlockingSnapshotSource; fail: (err: unknown) => void };
  /** the blocking snapshot running now (its signal's id) */
  private blockingId?: string;
  private stopped = false;

  constructor(private readonly log: Logger) {}

  /** Runs the plan; rejects with the first failure of its parts. */
  async run(plan: SourcePlan): Promise<void> {
    if (plan.snapshot && !plan.snapshotInStream) {
      await plan.snapshot();
      if (this.stopped) return;
    }
    if (plan.stream) await plan.stream();
  }

  /** Periodic work of this run, cleared when it stops. */
  every(ms: number, fn: () => void): void {
    if (this.stopped) return;
    this.timers.push(setInterval(fn, ms));
  }

  /** A timer that ends itself: `fn` returns false once it has nothing more to do. */
  until(ms: number, fn: () => boolean): void {
    if (this.stopped) return;
    const t = setInterval(() => {
      if (!fn()) clearInterval(t);
    }, ms);
    this.timers.push(t);
  }

  /** The part of the source that handles signals (the streaming source: signals are ordered with the log). */
  onSignal(handler: SignalHandler): void {
    this.handler = handler;
  }

  /** The connector's blocking snapshots; a failure while one runs fails the task (`fail`), as in Debezium. */
  onBlockingSnapshot(source: BlockingSnapshotSource, fail: (err: unknown) => void): void {
    this.blocking = { source, fail };
  }

  /** The blocking snapshot running now, if any (its signal's id). */
  get blockingSnapshot(): string | undefined {
    return this.blockingId;
  }

  /** A signal from a channel: answered with what was done, or refused with the reason (never a task failure). */
  async signal(signal: Signal, channel: string): Promise<SignalAnswer> {
    if (!this.handler || this.stopped)
      return { accepted: false, reason: 'the source is not running (starting, stopped or failed): signal not taken' };
    try {
      if (signal.type === 'execute-snapshot' && this.blocking) {
        const req = snapshotRequest(signal);
        if (req.kind === 'blocking') return await this.startBlocking(signal, req, channel);
      }
      return await this.handler(signal, channel);
    } catch (err) {
      // Not logged here: the channel that took the signal logs its answer, once (signal-channels.ts, the source
      // channels, the herder for REST).
      return { accepted: false, reason: (err as Error).message };
    }
  }

  /** Checks the request, then runs the snapshot in the background: the answer does not wait for its rows. */
  private async startBlocking(signal: Signal, req: SnapshotRequest, channel: string): Promise<SignalAnswer> {
    const b = this.blocking!;
    if (this.blockingId !== undefined)
      throw new SignalError(`signal ${signal.id}: blocking snapshot ${this.blockingId} is still running`);
    const collections = await b.source.resolve(signal.id, req);
    if (this.blockingId !== undefined)
      throw new SignalError(`signal ${signal.id}: blocking snapshot ${this.blockingId} is still running`);
    this.blockingId = signal.id;
    this.log.info(
      { signal: signal.id, channel, collections: collections.map((c) => c.id) },
      'blocking snapshot requested: the stream stops at the next transaction boundary',
    );
    void b.source
      .run(signal.id, collections)
      .then(() => this.log.info({ signal: signal.id }, 'blocking snapshot complete; streaming resumed'))
      .catch((err) => {
        if (!this.stopped) b.fail(err);
      })
      .finally(() => {
        this.blockingId = undefined;
      });
    return { accepted: true, snapshotId: signal.id };
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }
}
