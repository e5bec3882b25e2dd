import {
  asConnectError,
  type Config,
  ConfigError,
  type ConfigIssue,
  type ConfigSpec,
  type ConnectorPlugin,
  type Converter,
  type Logger,
  MAX_SIGNAL_ID,
  parseSignal,
  type Plugin,
  type Signal,
  type SourceOffset,
  type SourcePartition,
  traceOf,
} from '../api/index.js';
import { specFor, validateForWorker } from '../config/connector.js';
import { parseConfig } from '../config/parse.js';
import { MIN_SCRUBBED_LENGTH, reverseTransform, resolveOrThrow, workerProviders } from '../config/providers/index.js';
import type { WorkerMetrics } from '../metrics/metrics.js';
import type { OffsetStore } from '../offsets/store.js';
import { errorPolicy } from '../tasks/error-policy.js';
import { SinkTaskRunner } from '../tasks/sink-runner.js';
import type { LogReport } from '../tasks/log-watch.js';
import { type SnapshotReport, SourceTaskRunner } from '../tasks/source-runner.js';
import type { RetryingStatus } from '../tasks/retry.js';
import type { State, TargetState } from '../tasks/state.js';
import type { RecordTap } from '../tasks/tap.js';
import { buildChain } from '../transforms/chain.js';
import type { RecordConverters, Transport } from '../transport/transport.js';
import type { ConfigStore } from './config-store.js';
import {
  badRequest,
  conflict,
  connectorAdvice,
  HerderError,
  notFound,
  taskAdvice,
  taskNotFound,
  withAdvice,
} from './errors.js';
import { type LoggerLevel, LoggerTree } from './loggers.js';
import type { PluginRegistry } from './registry.js';

export interface StateInfo {
  state: State;
  worker_id: string;
  trace?: string;
  /** source tasks: what they hold of the database's log (docs/rest.md) */
  log?: LogReport;
  /** sluice's addition (docs/rest.md): a task retrying a retriable error; absent once it is healthy */
  retrying?: RetryingStatus;
}

export interface ConnectorStatus {
  name: string;
  connector: StateInfo;
  tasks: Array<StateInfo & { id: number }>;
  type: 'source' | 'sink';
}

export interface ConnectorInfo {
  name: string;
  config: Record<string, string>;
  tasks: Array<{ connector: string; task: number }>;
  type: 'source' | 'sink';
}

export interface OffsetsBody {
  offsets: Array<{ partition: SourcePartition; offset: SourceOffset | null }>;
}

interface TaskSlot {
  id: number;
  state: State;
  trace?: string;
  config: Record<string, string>;
  runner?: SourceTaskRunner | SinkTaskRunner;
  /** this worker answers for the task: started here (running or failed), not yet stopped */
  here?: boolean;
}

export interface RestartOptions {
  includeTasks?: boolean;
  onlyFailed?: boolean;
}

/** Enough for any real worker's provider values; a flood of distinct ones stops growing the set, not the worker. */
const MAX_RESOLVED_VALUES = 10_000;
/**
 * Distributed mode (runtime/worker/distributed/): which tasks this worker runs and how their states travel. Absent
 * in standalone mode, where every task runs here.
 */
export interface TaskPlacement {
  /** whether this worker is to run the task now */
  runsTask(connector: string, task: number): boolean;
  /** whether this worker answers for the connector's own status */
  runsConnector(connector: string): boolean;
  /** the status another worker published */
  remoteStatus(connector: string, task?: number): StateInfo | undefined;
  /** a task running here changed state */
  taskState(connector: string, task: number, state: State, trace?: string): void;
  /** a task that ran here has stopped; its offsets are committed */
  taskStopped(connector: string, task: number): void;
  /** POST /connectors/{c}/restart: every worker restarts its share (applyRestart) */
  requestRestart(connector: string, options: RestartOptions): Promise<void>;
  /** POST /connectors/{c}/tasks/{t}/restart for a task another worker runs */
  restartRemoteTask(connector: string, task: number): Promise<void>;
}

interface ConnectorRuntime {
  name: string;
  /** as given by the user; providers unresolved */
  config: Record<string, string>;
  target: TargetState;
  plugin?: ConnectorPlugin;
  state: State;
  trace?: string;
  tasks: TaskSlot[];
  /** values its config provider references resolved to when it last started: never shown over REST */
  secrets?: readonly string[];
  topics: Set<string>;
}

export interface HerderOptions {
  workerId: string;
  /** worker settings, resolved */
  worker: Config;
  registry: PluginRegistry;
  offsets: OffsetStore;
  configs: ConfigStore;
  transport: Transport;
  log: Logger;
  metrics: WorkerMetrics;
  /** named loggers whose levels REST can change; made from `log` when absent */
  loggers?: LoggerTree;
  /** distributed mode: where tasks run */
  placement?: TaskPlacement;
}

