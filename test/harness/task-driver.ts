import type {
  ChangeRecord,
  ConfigSpec,
  Logger,
  LogStatus,
  SourceOffset,
  SourcePartition,
  SourceTask,
  SourceTaskContext,
} from '../../runtime/api/index.js';
import { ConnectError, partitionKey } from '../../runtime/api/index.js';
import { sourceCommonSpec } from '../../runtime/config/common.js';
import { parseConfig } from '../../runtime/config/parse.js';

/** Keeps log lines for failure messages; prints warnings and errors only with SLUICE_TEST_VERBOSE. */
export function testLogger(lines: string[] = []): Logger {
  const log = (level: string) => (obj: object | string, msg?: string) => {
    const text = `${level} ${typeof obj === 'string' ? obj : `${msg ?? ''} ${JSON.stringify(obj, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`}`;
    lines.push(text);
    if ((level === 'warn' || level === 'error') && process.env.SLUICE_TEST_VERBOSE) console.log(text);
  };
  const logger: Logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
  };
  return logger;
}

export type CommittedOffsets = Map<string, { partition: SourcePartition; offset: SourceOffset }>;

/**
 * Runs a source task the way the runtime does, without the runtime: poll, "deliver" into an array, make offsets
 * durable (a Map that outlives the task, like the offset file), then call the task's commit() if it has one.
 */
export class SourceTaskDriver<T extends SourceTask> {
  readonly records: ChangeRecord[] = [];
  readonly log: string[] = [];
  /** what the task reported of its database's log (ctx.reportLog), and its lag (ctx.reportLag) */
  readonly logReports: LogStatus[] = [];
  readonly lags: number[] = [];
  task?: T;
  private abort?: AbortController;

  constructor(
    private readonly plugin: { connector: string; spec: ConfigSpec; createTask: () => T },
    private readonly raw: Record<string, string>,
    /** committed offsets, shared across restarts of the driver */
    readonly committed: CommittedOffsets = new Map(),
    /** what the runtime would add to the task's context (e.g. a value encoding) */
    private readonly extra: Pick<SourceTaskContext, 'valueEncoding'> = {},
  ) {}

  async start(): Promise<void> {
    const { connector, spec, createTask } = this.plugin;
    const { config, issues } = parseConfig([...sourceCommonSpec, ...spec], { name: connector, ...this.raw });
    if (issues.length) throw new Error(JSON.stringify(issues));
    this.abort = new AbortController();
    this.task = createTask();
    await this.task.start(config, {
      connector,
      taskId: 0,
      signal: this.abort.signal,
      log: testLogger(this.log),
      offsets: { offset: async (p) => this.committed.get(partitionKey(p))?.offset ?? null },
      reportLog: (status) => this.logReports.push(status),
      reportLag: (ms) => this.lags.push(ms),
      ...this.extra,
    });
  }

  /** One poll; delivered records are committed at once unless `commit` is false. */
  async pollOnce(commit = true): Promise<ChangeRecord[]> {
    const batch = (await this.task!.poll()) ?? [];
    this.records.push(...batch);
    if (commit && batch.length) await this.commitUpTo(batch[batch.length - 1]);
    return batch;
  }

  async commitUpTo(record: ChangeRecord): Promise<void> {
    const key = partitionKey(record.sourcePartition);
    const entry = { partition: record.sourcePartition, offset: record.sourceOffset };
    this.committed.set(key, entry);
    await this.task!.commit?.(new Map([[key, entry]]));
  }

  /** Polls until `done(records)` holds or the timeout passes (then throws with what was seen and logged). */
  async pollUntil(
    done: (records: ChangeRecord[]) => boolean,
    timeoutMs = 60_000,
    commit = true,
  ): Promise<ChangeRecord[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.records)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms with ${this.records.length} records\n${this.log.slice(-20).join('\n')}`,
        );
      }
      await this.pollOnce(commit);
    }
    return this.records;
  }

  /** Polls until nothing arrives for `quietMs`. */
  async drain(quietMs = 1500, commit = true): Promise<ChangeRecord[]> {
    let last = Date.now();
    while (Date.now() - last < quietMs) {
      const batch = await this.pollOnce(commit);
      if (batch.length) last = Date.now();
    }
    return this.records;
  }

  /**
   * The error the task ends with: from start(), or (for what fails while streaming) from a poll within
   * `withinMs`. Throws when the task runs that long without failing. The task is stopped either way.
   */
  async failure(withinMs: number): Promise<ConnectError> {
    try {
      await this.start();
      await this.pollUntil(() => false, withinMs);
    } catch (err) {
      if (!(err instanceof ConnectError)) throw err;
      return err;
    } finally {
      await this.stop();
    }
    throw new Error('expected the task to fail');
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.task?.stop();
  }
}

/** Resolves as `work` does, or rejects with `what` once `ms` pass first (a stop that must not wait for anything). */
export async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
