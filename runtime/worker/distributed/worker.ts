import { hostname } from 'node:os';
import { ConfigError, type Logger, traceOf } from '../../api/index.js';
import type { WorkerConfig } from '../../config/worker.js';
import { WorkerMetrics } from '../../metrics/metrics.js';
import { createKafkaOffsetStore } from '../../offsets/kafka-store.js';
import type { State } from '../../tasks/state.js';
import { createKafkajsClient } from '../../transport/kafka/client.js';
import { describe } from '../../transport/kafka/produce-queue.js';
import {
  connectionSettings,
  consumerSettings,
  producerSettings,
  roleProperties,
} from '../../transport/kafka/settings.js';
import { createKafkaTransport } from '../../transport/kafka/transport.js';
import { HerderError } from '../errors.js';
import { Herder, type RestartOptions, type StateInfo, type TaskPlacement } from '../herder.js';
import { builtinRegistry } from '../plugins.js';
import type { PluginRegistry } from '../registry.js';
import { type Assignment, assign, taskId } from './assignment.js';
import { CompactedLog } from '../../transport/kafka/compacted-log.js';
import { type ConfigChange, KafkaConfigStore, sameConfig } from './config-topic.js';
import { holderOf } from './handoff.js';
import { encodeAnnouncement, Membership, type MembershipView } from './membership.js';
import type { StatusValue } from './records.js';
import { KafkaStatusStore } from './status-topic.js';

export interface DistributedOptions {
  readonly worker: WorkerConfig;
  readonly log: Logger;
  readonly registry?: PluginRegistry;
}

const REQUIRED = [
  'bootstrap.servers',
  'group.id',
  'config.storage.topic',
  'offset.storage.topic',
  'status.storage.topic',
];

/** What distributed mode needs that standalone does not, all reported at once. */
export function checkDistributedConfig(worker: WorkerConfig): void {
  const cfg = worker.config;
  const issues = REQUIRED.filter((k) =>
    k === 'bootstrap.servers' ? cfg.list(k).length === 0 : !(cfg.optionalString(k) ?? '').trim(),
  ).map((k) => ({ key: k, message: 'is required in distributed mode' }));
  if (issues.length) throw new ConfigError(issues, 'Invalid worker configuration');
}

/** The status of a unit as this worker last wrote it, to write only changes. */
type Published = { state: State; trace: string | null };

/**
 * `sluice distributed worker.json`: a worker of a Connect-style cluster. Workers with one `group.id` find each other
 * through Kafka's group coordinator (membership.ts), share connector configs on `config.storage.topic`, statuses on
 * `status.storage.topic` and source offsets on `offset.storage.topic`, all in Kafka Connect's formats. Each worker
 * computes from the membership and the configs which connectors and tasks are its own (assignment.ts) and starts a
 * task that moves to it only once the previous worker has released it (handoff.ts). The herder stays the one
 * control surface: REST on any worker writes to the config topic and every worker applies what it reads there.
 */
export class DistributedWorker implements TaskPlacement {
  readonly herder: Herder;
  readonly workerId: string;
  private readonly url: string;
  private readonly configs: KafkaConfigStore;
  private readonly statuses: KafkaStatusStore;
  private readonly membership: Membership;
  private readonly rebalanceTimeoutMs: number;
  private readonly bearerToken: string | undefined;
  private view: MembershipView = { memberId: '', generation: -1, members: [], settled: false };
  private assignment: Assignment = { connectors: new Map(), tasks: new Map() };
  /** tasks this worker runs now: assigned here and released by their previous worker */
  private local = new Set<string>();
  /** tasks assigned here whose previous worker has not let go yet, since when */
  private readonly waiting = new Map<string, number>();
  private readonly published = new Map<string, Published>();
  /** task statuses this worker wrote (not tombstones) since it started, by connector: its own to delete */
  private readonly written = new Map<string, Set<number>>();
  /** tombstones of deleted connectors' statuses the broker did not acknowledge, written again until it does */
  private readonly unwritten = new Map<string, { connector: string; task?: number }>();
  private planning = false;
  private planAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private started = false;