/**
 * The one control surface of a worker (DESIGN §3): create, update, pause, resume, stop, restart, delete,
 * status, offsets. REST handlers and the CLI call it and nothing else. Operations on one connector name run one
 * at a time, so concurrent requests for the same name end in a consistent state.
 */
export class Herder {
  private readonly connectors = new Map<string, ConnectorRuntime>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** the event inspector's taps, by connector name: kept across restarts and re-creation of the connector */
  private readonly taps = new Map<string, RecordTap>();
  /** Every value a provider reference resolved to, kept after its connector is gone: a topic named by one stays. */
  private readonly resolvedValues = new Set<string>();
  private stopped = false;
  private ready = false;
  private readonly loggers: LoggerTree;

  constructor(private readonly o: HerderOptions) {
    this.loggers = o.loggers ?? new LoggerTree(o.log);
  }

  get workerId(): string {
    return this.o.workerId;
  }

  get registry(): PluginRegistry {
    return this.o.registry;
  }

  get metrics(): WorkerMetrics {
    return this.o.metrics;
  }

  /** For /health: starting until start() has loaded every stored connector, stopping once stop() began. */
  get phase(): 'starting' | 'running' | 'stopping' {
    return this.stopped ? 'stopping' : this.ready ? 'running' : 'starting';
  }

  /** Starts the stores and transport, then every stored connector in its target state. */
  async start(): Promise<void> {
    await this.o.offsets.start();
    await this.o.transport.start();
    const stored = await this.o.configs.load();
    // Sinks first: in the direct transport a source's first records need their sink attached.
    const entries = [...stored.entries()].sort(([, a], [, b]) => this.kindOrder(a.config) - this.kindOrder(b.config));
    for (const [name, entry] of entries) {
      await this.locked(name, async () => {
        const rt = this.newRuntime(name, entry.config, entry.target);
        this.connectors.set(name, rt);
        await this.startConnector(rt);
      });
    }
    this.ready = true;
  }

  private kindOrder(config: Record<string, string>): number {
    return this.o.registry.connector(config['connector.class'] ?? '')?.type === 'sink' ? 0 : 1;
  }

  /** Graceful stop of everything: sources (they flush downstream and commit), then sinks, then the stores. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const all = [...this.connectors.values()];
    await Promise.all(all.filter((c) => c.plugin?.type === 'source').map((c) => this.stopTasks(c)));
    await Promise.all(all.filter((c) => c.plugin?.type !== 'source').map((c) => this.stopTasks(c)));
    await this.o.transport.stop();
    await this.o.offsets.stop();
  }

  private locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.locks.set(
      name,
      next.catch(() => undefined),
    );
    return next;
  }

  private newRuntime(name: string, config: Record<string, string>, target: TargetState): ConnectorRuntime {
    return { name, config, target, state: 'UNASSIGNED', tasks: [], topics: new Set() };
  }

  private get(name: string): ConnectorRuntime {
    const rt = this.connectors.get(name);
    if (!rt) throw notFound(name);
    return rt;
  }

  // ---- queries ----

  connectorNames(): string[] {
    return [...this.connectors.keys()].sort();
  }

  has(name: string): boolean {
    return this.connectors.has(name);
  }

  connectorConfig(name: string): Record<string, string> {
    return { ...this.get(name).config };
  }

  connectorInfo(name: string): ConnectorInfo {
    const rt = this.get(name);
    return {
      name,
      config: { ...rt.config },
      tasks: rt.tasks.map((t) => ({ connector: name, task: t.id })),
      type: this.typeOf(rt),
    };
  }

  private typeOf(rt: ConnectorRuntime): 'source' | 'sink' {
    return rt.plugin?.type ?? this.o.registry.connector(rt.config['connector.class'] ?? '')?.type ?? 'source';
  }

  status(name: string): ConnectorStatus {
    const rt = this.get(name);
    const w = this.o.workerId;
    const p = this.o.placement;
    const local: StateInfo = { state: rt.state, worker_id: w, ...(rt.trace ? { trace: rt.trace } : {}) };
    return {
      name,
      connector: p && !p.runsConnector(name) ? (p.remoteStatus(name) ?? local) : local,
      tasks: rt.tasks.map((t) => {
        if (p && !t.here)
          return { id: t.id, ...(p.remoteStatus(name, t.id) ?? { state: 'UNASSIGNED' as State, worker_id: '' }) };
        const retrying = t.state === 'FAILED' ? undefined : t.runner?.retrying;
        return {
          id: t.id,
          state: t.state,
          worker_id: w,
          ...(t.trace ? { trace: t.trace } : {}),
          ...this.logField(t),
          ...this.snapshotField(t),
          ...(retrying ? { retrying } : {}),
        };
      }),
      type: this.typeOf(rt),
    };
  }

  /** The states of what runs on this worker (distributed mode publishes them). */
  localStates(): Array<{ connector: string; task?: number; info: StateInfo }> {
    const w = this.o.workerId;
    const out: Array<{ connector: string; task?: number; info: StateInfo }> = [];
    for (const rt of this.connectors.values()) {
      out.push({
        connector: rt.name,
        info: { state: rt.state, worker_id: w, ...(rt.trace ? { trace: rt.trace } : {}) },
      });
      for (const t of rt.tasks)
        if (t.here)
          out.push({
            connector: rt.name,
            task: t.id,
            info: { state: t.state, worker_id: w, ...(t.trace ? { trace: t.trace } : {}) },
          });
    }
    return out;
  }

