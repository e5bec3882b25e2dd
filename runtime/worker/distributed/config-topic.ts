import type { Logger } from '../../api/index.js';
import type { TargetState } from '../../tasks/state.js';
import { type ConfigStore, type StoredConnector, sameConfig } from '../config-store.js';
import { HerderError } from '../errors.js';
import type { CompactedLog } from '../../transport/kafka/compacted-log.js';
import {
  commitKey,
  connectorKey,
  decodeConfigRecord,
  encodeCommit,
  encodeConnectorConfig,
  encodeRestart,
  encodeTargetState,
  encodeTaskConfig,
  restartKey,
  targetStateKey,
  taskKey,
} from './records.js';

export type ConfigChange =
  /** the connector's config or target state changed, or it was deleted */
  | { readonly kind: 'connector'; readonly connector: string }
  /** a new set of task configs was committed */
  | { readonly kind: 'tasks'; readonly connector: string }
  /** POST /connectors/{c}/restart on some worker */
  | {
      readonly kind: 'restart';
      readonly connector: string;
      readonly includeTasks: boolean;
      readonly onlyFailed: boolean;
    };

export { sameConfig } from '../config-store.js';

/**
 * Connector configs, target states and task configs on `config.storage.topic`, as Connect's
 * KafkaConfigBackingStore keeps them: every worker reads the topic into the same table. Task configs apply only
 * when their `commit-<name>` record arrives and the set is complete (compaction may have removed older ones), so a
 * reader never mixes the task configs of two generations. Any worker may write (Connect funnels writes through its
 * leader; here the topic's single partition orders concurrent writes and every worker applies them in that order).
 */
export class KafkaConfigStore implements ConfigStore {
  private readonly configs = new Map<string, Record<string, string>>();
  private readonly targets = new Map<string, TargetState>();
  private readonly taskCounts = new Map<string, number>();
  private readonly tasks = new Map<string, Record<string, string>[]>();
  private readonly deferred = new Map<string, Map<number, Record<string, string>>>();
  private readonly inconsistent = new Set<string>();
  private started = false;
  private listener: ((change: ConfigChange) => void) | undefined;
  private log: CompactedLog | undefined;

  constructor(private readonly logger: Logger) {}

  /** Where records come from and go to; the log calls `apply` for each record it reads. */
  attach(log: CompactedLog): void {
    this.log = log;
  }

  private get topic(): CompactedLog {
    if (!this.log) throw new Error('config topic not attached');
    return this.log;
  }

  /** Changes seen after start (the initial read builds the table silently, as in Connect). */
  onChange(listener: (change: ConfigChange) => void): void {
    this.listener = listener;
  }

  async start(): Promise<void> {
    await this.topic.start();
    this.started = true;
  }

  apply(key: string, value: Buffer | null): void {
    const r = decodeConfigRecord(key, value);
    const notify = (c: ConfigChange) => {
      if (this.started) this.listener?.(c);
    };
    switch (r.kind) {
      case 'target-state': {
        if (r.state === null) {
          this.targets.delete(r.connector);
          // A connector whose target-state record was deleted alone still has one: Connect's default.
          if (this.configs.has(r.connector)) this.targets.set(r.connector, 'STARTED');
          return;
        }
        const before = this.targets.get(r.connector);
        this.targets.set(r.connector, r.state);
        if (before !== r.state && this.configs.has(r.connector)) notify({ kind: 'connector', connector: r.connector });
        return;
      }
      case 'connector': {
        if (r.config === null) {
          if (!this.configs.delete(r.connector)) return;
          this.taskCounts.delete(r.connector);
          this.tasks.delete(r.connector);
          this.deferred.delete(r.connector);
          this.inconsistent.delete(r.connector);
          this.logger.info({ connector: r.connector }, 'Connector removed from the config topic');
        } else {
          const before = this.configs.get(r.connector);
          this.configs.set(r.connector, r.config);
          // Connectors created before target states existed start STARTED.
          if (!this.targets.has(r.connector)) this.targets.set(r.connector, 'STARTED');
          if (before && sameConfig(before, r.config)) return;
        }
        notify({ kind: 'connector', connector: r.connector });
        return;
      }
      case 'task': {
        if (r.config === null) return;
        let d = this.deferred.get(r.connector);
        if (!d) {
          d = new Map();
          this.deferred.set(r.connector, d);
        }
        d.set(r.task, r.config);
        return;
      }
      case 'commit': {
        const d = this.deferred.get(r.connector) ?? new Map<number, Record<string, string>>();
        const complete = Array.from({ length: r.tasks }, (_, i) => d.has(i)).every(Boolean);
        if (complete) {
          this.tasks.set(
            r.connector,
            Array.from({ length: r.tasks }, (_, i) => d.get(i) as Record<string, string>),
          );
          this.inconsistent.delete(r.connector);
        } else {
          // Older task records were compacted away: the connector's owner writes a complete set again.
          this.inconsistent.add(r.connector);
        }
        this.deferred.delete(r.connector);
        this.taskCounts.set(r.connector, r.tasks);
        notify({ kind: 'tasks', connector: r.connector });
        return;
      }
      case 'restart':
        notify({ kind: 'restart', connector: r.connector, includeTasks: r.includeTasks, onlyFailed: r.onlyFailed });
        return;
      case 'ignored':
        if (r.reason) this.logger.warn({ key: r.key, reason: r.reason }, 'Skipped a record of the config topic');
        return;
    }
  }