  constructor(private readonly o: DistributedOptions) {
    checkDistributedConfig(o.worker);
    const cfg = o.worker.config;
    const raw = cfg.raw;
    const log = o.log;
    const listener = cfg.list('listeners')[0];
    const port = cfg.optionalString('rest.advertised.port') ?? (listener ? new URL(listener).port || '8083' : '8083');
    const host = cfg.optionalString('rest.advertised.host.name') ?? hostname();
    this.workerId = `${host}:${port}`;
    this.url = `http://${this.workerId}`;
    this.rebalanceTimeoutMs = cfg.int('rebalance.timeout.ms');
    this.bearerToken = cfg.optionalString('rest.auth.bearer.token');

    const producerProps = roleProperties(raw, 'producer');
    const consumerProps = roleProperties(raw, 'consumer');
    const adminProps = roleProperties(raw, 'admin');
    // The worker group takes the worker's own client settings, not the consumer. overrides meant for sink consumers.
    const groupProps = Object.fromEntries(Object.entries(raw).filter(([k]) => !/^(producer|consumer|admin)\./.test(k)));
    const groupClient = createKafkajsClient(
      connectionSettings({ 'client.id': `sluice-worker-${this.workerId}`, ...groupProps }, 'consumer'),
      log,
    );
    const producerClient = createKafkajsClient(connectionSettings(producerProps, 'producer'), log);
    const consumerClient = createKafkajsClient(connectionSettings(consumerProps, 'consumer'), log);
    const adminClient = createKafkajsClient(connectionSettings(adminProps, 'admin'), log);
    const common = {
      producerClient,
      // Internal records are few and small; Connect also gives its internal producers no linger.
      producerSettings: { ...producerSettings(producerProps), lingerMs: 0 },
      consumerClient,
      consumerSettings: consumerSettings(consumerProps),
      adminClient,
    };

    this.configs = new KafkaConfigStore(log.child({ component: 'config-topic' }));
    this.configs.attach(
      new CompactedLog({
        ...common,
        topic: cfg.string('config.storage.topic'),
        purpose: 'connector config',
        partitions: 1,
        replicationFactor: cfg.int('config.storage.replication.factor'),
        requireSinglePartition: true,
        log: log.child({ component: 'config-topic' }),
        onRecord: (k, v) => this.configs.apply(k.toString('utf8'), v),
      }),
    );
    this.statuses = new KafkaStatusStore(log.child({ component: 'status-topic' }));
    this.statuses.attach(
      new CompactedLog({
        ...common,
        topic: cfg.string('status.storage.topic'),
        purpose: 'status',
        partitions: cfg.int('status.storage.partitions'),
        replicationFactor: cfg.int('status.storage.replication.factor'),
        log: log.child({ component: 'status-topic' }),
        onRecord: (k, v) => this.statuses.apply(k.toString('utf8'), v),
      }),
    );

    let herder: Herder | undefined;
    const transport = createKafkaTransport(cfg, log, (name) =>
      herder?.has(name) ? herder.connectorConfig(name) : undefined,
    );
    herder = new Herder({
      workerId: this.workerId,
      worker: cfg,
      registry: o.registry ?? builtinRegistry(),
      offsets: createKafkaOffsetStore(cfg, log),
      configs: this.configs,
      transport,
      log,
      metrics: new WorkerMetrics(),
      placement: this,
    });
    this.herder = herder;

    const sessionTimeoutMs = cfg.int('session.timeout.ms');
    const heartbeatIntervalMs = cfg.int('heartbeat.interval.ms');
    this.membership = new Membership({
      member: groupClient.groupMember({
        groupId: cfg.string('group.id'),
        metadata: encodeAnnouncement({ workerId: this.workerId, url: this.url }),
        topic: cfg.string('config.storage.topic'),
        sessionTimeoutMs,
        heartbeatIntervalMs,
        rebalanceTimeoutMs: this.rebalanceTimeoutMs,
      }),
      self: { workerId: this.workerId, url: this.url },
      sessionTimeoutMs,
      heartbeatIntervalMs,
      log: log.child({ component: 'worker-group' }),
      onChange: (view) => {
        this.view = view;
        this.schedule();
      },
    });
  }