  taskStatus(name: string, id: number): StateInfo & { id: number } {
    const t = this.status(name).tasks.find((x) => x.id === id);
    if (!t) throw taskNotFound(name, id);
    return t;
  }

  /** Connect's `GET /connectors/{c}/tasks`: task ids with their configs (provider references unresolved). */
  /** The values a connector's provider references resolved to: REST cuts them out of whatever it shows. */
  secretsOf(name: string): readonly string[] {
    return this.connectors.get(name)?.secrets ?? [];
  }

  /** Every value any connector's provider references resolved to while this worker ran (bounded). */
  resolvedSecrets(): readonly string[] {
    return [...this.resolvedValues];
  }

  taskConfigs(name: string): Array<{ id: { connector: string; task: number }; config: Record<string, string> }> {
    const rt = this.get(name);
    // A task runs with the connector config overlaid by what taskConfigs() gave it; show that, as Connect shows
    // full task configs. Provider references stay unresolved here.
    return rt.tasks.map((t) => ({ id: { connector: name, task: t.id }, config: { ...rt.config, ...t.config } }));
  }

  /**
   * The dashboard's event inspector: the records of the connector's tasks that run on this worker go to `tap` until
   * it is unset (undefined), including tasks started later.
   */
  setTap(name: string, tap: RecordTap | undefined): void {
    if (tap) this.taps.set(name, tap);
    else this.taps.delete(name);
    for (const slot of this.connectors.get(name)?.tasks ?? []) if (slot.runner) slot.runner.tap = tap;
  }

  topics(name: string): string[] {
    return [...this.get(name).topics].sort();
  }

  resetTopics(name: string): void {
    this.get(name).topics.clear();
  }

  plugins(types?: readonly Plugin['type'][]): Plugin[] {
    return this.o.registry.list(types);
  }

  // ---- log levels (Connect's /admin/loggers) ----

  /** A named logger of the worker's own (e.g. `rest`), whose level /admin/loggers can change. */
  logger(name: string, bindings: Record<string, unknown>): Logger {
    return this.loggers.get(name, bindings);
  }

  loggerLevels(): Record<string, LoggerLevel> {
    return this.loggers.levels();
  }

  loggerLevel(name: string): LoggerLevel {
    const level = this.loggers.level(name);
    if (!level) throw new HerderError(404, `Logger ${name} not found.`);
    return level;
  }

  /** Returns the names of the loggers changed. */
  setLoggerLevel(name: string, level: string): string[] {
    try {
      return this.loggers.setLevel(name, level);
    } catch (err) {
      throw badRequest((err as Error).message);
    }
  }

  // ---- changes ----

  /** Every problem of a connector config; `spec` (common keys + the plugin's) when connector.class resolved. */
  async validate(
    config: Record<string, string>,
  ): Promise<{ issues: ConfigIssue[]; plugin?: ConnectorPlugin; spec?: ConfigSpec }> {
    const v = await validateForWorker(this.o.registry, this.o.worker, config);
    return { issues: v.issues, plugin: v.plugin, spec: v.spec };
  }

  /** POST /connectors: fails with 409 when the name exists, 400 with every problem when the config is wrong. */
  async createConnector(
    name: string,
    config: Record<string, string>,
    initial: TargetState = 'STARTED',
  ): Promise<ConnectorInfo> {
    return this.locked(name, async () => {
      if (this.stopped) throw new HerderError(503, 'Worker is stopping');
      if (this.connectors.has(name)) throw conflict(`Connector ${name} already exists`);
      return this.install(name, config, initial);
    });
  }

