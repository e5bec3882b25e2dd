import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { installedKafkajsPatches, installKafkajsPatches } from '../../../runtime/transport/kafka/kafkajs-patches.js';

const require = createRequire(import.meta.url);

type Group = (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: (a: { message: unknown }) => number;
}) => Record<number, unknown[]>;

/** kafkajs' own byte-at-a-time CRC-32C, evaluated from its source file (the module cache holds ours). */
function kafkajsCrc32c(): (b: Buffer) => number {
  const path = require.resolve('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js');
  const module = { exports: {} as unknown };
  new Function('module', 'exports', readFileSync(path, 'utf8'))(module, module.exports);
  return module.exports as (b: Buffer) => number;
}

/** A module of kafkajs as it ships, loaded afresh beside the one in the cache (which may be our replacement). */
function kafkajsOriginal<T>(request: string): T {
  const path = require.resolve(request);
  const cached = require.cache[path];
  delete require.cache[path];
  try {
    return require(path) as T;
  } finally {
    if (cached) require.cache[path] = cached;
  }
}

type Encoded = { buffer: Buffer };
type Produce = (args: Record<string, unknown>) => { encode: () => Promise<Encoded> };
type Frame = (args: { correlationId: number; clientId: string | null; request: unknown }) => Promise<Encoded>;

/** xorshift32: the same cases on every run */
function rng(seed: number) {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)],
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('kafkajs patches', () => {
  it('are the modules kafkajs producer loads', async () => {
    installKafkajsPatches();
    await import('kafkajs');
    expect(installedKafkajsPatches()).toEqual({ grouping: true, crc32c: true, produce: true, framing: true });
  });

  it('group messages as kafkajs does: per partition, in send order', () => {
    const group = require('kafkajs/src/producer/groupMessagesPerPartition.js') as Group;
    const messages = Array.from({ length: 10 }, (_, i) => ({ i }));
    const grouped = group({
      topic: 't',
      partitionMetadata: [{}, {}, {}],
      messages,
      partitioner: ({ message }) => (message as { i: number }).i % 3,
    });
    expect(grouped).toEqual({
      0: [{ i: 0 }, { i: 3 }, { i: 6 }, { i: 9 }],
      1: [{ i: 1 }, { i: 4 }, { i: 7 }],
      2: [{ i: 2 }, { i: 5 }, { i: 8 }],
    });
    // No metadata: kafkajs returns an empty grouping (and then fails the send with its own error).
    expect(group({ topic: 't', partitionMetadata: [], messages, partitioner: () => 0 })).toEqual({});
  });

  it('checksum record batches exactly as kafkajs does (CRC-32C, unsigned)', () => {
    const crc = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
    const reference = kafkajsCrc32c();
    // The standard check value of CRC-32C.
    expect(crc(Buffer.from('123456789'))).toBe(0xe3069283);
    const data = randomBytes(70_001);
    for (const n of [0, 1, 7, 8, 9, 63, 700, 70_000]) {
      const slice = data.subarray(1, 1 + n);
      expect(crc(slice)).toBe(reference(slice));
    }
  });

  it('encode produce requests byte for byte as kafkajs does, framing included', async () => {
    installKafkajsPatches();
    const ours = require('kafkajs/src/protocol/requests/produce/v3/request.js') as Produce;
    const theirs = kafkajsOriginal<Produce>('kafkajs/src/protocol/requests/produce/v3/request.js');
    const frame = require('kafkajs/src/protocol/request.js') as Frame;
    const theirFrame = kafkajsOriginal<Frame>('kafkajs/src/protocol/request.js');
    const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: number): unknown };
    expect(ours).not.toBe(theirs);
    // Messages without a timestamp take Date.now(), once per partition: the same instant for both.
    vi.spyOn(Date, 'now').mockReturnValue(1_796_600_000_000);
    const r = rng(0x4b4146);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => r.int(256)));
    const message = () => ({
      key: r.pick([null, undefined, bytes(0), bytes(12), 'k€y']),
      value: r.pick([null, bytes(0), bytes(5), bytes(200), bytes(2000), 'välue', '']),
      timestamp: r.pick([undefined, '1796600000123', String(1_796_600_000_000 + r.int(5_000_000)), '999']),
      headers: r.pick([
        undefined,
        {},
        { a: Buffer.from('1') },
        { ünï: 'text', b: [Buffer.from('x'), 'y'], c: bytes(300) },
      ]),
    });
    for (let i = 0; i < 60; i++) {
      const args = {
        acks: r.pick([-1, 0, 1]),
        timeout: r.pick([30_000, 1]),
        transactionalId: r.pick([null, undefined, '', 'tx-1']),
        producerId: r.pick([undefined, Long.fromValue(-1), Long.fromValue(7), Long.fromValue(2 ** 40 + 3)]),
        producerEpoch: r.pick([undefined, 0, 3]),
        compression: 0,
        topicData: Array.from({ length: 1 + r.int(3) }, (_, t) => ({
          topic: r.pick(['t', `topic-${t}`, 'tøpic']),
          partitions: Array.from({ length: 1 + r.int(3) }, (_, p) => ({
            partition: p,
            firstSequence: r.pick([undefined, 0, 41, 2 ** 31 - 1]),
            messages: Array.from({ length: 1 + r.int(20) }, message),
          })),
        })),
      };
      const mine = await ours(args).encode();
      const expected = await theirs(args).encode();
      expect(Buffer.compare(mine.buffer, expected.buffer)).toBe(0);
      const request = { apiKey: 0, apiVersion: 7, encode: () => ours(args).encode() };
      const clientId = r.pick([null, 'sluice', 'clïent']);
      const framed = await frame({ correlationId: i, clientId, request });
      const theirFramed = await theirFrame({
        correlationId: i,
        clientId,
        request: { ...request, encode: () => theirs(args).encode() },
      });
      expect(Buffer.compare(framed.buffer, theirFramed.buffer)).toBe(0);
    }
  });

  it('leave compressed produce requests to kafkajs', async () => {
    installKafkajsPatches();
    const ours = require('kafkajs/src/protocol/requests/produce/v3/request.js') as Produce;
    const theirs = kafkajsOriginal<Produce>('kafkajs/src/protocol/requests/produce/v3/request.js');
    vi.spyOn(Date, 'now').mockReturnValue(1_796_600_000_000);
    const args = {
      acks: -1,
      timeout: 30_000,
      compression: 1, // gzip, kafkajs's own codec
      topicData: [
        {
          topic: 't',
          partitions: [
            { partition: 0, messages: [{ key: null, value: Buffer.from('x'.repeat(100)), timestamp: '5' }] },
          ],
        },
      ],
    };
    expect(Buffer.compare((await ours(args).encode()).buffer, (await theirs(args).encode()).buffer)).toBe(0);
  });
});
