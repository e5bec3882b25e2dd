import type { HistoryPoint, MetricsView, TaskMetrics } from '../api-types.js';

/** Kafka Connect's status body, with sluice's extra task fields (docs/rest.md). */
export interface TaskStatus {
  id: number;
  state: string;
  worker_id: string;
  trace?: string;
  log?: {
    retained_bytes?: number;
    behind_bytes?: number;
    window_seconds?: number;
    position?: string;
    ms_behind_source?: number;
    retention_exceeded?: boolean;
  };
  retrying?: { since: number; attempt: number; error: string };
  /** the task's last snapshot (REST status): initial, incremental or blocking */
  snapshot?: {
    kind: string;
    id?: string;
    running: boolean;
    paused: boolean;
    completed: boolean;
    tablesTotal: number;
    tablesRemaining: number;
    rowsScanned: number;
    durationSeconds: number;
  };
}

export interface ConnectorStatus {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: TaskStatus[];
  type: 'source' | 'sink';
}

export interface ConnectorInfo {
  name: string;
  config: Record<string, string>;
  tasks: Array<{ connector: string; task: number }>;
  type: 'source' | 'sink';
}

/** `GET /connectors?expand=status&expand=info` */
export type Expanded = Record<string, { status?: ConnectorStatus; info?: ConnectorInfo }>;

export interface Snapshot {
  running: boolean;
  tablesTotal?: number;
  tablesRemaining?: number;
  rowsScanned?: number;
  rowsEstimated?: number;
  /** rows per second over the last sampled interval */
  rate?: number;
  etaMs?: number;
}

export interface Row {
  name: string;
  type: 'source' | 'sink';
  status?: ConnectorStatus;
  /** this worker's metrics of each task it runs */
  taskMetrics: Map<number, TaskMetrics>;
  /** records in and out since the worker started, over the tasks this worker runs */
  totalIn: number;
  totalOut: number;
  filtered: number;
  skipped: number;
  commitFailures: number;
  rateIn?: number;
  rateOut?: number;
  /** per second, oldest first, one point per history interval */
  spark: { t: number[]; in: number[]; out: number[] };
  lagMs?: number;
  retainedBytes?: number;
  behindBytes?: number;
  windowSeconds?: number;
  retentionExceeded: boolean;
  retrying: number;
  failedTasks: number;
  snapshot?: Snapshot;
}

function sumOf(list: TaskMetrics[], key: string): number {
  let n = 0;
  for (const t of list) n += t.values[key] ?? 0;
  return n;
}

function maxOf(values: Array<number | undefined>): number | undefined {
  let m: number | undefined;
  for (const v of values) if (v !== undefined && (m === undefined || v > m)) m = v;
  return m;
}

/**
 * Differences of cumulative counters as rates. A connector absent from a point had no series yet: its counters were
 * 0. A counter that went back (the connector was deleted and created again) counts as 0.
 */
function rates(points: HistoryPoint[], name: string, idx: 0 | 1 | 2): { t: number[]; v: number[] } {
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1].c[name]?.[idx] ?? 0;
    const b = points[i].c[name]?.[idx] ?? 0;
    const dt = (points[i].t - points[i - 1].t) / 1000;
    if (dt <= 0) continue;
    t.push(points[i].t / 1000);
    v.push(Math.max(0, b - a) / dt);
  }
  return { t, v };
}

/** The worker's history with its counters at this very answer, so the last rate is at most seconds old. */
function withNow(metrics: MetricsView | undefined): HistoryPoint[] {
  const points = metrics?.history.points ?? [];
  if (!metrics) return points;
  const last = points.at(-1);
  // A last interval shorter than a second would make a jumpy rate: the current counters take the last sample's
  // place instead, so the newest rate covers the last 5–6 seconds up to now.
  if (last && metrics.history.current.t - last.t < 1000 && points.length > 1)
    return [...points.slice(0, -1), metrics.history.current];
  return [...points, metrics.history.current];
}

/**
 * One row per connector, joining the REST status with this worker's metrics. Everything shown is read from the
 * worker; only rates (differences of its counters) and sums over tasks are worked out here.
 */
export function rows(expanded: Expanded, metrics: MetricsView | undefined): Row[] {
  const byConnector = new Map<string, TaskMetrics[]>();
  for (const t of metrics?.tasks ?? []) {
    const list = byConnector.get(t.connector) ?? [];
    list.push(t);
    byConnector.set(t.connector, list);
  }
  const points = withNow(metrics);
  return Object.keys(expanded)
    .sort()
    .map((name) => {
      const { status, info } = expanded[name];
      const type = status?.type ?? info?.type ?? 'source';
      // Only tasks the status still lists: a task gone after a reconfiguration keeps its last counters.
      const ids = new Set((status?.tasks ?? []).map((t) => t.id));
      const all = byConnector.get(name) ?? [];
      const tm = all.filter((t) => ids.size === 0 || ids.has(t.task));
      const written = sumOf(all, 'written');
      const polled = sumOf(all, 'polled');
      const filtered = sumOf(all, 'filtered');
      const skipped = sumOf(all, 'skipped');
      const inRates = rates(points, name, 0);
      const outRates = rates(points, name, 1);
      const rowRates = rates(points, name, 2);
      const logs = (status?.tasks ?? []).map((t) => t.log).filter((l) => l !== undefined);
      const snap = tm.map((t) => t.snapshot).filter((s) => s !== undefined);
      let snapshot: Snapshot | undefined;
      if (snap.length) {
        const sum = (k: string) =>
          snap.some((s) => s[k] !== undefined) ? snap.reduce((n, s) => n + (s[k] ?? 0), 0) : undefined;
        const running = snap.some((s) => s.running === 1);
        const rate = rowRates.v.at(-1);
        const rowsScanned = sum('rows_scanned');
        const rowsEstimated = sum('rows_estimated');
        const left = rowsEstimated !== undefined && rowsScanned !== undefined ? rowsEstimated - rowsScanned : undefined;
        snapshot = {
          running,
          tablesTotal: sum('tables_total'),
          tablesRemaining: sum('tables_remaining'),
          rowsScanned,
          rowsEstimated,
          rate,
          etaMs: running && rate && left !== undefined && left > 0 ? (left / rate) * 1000 : undefined,
        };
      }
      return {
        name,
        type,
        status,
        taskMetrics: new Map(tm.map((t) => [t.task, t])),
        totalIn: type === 'source' ? polled : written + filtered + skipped,
        totalOut: written,
        filtered,
        skipped,
        commitFailures: sumOf(tm, 'commitFailures'),
        rateIn: inRates.v.at(-1),
        rateOut: outRates.v.at(-1),
        spark: { t: outRates.t, in: inRates.v, out: outRates.v },
        lagMs: maxOf([...logs.map((l) => l.ms_behind_source), ...tm.map((t) => t.values.lagMs)]),
        retainedBytes: maxOf(logs.map((l) => l.retained_bytes)),
        behindBytes: maxOf(logs.map((l) => l.behind_bytes)),
        windowSeconds: logs.reduce<number | undefined>(
          (m, l) =>
            l.window_seconds === undefined ? m : m === undefined ? l.window_seconds : Math.min(m, l.window_seconds),
          undefined,
        ),
        retentionExceeded: logs.some((l) => l.retention_exceeded === true),
        retrying: (status?.tasks ?? []).filter((t) => t.retrying).length,
        failedTasks: (status?.tasks ?? []).filter((t) => t.state === 'FAILED').length,
        snapshot,
      };
    });
}
