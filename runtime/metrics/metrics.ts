import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the state gauges read at scrape time: the herder's status, without depending on the herder. */
export interface StatusSnapshot {
  name: string;
  connector: { state: string };
  tasks: ReadonlyArray<{ id: number; state: string }>;
}

/** Debezium's snapshot metric names (SnapshotChangeEventSourceMetricsMXBean), one gauge each. */
export const DEBEZIUM_SNAPSHOT = [
  'TotalTableCount',
  'RemainingTableCount',
  'SnapshotRunning',
  'SnapshotPaused',
  'SnapshotCompleted',
  'SnapshotAborted',
  'SnapshotDurationInSeconds',
] as const;

const STATES = ['UNASSIGNED', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING'] as const;

/**
 * The worker's Prometheus metrics, in a registry of its own (several workers may share a process in tests).
 * Labels: connector, task.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly recordsPolled: Counter<'connector' | 'task'>;
  readonly recordsWritten: Counter<'connector' | 'task'>;
  readonly recordsFiltered: Counter<'connector' | 'task'>;
  readonly recordsSkipped: Counter<'connector' | 'task' | 'stage'>;
  readonly batchSize: Histogram<'connector' | 'task'>;
  readonly offsetCommits: Counter<'connector' | 'task'>;
  readonly offsetCommitFailures: Counter<'connector' | 'task'>;
  readonly offsetCommitSeconds: Histogram<'connector' | 'task'>;
  readonly queueRecords: Gauge<'connector' | 'task'>;
  readonly queueBytes: Gauge<'connector' | 'task'>;
  readonly queueCapacityRecords: Gauge<'connector' | 'task'>;
  readonly queueCapacityBytes: Gauge<'connector' | 'task'>;
  readonly lagMillis: Gauge<'connector' | 'task'>;
  readonly snapshot: Gauge<'connector' | 'task' | 'measure'>;
  /** Debezium's snapshot metrics (its JMX `context=snapshot` names, as the Debezium jmx_exporter rules name them) */
  readonly dbz: Record<(typeof DEBEZIUM_SNAPSHOT)[number], Gauge<'connector' | 'task' | 'context'>>;
  readonly dbzRowsScanned: Gauge<'connector' | 'task' | 'context' | 'table'>;
  // ---- the source's log (issue 15): what the database keeps for each task ----
  readonly logRetainedBytes: Gauge<'connector' | 'task'>;
  readonly logBehindBytes: Gauge<'connector' | 'task'>;
  readonly logWindowSeconds: Gauge<'connector' | 'task'>;
  readonly logRetentionExceeded: Gauge<'connector' | 'task'>;
  readonly taskRetrying: Gauge<'connector' | 'task'>;
  readonly connected: Gauge<'connector' | 'task' | 'plugin' | 'name' | 'context'>;
  readonly connectorState: Gauge<'connector' | 'state'>;
  readonly taskState: Gauge<'connector' | 'task' | 'state'>;
  private statuses: () => readonly StatusSnapshot[] = () => [];

  constructor(options: { processMetrics?: boolean } = {}) {
    const r = [this.registry];
    const labelNames = ['connector', 'task'] as const;
    this.recordsPolled = new Counter({
      name: 'sluice_source_records_polled_total',
      help: 'Records returned by source tasks.',
      labelNames,
      registers: r,
    });
    this.recordsWritten = new Counter({
      name: 'sluice_records_written_total',
      help: 'Records delivered: by a source to its transport, or put into a sink task.',
      labelNames,
      registers: r,
    });
    this.recordsFiltered = new Counter({
      name: 'sluice_records_filtered_total',
      help: 'Records dropped by transforms.',
      labelNames,
      registers: r,
    });
    this.recordsSkipped = new Counter({
      name: 'sluice_records_skipped_total',
      help: 'Records skipped by errors.tolerance=all.',
      labelNames: ['connector', 'task', 'stage'],
      registers: r,
    });
    this.batchSize = new Histogram({
      name: 'sluice_batch_size_records',
      help: 'Records per polled or put batch.',
      labelNames,
      buckets: [1, 10, 100, 500, 1000, 2048, 5000, 10000],
      registers: r,
    });
    this.offsetCommits = new Counter({
      name: 'sluice_offset_commits_total',
      help: 'Successful source offset commits.',
      labelNames,
      registers: r,
    });
    this.offsetCommitFailures = new Counter({
      name: 'sluice_offset_commit_failures_total',
      help: 'Failed source offset commits.',
      labelNames,
      registers: r,
    });
    this.offsetCommitSeconds = new Histogram({
      name: 'sluice_offset_commit_seconds',
      help: 'Time to make offsets durable.',
      labelNames,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: r,
    });
    this.queueRecords = new Gauge({
      name: 'sluice_source_queue_records',
      help: 'Records delivered but not yet acknowledged.',
      labelNames,
      registers: r,
    });
    this.queueBytes = new Gauge({
      name: 'sluice_source_queue_bytes',
      help: 'Estimated bytes delivered but not yet acknowledged.',
      labelNames,
      registers: r,
    });
    // The limits beside the fill, so `queue_records / queue_capacity_records` is the queue fill ratio.
    this.queueCapacityRecords = new Gauge({
      name: 'sluice_source_queue_capacity_records',
      help: 'max.queue.size: records that may be delivered but not yet acknowledged.',
      labelNames,
      registers: r,
    });
    this.queueCapacityBytes = new Gauge({
      name: 'sluice_source_queue_capacity_bytes',
      help: 'max.queue.size.in.bytes (0: no byte limit).',
      labelNames,
      registers: r,
    });
    this.lagMillis = new Gauge({
      name: 'sluice_source_milliseconds_behind_source',
      help: 'Age of the last record at delivery.',
      labelNames,
      registers: r,
    });
    this.snapshot = new Gauge({
      name: 'sluice_snapshot_progress',
      help: 'Snapshot progress (measure: tables_total, tables_remaining, rows_scanned, rows_estimated, running).',
      labelNames: ['connector', 'task', 'measure'],
      registers: r,
    });
    this.dbz = Object.fromEntries(
      DEBEZIUM_SNAPSHOT.map((n) => [
        n,
        new Gauge({
          name: `debezium_metrics_${n}`,
          help: `Debezium's ${n} (context: snapshot = the initial snapshot, incremental = a signalled one).`,
          labelNames: ['connector', 'task', 'context'],
          registers: r,
        }),
      ]),
    ) as WorkerMetrics['dbz'];
    this.dbzRowsScanned = new Gauge({
      name: 'debezium_metrics_RowsScanned',
      help: "Debezium's RowsScanned: rows read per table by the snapshot (context: snapshot or incremental).",
      labelNames: ['connector', 'task', 'context', 'table'],
      registers: r,
    });
    this.logRetainedBytes = new Gauge({
      name: 'sluice_source_log_retained_bytes',
      help: "Bytes of the database's log kept because of this task (PostgreSQL: current WAL minus the slot's restart_lsn; MySQL/MariaDB: binlog after the committed position).",
      labelNames,
      registers: r,
    });
    this.logBehindBytes = new Gauge({
      name: 'sluice_source_log_behind_bytes',
      help: "Bytes of the database's log after the committed position (PostgreSQL: current WAL minus confirmed_flush_lsn).",
      labelNames,
      registers: r,
    });
    this.logWindowSeconds = new Gauge({
      name: 'sluice_source_log_window_seconds',
      help: 'Seconds left before the committed position falls out of the log (MongoDB: oplog window left).',
      labelNames,
      registers: r,
    });
    this.logRetentionExceeded = new Gauge({
      name: 'sluice_source_log_retention_exceeded',
      help: '1 while the log kept for this task is above log.retention.warn.bytes, else 0.',
      labelNames,
      registers: r,
    });
    this.taskRetrying = new Gauge({
      name: 'sluice_task_retrying',
      help: 'A task retrying a retriable error (1) or not (0); the task status then carries a "retrying" field.',
      labelNames,
      registers: r,
    });
    // Debezium's streaming metric under the name its JMX exporter example gives it, so existing dashboards and
    // alerts (`debezium_metrics_Connected == 0`) keep working; connector and task added.
    this.connected = new Gauge({
      name: 'debezium_metrics_Connected',
      help: "Whether the source task holds its connection to the database (1) or not (0): Debezium's Connected.",
      labelNames: ['connector', 'task', 'plugin', 'name', 'context'],
      registers: r,
    });
    // One series per state with value 1 for the current one, so alerts can say `sluice_task_state{state="FAILED"} == 1`.
    const statuses = () => this.statuses();
    this.connectorState = new Gauge({
      name: 'sluice_connector_state',
      help: `Connector state: 1 for the current one of ${STATES.join(', ')}.`,
      labelNames: ['connector', 'state'],
      registers: r,
      collect() {
        this.reset();
        for (const s of statuses())
          for (const st of STATES) this.set({ connector: s.name, state: st }, s.connector.state === st ? 1 : 0);
      },
    });
    this.taskState = new Gauge({
      name: 'sluice_task_state',
      help: `Task state: 1 for the current one of ${STATES.join(', ')}.`,
      labelNames: ['connector', 'task', 'state'],
      registers: r,
      collect() {
        this.reset();
        for (const s of statuses()) {
          for (const t of s.tasks)
            for (const st of STATES)
              this.set({ connector: s.name, task: String(t.id), state: st }, t.state === st ? 1 : 0);
        }
      },
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
  }

  /** Where the state gauges read connector and task states from (the herder's status). */
  observeStatus(source: () => readonly StatusSnapshot[]): void {
    this.statuses = source;
  }

  /** Drops every series of a connector (after delete). */
  forget(connector: string): void {
    for (const m of this.registry.getMetricsAsArray()) {
      const metric = m as unknown as {
        remove?: (labels: Record<string, string>) => void;
        hashMap?: Record<string, { labels: Record<string, string> }>;
      };
      const series = metric.hashMap ? Object.values(metric.hashMap) : [];
      for (const s of series) if (s.labels.connector === connector) metric.remove?.(s.labels);
    }
  }
}
