import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 groups a send's messages by partition with `[...current, message]` per message: quadratic in the
 * messages per partition (tulios/kafkajs#1576, open upstream). Our producer sends requests of up to
 * max.request.size to one partition — about 1,400 messages of the PostgreSQL benchmark — so each request paid
 * ~1M element copies and as many bytes of garbage. This puts a linear grouping with the same result (messages
 * of each partition in send order, keyed by partition) into the CommonJS module cache before kafkajs' producer
 * requires it. Imported by the CLI before anything loads kafkajs; `isLinearGroupingInstalled` lets a test check
 * that it took.
 */
type Partitioner = (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;

function groupMessagesPerPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: Partitioner;
}): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = result[partition];
    if (list) list.push(message);
    else result[partition] = [message];
  }
  return result;
}

const require = createRequire(import.meta.url);
const modulePath = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');

export function installLinearGrouping(): void {
  if (require.cache[modulePath]) return;
  const Module = require('node:module') as new (id: string) => NodeJS.Module;
  const m = new Module(modulePath);
  m.filename = modulePath;
  m.loaded = true;
  m.exports = groupMessagesPerPartition;
  require.cache[modulePath] = m;
}

export function isLinearGroupingInstalled(): boolean {
  return require.cache[modulePath]?.exports === groupMessagesPerPartition;
}

installLinearGrouping();