  /** PUT /connectors/{c}/config: creates or replaces. */
  async putConnectorConfig(
    name: string,
    config: Record<string, string>,
  ): Promise<{ created: boolean; info: ConnectorInfo }> {
    return this.locked(name, () => this.replaceConfig(name, config));
  }

  /**
   * PATCH /connectors/{c}/config: merges; a null value removes the key. The merge reads the current config inside
   * the lock, so concurrent patches of different keys all keep theirs.
   */
  async patchConnectorConfig(name: string, patch: Record<string, string | null>): Promise<ConnectorInfo> {
    return this.locked(name, async () => {
      const merged: Record<string, string> = { ...this.get(name).config };
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      return (await this.replaceConfig(name, merged)).info;
    });
  }

  /** Creates or replaces a connector's config; the caller holds the name's lock. */
  private async replaceConfig(
    name: string,
    config: Record<string, string>,
  ): Promise<{ created: boolean; info: ConnectorInfo }> {
    if (this.stopped) throw new HerderError(503, 'Worker is stopping');
    const existing = this.connectors.get(name);
    if (!existing) return { created: true, info: await this.install(name, config, 'STARTED') };
    const full = { ...config, name };
    await this.check(full);
    await this.stopTasks(existing);
    existing.config = full;
    existing.plugin = undefined;
    await this.o.configs.save(name, { config: full, target: existing.target });
    await this.startConnector(existing);
    return { created: false, info: this.connectorInfo(name) };
  }

  private async check(config: Record<string, string>): Promise<void> {
    if (config.name !== undefined && config.name.trim() === '') throw badRequest('Connector name may not be empty');
    const { issues } = await this.validate(config);
    if (issues.length) {
      throw badRequest(
        `Connector configuration is invalid and contains the following ${issues.length} error(s):\n${issues.map((i) => `${i.key}: ${i.message}`).join('\n')}\nYou can also find the above list of errors at the endpoint \`/connector-plugins/{connectorType}/config/validate\``,
        issues,
      );
    }
  }

  private async install(name: string, config: Record<string, string>, target: TargetState): Promise<ConnectorInfo> {
    const full = { ...config, name };
    await this.check(full);
    const rt = this.newRuntime(name, full, target);
    await this.o.configs.save(name, { config: full, target });
    this.connectors.set(name, rt);
    await this.startConnector(rt);
    return this.connectorInfo(name);
  }

  async deleteConnector(name: string): Promise<void> {
    return this.locked(name, async () => {
      const rt = this.get(name);
      // Stored first: a failed write leaves the connector running rather than stopped but still configured, and in
      // distributed mode the tasks then stop as deleted (their statuses go too) rather than as released.
      await this.o.configs.save(name, null);
      await this.remove(rt);
    });
  }

  private async remove(rt: ConnectorRuntime): Promise<void> {
    await this.stopTasks(rt);
    if (rt.plugin?.type === 'sink') await this.o.transport.releaseSink?.(rt.name);
    this.connectors.delete(rt.name);
    this.o.metrics.forget(rt.name);
    this.loggers.forget(`connector.${rt.name}`);
  }

  async pause(name: string): Promise<void> {
    return this.setTarget(name, 'PAUSED');
  }

  async resume(name: string): Promise<void> {
    return this.setTarget(name, 'STARTED');
  }

  /** PUT /connectors/{c}/stop: tasks stop and release their resources; configs and offsets stay. */
  async stopConnector(name: string): Promise<void> {
    return this.setTarget(name, 'STOPPED');
  }

  private setTarget(name: string, target: TargetState): Promise<void> {
    return this.locked(name, async () => {
      const rt = this.get(name);
      if (rt.target === target && target !== 'STOPPED') return;
      await this.o.configs.save(name, { config: rt.config, target });
      await this.applyTarget(rt, target);
    });
  }

  /** Brings a connector to a target state already stored; the caller holds the name's lock. */
  private async applyTarget(rt: ConnectorRuntime, target: TargetState): Promise<void> {
    const was = rt.target;
    rt.target = target;
    if (target === 'STOPPED') {
      await this.stopTasks(rt);
      if (rt.plugin?.type === 'sink') await this.o.transport.releaseSink?.(rt.name);
      rt.tasks = [];
      rt.state = 'STOPPED';
      rt.trace = undefined;
      return;
    }
    if (was === 'STOPPED') return this.startConnector(rt);
    if (was === target) return;
    for (const t of rt.tasks) {
      if (target === 'PAUSED') t.runner?.pause();
      else t.runner?.resume();
    }
    if (target === 'PAUSED' && rt.state === 'RUNNING') rt.state = 'PAUSED';
    if (target === 'STARTED' && rt.state === 'PAUSED') rt.state = 'RUNNING';
  }