  private get log(): Logger {
    return this.o.log;
  }

  /**
   * Reads the status and config topics, starts the herder (every connector is planned here, no task runs yet),
   * then joins the group; tasks start once the membership is known.
   */
  async start(): Promise<void> {
    await this.statuses.start();
    // Taken before the configs are read: each of these was written after its connector's config was on the config
    // topic, so a connector that the full read below does not hold was deleted.
    const read = this.statuses.all();
    this.configs.onChange((c) => this.onConfigChange(c));
    await this.configs.start();
    await this.tidyStatuses(read);
    await this.herder.start();
    this.statuses.onChange((connector, task, status) => this.onStatus(connector, task, status));
    this.started = true;
    await this.membership.start();
    // Statuses are also written on every change; this repairs a failed write and follows connector states.
    this.timer = setInterval(() => {
      if (this.waiting.size > 0) this.schedule();
      void this.publish();
      this.retryTombstones();
    }, 1000);
  }

  /**
   * What the status topic held at start that no one else would put right:
   * - a status of a connector that is no longer configured (its deletion was applied while no worker that wrote the
   *   status was there to delete it: a worker stopping or crashing meanwhile) is deleted, by whichever worker starts;
   * - a task status under this worker's id that says RUNNING was left by an earlier process with the same id (a
   *   restart): nothing runs here yet, so it is released now, or the task's next worker would wait for it.
   */
  private async tidyStatuses(read: ReturnType<KafkaStatusStore['all']>): Promise<void> {
    const deleted = read.filter((s) => !this.configs.get(s.connector));
    const stale = read.filter(
      (s) =>
        s.task !== undefined &&
        this.configs.get(s.connector) !== undefined &&
        s.status.worker_id === this.workerId &&
        s.status.state !== 'UNASSIGNED',
    );
    await Promise.all([
      ...deleted.map((s) => this.tombstone(s.connector, s.task)),
      ...stale.map((s) => this.write(s.connector, s.task, 'UNASSIGNED')),
    ]);
    if (deleted.length)
      this.log.info({ statuses: deleted.length }, 'Deleted statuses left on the status topic by deleted connectors');
    if (stale.length)
      this.log.info({ tasks: stale.length }, 'Released task statuses left by an earlier run of this worker');
  }

  /** Every status read from the topic (another worker's, or this one's own coming back). */
  private onStatus(connector: string, task: number | undefined, status: StatusValue | undefined): void {
    // A status of this worker deleted while its connector exists (the tombstone of a slow worker forgetting an
    // earlier connector of that name): the next publication writes it again.
    if (!status && this.configs.get(connector)) this.published.delete(unitKey(connector, task));
    if (this.waiting.size > 0) this.schedule();
  }

  private onConfigChange(change: ConfigChange): void {
    if (this.stopped) return;
    const name = change.connector;
    if (change.kind === 'restart') {
      void this.herder
        .applyRestart(name, { includeTasks: change.includeTasks, onlyFailed: change.onlyFailed })
        .catch((err) => this.log.warn({ connector: name, err: traceOf(err) }, 'Restart request failed'));
      return;
    }
    if (change.kind === 'tasks') {
      this.schedule();
      return;
    }
    void (async () => {
      try {
        await this.herder.syncConnector(name, () => this.configs.get(name));
      } catch (err) {
        this.log.error({ connector: name, err: traceOf(err) }, 'Applying a connector config change failed');
      }
      if (!this.configs.get(name)) await this.forget(name);
      this.schedule();
    })();
  }

