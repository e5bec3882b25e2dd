import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../../runtime/data/record.js';
import type { Batch, CaptureEvent } from '../../../runtime/library/events.js';
import { silentLogger } from '../../../runtime/library/logger.js';
import type { CaptureOptions } from '../../../runtime/library/options.js';
import { CaptureStream, type Pipeline, type PipelineSink } from '../../../runtime/library/stream.js';

/**
 * CaptureStream between a source runner (here: the test, calling deliver() as the runner's transport does) and the
 * consumer's `next()`: the source may poll again only once the consumer asks for more, so what is alive outside the
 * connector is the batch the consumer holds (and what it has not committed), not a queue of batches read ahead.
 */

function record(n: number): ChangeRecord {
  return { topic: 't', key: n, value: { n }, headers: [], sourcePartition: { p: 0 }, sourceOffset: { n } };
}

/** A stream with a stand-in pipeline that counts commits and stops. */
function stream() {
  const seen = { commits: 0, stops: 0 };
  let sink: PipelineSink | undefined;
  const pipeline: Pipeline = {
    log: silentLogger,
    gracefulMs: 5000,
    commit: async () => {
      seen.commits++;
    },
    stop: async () => {
      seen.stops++;
    },
  };
  const s = new CaptureStream({ connector: 'postgres', config: {} } as unknown as CaptureOptions, async (_o, k) => {
    sink = k;
    return pipeline;
  });
  return { s, seen, sink: () => sink as PipelineSink };
}

/** The keys of a batch's events; undefined when the iteration ended. */
function keys(r: IteratorResult<Batch<CaptureEvent>>): unknown[] | undefined {
  return r.done ? undefined : r.value.events.map((e) => e.key);
}

/** Whether a promise has settled once everything already queued has run (no timing involved). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('CaptureStream: the consumer paces the source', () => {
  it('holds the source after a batch until the consumer asks for the next one', async () => {
    const { s, sink } = stream();
    const it = s[Symbol.asyncIterator]();
    const first = it.next();
    await settled(first); // the pipeline starts on the first next()
    const acks: number[] = [];
    const sent = sink().deliver([record(1), record(2)], () => acks.push(1));
    const b1 = await first;
    expect(b1.done).toBe(false);
    expect(keys(b1)).toEqual([1, 2]);
    // The consumer holds the batch: the source must not poll (its send has not resolved).
    expect(await settled(sent)).toBe(false);
    // Committing acknowledges it, but the source still waits for the consumer to come back.
    await b1.value?.commit();
    expect(acks).toEqual([1]);
    expect(await settled(sent)).toBe(false);
    const second = it.next();
    expect(await settled(sent)).toBe(true);
    const sent2 = sink().deliver([record(3)], () => acks.push(2));
    expect(keys(await second)).toEqual([3]);
    expect(await settled(sent2)).toBe(false);
    await s.close();
    expect(await settled(sent2)).toBe(true);
  });

  it('a batch that arrives before the consumer asks waits, and so does its source', async () => {
    const { s, sink } = stream();
    const it = s[Symbol.asyncIterator]();
    const first = it.next();
    await settled(first);
    const sent1 = sink().deliver([record(1)], () => {});
    await first;
    const second = it.next();
    expect(await settled(sent1)).toBe(true);
    // The consumer waits; a batch comes; another (a second task's) is offered while the consumer holds the first.
    const sent2 = sink().deliver([record(2)], () => {});
    expect(keys(await second)).toEqual([2]);
    const sent3 = sink().deliver([record(3)], () => {});
    expect(await settled(sent2)).toBe(false);
    expect(await settled(sent3)).toBe(false);
    // The consumer takes the queued batch: still nothing more read until it asks with nothing queued.
    expect(keys(await it.next())).toEqual([3]);
    expect(await settled(sent2)).toBe(false);
    const fourth = it.next();
    expect(await settled(sent2)).toBe(true);
    expect(await settled(sent3)).toBe(true);
    await s.close();
    expect((await fourth).done).toBe(true);
  });

  it('close() releases a source waiting to deliver, and drops batches never handed out', async () => {
    const { s, seen, sink } = stream();
    const it = s[Symbol.asyncIterator]();
    const first = it.next();
    await settled(first);
    const acked: unknown[] = [];
    const sent1 = sink().deliver([record(1)], (e) => acked.push(e));
    await first;
    const sent2 = sink().deliver([record(2)], (e) => acked.push(e));
    await s.close();
    expect(await settled(sent1)).toBe(true);
    expect(await settled(sent2)).toBe(true);
    // Neither batch was committed: neither is acknowledged, so neither offset is committed.
    expect(acked).toEqual([]);
    expect(seen.stops).toBe(1);
    expect((await it.next()).done).toBe(true);
  });
});