  // ---- distributed mode: the shared config view changed, or the placement did ----

  /**
   * Makes this worker's copy of a connector match the shared config view (`read` is called inside the name's
   * lock, so it sees every change made before). Never writes: the change is already stored.
   */
  async syncConnector(
    name: string,
    read: () => { config: Record<string, string>; target: TargetState } | undefined,
  ): Promise<void> {
    return this.locked(name, async () => {
      if (this.stopped) return;
      const entry = read();
      const rt = this.connectors.get(name);
      if (!entry) {
        if (rt) await this.remove(rt);
        return;
      }
      if (!rt) {
        const created = this.newRuntime(name, entry.config, entry.target);
        this.connectors.set(name, created);
        return this.startConnector(created);
      }
      const changed =
        Object.keys(entry.config).length !== Object.keys(rt.config).length ||
        Object.entries(entry.config).some(([k, v]) => rt.config[k] !== v);
      if (changed) {
        await this.stopTasks(rt);
        rt.config = entry.config;
        rt.plugin = undefined;
        rt.target = entry.target;
        return this.startConnector(rt);
      }
      if (entry.target !== rt.target) await this.applyTarget(rt, entry.target);
    });
  }

  /** Starts the tasks now placed on this worker and stops the ones placed elsewhere. */
  async reconcile(): Promise<void> {
    const p = this.o.placement;
    if (!p) return;
    await Promise.all(
      [...this.connectors.keys()].map((name) =>
        this.locked(name, async () => {
          const rt = this.connectors.get(name);
          if (!rt || this.stopped) return;
          for (const slot of rt.tasks) {
            const wanted = p.runsTask(name, slot.id);
            if (!wanted && slot.here) {
              await this.stopTask(rt, slot);
              slot.state = 'UNASSIGNED';
              slot.trace = undefined;
            } else if (wanted && !slot.here && rt.plugin && rt.target !== 'STOPPED' && rt.state !== 'FAILED') {
              await this.startTask(rt, slot);
            }
          }
        }),
      ),
    );
  }

  /** A restart request read from the shared config: restarts what of the connector runs here. */
  async applyRestart(name: string, options: RestartOptions): Promise<void> {
    return this.locked(name, async () => {
      const rt = this.connectors.get(name);
      if (rt && rt.target !== 'STOPPED') await this.restartLocal(rt, options);
    });
  }

  /**
   * POST /connectors/{c}/restart. Returns the status as the restart begins, as Connect's 202 answer does: the
   * connector and the tasks being restarted show RESTARTING, the others their state.
   */
  async restartConnector(name: string, options: RestartOptions = {}): Promise<ConnectorStatus> {
    return this.locked(name, async () => {
      const rt = this.get(name);
      const { includeTasks = false, onlyFailed = false } = options;
      if (rt.target === 'STOPPED') return this.status(name);
      const answer = this.status(name);
      const connectorToo = !onlyFailed || answer.connector.state === 'FAILED';
      if (connectorToo) {
        answer.connector.state = 'RESTARTING';
        delete answer.connector.trace;
      }
      if (includeTasks) {
        for (const t of answer.tasks) {
          if (onlyFailed && t.state !== 'FAILED') continue;
          t.state = 'RESTARTING';
          delete t.trace;
        }
      }
      // Distributed: every worker restarts its own share when it reads the request from the config topic.
      if (this.o.placement) await this.o.placement.requestRestart(name, options);
      else await this.restartLocal(rt, options);
      return answer;
    });
  }

  /** The restart itself, for what runs on this worker; the caller holds the name's lock. */
  private async restartLocal(rt: ConnectorRuntime, options: RestartOptions): Promise<void> {
    const { includeTasks = false, onlyFailed = false } = options;
    const connectorToo = !onlyFailed || rt.state === 'FAILED';
    if (includeTasks) {
      const which = rt.tasks.filter((t) => !onlyFailed || t.state === 'FAILED');
      if (connectorToo && (which.length === rt.tasks.length || rt.state === 'FAILED')) {
        await this.stopTasks(rt);
        rt.state = 'RESTARTING';
        await this.startConnector(rt);
      } else {
        for (const t of which) if (t.here || !this.o.placement) await this.restartTaskSlot(rt, t);
      }
    } else if (connectorToo && rt.state === 'FAILED') {
      // Connect restarts only the connector object; ours has no running part beyond its task split, so
      // a restart recomputes task configs and restarts tasks only when that failed.
      await this.stopTasks(rt);
      await this.startConnector(rt);
    }
  }

