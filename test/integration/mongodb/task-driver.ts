import type { ChangeRecord, Logger, SourceOffset, SourcePartition } from '../../../runtime/api/index.js';
import { partitionKey } from '../../../runtime/api/index.js';
import { sourceCommonSpec } from '../../../runtime/config/common.js';
import { parseConfig } from '../../../runtime/config/parse.js';
import { mongoConfigSpec } from '../../../connectors/mongodb/config.js';
import { MongoSourceTask } from '../../../connectors/mongodb/task.js';

/** Keeps log lines for failure messages; prints warnings only with SLUICE_TEST_VERBOSE. */
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
 * Drives the MongoDB source task as the runtime does, in-process: poll, keep records, treat every delivered
 * batch as acknowledged and store its last offset in a Map that outlives the task (like the offset file).
 */
export class MongoTaskDriver {
  readonly records: ChangeRecord[] = [];
  readonly log: string[] = [];
  task?: MongoSourceTask;
  private abort?: AbortController;

  constructor(
    private readonly raw: Record<string, string>,
    readonly committed: Map<string, { partition: SourcePartition; offset: SourceOffset }> = new Map(),
  ) {}

  async start(): Promise<void> {
    const { config, issues } = parseConfig([...sourceCommonSpec, ...mongoConfigSpec], { name: 'mongo', ...this.raw });
    if (issues.length) throw new Error(JSON.stringify(issues));
    this.abort = new AbortController();
    this.task = new MongoSourceTask();
    await this.task.start(config, {
      connector: 'mongo',
      taskId: 0,
      signal: this.abort.signal,
      log: testLogger(this.log),
      offsets: { offset: async (p) => this.committed.get(partitionKey(p))?.offset ?? null },
    });
  }

  async pollOnce(commit = true): Promise<ChangeRecord[]> {
    const batch = (await this.task!.poll()) ?? [];
    this.records.push(...batch);
    if (commit && batch.length) {
      const last = batch[batch.length - 1];
      this.committed.set(partitionKey(last.sourcePartition), {
        partition: last.sourcePartition,
        offset: last.sourceOffset,
      });
    }
    return batch;
  }

  async pollUntil(done: (records: ChangeRecord[]) => boolean, timeoutMs = 60_000): Promise<ChangeRecord[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.records)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms with ${this.records.length} records\n${this.log.slice(-20).join('\n')}`,
        );
      }
      await this.pollOnce();
    }
    return this.records;
  }

  /** Polls until nothing arrives for `quietMs`. */
  async drain(quietMs = 1500): Promise<ChangeRecord[]> {
    let last = Date.now();
    while (Date.now() - last < quietMs) {
      const batch = await this.pollOnce();
      if (batch.length) last = Date.now();
    }
    return this.records;
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.task?.stop();
  }
}

export interface MongoEnvelope {
  before: string | null;
  after: string | null;
  updateDescription: { removedFields: string[] | null; updatedFields: string | null; truncatedArrays: unknown } | null;
  source: Record<string, unknown>;
  op: string;
}

/** Non-tombstone values of one topic. */
export function envelopes(records: readonly ChangeRecord[], topic: string): MongoEnvelope[] {
  return records.filter((r) => r.topic === topic && r.value !== null).map((r) => r.value as MongoEnvelope);
}