  /**
   * A deleted connector's statuses: Connect deletes them (DESTROYED is written as a tombstone). Every worker applies
   * the deletion, and each deletes what it wrote itself: it writes nothing more for a connector its config view does
   * not hold (write()), its writes reach the topic in the order they were made (one produce queue), so its last
   * record of every key it wrote is a tombstone, whatever the timing of the others, the rebalances and the task
   * stops. It also deletes what the topic holds of the connector that no live worker answers for (a worker gone).
   */
  private async forget(name: string): Promise<void> {
    for (const k of [...this.published.keys()])
      if (k === name || k.startsWith(`${name}\u0000`)) this.published.delete(k);
    await this.statuses
      .readToEnd()
      .catch((err) =>
        this.log.debug({ err: describe(err) }, 'Reading the status topic to its end failed; deleting what was read'),
      );
    // Created again meanwhile: the statuses are the new connector's.
    if (this.stopped || this.configs.get(name)) return;
    const tasks = new Set(this.written.get(name));
    this.written.delete(name);
    const live = new Set(this.view.members.map((m) => m.workerId));
    // A task another live worker holds is deleted by that worker, once its task stopped.
    for (const [task, s] of this.statuses.tasksOf(name)) if (!holderOf(s, this.workerId, live)) tasks.add(task);
    await Promise.all([this.tombstone(name, undefined), ...[...tasks].map((task) => this.tombstone(name, task))]);
  }

  /** Deletes a status of a deleted connector; one the broker did not acknowledge is written again (retryTombstones). */
  private async tombstone(connector: string, task: number | undefined): Promise<void> {
    const key = unitKey(connector, task);
    this.unwritten.delete(key);
    if (!(await this.statuses.put(connector, task, null))) this.unwritten.set(key, { connector, task });
  }

  private retryTombstones(): void {
    for (const [key, { connector, task }] of this.unwritten) {
      this.unwritten.delete(key);
      // Created again since: its statuses are written afresh.
      if (!this.configs.get(connector)) void this.tombstone(connector, task);
    }
  }

  /** Runs `plan()` now, or once more after the one under way (changes may arrive while it runs). */
  private schedule(): void {
    if (!this.started || this.stopped) return;
    if (this.planning) {
      this.planAgain = true;
      return;
    }
    this.planning = true;
    void (async () => {
      try {
        do {
          this.planAgain = false;
          await this.plan();
        } while (this.planAgain && !this.stopped);
      } catch (err) {
        this.log.error({ err: traceOf(err) }, 'Applying the assignment failed');
      } finally {
        this.planning = false;
      }
    })();
  }

  private async plan(): Promise<void> {
    const { members, memberId, settled } = this.view;
    // During a rebalance the membership is about to change: what runs keeps running, nothing new starts (the next
    // view decides). A fenced worker (no members) goes on to stop everything.
    if (members.length > 0 && !settled) return;
    // The latest releases and claims, so that a task another worker took a moment ago is not taken again.
    await this.statuses
      .readToEnd()
      .catch((err) =>
        this.log.debug({ err: describe(err) }, 'Reading the status topic to its end failed; deciding on what was read'),
      );
    const work = this.configs.names().map((name) => ({
      name,
      tasks: this.configs.get(name)?.target === 'STOPPED' ? 0 : this.configs.taskCount(name),
    }));
    this.assignment = assign(members, work);
    const live = new Set(members.map((m) => m.workerId));
    const next = new Set<string>();
    const now = Date.now();
    for (const [id, m] of this.assignment.tasks) {
      if (m.memberId !== memberId) continue;
      if (this.local.has(id)) {
        next.add(id);
        continue;
      }
      const [connector, n] = splitTaskId(id);
      const holder = holderOf(this.statuses.task(connector, n), this.workerId, live);
      if (!holder) {
        next.add(id);
        this.waiting.delete(id);
        continue;
      }
      const since = this.waiting.get(id);
      if (since === undefined) {
        this.waiting.set(id, now);
        this.log.info(
          { connector, task: n, holder },
          'Task assigned here; waiting for its previous worker to release it',
        );
      } else if (now - since > this.rebalanceTimeoutMs) {
        this.log.warn(
          { connector, task: n, holder, waitedMs: now - since },
          'Previous worker did not release the task within rebalance.timeout.ms; starting it here',
        );
        next.add(id);
        this.waiting.delete(id);
      }
    }
    for (const id of this.waiting.keys())
      if (this.assignment.tasks.get(id)?.memberId !== memberId) this.waiting.delete(id);
    const gained = [...next].filter((id) => !this.local.has(id));
    const lost = [...this.local].filter((id) => !next.has(id));
    if (gained.length || lost.length)
      this.log.info(
        { start: gained.map(label), stop: lost.map(label), running: next.size },
        'Assignment changed: tasks move to or from this worker',
      );
    this.local = next;
    // Claim before starting: the RUNNING status goes out (and is acknowledged) first, so a worker deciding a moment
    // later sees the task taken.
    await Promise.all(
      gained.map((id) => {
        const [connector, n] = splitTaskId(id);
        return this.write(connector, n, this.configs.get(connector)?.target === 'PAUSED' ? 'PAUSED' : 'RUNNING');
      }),
    );
    await this.herder.reconcile();
    for (const name of this.configs.names()) if (this.runsConnector(name)) await this.ensureTaskConfigs(name);
    await this.publish();
  }

