import type { ChangeRecord } from '../../../runtime/api/index.js';
import { mongoConfigSpec } from '../../../connectors/mongodb/config.js';
import { MongoSourceTask } from '../../../connectors/mongodb/task.js';
import { type CommittedOffsets, SourceTaskDriver } from '../../harness/task-driver.js';

export { testLogger } from '../../harness/task-driver.js';

/** The MongoDB source task driven as the runtime drives it (see SourceTaskDriver; it has no commit()). */
export class MongoTaskDriver extends SourceTaskDriver<MongoSourceTask> {
  constructor(raw: Record<string, string>, committed: CommittedOffsets = new Map()) {
    super({ connector: 'mongo', spec: mongoConfigSpec, createTask: () => new MongoSourceTask() }, raw, committed);
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
