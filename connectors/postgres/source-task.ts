import {
  type ChangeRecord,
  type Config,
  ConnectError,
  type Signal,
  type SignalAnswer,
  type SourceOffset,
  type SourcePartition,
  type SourceTask,
  type SourceTaskContext,
} from '../../runtime/api/index.js';
import type { PgOffset } from './offsets.js';
import { PostgresSession } from './task.js';

type Committed = ReadonlyMap<string, { partition: SourcePartition; offset: SourceOffset }>;

/**
 * The PostgreSQL source task. A retriable failure (a lost connection, the slot still held by a previous run)
 * ends its session; the runtime retries the poll with backoff, and the next poll opens a new session that
 * streams on after the last record this task handed out, while the slot keeps the last committed position.
 */
export class PostgresSourceTask implements SourceTask {
  private config!: Config;
  private ctx!: SourceTaskContext;
  private session?: PostgresSession;
  /** offset of the last record handed to the runtime */
  private polled?: PgOffset;
  /** the last offset the runtime committed, once it committed one */
  private committed?: { partition: SourcePartition; offset: SourceOffset };
  private stopped = false;

  async start(config: Config, ctx: SourceTaskContext): Promise<void> {
    this.config = config;
    this.ctx = ctx;
    await this.open();
  }

  private async open(): Promise<void> {
    const session = new PostgresSession();
    const committed = this.committed;
    // The runtime's offset reader gives what was committed when the task started; later commits came through
    // commit() and are newer.
    const ctx: SourceTaskContext = committed
      ? { ...this.ctx, offsets: { offset: async () => committed.offset } }
      : this.ctx;
    try {
      await session.start(this.config, ctx, this.polled);
    } catch (err) {
      await session.stop(false);
      throw err;
    }
    // The runtime stops a task whose poll outlived the graceful timeout: a session opened after that must not live on.
    if (this.stopped) {
      await session.stop();
      return;
    }
    this.session = session;
    this.ctx.reportConnected?.(true);
  }

  async poll(): Promise<ChangeRecord[] | null> {
    if (this.ctx.signal.aborted || this.stopped) return null;
    if (!this.session) {
      this.ctx.log.info('reconnecting after a retriable failure');
      await this.open();
    }
    if (!this.session) return null;
    try {
      const batch = await this.session.poll();
      if (batch && batch.length > 0) this.polled = batch[batch.length - 1].sourceOffset as unknown as PgOffset;
      return batch;
    } catch (err) {
      if (err instanceof ConnectError && err.retriable) {
        const failed = this.session;
        this.session = undefined;
        this.ctx.reportConnected?.(false);
        await failed?.stop(false);
      }
      throw err;
    }
  }

  async signal(signal: Signal, channel = 'rest'): Promise<SignalAnswer> {
    if (!this.session)
      return { accepted: false, reason: 'the task is reconnecting after a failure; send the signal again shortly' };
    return this.session.signal(signal, channel);
  }

  async commit(committed: Committed): Promise<void> {
    for (const entry of committed.values()) this.committed = entry;
    await this.session?.commit(committed);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.session?.stop();
  }
}
