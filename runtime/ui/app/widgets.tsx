import type { ComponentChildren } from 'preact';
import { bytes, count, duration } from './format.js';
import type { Row, Snapshot } from './model.js';

export function State({ state }: { state: string | undefined }) {
  const s = state ?? 'UNKNOWN';
  return <span class={`state state-${s.toLowerCase()}`}>{s}</span>;
}

export function link(name: string, rest = ''): string {
  return `#/connectors/${encodeURIComponent(name)}${rest}`;
}

export function Progress({ snapshot }: { snapshot: Snapshot }) {
  const { tablesTotal, tablesRemaining, rowsScanned, rowsEstimated, rate, etaMs, running } = snapshot;
  const done = tablesTotal !== undefined && tablesRemaining !== undefined ? tablesTotal - tablesRemaining : undefined;
  const frac =
    rowsEstimated && rowsScanned !== undefined
      ? Math.min(1, rowsScanned / rowsEstimated)
      : tablesTotal && done !== undefined
        ? done / tablesTotal
        : undefined;
  return (
    <div class="snapshot" data-field="snapshot">
      <div class="bar">
        <div style={{ width: `${Math.round((frac ?? (running ? 0 : 1)) * 100)}%` }} />
      </div>
      <div class="small">
        {running ? 'snapshot' : 'snapshot done'}
        {done !== undefined && tablesTotal !== undefined ? ` · tables ${done}/${tablesTotal}` : ''}
        {rowsScanned !== undefined
          ? ` · ${count(rowsScanned)}${rowsEstimated ? ` of ~${count(rowsEstimated)}` : ''} rows`
          : ''}
        {running && rate ? ` · ${count(rate)} rows/s` : ''}
        {etaMs !== undefined ? ` · ETA ${duration(etaMs)}` : ''}
      </div>
    </div>
  );
}

/** Seconds behind the source and log kept, as the status and the metrics tell them. */
export function Lag({ row }: { row: Row }) {
  if (row.type === 'sink') return <span class="muted">–</span>;
  const parts: ComponentChildren[] = [];
  if (row.lagMs !== undefined) parts.push(<span title="milliseconds behind source">{duration(row.lagMs)} behind</span>);
  if (row.retainedBytes !== undefined)
    parts.push(
      <span class={row.retentionExceeded ? 'warn' : ''} title="log the database keeps for this connector">
        {bytes(row.retainedBytes)} log kept
      </span>,
    );
  if (row.behindBytes !== undefined)
    parts.push(<span title="log after the committed position">{bytes(row.behindBytes)} unconfirmed</span>);
  if (row.windowSeconds !== undefined)
    parts.push(<span title="oplog window left">{duration(row.windowSeconds * 1000)} window</span>);
  if (parts.length === 0) return <span class="muted">–</span>;
  return <div class="stack">{parts}</div>;
}

export function Problems({ row }: { row: Row }) {
  const items: ComponentChildren[] = [];
  if (row.failedTasks) items.push(<span class="bad">{row.failedTasks} failed</span>);
  if (row.retrying) items.push(<span class="warn">{row.retrying} retrying</span>);
  if (row.skipped) items.push(<span class="warn">{count(row.skipped)} skipped</span>);
  if (row.commitFailures) items.push(<span class="warn">{count(row.commitFailures)} commit failures</span>);
  if (row.status?.connector.state === 'FAILED') items.push(<span class="bad">connector failed</span>);
  if (items.length === 0) return <span class="muted">none</span>;
  return <div class="stack">{items}</div>;
}

export function Message({ kind, children }: { kind: 'error' | 'info'; children: ComponentChildren }) {
  return <div class={`message ${kind}`}>{children}</div>;
}
