import { afterEach, describe, expect, it } from 'vitest';
import type { Herder } from '../../../runtime/worker/herder.js';
import { DirectTransport } from '../../../runtime/transport/direct.js';
import { waitFor } from '../../harness/worker.js';
import { inProcessWorker, received } from './test-plugins.js';

let herder: Herder | undefined;
afterEach(async () => {
  await herder?.stop();
  herder = undefined;
  received.clear();
});

async function gauge(h: Herder, name: string): Promise<number> {
  const m = await h.metrics.registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => v.labels.connector === 'fast')?.value ?? 0;
}

/**
 * The direct transport as a transport that holds records until they are acknowledged (as Kafka holds them until the
 * broker's ack) would be: the source's in-flight records then count against max.queue.size.
 */
class HoldingTransport extends DirectTransport {
  override readonly releasesOnSend = false;
}

async function watch(h: Herder, ms: number) {
  let maxRecords = 0;
  let maxInFlightBytes = 0;
  let maxHeap = 0;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    maxRecords = Math.max(maxRecords, await gauge(h, 'sluice_source_queue_records'));
    maxInFlightBytes = Math.max(maxInFlightBytes, await gauge(h, 'sluice_source_queue_bytes'));
    maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { maxRecords, maxInFlightBytes, maxHeap };
}

function checkDelivered(): number {
  const delivered = received.get('slow')?.length ?? 0;
  expect(delivered).toBeGreaterThan(0);
  expect(delivered).toBeLessThan(500_000);
  const first = (received.get('slow') ?? []).slice(0, 1000).map((r) => Number(String(r.value).split(':')[0]));
  expect(first).toEqual(Array.from({ length: first.length }, (_, i) => i));
  return delivered;
}

const maxQueue = 2000;
const maxBytes = 1_000_000;
const source = {
  'connector.class': 'test.CounterSource',
  topic: 'big',
  count: '100000000',
  'value.bytes': '1000',
  'max.queue.size': String(maxQueue),
  'max.queue.size.in.bytes': String(maxBytes),
};

describe('backpressure', () => {
  it('direct: a source runs no faster than a sink 100× slower than it, and the heap stays bounded', async () => {
    herder = await inProcessWorker();
    await herder.createConnector('slow', { 'connector.class': 'test.Sink', topics: 'big', 'delay.ms': '50' });
    const heapBefore = process.memoryUsage().heapUsed;
    await herder.createConnector('fast', source);
    const { maxRecords, maxHeap } = await watch(herder, 6000);
    const delivered = checkDelivered();
    // put() takes 50 ms per 500-record batch: at most ~60,000 records in 6 s, where the source alone makes millions.
    expect(delivered).toBeLessThanOrEqual(61_000);
    expect(maxHeap - heapBefore).toBeLessThan(64 * 1024 * 1024);
    console.log(
      `direct: slow sink received ${delivered} records in 6 s; max unacknowledged ${maxRecords}; heap grew at most ${((maxHeap - heapBefore) / 1048576).toFixed(1)} MB`,
    );
    await waitFor(() => herder!.status('fast').tasks[0].state === 'RUNNING', 1000, 'source still running');
  });

  it('a transport holding records until acknowledged: in-flight records, bytes and heap stay within the queue knobs', async () => {
    herder = await inProcessWorker({}, (log) => new HoldingTransport(log));
    await herder.createConnector('slow', { 'connector.class': 'test.Sink', topics: 'big', 'delay.ms': '50' });
    const heapBefore = process.memoryUsage().heapUsed;
    await herder.createConnector('fast', source);
    const { maxRecords, maxInFlightBytes, maxHeap } = await watch(herder, 6000);
    const delivered = checkDelivered();
    // The source polls 500 records at a time (~1.1 KB each): one batch may overshoot a limit.
    expect(maxRecords).toBeLessThanOrEqual(maxQueue + 500);
    expect(maxInFlightBytes).toBeLessThanOrEqual(maxBytes + 500 * 1200);
    expect(maxInFlightBytes).toBeGreaterThan(0);
    // Unbounded, the source would have made millions of 1 KB records by now.
    expect(maxHeap - heapBefore).toBeLessThan(64 * 1024 * 1024);
    console.log(
      `holding: slow sink received ${delivered} records in 6 s; max in flight ${maxRecords} records / ${maxInFlightBytes} bytes; heap grew at most ${((maxHeap - heapBefore) / 1048576).toFixed(1)} MB`,
    );
    await waitFor(() => herder!.status('fast').tasks[0].state === 'RUNNING', 1000, 'source still running');
  });
});
