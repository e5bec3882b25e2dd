import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { ConnectorFile, WorkerProcess } from '../../harness/worker.js';

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** One HTTP request with full control: raw body text, any headers. Parses JSON answers. */
export async function call<T = unknown>(
  w: { url: string },
  method: string,
  path: string,
  o: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
  const headers: Record<string, string> = {
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...o.headers,
  };
  const res = await fetch(w.url + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export function lines(path: string): string[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** A FileStreamSource reading `file` into `topic`, polling every 100 ms when idle. */
export function fileSource(
  name: string,
  file: string,
  topic: string,
  extra: Record<string, string> = {},
): ConnectorFile {
  return { name, config: { 'connector.class': 'FileStreamSource', file, topic, 'poll.interval.ms': '100', ...extra } };
}

/** A FileStreamSink writing each value as raw text (StringConverter), so lines come out as they went in. */
export function fileSink(
  name: string,
  file: string,
  topics: string,
  extra: Record<string, string> = {},
): ConnectorFile {
  return {
    name,
    config: {
      'connector.class': 'FileStreamSink',
      file,
      topics,
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      ...extra,
    },
  };
}

export async function create(w: WorkerProcess, c: ConnectorFile): Promise<void> {
  const r = await call(w, 'POST', '/connectors', { body: c });
  if (r.status !== 201) throw new Error(`create ${c.name}: ${r.status} ${r.text}`);
}

export interface StatusBody {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: Array<{ id: number; state: string; worker_id: string; trace?: string }>;
  type: string;
}

export async function status(w: WorkerProcess, name: string): Promise<StatusBody> {
  return (await call<StatusBody>(w, 'GET', `/connectors/${name}/status`)).body;
}

/** Resolves when the connector and all its tasks are in `state` (and it has at least one task unless STOPPED). */
export async function waitState(
  w: WorkerProcess,
  name: string,
  state: string,
  timeoutMs = 30_000,
): Promise<StatusBody> {
  const deadline = Date.now() + timeoutMs;
  let last: StatusBody | undefined;
  for (;;) {
    last = await status(w, name);
    const tasksOk =
      state === 'STOPPED'
        ? last.tasks.length === 0
        : last.tasks.length > 0 && last.tasks.every((t) => t.state === state);
    if (last.connector?.state === state && tasksOk) return last;
    if (Date.now() > deadline) throw new Error(`${name} not ${state} within ${timeoutMs} ms: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface MetricFamily {
  name: string;
  type: string;
  samples: MetricSample[];
}

const PARSER = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]})
print(json.dumps(out))
`;

/**
 * Parses Prometheus text format with the Prometheus project's own parser (python3-prometheus-client, installed
 * by scripts/install-prometheus-parser.sh); it raises on any malformed line.
 */
export function parsePrometheus(text: string): MetricFamily[] {
  const python = '/usr/bin/python3';
  const r = spawnSync(python, ['-c', PARSER], { input: text, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : r.stderr;
    throw new Error(
      `Prometheus text parser failed (run scripts/install-prometheus-parser.sh if it is missing): ${why}`,
    );
  }
  return JSON.parse(r.stdout) as MetricFamily[];
}

/** Sum of a metric's samples whose labels include `labels`. */
export function metricValue(families: MetricFamily[], sample: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const f of families) {
    for (const s of f.samples) {
      if (s.name !== sample) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
    }
  }
  return sum;
}