  async restartTask(name: string, id: number): Promise<void> {
    const remote = await this.locked(name, async () => {
      const rt = this.get(name);
      const slot = rt.tasks.find((t) => t.id === id);
      if (!slot) throw taskNotFound(name, id);
      const p = this.o.placement;
      if (p && !slot.here && !p.runsTask(name, id)) return true;
      await this.restartTaskSlot(rt, slot);
      return false;
    });
    // Outside the lock: the worker running the task restarts it (Connect forwards the request there too).
    if (remote) await this.o.placement?.restartRemoteTask(name, id);
  }

  // ---- offsets ----

  async offsets(name: string): Promise<OffsetsBody> {
    const rt = this.get(name);
    if (this.typeOf(rt) === 'sink') return { offsets: [] };
    const entries = await this.o.offsets.read(name);
    return { offsets: entries.map((e) => ({ partition: e.partition, offset: e.offset })) };
  }

  /** PATCH /connectors/{c}/offsets: only while STOPPED (409 otherwise). */
  async alterOffsets(name: string, body: OffsetsBody): Promise<void> {
    return this.locked(name, async () => {
      const rt = this.get(name);
      if (rt.target !== 'STOPPED')
        throw conflict(
          `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`,
        );
      if (!Array.isArray(body.offsets))
        throw badRequest('The body must hold "offsets": [{"partition": {...}, "offset": {...}}]');
      for (const o of body.offsets) {
        if (typeof o?.partition !== 'object' || o.partition === null || Array.isArray(o.partition)) {
          throw badRequest('Every entry of "offsets" needs a "partition" object');
        }
        if (o.offset !== null && (typeof o.offset !== 'object' || Array.isArray(o.offset))) {
          throw badRequest('An "offset" must be an object or null');
        }
      }
      if (this.typeOf(rt) === 'sink')
        throw badRequest('Sink connector offsets live in Kafka consumer groups; this worker has none to alter');
      const checked = await this.checkOffsets(rt, body.offsets);
      await this.o.offsets.write(checked.map((o) => ({ connector: name, partition: o.partition, offset: o.offset })));
    });
  }

  /** A source task's `log` status field (sluice's extra: what it holds of the database's log, its lag). */
  private snapshotField(t: TaskSlot): { snapshot?: SnapshotReport } {
    const report = t.runner instanceof SourceTaskRunner ? t.runner.snapshotReport : undefined;
    return report ? { snapshot: report } : {};
  }

  /**
   * `POST /connectors/{name}/signals`: the body checked here (400 naming what is wrong), then handed to the
   * connector's running task(s) on this worker; a refusal is a 400 with the task's reason, never a task failure.
   */
  async signal(name: string, body: unknown): Promise<{ id: string; snapshotId?: string }> {
    const rt = this.get(name);
    if (this.typeOf(rt) !== 'source')
      throw badRequest(`connector ${name} is a sink connector: signals go to source connectors`);
    let signal: Signal;
    try {
      signal = parseSignal(body);
    } catch (err) {
      const id = (body as { id?: unknown } | null)?.id;
      this.o.log.warn(
        {
          connector: name,
          channel: 'rest',
          // an id the parser would take (a short string), never whatever else the body holds
          ...(typeof id === 'string' && id.length <= MAX_SIGNAL_ID ? { signal: id } : {}),
          reason: (err as Error).message,
        },
        'signal skipped',
      );
      throw badRequest((err as Error).message);
    }
    const runners = rt.tasks.flatMap((t) =>
      t.here !== false && t.runner instanceof SourceTaskRunner ? [t.runner] : [],
    );
    if (runners.length === 0)
      throw conflict(`connector ${name} has no task running on this worker (state ${rt.state}); signal not taken`);
    let snapshotId: string | undefined;
    for (const r of runners) {
      const answer = await r.signal(signal);
      if (!answer.accepted) {
        this.o.log.warn(
          { connector: name, channel: 'rest', signal: signal.id, type: signal.type, reason: answer.reason },
          'signal refused',
        );
        throw badRequest(`signal ${signal.id} refused: ${answer.reason}`);
      }
      snapshotId ??= answer.snapshotId;
    }
    return { id: signal.id, ...(snapshotId ? { snapshotId } : {}) };
  }

  private logField(t: TaskSlot): { log?: LogReport } {
    const report = t.runner instanceof SourceTaskRunner ? t.runner.logReport : undefined;
    return report ? { log: report } : {};
  }

