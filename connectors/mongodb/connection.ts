import { MongoClient } from 'mongodb';
import { ConnectError, type ErrorContext, type SourceTaskContext } from '../../runtime/api/index.js';
import type { MongoSourceConfig } from './config.js';
import { classifyMongoError, hostsOf } from './errors.js';

/**
 * The task's MongoDB client and what the driver tells of the server: `Connected` in status follows the driver's
 * monitor (and the last poll's outcome), and a read in flight is ended at once when the monitor loses the server.
 */
export class MongoConnection {
  private current: MongoClient | undefined;
  /** what was last reported through reportConnected */
  private connected = false;
  /** the driver's monitor sees a usable server */
  private topologyUp = true;
  /** the last poll failed with a retriable error, and none succeeded since */
  private failing = false;
  /** ends the read in flight (see interruptible) */
  private interrupt: ((err: ConnectError) => void) | undefined;

  constructor(
    private readonly cfg: MongoSourceConfig,
    private readonly ctx: SourceTaskContext,
    /** the error context of a failure now (the position handed out so far) */
    private readonly errorContext: () => ErrorContext,
  ) {}

  get client(): MongoClient | undefined {
    return this.current;
  }

  /**
   * A new client, connected; the previous one (if any) is closed in the background. A new one each time: after the
   * server came back, an old client was seen failing every attempt on a connection it had already lost
   * ("connection 3 … closed", again and again, against mongo-java-server).
   */
  async open(): Promise<MongoClient> {
    const stale = this.current;
    const client = this.newClient();
    void closeWithin(stale?.close());
    try {
      await client.connect();
    } catch (err) {
      throw classifyMongoError(err, this.errorContext(), hostsOf(this.cfg.connectionString));
    }
    return client;
  }

  /** A client (not yet connected: the driver connects on its first operation) whose topology events we follow. */
  private newClient(): MongoClient {
    const cfg = this.cfg;
    const client = new MongoClient(cfg.connectionString, {
      serverSelectionTimeoutMS: cfg.serverSelectionTimeoutMs,
      connectTimeoutMS: cfg.connectTimeoutMs,
      appName: `sluice-${this.ctx.connector}`,
    });
    this.current = client;
    // The driver's own view of the server (its monitor notices a lost server within heartbeatFrequencyMS) is what
    // Connected shows. A read in flight when the server goes away can wait for the driver long after its monitor
    // knows (seen: 10 s and more with mongo-java-server): it is interrupted, and the stream resumes after what was
    // handed out.
    client.on('topologyDescriptionChanged', (ev) => {
      if (this.current !== client) return;
      const up = ev.newDescription.hasDataBearingServers;
      this.topologyUp = up;
      this.show();
      if (!up) {
        const why = [...ev.newDescription.servers.values()].map((d) => d.error?.message).find((m) => m);
        this.interrupt?.(
          new ConnectError(
            `MongoDB at ${hostsOf(cfg.connectionString)} became unreachable${why ? ` (${why})` : ''}; will be retried`,
            { retriable: true, context: this.errorContext() },
          ),
        );
      }
    });
    return client;
  }

  /** A read that the driver's monitor losing the server ends at once, with a retriable error. */
  interruptible<T>(read: Promise<T>): Promise<T> {
    read.catch(() => undefined);
    const interrupted = new Promise<never>((_, reject) => {
      this.interrupt = reject;
    });
    return Promise.race([read, interrupted]).finally(() => {
      this.interrupt = undefined;
    });
  }

  /** The outcome of a poll: a retriable failure shows the task disconnected until a poll succeeds again. */
  pollFailed(failing: boolean): void {
    if (failing === this.failing) return;
    this.failing = failing;
    this.show();
  }

  /** Connected: the driver sees the server and the stream is not failing. */
  show(): void {
    const connected = this.topologyUp && !this.failing;
    if (connected === this.connected) return;
    this.connected = connected;
    this.ctx.reportConnected?.(connected);
  }

  /** The replica set name for the partition: `setName`, `sharded` behind mongos, else `standalone`. */
  async replicaSetName(): Promise<string> {
    try {
      // isMaster, not hello: mongo-java-server does not know `hello`.
      const hello = await this.current!.db('admin').command({ isMaster: 1 });
      if (typeof hello.setName === 'string') return hello.setName;
      if (hello.msg === 'isdbgrid') return 'sharded';
      return 'standalone';
    } catch (err) {
      throw classifyMongoError(err, this.errorContext(), hostsOf(this.cfg.connectionString));
    }
  }

  async close(): Promise<void> {
    const client = this.current;
    this.current = undefined;
    await closeWithin(client?.close());
  }
}

/**
 * Closing a cursor or client talks to the server (killCursors, endSessions); with the server gone that can wait as
 * long as the driver lets it. Errors are ignored, and the wait is bounded: the driver finishes in the background.
 */
export async function closeWithin(closing: Promise<unknown> | undefined, ms = 3000): Promise<void> {
  if (!closing) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    closing.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** Waits `ms`, or less when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
