import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChangeRecord,
  type Config,
  defineSourceConnector,
  key,
  RetriableError,
  Schemas,
  type SourceTask,
  type SourceTaskContext,
} from '../../../runtime/api/index.js';
import { WorkerMetrics } from '../../../runtime/metrics/metrics.js';
import type { Herder } from '../../../runtime/worker/herder.js';
import { waitFor } from '../../harness/worker.js';
import { sample } from '../../faults/kit.js';
import { inProcessWorker, received } from './test-plugins.js';

/**
 * A task that cannot reach its server is visibly degraded: status stays RUNNING (Connect's shape) with a
 * `retrying` field, `sluice_task_retrying` is 1 and `debezium_metrics_Connected` 0; all of it clears once a retry
 * succeeds. The server here is a switch the test flips; the runtime around it is the real one.
 */

const outage = { on: false };

class OutageSource implements SourceTask {
  private ctx!: SourceTaskContext;
  private next = 0;

  async start(_config: Config, ctx: SourceTaskContext): Promise<void> {
    this.ctx = ctx;
    const off = await ctx.offsets.offset({ source: 'outage' });
    this.next = typeof off?.n === 'number' ? off.n + 1 : 0;
    ctx.reportConnected?.(true);
  }

  async poll(): Promise<ChangeRecord[] | null> {
    if (outage.on) {
      this.ctx.reportConnected?.(false);
      throw new RetriableError('cannot reach the database at db.example:5432 (test)');
    }
    this.ctx.reportConnected?.(true);
    await new Promise((r) => setTimeout(r, 20));
    const out: ChangeRecord[] = [];
    for (let i = 0; i < 10; i++, this.next++) {
      out.push({
        topic: 'outage',
        keySchema: Schemas.int32(),
        key: this.next % 10,
        valueSchema: Schemas.int64(),
        value: this.next,
        headers: [],
        sourcePartition: { source: 'outage' },
        sourceOffset: { n: this.next },
      });
    }
    return out;
  }

  async stop(): Promise<void> {}
}

const outageSource = defineSourceConnector({
  name: 'outage',
  className: 'test.OutageSource',
  version: '0',
  configSpec: [key('topic.prefix', 'string', 'logical server name', { default: 'srv' })],
  taskConfigs: async () => [{}],
  createTask: () => new OutageSource(),
});

let herder: Herder | undefined;
afterEach(async () => {
  outage.on = false;
  await herder?.stop();
  herder = undefined;
  received.clear();
});

const labels = { connector: 'src', task: '0' };

describe('a task retrying a retriable error', () => {
  it('shows RUNNING with a retrying field, Connected 0 and sluice_task_retrying 1; all clear once it recovers', async () => {
    const metrics = new WorkerMetrics({ processMetrics: false });
    herder = await inProcessWorker({}, undefined, [outageSource], metrics);
    await herder.createConnector('sink', { 'connector.class': 'test.Sink', topics: 'outage' });
    await herder.createConnector('src', { 'connector.class': 'test.OutageSource', 'topic.prefix': 'inventory' });
    const h = herder;
    const seen = () => (received.get('sink') ?? []).length;
    await waitFor(() => seen() >= 100, 10_000, 'records before the outage');
    const text = () => metrics.registry.metrics();
    expect(sample(await text(), 'debezium_metrics_Connected', { ...labels, plugin: 'outage', name: 'inventory' })).toBe(
      1,
    );
    expect(sample(await text(), 'sluice_task_retrying', labels)).toBe(0);
    expect(h.status('src').tasks[0].retrying).toBeUndefined();

    const down = Date.now();
    outage.on = true;
    const task = await waitFor(
      () => {
        const t = h.status('src').tasks[0];
        return (t.retrying?.attempt ?? 0) >= 2 ? t : undefined;
      },
      10_000,
      'two failed attempts',
    );
    expect(task.state).toBe('RUNNING');
    expect(task.trace).toBeUndefined();
    expect(task.retrying?.since).toBeGreaterThanOrEqual(down - 50);
    expect(task.retrying?.since).toBeLessThanOrEqual(Date.now());
    expect(task.retrying?.error).toContain('cannot reach the database at db.example:5432 (test)');
    expect(task.retrying?.error).toContain('connector=src');
    expect(sample(await text(), 'sluice_task_retrying', labels)).toBe(1);
    expect(sample(await text(), 'debezium_metrics_Connected', { ...labels, context: 'streaming' })).toBe(0);
    // The same run of failures keeps its start while the attempts count up.
    const since = task.retrying?.since;
    await waitFor(() => (h.status('src').tasks[0].retrying?.attempt ?? 0) >= 3, 10_000, 'a third attempt');
    expect(h.status('src').tasks[0].retrying?.since).toBe(since);

    const before = seen();
    outage.on = false;
    await waitFor(() => seen() > before + 50, 15_000, 'records after the outage');
    expect(h.status('src').tasks[0].retrying).toBeUndefined();
    expect(h.status('src').tasks[0].state).toBe('RUNNING');
    expect(sample(await text(), 'sluice_task_retrying', labels)).toBe(0);
    expect(sample(await text(), 'debezium_metrics_Connected', labels)).toBe(1);
    // Nothing lost or repeated across the outage.
    const values = (received.get('sink') ?? []).map((r) => Number(r.value));
    expect(values).toEqual(Array.from({ length: values.length }, (_, i) => i));
  });

  it('when retries give up (errors.retry.timeout), FAILED with the trace and no retrying field', async () => {
    const metrics = new WorkerMetrics({ processMetrics: false });
    herder = await inProcessWorker({}, undefined, [outageSource], metrics);
    await herder.createConnector('sink', { 'connector.class': 'test.Sink', topics: 'outage' });
    outage.on = true;
    await herder.createConnector('src', { 'connector.class': 'test.OutageSource', 'errors.retry.timeout': '1500' });
    const h = herder;
    await waitFor(() => h.status('src').tasks[0].retrying, 10_000, 'retrying');
    const failed = await waitFor(
      () => (h.status('src').tasks[0].state === 'FAILED' ? h.status('src').tasks[0] : undefined),
      10_000,
      'FAILED',
    );
    expect(failed.retrying).toBeUndefined();
    expect(failed.trace).toContain('cannot reach the database');
    expect(sample(await metrics.registry.metrics(), 'sluice_task_retrying', labels)).toBe(0);
    expect(sample(await metrics.registry.metrics(), 'debezium_metrics_Connected', labels)).toBe(0);
  });
});
