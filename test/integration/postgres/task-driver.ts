import type { ChangeRecord } from '../../../runtime/api/index.js';
import { postgresConfigSpec } from '../../../connectors/postgres/config.js';
import { PostgresSourceTask } from '../../../connectors/postgres/source-task.js';
import { type CommittedOffsets, SourceTaskDriver } from '../../harness/task-driver.js';

export { testLogger } from '../../harness/task-driver.js';

/** The buffers of the task's current session, for tests that look into them. */
export function buffers(d: TaskDriver): { queue: unknown[]; inbox: unknown[]; inboxHead: number } {
  return (d.task as unknown as { session: { queue: unknown[]; inbox: unknown[]; inboxHead: number } }).session;
}

/** The PostgreSQL source task driven as the runtime drives it (see SourceTaskDriver). */
export class TaskDriver extends SourceTaskDriver<PostgresSourceTask> {
  constructor(raw: Record<string, string>, committed: CommittedOffsets = new Map()) {
    super({ connector: 'pg', spec: postgresConfigSpec, createTask: () => new PostgresSourceTask() }, raw, committed);
  }
}

/** Records of one table topic, tombstones excluded. */
export function changes(records: readonly ChangeRecord[], topic: string): Array<Record<string, unknown>> {
  return records.filter((r) => r.topic === topic && r.value !== null).map((r) => r.value as Record<string, unknown>);
}