  /**
   * The connector's owner keeps its task configs on the config topic (task-<name>-<n> + commit-<name>), as Connect's
   * leader does; the committed count is what every worker assigns. Every worker computes the same split from the
   * connector config (the built-in connectors' splits are deterministic), so tasks run with what they computed.
   */
  private async ensureTaskConfigs(name: string): Promise<void> {
    const entry = this.configs.get(name);
    if (!entry || !this.herder.has(name)) return;
    // Only a plan of the config the topic holds now: a newer config will be planned and written in turn.
    if (!sameConfig(this.herder.connectorConfig(name), entry.config)) return;
    let wanted: Record<string, string>[] = [];
    if (entry.target !== 'STOPPED') {
      if (
        this.herder.localStates().some((s) => s.connector === name && s.task === undefined && s.info.state === 'FAILED')
      )
        return;
      // The herder's task configs keep provider references, not their values (reverseTransform).
      wanted = this.herder.taskConfigs(name).map((t) => t.config);
    }
    const stored = this.configs.taskConfigs(name);
    if (
      stored &&
      this.configs.taskCount(name) === wanted.length &&
      stored.length === wanted.length &&
      stored.every((c, i) => sameConfig(c, wanted[i]))
    )
      return;
    try {
      await this.configs.putTaskConfigs(name, wanted);
      this.log.info({ connector: name, tasks: wanted.length }, 'Task configs written to the config topic');
    } catch (err) {
      this.log.warn({ connector: name, err: describe(err) }, 'Task configs could not be written; will try again');
    }
  }

  /** Writes the states of what this worker answers for, where they changed since the last write. */
  private async publish(): Promise<void> {
    if (!this.started) return;
    const writes: Promise<unknown>[] = [];
    for (const s of this.herder.localStates()) {
      if (s.task === undefined && !this.runsConnector(s.connector)) {
        // Another worker answers for it now; should it come back, its status is written afresh.
        this.published.delete(s.connector);
        continue;
      }
      // The topic says someone else (a late UNASSIGNED of a previous worker, say): this worker's state goes again.
      const seen =
        s.task === undefined ? this.statuses.connector(s.connector) : this.statuses.task(s.connector, s.task);
      if (seen && seen.worker_id !== this.workerId) this.published.delete(unitKey(s.connector, s.task));
      writes.push(this.write(s.connector, s.task, s.info.state, s.info.trace));
    }
    await Promise.all(writes);
  }

