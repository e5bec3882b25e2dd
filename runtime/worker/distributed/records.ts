import type { State, TargetState } from '../../tasks/state.js';

/**
 * Kafka Connect's records on `config.storage.topic` and `status.storage.topic`, as its KafkaConfigBackingStore and
 * KafkaStatusBackingStore write them: string keys, values in JsonConverter's schemaless JSON, a null value deleting
 * the key. Keeping them byte-compatible lets Connect's tools (and anyone reading the topics) see sluice's cluster
 * state as they would see a Connect cluster's.
 */

export type ConfigRecord =
  | { readonly kind: 'connector'; readonly connector: string; readonly config: Record<string, string> | null }
  | {
      readonly kind: 'task';
      readonly connector: string;
      readonly task: number;
      readonly config: Record<string, string> | null;
    }
  | { readonly kind: 'commit'; readonly connector: string; readonly tasks: number }
  | { readonly kind: 'target-state'; readonly connector: string; readonly state: TargetState | null }
  | {
      readonly kind: 'restart';
      readonly connector: string;
      readonly includeTasks: boolean;
      readonly onlyFailed: boolean;
    }
  /** a key Connect writes that sluice does not use (session-key, tasks-fencing-, logger-cluster-), or a bad value */
  | { readonly kind: 'ignored'; readonly key: string; readonly reason?: string };

export const connectorKey = (name: string) => `connector-${name}`;
export const taskKey = (name: string, task: number) => `task-${name}-${task}`;
export const commitKey = (name: string) => `commit-${name}`;
export const targetStateKey = (name: string) => `target-state-${name}`;
export const restartKey = (name: string) => `restart-connector-${name}`;

const json = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');

export function encodeConnectorConfig(config: Record<string, string>): Buffer {
  return json({ properties: config });
}

export const encodeTaskConfig = encodeConnectorConfig;

export function encodeCommit(tasks: number): Buffer {
  return json({ tasks });
}

/** Connect ≥ 3.5 writes STOPPED as `state.v2` and PAUSED in `state`, which older workers understand. */
export function encodeTargetState(state: TargetState): Buffer {
  return json({ state: state === 'STOPPED' ? 'PAUSED' : state, 'state.v2': state });
}

export function encodeRestart(includeTasks: boolean, onlyFailed: boolean): Buffer {
  return json({ 'include-tasks': includeTasks, 'only-failed': onlyFailed });
}

