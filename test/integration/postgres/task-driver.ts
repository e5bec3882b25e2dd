import type { ChangeRecord, SourceTaskContext } from '../../../runtime/api/index.js';
import { postgresConfigSpec } from '../../../connectors/postgres/config.js';
import { ReplicationConnection } from '../../../connectors/postgres/replication.js';
import { PostgresSourceTask } from '../../../connectors/postgres/source-task.js';
import { type CommittedOffsets, SourceTaskDriver } from '../../harness/task-driver.js';

export { testLogger } from '../../harness/task-driver.js';

/** The buffers of the task's current session, for tests that look into them. */
export function buffers(d: TaskDriver): { queue: unknown[]; inbox: unknown[]; inboxHead: number } {
  return (d.task as unknown as { session: { queue: unknown[]; inbox: unknown[]; inboxHead: number } }).session;
}

/** The PostgreSQL source task driven as the runtime drives it (see SourceTaskDriver). */
export class TaskDriver extends SourceTaskDriver<PostgresSourceTask> {
  /** `connector`: the connector name (its sessions show as application_name `sluice-<connector>`) */
  constructor(
    raw: Record<string, string>,
    committed: CommittedOffsets = new Map(),
    connector = 'pg',
    extra: Pick<SourceTaskContext, 'valueEncoding'> = {},
  ) {
    super({ connector, spec: postgresConfigSpec, createTask: () => new PostgresSourceTask() }, raw, committed, extra);
  }
}

/** Records of one table topic, tombstones excluded. */
export function changes(records: readonly ChangeRecord[], topic: string): Array<Record<string, unknown>> {
  return records.filter((r) => r.topic === topic && r.value !== null).map((r) => r.value as Record<string, unknown>);
}

/**
 * A replication client that is not sluice (as pg_recvlogical would be): creates `slot` if needed and streams it,
 * holding it until `stop()`.
 */
export async function foreignSlotHolder(
  server: { host: string; port: number; user: string; password: string; database: string },
  slot: string,
  publication: string,
): Promise<{ stop(): Promise<void> }> {
  const conn = new ReplicationConnection({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
    application_name: 'pg_recvlogical',
  });
  await conn.connect();
  conn.onError(() => {});
  const exists = (await conn.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = '${slot}'`)).length > 0;
  if (!exists) await conn.createSlot(slot, false);
  await conn.start(slot, 0, publication, { onData() {}, onKeepalive() {} });
  return { stop: () => conn.close() };
}
