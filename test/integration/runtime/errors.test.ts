import { afterEach, describe, expect, it } from 'vitest';
import type { Herder } from '../../../runtime/worker/herder.js';
import { waitFor } from '../../harness/worker.js';
import { inProcessWorker, received } from './test-plugins.js';

let herder: Herder | undefined;
afterEach(async () => {
  await herder?.stop();
  herder = undefined;
  received.clear();
});

const values = (name: string) => (received.get(name) ?? []).map((r) => Number(r.value));

describe('task errors', () => {
  it('a sink that throws a retriable error three times, then succeeds, loses nothing', async () => {
    herder = await inProcessWorker();
    await herder.createConnector('flaky', { 'connector.class': 'test.Sink', topics: 'numbers', failures: '3' });
    await herder.createConnector('numbers', {
      'connector.class': 'test.CounterSource',
      topic: 'numbers',
      count: '5000',
    });
    await waitFor(() => values('flaky').length >= 5000, 30_000, '5000 records at the flaky sink');
    expect(values('flaky')).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(herder.status('flaky').tasks[0].state).toBe('RUNNING');
    // Offsets follow what was delivered.
    await waitFor(
      async () => (await herder!.offsets('numbers')).offsets[0]?.offset?.n === 4999,
      10_000,
      'offsets committed',
    );
  });

  it('a non-retriable sink error fails its task with a trace; another connector keeps delivering', async () => {
    herder = await inProcessWorker();
    await herder.createConnector('broken', { 'connector.class': 'test.Sink', topics: 'doomed', mode: 'broken' });
    await herder.createConnector('healthy', { 'connector.class': 'test.Sink', topics: 'fine' });
    await herder.createConnector('to-broken', {
      'connector.class': 'test.CounterSource',
      topic: 'doomed',
      count: '1000',
    });
    await herder.createConnector('to-healthy', {
      'connector.class': 'test.CounterSource',
      topic: 'fine',
      count: '20000',
    });

    await waitFor(() => herder!.status('broken').tasks[0].state === 'FAILED', 10_000, 'broken sink FAILED');
    const broken = herder.status('broken').tasks[0];
    expect(broken.trace).toMatch(/the sink cannot write/);
    await waitFor(() => values('healthy').length >= 20000, 30_000, 'healthy pipeline delivered everything');
    expect(values('healthy')).toEqual(Array.from({ length: 20000 }, (_, i) => i));
    expect(herder.status('healthy').tasks[0].state).toBe('RUNNING');
    expect(herder.status('to-healthy').tasks[0].state).toBe('RUNNING');
    // Nothing of the failed pipeline was acknowledged, so no offset moved past undelivered records.
    await waitFor(() => herder!.status('to-broken').tasks[0].state === 'FAILED', 10_000, 'its source FAILED');
    expect(herder.status('to-broken').tasks[0].trace).toMatch(/Sink broken task 0 failed/);
    expect((await herder.offsets('to-broken')).offsets).toEqual([]);
  });

  it('a failing transform follows errors.tolerance: none fails the task naming the transform, all skips', async () => {
    herder = await inProcessWorker();
    const chain = {
      transforms: 'pick',
      'transforms.pick.type': 'org.apache.kafka.connect.transforms.ExtractField$Value',
      'transforms.pick.field': 'id',
    };
    await herder.createConnector('sink-strict', { 'connector.class': 'test.Sink', topics: 'strict' });
    await herder.createConnector('sink-lenient', { 'connector.class': 'test.Sink', topics: 'lenient' });
    // ExtractField on an int64 value (not a struct) cannot work.
    await herder.createConnector('strict', {
      'connector.class': 'test.CounterSource',
      topic: 'strict',
      count: '10',
      ...chain,
    });
    await herder.createConnector('lenient', {
      'connector.class': 'test.CounterSource',
      topic: 'lenient',
      count: '10',
      'errors.tolerance': 'all',
      ...chain,
    });
    await waitFor(() => herder!.status('strict').tasks[0].state === 'FAILED', 10_000, 'strict source FAILED');
    expect(herder.status('strict').tasks[0].trace).toMatch(/transforms\.pick|Transform pick/);
    await waitFor(
      async () => (await herder!.offsets('lenient')).offsets[0]?.offset?.n === 9,
      10_000,
      'lenient source moved on',
    );
    expect(values('sink-lenient')).toEqual([]);
    expect(herder.status('lenient').tasks[0].state).toBe('RUNNING');
  });
});
