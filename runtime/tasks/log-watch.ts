import type { Logger, LogStatus } from '../api/index.js';
import type { WorkerMetrics } from '../metrics/metrics.js';

/** The `log` field of a source task's status (a sluice extra, next to Connect's id/state/worker_id/trace). */
export interface LogReport {
  retained_bytes?: number;
  behind_bytes?: number;
  window_seconds?: number;
  position?: string;
  /** Debezium's MilliSecondsBehindSource: age of the last change when the task handed it out */
  ms_behind_source?: number;
  /** the bytes this task makes the database keep passed log.retention.warn.bytes */
  retention_exceeded?: boolean;
}

/**
 * What a source task holds of its database's log: metrics, status, and a warning when it passes
 * `log.retention.warn.bytes` (logged once per crossing, and again when it falls back).
 */
export class LogWatch {
  private report: LogReport = {};
  private exceeded = false;

  constructor(
    private readonly labels: { connector: string; task: string },
    private readonly metrics: WorkerMetrics,
    private readonly log: Logger,
    private readonly warnBytes: number,
  ) {}

  lag(ms: number): void {
    this.report.ms_behind_source = ms;
    this.metrics.lagMillis.set(this.labels, ms);
  }

  update(s: LogStatus): void {
    const { metrics, labels } = this;
    const r = this.report;
    if (s.retainedBytes !== undefined) {
      r.retained_bytes = s.retainedBytes;
      metrics.logRetainedBytes.set(labels, s.retainedBytes);
    }
    if (s.behindBytes !== undefined) {
      r.behind_bytes = s.behindBytes;
      metrics.logBehindBytes.set(labels, s.behindBytes);
    }
    if (s.windowSeconds !== undefined) {
      r.window_seconds = s.windowSeconds;
      metrics.logWindowSeconds.set(labels, s.windowSeconds);
    }
    if (s.position !== undefined) r.position = s.position;
    const held = s.retainedBytes ?? s.behindBytes;
    if (held === undefined || this.warnBytes <= 0) return;
    const over = held > this.warnBytes;
    r.retention_exceeded = over;
    metrics.logRetentionExceeded.set(labels, over ? 1 : 0);
    if (over !== this.exceeded) {
      this.exceeded = over;
      const fields = { retainedBytes: held, threshold: this.warnBytes, position: r.position };
      if (over) {
        this.log.warn(
          fields,
          'The database keeps more of its log for this connector than log.retention.warn.bytes: is the sink paused or failing, or the task stopped? Disk fills until the position moves.',
        );
      } else this.log.info(fields, 'Log kept for this connector is back under log.retention.warn.bytes');
    }
  }

  get current(): LogReport | undefined {
    return Object.keys(this.report).length ? { ...this.report } : undefined;
  }
}
