import type { Logger } from '../../api/index.js';
import { describe } from '../../transport/kafka/produce-queue.js';
import type { CompactedLog } from '../../transport/kafka/compacted-log.js';
import { connectorStatusKey, decodeStatusRecord, encodeStatus, type StatusValue, taskStatusKey } from './records.js';

/** A status record read: the unit it is about, and its status (undefined: a tombstone). */
export type StatusListener = (connector: string, task: number | undefined, status: StatusValue | undefined) => void;

/**
 * Connector and task statuses on `status.storage.topic`, as Connect's KafkaStatusBackingStore keeps them: each
 * worker writes the states of what it runs (`status-connector-<name>`, `status-task-<name>-<n>`), every worker
 * reads them all, so any worker answers GET …/status for the whole cluster. A status is also how a task changes
 * hands: its new worker waits for the old one's UNASSIGNED (see handoff.ts).
 */
export class KafkaStatusStore {
  private readonly connectors = new Map<string, StatusValue>();
  private readonly tasks = new Map<string, Map<number, StatusValue>>();
  private listener: StatusListener | undefined;
  private log: CompactedLog | undefined;

  constructor(private readonly logger: Logger) {}

  attach(log: CompactedLog): void {
    this.log = log;
  }

  private get topic(): CompactedLog {
    if (!this.log) throw new Error('status topic not attached');
    return this.log;
  }

  /** Called after every status read (another worker's, or this one's own coming back), with what it says. */
  onChange(listener: StatusListener): void {
    this.listener = listener;
  }

  start(): Promise<void> {
    return this.topic.start();
  }

  apply(key: string, value: Buffer | null): void {
    const r = decodeStatusRecord(key, value);
    if (r.kind === 'connector') {
      if (r.status) this.connectors.set(r.connector, r.status);
      else this.connectors.delete(r.connector);
      this.listener?.(r.connector, undefined, r.status ?? undefined);
    } else if (r.kind === 'task') {
      let m = this.tasks.get(r.connector);
      if (r.status) {
        if (!m) {
          m = new Map();
          this.tasks.set(r.connector, m);
        }
        m.set(r.task, r.status);
      } else {
        m?.delete(r.task);
        if (m?.size === 0) this.tasks.delete(r.connector);
      }
      this.listener?.(r.connector, r.task, r.status ?? undefined);
    }
  }

  connector(name: string): StatusValue | undefined {
    return this.connectors.get(name);
  }

  task(name: string, task: number): StatusValue | undefined {
    return this.tasks.get(name)?.get(task);
  }

  /** Every task status of a connector, by task number. */
  tasksOf(name: string): ReadonlyMap<number, StatusValue> {
    return this.tasks.get(name) ?? new Map();
  }

  /** Every status this view holds, for disowning the ones an earlier life of this worker left. */
  all(): Array<{ connector: string; task?: number; status: StatusValue }> {
    const out: Array<{ connector: string; task?: number; status: StatusValue }> = [];
    for (const [connector, status] of this.connectors) out.push({ connector, status });
    for (const [connector, m] of this.tasks) for (const [task, status] of m) out.push({ connector, task, status });
    return out;
  }

  /**
   * Writes a status; null deletes it (Connect's DESTROYED). Resolves when the broker acknowledged; a failure is
   * logged here, as Connect does, and the next change or the periodic publication writes again.
   */
  async put(connector: string, task: number | undefined, status: StatusValue | null): Promise<boolean> {
    const key = task === undefined ? connectorStatusKey(connector) : taskStatusKey(connector, task);
    try {
      await this.topic.write([{ key, value: status === null ? null : encodeStatus(status) }]);
      return true;
    } catch (err) {
      this.logger.warn({ connector, task, err: describe(err) }, 'Status could not be written to the status topic');
      return false;
    }
  }

  readToEnd(): Promise<void> {
    return this.topic.readToEnd();
  }

  async stop(): Promise<void> {
    await this.log?.stop();
  }
}
