import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { installLinearGrouping, isLinearGroupingInstalled } from '../../../runtime/transport/kafka/kafkajs-grouping.js';

const require = createRequire(import.meta.url);

type Group = (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: (a: { message: unknown }) => number;
}) => Record<number, unknown[]>;

describe('kafkajs partition grouping', () => {
  it('is the module kafkajs producer loads, and groups as kafkajs does: per partition, in send order', async () => {
    installLinearGrouping();
    await import('kafkajs');
    expect(isLinearGroupingInstalled()).toBe(true);
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
});
