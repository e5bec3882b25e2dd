import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import {
  call,
  create,
  fileSink,
  fileSource,
  lines,
  type MetricFamily,
  metricValue,
  parsePrometheus,
  waitState,
} from './support.js';

const KEPT = 700;
const DROPPED = 300;

/** GET /metrics parses with the Prometheus project's own text-format parser, and the counters match the data. */
describe('REST /metrics', () => {
  let dir: string;
  let w: WorkerProcess;
  let output: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-rest-metrics-'));
    output = join(dir, 'out.txt');
    writeFileSync(join(dir, 'kept.txt'), Array.from({ length: KEPT }, (_, i) => `k${i}\n`).join(''));
    writeFileSync(join(dir, 'dropped.txt'), Array.from({ length: DROPPED }, (_, i) => `d${i}\n`).join(''));
    w = await startWorker({
      dir,
      worker: { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '200' },
    });
    await create(w, fileSink('sink', output, 'kept,dropped'));
    await create(w, fileSource('kept', join(dir, 'kept.txt'), 'kept', { 'batch.size': '50', 'max.queue.size': '100' }));
    // Every record of `dropped` is filtered out by a transform before it reaches the transport.
    await create(
      w,
      fileSource('dropped', join(dir, 'dropped.txt'), 'dropped', {
        'batch.size': '100',
        transforms: 'drop',
        'transforms.drop.type': 'org.apache.kafka.connect.transforms.Filter',
        'transforms.drop.predicate': 'all',
        predicates: 'all',
        'predicates.all.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
        'predicates.all.pattern': '.*',
      }),
    );
    await waitFor(() => lines(output).length === KEPT, 60_000, `${KEPT} lines in the sink`);
  });

  afterAll(async () => {
    await w?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function scrape(): Promise<{ families: MetricFamily[]; contentType: string | null }> {
    const r = await call(w, 'GET', '/metrics');
    expect(r.status).toBe(200);
    return { families: parsePrometheus(r.text), contentType: r.headers.get('content-type') };
  }

  it('is Prometheus text format with the metrics the issue lists', async () => {
    const { families, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const names = new Set(families.map((f) => f.name));
    for (const n of [
      'sluice_source_records_polled',
      'sluice_records_written',
      'sluice_records_filtered',
      'sluice_batch_size_records',
      'sluice_offset_commits',
      'sluice_offset_commit_failures',
      'sluice_offset_commit_seconds',
      'sluice_source_milliseconds_behind_source',
      'sluice_snapshot_progress',
      'sluice_source_queue_records',
      'sluice_source_queue_bytes',
      'sluice_source_queue_capacity_records',
      'sluice_source_queue_capacity_bytes',
      'sluice_connector_state',
      'sluice_task_state',
      'sluice_process_cpu_user_seconds',
      'sluice_nodejs_heap_size_used_bytes',
    ]) {
      expect(names, n).toContain(n);
    }
  });

  it('records counters match the records delivered', async () => {
    // `written` of a source counts acknowledged records, which follow the sink's flush: wait for them.
    const families = await waitFor(
      async () => {
        const { families } = await scrape();
        return metricValue(families, 'sluice_records_written_total', { connector: 'kept' }) === KEPT
          ? families
          : undefined;
      },
      30_000,
      'every kept record acknowledged',
    );
    expect(lines(output)).toHaveLength(KEPT);
    expect(new Set(lines(output)).size).toBe(KEPT);
    const v = (sample: string, connector: string) => metricValue(families, sample, { connector });

    expect(v('sluice_source_records_polled_total', 'kept')).toBe(KEPT);
    expect(v('sluice_records_written_total', 'kept')).toBe(KEPT);
    expect(v('sluice_records_filtered_total', 'kept')).toBe(0);
    expect(v('sluice_records_written_total', 'sink')).toBe(KEPT);
    expect(v('sluice_source_records_polled_total', 'dropped')).toBe(DROPPED);
    expect(v('sluice_records_filtered_total', 'dropped')).toBe(DROPPED);
    expect(v('sluice_records_written_total', 'dropped')).toBe(0);

    // batch sizes: every polled record is in exactly one observed batch, none larger than batch.size
    expect(v('sluice_batch_size_records_sum', 'kept')).toBe(KEPT);
    expect(v('sluice_batch_size_records_count', 'kept')).toBeGreaterThanOrEqual(KEPT / 50);
    expect(metricValue(families, 'sluice_batch_size_records_bucket', { connector: 'kept', le: '100' })).toBe(
      v('sluice_batch_size_records_count', 'kept'),
    );
    expect(v('sluice_batch_size_records_sum', 'sink')).toBe(KEPT);

    // queue fill: nothing in flight once everything is acknowledged, against the configured capacity
    expect(v('sluice_source_queue_records', 'kept')).toBe(0);
    expect(v('sluice_source_queue_capacity_records', 'kept')).toBe(100);
    expect(v('sluice_source_queue_capacity_bytes', 'kept')).toBe(0);
  });

  it('offset commits are counted with their latency; none failed', async () => {
    const families = await waitFor(
      async () => {
        const { families } = await scrape();
        return metricValue(families, 'sluice_offset_commits_total', { connector: 'kept' }) >= 1 ? families : undefined;
      },
      30_000,
      'an offset commit',
    );
    const commits = metricValue(families, 'sluice_offset_commits_total', { connector: 'kept' });
    expect(metricValue(families, 'sluice_offset_commit_seconds_count', { connector: 'kept' })).toBe(commits);
    expect(metricValue(families, 'sluice_offset_commit_failures_total', { connector: 'kept' })).toBe(0);
    const offsets = await call<{ offsets: Array<{ offset: { position: number } }> }>(
      w,
      'GET',
      '/connectors/kept/offsets',
    );
    expect(offsets.body.offsets[0].offset.position).toBeGreaterThan(0);
  });

  it('connector and task states are gauges, one series per state', async () => {
    await call(w, 'PUT', '/connectors/dropped/pause');
    await waitState(w, 'dropped', 'PAUSED');
    const { families } = await scrape();
    const state = (connector: string, s: string) =>
      metricValue(families, 'sluice_connector_state', { connector, state: s });
    expect(state('kept', 'RUNNING')).toBe(1);
    expect(state('kept', 'PAUSED')).toBe(0);
    expect(state('dropped', 'PAUSED')).toBe(1);
    expect(metricValue(families, 'sluice_task_state', { connector: 'dropped', task: '0', state: 'PAUSED' })).toBe(1);
    expect(metricValue(families, 'sluice_task_state', { connector: 'sink', task: '0', state: 'RUNNING' })).toBe(1);
  });

  it('a deleted connector leaves no series behind', async () => {
    expect((await call(w, 'DELETE', '/connectors/dropped')).status).toBe(204);
    const { families } = await scrape();
    const left = families.flatMap((f) => f.samples).filter((s) => s.labels.connector === 'dropped');
    expect(left).toEqual([]);
  });
});