const TARGETS: readonly TargetState[] = ['STARTED', 'PAUSED', 'STOPPED'];
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseValue(value: Buffer | null): { ok: true; value: unknown } | { ok: false } {
  if (value === null || value.length === 0) return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(value.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

function properties(v: unknown): Record<string, string> | undefined {
  if (!isMap(v) || !isMap(v.properties)) return undefined;
  const out: Record<string, string> = {};
  // Connect's map values are optional strings; a null one means the key has no value, which configs never carry.
  for (const [k, x] of Object.entries(v.properties)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** One record of the config topic. Keys are matched by prefix in Connect's order (`target-state-` first). */
export function decodeConfigRecord(key: string, value: Buffer | null): ConfigRecord {
  const parsed = parseValue(value);
  if (!parsed.ok) return { kind: 'ignored', key, reason: 'value is not JSON' };
  const v = parsed.value;
  if (key.startsWith('target-state-')) {
    const connector = key.slice('target-state-'.length);
    if (v === null) return { kind: 'target-state', connector, state: null };
    const raw = isMap(v) ? (typeof v['state.v2'] === 'string' ? v['state.v2'] : v.state) : undefined;
    const state = TARGETS.find((t) => t === raw);
    return state
      ? { kind: 'target-state', connector, state }
      : { kind: 'ignored', key, reason: 'unknown target state' };
  }
  if (key.startsWith('connector-')) {
    const connector = key.slice('connector-'.length);
    if (v === null) return { kind: 'connector', connector, config: null };
    const config = properties(v);
    return config ? { kind: 'connector', connector, config } : { kind: 'ignored', key, reason: 'no properties map' };
  }
  if (key.startsWith('task-')) {
    // The connector name may hold dashes: the task number follows the last one.
    const rest = key.slice('task-'.length);
    const dash = rest.lastIndexOf('-');
    const task = Number(rest.slice(dash + 1));
    if (dash <= 0 || !Number.isInteger(task) || task < 0) return { kind: 'ignored', key, reason: 'bad task key' };
    const connector = rest.slice(0, dash);
    if (v === null) return { kind: 'task', connector, task, config: null };
    const config = properties(v);
    return config ? { kind: 'task', connector, task, config } : { kind: 'ignored', key, reason: 'no properties map' };
  }
  if (key.startsWith('commit-')) {
    const connector = key.slice('commit-'.length);
    const tasks = isMap(v) ? v.tasks : undefined;
    return typeof tasks === 'number' && Number.isInteger(tasks) && tasks >= 0
      ? { kind: 'commit', connector, tasks }
      : { kind: 'ignored', key, reason: 'commit without a task count' };
  }
  if (key.startsWith('restart-connector-')) {
    const connector = key.slice('restart-connector-'.length);
    if (!isMap(v)) return { kind: 'ignored', key, reason: 'restart request without a value' };
    return {
      kind: 'restart',
      connector,
      // Connect's defaults when a field is missing or of the wrong type.
      includeTasks: v['include-tasks'] === true,
      onlyFailed: v['only-failed'] === true,
    };
  }
  return { kind: 'ignored', key };
}

// ---- status topic ----

export interface StatusValue {
  readonly state: State;
  readonly trace: string | null;
  readonly worker_id: string;
  readonly generation: number;
}

export type StatusRecord =
  | { readonly kind: 'connector'; readonly connector: string; readonly status: StatusValue | null }
  | { readonly kind: 'task'; readonly connector: string; readonly task: number; readonly status: StatusValue | null }
  | { readonly kind: 'ignored'; readonly key: string };

export const connectorStatusKey = (name: string) => `status-connector-${name}`;
export const taskStatusKey = (name: string, task: number) => `status-task-${name}-${task}`;

const STATES: readonly State[] = ['UNASSIGNED', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING'];

/** Field order as Connect's STATUS_SCHEMA_V0: state, trace, worker_id, generation. */
export function encodeStatus(s: StatusValue): Buffer {
  return json({ state: s.state, trace: s.trace, worker_id: s.worker_id, generation: s.generation });
}

function statusValue(v: unknown): StatusValue | undefined {
  if (!isMap(v)) return undefined;
  const state = STATES.find((s) => s === v.state);
  if (!state || typeof v.worker_id !== 'string') return undefined;
  return {
    state,
    trace: typeof v.trace === 'string' ? v.trace : null,
    worker_id: v.worker_id,
    generation: typeof v.generation === 'number' ? v.generation : -1,
  };
}

/** One record of the status topic; topic statuses (`status-topic-…`) are not read. */
export function decodeStatusRecord(key: string, value: Buffer | null): StatusRecord {
  const parsed = parseValue(value);
  if (!parsed.ok) return { kind: 'ignored', key };
  const status = parsed.value === null ? null : statusValue(parsed.value);
  if (status === undefined) return { kind: 'ignored', key };
  if (key.startsWith('status-connector-'))
    return { kind: 'connector', connector: key.slice('status-connector-'.length), status };
  if (key.startsWith('status-task-')) {
    const rest = key.slice('status-task-'.length);
    const dash = rest.lastIndexOf('-');
    const task = Number(rest.slice(dash + 1));
    if (dash <= 0 || !Number.isInteger(task) || task < 0) return { kind: 'ignored', key };
    return { kind: 'task', connector: rest.slice(0, dash), task, status };
  }
  return { kind: 'ignored', key };
}