  /**
   * The connector's own check of an operator's offsets (SourceConnectorPlugin.alterOffsets): a position that does
   * not parse, or that the database cannot have, is refused here (400 naming the field), not when the task starts.
   */
  private async checkOffsets(rt: ConnectorRuntime, offsets: OffsetsBody['offsets']): Promise<OffsetsBody['offsets']> {
    const v = await validateForWorker(this.o.registry, this.o.worker, rt.config, { deep: false });
    const plugin = v.result?.plugin;
    // A config that does not validate cannot start a task either; the offsets are then only checked at start.
    if (!v.result || plugin?.type !== 'source' || !plugin.alterOffsets) return offsets;
    try {
      return [...(await plugin.alterOffsets(v.result.config, offsets))];
    } catch (err) {
      const e = asConnectError(err, { connector: rt.name });
      throw badRequest(e.message, err instanceof ConfigError ? err.issues : []);
    }
  }

  /** DELETE /connectors/{c}/offsets: the next start behaves as a first start. */
  async resetOffsets(name: string): Promise<void> {
    return this.locked(name, async () => {
      const rt = this.get(name);
      if (rt.target !== 'STOPPED')
        throw conflict(
          `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`,
        );
      const entries = await this.o.offsets.read(name);
      await this.o.offsets.write(entries.map((e) => ({ connector: name, partition: e.partition, offset: null })));
    });
  }

  // ---- lifecycle internals ----

  private connectorLog(name: string): Logger {
    return this.loggers.get(`connector.${name}`, { connector: name });
  }

  private failConnector(rt: ConnectorRuntime, err: unknown): void {
    rt.state = 'FAILED';
    rt.trace = withAdvice(traceOf(asConnectError(err, { connector: rt.name })), connectorAdvice(rt.name));
    this.connectorLog(rt.name).error({ err: rt.trace }, 'Connector failed');
  }

  /** Resolves the connector config, splits it into tasks and starts them, per the target state. */
  private async startConnector(rt: ConnectorRuntime): Promise<void> {
    rt.trace = undefined;
    if (rt.target === 'STOPPED') {
      rt.state = 'STOPPED';
      rt.tasks = [];
      return;
    }
    const log = this.connectorLog(rt.name);
    let plan: Awaited<ReturnType<Herder['plan']>>;
    try {
      plan = await this.plan(rt);
    } catch (err) {
      rt.tasks = [];
      return this.failConnector(rt, err);
    }
    rt.plugin = plan.plugin;
    rt.tasks = plan.taskConfigs.map((config, id) => ({ id, state: 'UNASSIGNED' as State, config }));
    rt.state = rt.target === 'PAUSED' ? 'PAUSED' : 'RUNNING';
    log.info({ tasks: rt.tasks.length, class: plan.plugin.className }, 'Connector started');
    for (const slot of rt.tasks) await this.startTask(rt, slot, plan);
  }

  private async plan(rt: ConnectorRuntime) {
    const v = await validateForWorker(this.o.registry, this.o.worker, rt.config, { deep: false });
    const issues = v.issues;
    if (issues.length || !v.result) {
      throw badRequest(
        `Connector configuration is invalid: ${issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`,
        issues,
      );
    }
    const { plugin, config, resolved } = v.result;
    rt.secrets = resolved.secrets;
    // Other connectors' answers lose only values long enough not to be common words or numbers ("1", "true").
    for (const v of resolved.secrets)
      if (v.length >= MIN_SCRUBBED_LENGTH && this.resolvedValues.size < MAX_RESOLVED_VALUES) this.resolvedValues.add(v);
    const maxTasks = config.int('tasks.max');
    const raw = await plugin.taskConfigs(config, maxTasks);
    // Task configs keep provider references rather than their values (Connect's reverse transformation): what
    // REST shows and distributed mode stores holds no secret; startTask resolves them again.
    const taskConfigs = raw.slice(0, maxTasks).map((t) => reverseTransform(t, rt.config, resolved.values));
    const { steps } = buildChain(this.o.registry, resolved.values);
    const converters = this.converters(rt.config, resolved.values);
    return { plugin, config, resolved, taskConfigs, steps, converters };
  }

  private converters(raw: Record<string, string>, resolved: Record<string, string>): RecordConverters {
    const worker = this.o.worker.raw;
    const make = (kind: 'key' | 'value' | 'header'): Converter => {
      const prefix = `${kind}.converter.`;
      const own = raw[`${kind}.converter`];
      const workerClass = String(this.o.worker.get(`${kind}.converter`));
      const className = own ?? workerClass;
      const plugin = this.o.registry.find('converter', className);
      if (!plugin) throw badRequest(`${kind}.converter: class ${className} could not be found`);
      // Unlike Connect, a connector's `value.converter.*` settings also refine the worker's converter when the
      // connector names no converter class of its own: the reading every user expects.
      const props: Record<string, string> = {};
      if (!own || own === workerClass) {
        for (const [k, v] of Object.entries(worker)) if (k.startsWith(prefix)) props[k.slice(prefix.length)] = v;
      }
      for (const [k, v] of Object.entries(resolved)) if (k.startsWith(prefix)) props[k.slice(prefix.length)] = v;
      const parsed = parseConfig(plugin.configSpec, props, { reportTypos: true });
      if (parsed.issues.length)
        throw badRequest(parsed.issues.map((i) => `${prefix}${i.key}: ${i.message}`).join('; '));
      return plugin.create(parsed.config, kind === 'key');
    };
    return { key: make('key'), value: make('value'), header: make('header') };
  }

