/**
 * The shapes of the dashboard's own endpoints (`/ui/api/…`), shared by the worker (runtime/ui) and the page
 * (runtime/ui/app). Everything else the page shows comes from Kafka Connect's REST API as it is.
 */

/** One task's values of the worker's Prometheus metrics (absent: the metric has no series for the task). */
export interface TaskMetrics {
  connector: string;
  task: number;
  /** counters and gauges by short name: polled, written, filtered, skipped, commits, commitFailures, lagMs, … */
  values: Record<string, number>;
  /** sluice_snapshot_progress by measure (tables_total, tables_remaining, rows_scanned, rows_estimated, running) */
  snapshot?: Record<string, number>;
}

/** A connector's counters summed over its tasks on this worker, at one instant. */
export interface HistoryPoint {
  /** epoch ms */
  t: number;
  /** per connector: [records in, records out, rows scanned by a snapshot] since the worker started */
  c: Record<string, [number, number, number]>;
}

/** `GET /ui/api/metrics` */
export interface MetricsView {
  /** epoch ms */
  now: number;
  worker: {
    id: string;
    version: string;
    /** process metrics from the same registry as /metrics (absent when the worker does not collect them) */
    rssBytes?: number;
    heapUsedBytes?: number;
    startedAt?: number;
  };
  tasks: TaskMetrics[];
  /** oldest first, one point every `intervalMs`; `current`: the same counters at this answer */
  history: { intervalMs: number; points: HistoryPoint[]; current: HistoryPoint };
  inspector: boolean;
}

/** One key of `GET /ui/api/connectors/{c}/config`. */
export interface ConfigEntry {
  key: string;
  /** `[hidden]` for a secret (by its definition or its name), else the value as given */
  value: string;
  hidden: boolean;
}

/** One transform of the connector's chain, in order. */
export interface ChainEntry {
  alias: string;
  type: string;
  predicate?: string;
  predicateType?: string;
  negate?: boolean;
}

/** `GET /ui/api/connectors/{c}/config` */
export interface ConfigView {
  name: string;
  connectorClass: string;
  config: ConfigEntry[];
  chain: ChainEntry[];
}

/** A key's validation messages (`PUT /ui/api/connectors/{c}/config/validate`: Connect's ConfigInfos, reduced). */
export interface ValidationView {
  errorCount: number;
  errors: Record<string, string[]>;
}

export type InspectStage = 'read' | 'transformed' | 'converted';

/** One sampled record of the event inspector (SSE event `record`). */
export interface InspectedRecord {
  seq: number;
  /** when it was sampled, epoch ms */
  at: number;
  task: number;
  stage: InspectStage;
  topic: string;
  kafkaPartition?: number;
  timestamp?: number;
  keySchema?: string;
  valueSchema?: string;
  /** JSON-like text (exact: int64 digits, decimals as written, bytes as base64); converted: the bytes as text */
  key: string;
  value: string;
  headers: Array<{ key: string; value: string }>;
  sourcePartition: string;
  sourceOffset: string;
  /** a field was masked or cut */
  masked: boolean;
  truncated: boolean;
}

/** SSE event `stats`: what the inspector saw and showed since the stream began. */
export interface InspectStats {
  seen: number;
  shown: number;
  /** sampled but not sent because the browser read too slowly */
  dropped: number;
}
