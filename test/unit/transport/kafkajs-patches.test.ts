import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
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

describe('kafkajs patches', () => {
  it('are the modules kafkajs producer loads', async () => {
    installKafkajsPatches();
    await import('kafkajs');
    expect(installedKafkajsPatches()).toEqual({ grouping: true, crc32c: true });
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
});