  private async write(connector: string, task: number | undefined, state: State, trace?: string): Promise<void> {
    // A deleted connector's statuses are tombstones only (forget, taskStopped): a state taken from the herder
    // while the deletion was being applied (publish, a task's last report) must not follow them. The config goes
    // before those tombstones are queued, and a write queued before it precedes them on the topic.
    if (!this.configs.get(connector)) return;
    const key = unitKey(connector, task);
    const before = this.published.get(key);
    const next: Published = { state, trace: trace ?? null };
    if (before && before.state === next.state && before.trace === next.trace) return;
    this.published.set(key, next);
    this.unwritten.delete(key);
    if (task !== undefined) {
      let mine = this.written.get(connector);
      if (!mine) {
        mine = new Set();
        this.written.set(connector, mine);
      }
      mine.add(task);
    }
    const ok = await this.statuses.put(connector, task, {
      ...next,
      worker_id: this.workerId,
      generation: Math.max(0, this.view.generation),
    });
    if (!ok && this.published.get(key) === next) this.published.delete(key);
  }

  // ---- TaskPlacement (the herder asks) ----

  runsTask(connector: string, task: number): boolean {
    return !this.stopped && this.local.has(taskId(connector, task));
  }

  runsConnector(connector: string): boolean {
    const m = this.assignment.connectors.get(connector);
    return m !== undefined && m.memberId === this.view.memberId && this.view.members.length > 0;
  }

  remoteStatus(connector: string, task?: number): StateInfo | undefined {
    const s = task === undefined ? this.statuses.connector(connector) : this.statuses.task(connector, task);
    if (!s) return undefined;
    return { state: s.state, worker_id: s.worker_id, ...(s.trace ? { trace: s.trace } : {}) };
  }

  taskState(connector: string, task: number, state: State, trace?: string): void {
    void this.write(connector, task, state, trace);
  }

  taskStopped(connector: string, task: number): void {
    const key = unitKey(connector, task);
    if (!this.configs.get(connector)) {
      // Deleted: the status goes too, and no UNASSIGNED may come after its tombstone.
      this.published.delete(key);
      void this.tombstone(connector, task);
      return;
    }
    this.published.delete(key);
    this.log.info({ connector, task }, 'Task stopped here; released');
    // Unless another worker has claimed it since (a duplicate run now ending): its status stays.
    const live = new Set(this.view.members.map((m) => m.workerId));
    if (holderOf(this.statuses.task(connector, task), this.workerId, live)) return;
    void this.write(connector, task, 'UNASSIGNED');
  }

  async requestRestart(connector: string, options: RestartOptions): Promise<void> {
    await this.configs.requestRestart(connector, options.includeTasks ?? false, options.onlyFailed ?? false);
  }

  /** Sends the restart to the worker running the task, as Connect forwards it (with the worker's bearer token). */
  async restartRemoteTask(connector: string, task: number): Promise<void> {
    const owner = this.assignment.tasks.get(taskId(connector, task));
    if (!owner?.url)
      throw new HerderError(
        409,
        `Task ${connector}-${task} is not assigned to a worker at the moment; try again shortly`,
      );
    let res: Response;
    try {
      res = await fetch(`${owner.url}/connectors/${encodeURIComponent(connector)}/tasks/${task}/restart`, {
        method: 'POST',
        headers: this.bearerToken ? { authorization: `Bearer ${this.bearerToken}` } : {},
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new HerderError(
        502,
        `Worker ${owner.workerId} running task ${connector}-${task} did not answer: ${describe(err)}`,
      );
    }
    if (res.ok) return;
    const body = (await res.json().catch(() => undefined)) as { message?: string } | undefined;
    throw new HerderError(res.status, body?.message ?? `Worker ${owner.workerId} answered ${res.status}`);
  }

  /** Stops every task here (offsets committed, UNASSIGNED written), then leaves the group so others take over now. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.herder.stop();
    await this.membership.stop();
    await this.statuses.stop();
    await this.configs.stop();
  }
}

const label = (id: string) => id.replace('\u0000', '-');

/** The key of a connector's or a task's status in `published` and `unwritten`. */
const unitKey = (connector: string, task: number | undefined) =>
  task === undefined ? connector : `${connector}\u0000${task}`;

function splitTaskId(id: string): [string, number] {
  const i = id.lastIndexOf('\u0000');
  return [id.slice(0, i), Number(id.slice(i + 1))];
}
