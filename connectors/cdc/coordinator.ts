import type { Logger } from '../../runtime/api/index.js';
import type { Signal, SignalAnswer } from './signals.js';

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
 * Debezium's ChangeEventSourceCoordinator, cut to what sluice needs: runs the snapshot source, then the streaming
 * source; owns the periodic work of a run (heartbeats, status updates, log reports) so that it all ends with the
 * run; and routes signals from every channel (the source table, REST) to the part that handles them.
 */
export class ChangeEventCoordinator {
  private readonly timers: NodeJS.Timeout[] = [];
  private handler?: SignalHandler;
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

  /** A signal from a channel: answered with what was done, or refused with the reason (never a task failure). */
  async signal(signal: Signal, channel: string): Promise<SignalAnswer> {
    if (!this.handler || this.stopped)
      return { accepted: false, reason: 'the source is not running (starting, stopped or failed): signal not taken' };
    try {
      return await this.handler(signal, channel);
    } catch (err) {
      this.log.warn({ signal: signal.id, type: signal.type, channel, err: (err as Error).message }, 'signal refused');
      return { accepted: false, reason: (err as Error).message };
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }
}