  private async startTask(
    rt: ConnectorRuntime,
    slot: TaskSlot,
    plan?: Awaited<ReturnType<Herder['plan']>>,
  ): Promise<void> {
    const p = this.o.placement;
    if (p && !p.runsTask(rt.name, slot.id)) {
      slot.state = 'UNASSIGNED';
      slot.trace = undefined;
      return;
    }
    slot.here = true;
    let taskRaw: Record<string, string>;
    try {
      plan ??= await this.plan(rt);
      taskRaw = { ...plan.resolved.values, ...resolveOrThrow(workerProviders(this.o.worker), slot.config).values };
    } catch (err) {
      slot.state = 'FAILED';
      slot.trace = withAdvice(traceOf(err), taskAdvice(rt.name, slot.id));
      p?.taskState(rt.name, slot.id, slot.state, slot.trace);
      return;
    }
    const { plugin, config, resolved, steps, converters } = plan;
    const parsed = parseConfig(specFor(plugin), taskRaw, { secretKeys: resolved.secretKeys });
    const log = this.loggers.get(`connector.${rt.name}.task.${slot.id}`, { connector: rt.name, task: slot.id });
    const onState = (state: State, trace?: string) => {
      slot.state = state;
      slot.trace = state === 'FAILED' && trace ? withAdvice(trace, taskAdvice(rt.name, slot.id)) : trace;
      if (slot.here) p?.taskState(rt.name, slot.id, state, slot.trace);
    };
    slot.state = 'UNASSIGNED';
    slot.trace = undefined;
    const common = {
      connector: rt.name,
      taskId: slot.id,
      taskConfig: parsed.config,
      connectorConfig: config,
      errors: errorPolicy(config),
      steps,
      converters,
      transport: this.o.transport,
      log,
      metrics: this.o.metrics,
      onState,
    };
    if (plugin.type === 'source') {
      const labels = { connector: rt.name, task: String(slot.id) };
      this.o.metrics.queueCapacityRecords.set(labels, config.int('max.queue.size'));
      this.o.metrics.queueCapacityBytes.set(labels, config.int('max.queue.size.in.bytes'));
      const interval = config.get('offset.flush.interval.ms') ?? this.o.worker.get('offset.flush.interval.ms');
      const runner = new SourceTaskRunner({
        ...common,
        plugin,
        offsets: this.o.offsets,
        flushIntervalMs: Number(interval),
        flushTimeoutMs: this.o.worker.int('offset.flush.timeout.ms'),
        onTopic: (t) => rt.topics.add(t),
      });
      slot.runner = runner;
      runner.tap = this.taps.get(rt.name);
      if (rt.target === 'PAUSED') runner.pause();
      runner.start();
    } else {
      const runner = new SinkTaskRunner({ ...common, plugin, taskCount: rt.tasks.length });
      for (const t of runner.topics) rt.topics.add(t);
      slot.runner = runner;
      runner.tap = this.taps.get(rt.name);
      if (rt.target === 'PAUSED') runner.pause();
      await runner.start();
    }
  }

  private async restartTaskSlot(rt: ConnectorRuntime, slot: TaskSlot): Promise<void> {
    await this.stopTask(rt, slot);
    slot.state = 'RESTARTING';
    await this.startTask(rt, slot);
  }

  private async stopTask(rt: ConnectorRuntime, slot: TaskSlot): Promise<void> {
    const runner = slot.runner;
    const wasHere = slot.here;
    slot.runner = undefined;
    slot.here = false;
    if (runner) {
      await runner.stop(this.o.worker.int('task.shutdown.graceful.timeout.ms')).catch((err) => {
        this.o.log.warn({ err: traceOf(err) }, 'Task stop failed');
      });
    }
    // After the stop: a source task's final offsets are committed by now, so another worker may take it over.
    if (wasHere) this.o.placement?.taskStopped(rt.name, slot.id);
  }

  private async stopTasks(rt: ConnectorRuntime): Promise<void> {
    await Promise.all(rt.tasks.map((t) => this.stopTask(rt, t)));
    for (const t of rt.tasks) if (t.state !== 'FAILED') t.state = 'UNASSIGNED';
  }
}
