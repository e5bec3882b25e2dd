import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import {
  type ChangeRecord,
  type Logger,
  type LogStatus,
  partitionKey,
  type SourceOffset,
  type SourcePartition,
  type SourceTaskContext,
} from '../../../runtime/api/index.js';
import { parseConfig } from '../../../runtime/config/parse.js';
import { mysqlConfigSpec } from '../../../connectors/mysql/config.js';
import { MySqlSourceTask } from '../../../connectors/mysql/task.js';
import type { MariaDb } from '../../harness/mariadb.js';

/**
 * Runs the MySQL source task in-process, without the worker: a memory offset store that keeps the offset of
 * the last record polled (as if every record were acknowledged at once), a quiet logger.
 */
export const quietLog: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return quietLog;
  },
};

const tempDirs: string[] = [];
// History files outlive one driver (a restart reuses them), so they go when the test file is done; this module
// is evaluated once per test file, so the hook lands on that file's root suite.
afterAll(() => {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempHistoryFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-mysql-'));
  tempDirs.push(dir);
  return join(dir, 'history.jsonl');
}

export class TaskDriver {
  readonly offsets = new Map<string, SourceOffset>();
  readonly records: ChangeRecord[] = [];
  /** what the task reported of the binlog (ctx.reportLog) */
  readonly logReports: LogStatus[] = [];
  task = new MySqlSourceTask();
  private abort = new AbortController();
  readonly historyFile: string;

  constructor(
    readonly db: MariaDb,
    readonly extra: Record<string, string> = {},
    historyFile?: string,
  ) {
    this.historyFile = historyFile ?? tempHistoryFile();
  }

  config(): Record<string, string> {
    return {
      'database.hostname': this.db.host,
      'database.port': String(this.db.port),
      'database.user': this.db.user,
      'database.password': this.db.password,
      'database.server.id': '5401',
      'topic.prefix': 'srv',
      'schema.history.internal.file.filename': this.historyFile,
      ...this.extra,
    };
  }

  async start(): Promise<void> {
    const { config, issues } = parseConfig(mysqlConfigSpec, this.config());
    if (issues.length) throw new Error(JSON.stringify(issues));
    this.abort = new AbortController();
    this.task = new MySqlSourceTask();
    const ctx: SourceTaskContext = {
      connector: 'mysql-test',
      taskId: 0,
      signal: this.abort.signal,
      log: quietLog,
      offsets: { offset: async (p: SourcePartition) => this.offsets.get(partitionKey(p)) ?? null },
      reportLog: (status) => this.logReports.push(status),
    };
    await this.task.start(config, ctx);
  }

  /** Polls until `done(records)` or the timeout; records and offsets accumulate. */
  async pollUntil(done: (all: ChangeRecord[]) => boolean, timeoutMs = 60_000): Promise<ChangeRecord[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.records)) {
      if (Date.now() > deadline) throw new Error(`timed out with ${this.records.length} records`);
      const batch = await this.task.poll();
      if (!batch) continue;
      for (const r of batch) {
        this.records.push(r);
        this.offsets.set(partitionKey(r.sourcePartition), r.sourceOffset);
      }
    }
    return this.records;
  }

  /** Polls a fixed number of records at most (for crash simulations). */
  async pollCount(n: number, timeoutMs = 60_000): Promise<void> {
    const target = this.records.length + n;
    const deadline = Date.now() + timeoutMs;
    while (this.records.length < target) {
      if (Date.now() > deadline) throw new Error(`timed out with ${this.records.length} records`);
      const batch = await this.task.poll();
      if (!batch) continue;
      for (const r of batch) {
        if (this.records.length >= target) break;
        this.records.push(r);
        this.offsets.set(partitionKey(r.sourcePartition), r.sourceOffset);
      }
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.task.stop();
  }

  changes(topic?: string): ChangeRecord[] {
    return this.records.filter(
      (r) => r.value !== null && (topic ? r.topic === topic : !r.topic.startsWith('__') && r.topic.includes('.')),
    );
  }
}

export function env(r: ChangeRecord): {
  op: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: Record<string, unknown>;
} {
  return r.value as {
    op: string;
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
    source: Record<string, unknown>;
  };
}

/**
 * Purges every binlog file before the current one. PURGE quietly keeps a file that is still in use (a dump thread
 * of a connector stopped a moment ago that the server has not noticed yet, or transactions not yet checkpointed
 * after FLUSH BINARY LOGS), so this retries until the files are gone.
 */
export async function purgeOldBinlogs(db: MariaDb): Promise<void> {
  const [{ File: current }] = (await db.exec('SHOW MASTER STATUS')) as { File: string }[];
  const deadline = Date.now() + 20_000;
  for (;;) {
    await db.exec(`PURGE BINARY LOGS TO '${current}'`);
    const files = ((await db.exec('SHOW BINARY LOGS')) as { Log_name: string }[]).map((f) => f.Log_name);
    if (files.length === 1 && files[0] === current) return;
    if (Date.now() > deadline) throw new Error(`binlogs not purged: ${files.join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
