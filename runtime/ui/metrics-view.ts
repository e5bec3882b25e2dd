import type { Registry } from 'prom-client';
import type { HistoryPoint, TaskMetrics } from './api-types.js';

/**
 * The dashboard reads the worker's Prometheus registry, the one `/metrics` serves: no value is counted twice. Metrics
 * are looked up by name, so a metric another part of the runtime adds later is shown once it is listed here, and
 * one that is absent (a worker without process metrics) is simply left out.
 */
const TASK_METRICS: Readonly<Record<string, string>> = {
  polled: 'sluice_source_records_polled_total',
  written: 'sluice_records_written_total',
  filtered: 'sluice_records_filtered_total',
  skipped: 'sluice_records_skipped_total',
  commits: 'sluice_offset_commits_total',
  commitFailures: 'sluice_offset_commit_failures_total',
  lagMs: 'sluice_source_milliseconds_behind_source',
  queueRecords: 'sluice_source_queue_records',
  queueCapacity: 'sluice_source_queue_capacity_records',
  logRetainedBytes: 'sluice_source_log_retained_bytes',
  logBehindBytes: 'sluice_source_log_behind_bytes',
  logWindowSeconds: 'sluice_source_log_window_seconds',
  retentionExceeded: 'sluice_source_log_retention_exceeded',
  retrying: 'sluice_task_retrying',
  connected: 'debezium_metrics_Connected',
};
const SNAPSHOT = 'sluice_snapshot_progress';

type Values = Array<{ labels: Record<string, string | number>; value: number }>;

async function valuesOf(registry: Registry, name: string): Promise<Values> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  return ((await metric.get()).values ?? []) as Values;
}

/** Every task's values, one entry per (connector, task) that has any series. */
export async function taskMetrics(registry: Registry): Promise<TaskMetrics[]> {
  const byTask = new Map<string, TaskMetrics>();
  const entry = (labels: Record<string, string | number>): TaskMetrics | undefined => {
    const connector = labels.connector;
    const task = Number(labels.task);
    if (typeof connector !== 'string' || !Number.isInteger(task)) return undefined;
    const id = `${task}\u0000${connector}`;
    let e = byTask.get(id);
    if (!e) {
      e = { connector, task, values: {} };
      byTask.set(id, e);
    }
    return e;
  };
  for (const [short, name] of Object.entries(TASK_METRICS)) {
    for (const v of await valuesOf(registry, name)) {
      const e = entry(v.labels);
      // Series that differ by another label (skipped: stage) add up.
      if (e) e.values[short] = (e.values[short] ?? 0) + v.value;
    }
  }
  for (const v of await valuesOf(registry, SNAPSHOT)) {
    const e = entry(v.labels);
    if (!e || typeof v.labels.measure !== 'string') continue;
    e.snapshot ??= {};
    e.snapshot[v.labels.measure] = v.value;
  }
  return [...byTask.values()].sort((a, b) =>
    a.connector === b.connector ? a.task - b.task : a.connector < b.connector ? -1 : 1,
  );
}

/** The process's own gauges (prom-client's default metrics), when the registry has them. */
export async function processMetrics(
  registry: Registry,
): Promise<{ rssBytes?: number; heapUsedBytes?: number; startedAt?: number }> {
  const one = async (name: string) => (await valuesOf(registry, name))[0]?.value;
  const rss = await one('sluice_process_resident_memory_bytes');
  const heap = await one('sluice_nodejs_heap_size_used_bytes');
  const start = await one('sluice_process_start_time_seconds');
  return {
    ...(rss !== undefined ? { rssBytes: rss } : {}),
    ...(heap !== undefined ? { heapUsedBytes: heap } : {}),
    ...(start !== undefined ? { startedAt: start * 1000 } : {}),
  };
}

/** What a connector took in and put out: a source polls and writes; a sink is handed records and writes them. */
export function inOut(tasks: readonly TaskMetrics[]): HistoryPoint['c'] {
  const out: HistoryPoint['c'] = {};
  for (const t of tasks) {
    const v = t.values;
    out[t.connector] ??= [0, 0, 0];
    const sum = out[t.connector];
    const written = v.written ?? 0;
    sum[0] += v.polled ?? written + (v.filtered ?? 0) + (v.skipped ?? 0);
    sum[1] += written;
    sum[2] += t.snapshot?.rows_scanned ?? 0;
  }
  return out;
}

/**
 * The overview's sparklines: every `intervalMs` the counters of each connector, for the last `points` intervals
 * (10 minutes by default). Rates are the browser's differences of these counters. Its cost is one timer and a few
 * hundred numbers per connector; the timer does not keep the process alive.
 */
export class MetricsHistory {
  private readonly ring: HistoryPoint[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: Registry,
    readonly intervalMs = 5000,
    private readonly points = 120,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get samples(): HistoryPoint[] {
    return [...this.ring];
  }

  async sample(): Promise<void> {
    let c: HistoryPoint['c'];
    try {
      c = inOut(await taskMetrics(this.registry));
    } catch {
      // A metric that cannot be read now leaves a gap in the sparkline, nothing worse.
      return;
    }
    this.ring.push({ t: Date.now(), c });
    if (this.ring.length > this.points) this.ring.splice(0, this.ring.length - this.points);
  }
}