  // ---- the shared view ----

  names(): string[] {
    return [...this.configs.keys()].sort();
  }

  get(name: string): StoredConnector | undefined {
    const config = this.configs.get(name);
    if (!config) return undefined;
    return { config: { ...config }, target: this.targets.get(name) ?? 'STARTED' };
  }

  /** The committed task count (0 before the first commit). */
  taskCount(name: string): number {
    return this.configs.has(name) ? (this.taskCounts.get(name) ?? 0) : 0;
  }

  /** The committed task configs, or undefined when none are, or the committed set is incomplete. */
  taskConfigs(name: string): ReadonlyArray<Readonly<Record<string, string>>> | undefined {
    if (this.inconsistent.has(name)) return undefined;
    return this.tasks.get(name);
  }

  // ---- ConfigStore ----

  async load(): Promise<Map<string, StoredConnector>> {
    const out = new Map<string, StoredConnector>();
    for (const name of this.names()) {
      const e = this.get(name);
      if (e) out.set(name, e);
    }
    return out;
  }

  /** Writes what changed and returns once this worker has read it back (so its view holds the change). */
  async save(name: string, entry: StoredConnector | null): Promise<void> {
    // Before the first full read this worker does not know what exists (Connect answers 409 here too).
    if (!this.started) throw new HerderError(409, 'This worker is still reading the config topic; try again shortly');
    const records: Array<{ key: string; value: Buffer | null }> = [];
    if (entry === null) {
      records.push({ key: connectorKey(name), value: null }, { key: targetStateKey(name), value: null });
    } else {
      const current = this.configs.get(name);
      const target = this.targets.get(name);
      // As Connect: the target state goes first, so a reader never starts a connector created PAUSED or STOPPED.
      if (current ? target !== entry.target : entry.target !== 'STARTED')
        records.push({ key: targetStateKey(name), value: encodeTargetState(entry.target) });
      if (!current || !sameConfig(current, entry.config))
        records.push({ key: connectorKey(name), value: encodeConnectorConfig(entry.config) });
    }
    if (records.length === 0) return;
    await this.topic.write(records);
    await this.topic.readToEnd();
  }

  /** Task configs, then the commit that makes them apply (Connect's putTaskConfigs). */
  async putTaskConfigs(name: string, configs: ReadonlyArray<Record<string, string>>): Promise<void> {
    if (configs.length > 0) {
      await this.topic.write(configs.map((c, i) => ({ key: taskKey(name, i), value: encodeTaskConfig(c) })));
      await this.topic.readToEnd();
    }
    await this.topic.write([{ key: commitKey(name), value: encodeCommit(configs.length) }]);
    await this.topic.readToEnd();
  }

  async requestRestart(name: string, includeTasks: boolean, onlyFailed: boolean): Promise<void> {
    if (!this.started) throw new HerderError(409, 'This worker is still reading the config topic; try again shortly');
    await this.topic.write([{ key: restartKey(name), value: encodeRestart(includeTasks, onlyFailed) }]);
    await this.topic.readToEnd();
  }

  async stop(): Promise<void> {
    await this.log?.stop();
  }
}
