import type { ChangeRecord, Logger, SourceOffset, SourcePartition } from '../../../runtime/api/index.js';
import { partitionKey } from '../../../runtime/api/index.js';
import { sourceCommonSpec } from '../../../runtime/config/common.js';
import { parseConfig } from '../../../runtime/config/parse.js';
import { postgresConfigSpec } from '../../../connectors/postgres/config.js';
import { PostgresSourceTask } from '../../../connectors/postgres/task.js';

/** Logs warnings and errors only, so test output stays readable; kept lines are inspectable. */
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

/**
 * Runs the PostgreSQL source task the way the runtime does, without the runtime: poll, "deliver" into an array,
 * make offsets durable (a Map that survives the task, like the offset file), then call commit().
 */
export class TaskDriver {
  readonly records: ChangeRecord[] = [];
  readonly log: string[] = [];
  task?: PostgresSourceTask;
  private abort?: AbortController;

  constructor(
    private readonly raw: Record<string, string>,
    /** committed offsets, shared across restarts of the driver */
    readonly committed: Map<string, { partition: SourcePartition; offset: SourceOffset }> = new Map(),
  ) {}

  async start(): Promise<void> {
    const { config, issues } = parseConfig([...sourceCommonSpec, ...postgresConfigSpec], { name: 'pg', ...this.raw });
    if (issues.length) throw new Error(JSON.stringify(issues));
    this.abort = new AbortController();
    this.task = new PostgresSourceTask();
    await this.task.start(config, {
      connector: 'pg',
      taskId: 0,
      signal: this.abort.signal,
      log: testLogger(this.log),
      offsets: { offset: async (p) => this.committed.get(partitionKey(p))?.offset ?? null },
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
    this.committed.set(key, { partition: record.sourcePartition, offset: record.sourceOffset });
    await this.task!.commit(new Map([[key, { partition: record.sourcePartition, offset: record.sourceOffset }]]));
  }

  /** Polls until `done(records)` holds or the timeout passes (then throws with what was seen). */
  async pollUntil(
    done: (records: ChangeRecord[]) => boolean,
    timeoutMs = 60_000,
    commit = true,
  ): Promise<ChangeRecord[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.records)) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms with ${this.records.length} records`);
      await this.pollOnce(commit);
    }
    return this.records;
  }

  /** Polls for a quiet period and returns what arrived. */
  async drain(quietMs = 1500, commit = true): Promise<ChangeRecord[]> {
    let last = Date.now();
    while (Date.now() - last < quietMs) {
      const batch = await this.pollOnce(commit);
      if (batch.length) last = Date.now();
    }
    return this.records;
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.task?.stop();
  }
}

/** Records of one table topic, tombstones excluded. */
export function changes(records: readonly ChangeRecord[], topic: string): Array<Record<string, unknown>> {
  return records.filter((r) => r.topic === topic && r.value !== null).map((r) => r.value as Record<string, unknown>);
}
