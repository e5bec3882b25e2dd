import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { type CdcEvent, type Change, changeId, eventId } from '../harness/cdc.js';
import { type WorkerProcess, waitFor } from '../harness/worker.js';

/**
 * What the fault suite reads from a worker and checks about a run: the task's health as an operator sees it
 * (status and /metrics), how long recovery took, and where duplicates may lie.
 */

export interface Health {
  state?: string;
  /** the task status's `retrying` field */
  retrying?: { since: number; attempt: number; error: string };
  /** `debezium_metrics_Connected` of the task */
  connected?: number;
  /** `sluice_task_retrying` of the task */
  retryingGauge?: number;
}

/** The first sample of `metric` whose labels include `labels`, from Prometheus text. */
export function sample(text: string, metric: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const close = line.lastIndexOf('}');
    const body = line.slice(metric.length + 1, close);
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`)))
      return Number(line.slice(close + 1).trim());
  }
  return undefined;
}

export async function health(w: WorkerProcess, connector: string, task = 0): Promise<Health> {
  const status = await w.rest<{ tasks: Array<{ id: number; state: string; retrying?: Health['retrying'] }> }>(
    `/connectors/${connector}/status`,
  );
  const t = status.body?.tasks?.find((x) => x.id === task);
  const metrics = await (await fetch(`${w.url}/metrics`)).text();
  const labels = { connector, task: String(task) };
  return {
    state: t?.state,
    retrying: t?.retrying,
    connected: sample(metrics, 'debezium_metrics_Connected', labels),
    retryingGauge: sample(metrics, 'sluice_task_retrying', labels),
  };
}

/** Waits until the task is visibly degraded: RUNNING, a `retrying` field, Connected 0 and the retrying gauge 1. */
export async function waitDegraded(w: WorkerProcess, connector: string, timeoutMs: number): Promise<Health> {
  let last: Health = {};
  try {
    return await waitFor(
      async () => {
        last = await health(w, connector);
        return last.state === 'RUNNING' && last.retrying && last.connected === 0 && last.retryingGauge === 1
          ? last
          : undefined;
      },
      timeoutMs,
      `${connector} to show it is retrying`,
    );
  } catch (err) {
    console.error('last health', last, w.logs().slice(-3000));
    throw err;
  }
}

/** Waits until the task is healthy again: RUNNING, no `retrying` field, Connected 1, the retrying gauge 0. */
export async function waitHealthy(w: WorkerProcess, connector: string, timeoutMs: number): Promise<Health> {
  let last: Health = {};
  try {
    return await waitFor(
      async () => {
        last = await health(w, connector);
        return last.state === 'RUNNING' && !last.retrying && last.connected === 1 && last.retryingGauge === 0
          ? last
          : undefined;
      },
      timeoutMs,
      `${connector} to be healthy`,
    );
  } catch (err) {
    console.error('last health', last, w.logs().slice(-3000));
    throw err;
  }
}

/**
 * Milliseconds from now until an event of a change committed from now on reaches the sink: the time the pipeline
 * takes to deliver again (the writer keeps writing meanwhile).
 */
export async function timeToDelivery<E extends CdcEvent>(
  changes: () => readonly Change[],
  events: () => readonly E[],
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = Date.now();
  const from = changes().length;
  let seen = 0;
  const ids = new Set<string>();
  await waitFor(
    () => {
      const evs = events();
      for (; seen < evs.length; seen++) ids.add(eventId(evs[seen]));
      const cs = changes();
      for (let i = from; i < cs.length; i++) if (ids.has(changeId(cs[i]))) return true;
      return false;
    },
    timeoutMs,
    `${what}: a change committed after it delivered`,
  );
  return Date.now() - started;
}

/** The offsets a file offset store holds for `connector` (one source partition), or null. */
export function committedOffset(offsetsFile: string, connector: string): Record<string, unknown> | null {
  if (!existsSync(offsetsFile)) return null;
  const doc = JSON.parse(readFileSync(offsetsFile, 'utf8')) as {
    offsets: Array<{ key: [string, unknown]; value: Record<string, unknown> | null }>;
  };
  return doc.offsets.find((o) => o.key[0] === connector)?.value ?? null;
}

/** A worker run's share of the sink output: events from `from` on, and the offset committed when it started. */
export interface RunSegment {
  from: number;
  committed: Record<string, unknown> | null;
}

/**
 * Duplicates only after the last commit: an event a restarted worker delivers again must lie after the offset that
 * was committed when the previous worker died. `after(e, offset)` orders an event against an offset. Snapshot
 * records (`op: r`) are exempt — an interrupted snapshot starts over, as Debezium's does. Returns how many
 * duplicates each run delivered.
 */
export function expectDuplicatesOnlyAfterCommit<E extends CdcEvent>(
  events: readonly E[],
  segments: readonly RunSegment[],
  after: (e: E, offset: Record<string, unknown>, all: readonly E[]) => boolean,
  identity: (e: E) => string = eventId,
): number[] {
  const seen = new Set<string>();
  const counts: number[] = [];
  const bad: string[] = [];
  const bounds = [...segments.map((s) => s.from), events.length];
  let i = 0;
  for (; i < (bounds[0] ?? events.length); i++) seen.add(identity(events[i]));
  for (const [k, seg] of segments.entries()) {
    let dups = 0;
    for (; i < bounds[k + 1]; i++) {
      const e = events[i];
      const id = identity(e);
      if (seen.has(id) && e.op !== 'r') {
        dups++;
        if (!seg.committed || !after(e, seg.committed, events))
          bad.push(`${id} again in run ${k + 1}, at or before the offset committed ${JSON.stringify(seg.committed)}`);
      }
      seen.add(id);
    }
    counts.push(dups);
  }
  expect(bad.slice(0, 5)).toEqual([]);
  return counts;
}

/** Events delivered more than once (snapshot records aside). */
export function duplicates<E extends CdcEvent>(events: readonly E[], identity: (e: E) => string = eventId): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of events) {
    const id = identity(e);
    if (seen.has(id) && e.op !== 'r') out.push(id);
    seen.add(id);
  }
  return out;
}

/** Retries `fn` until it succeeds (a server coming back), for at most `timeoutMs`. */
export async function retrying<T>(fn: () => Promise<T>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: still failing after ${timeoutMs} ms`, { cause: err });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** One suite's figures, for the long run's report (bench/faults-report.ts). */
export interface FaultReport {
  suite: string;
  kills: number;
  changes: number;
  events: number;
  /** duplicates each restarted worker delivered (all after the offset committed when the previous one died) */
  duplicatesPerRun: number[];
  /** ms from each fault's end to the first new change delivered, by fault */
  recoveryMs: Record<string, number>;
  /** ms from a restarted worker answering to the first new change delivered, every few SIGKILLs */
  killRecoveryMs: number[];
  lost: number;
  orderViolations: number;
  seconds: number;
}

/** Appends a suite's figures to FAULT_REPORT (a JSON-lines file) when that variable is set. */
export function report(r: FaultReport): void {
  const file = process.env.FAULT_REPORT;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ ...r, at: new Date().toISOString() })}\n`);
}
