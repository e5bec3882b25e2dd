import { createRequire } from 'node:module';

/**
 * Two of kafkajs 2.2.4's producer internals cost the Kafka drain benchmark more than they should; this module
 * puts replacements with the same results into the CommonJS module cache before kafkajs loads them (the CLI
 * imports it second, after memory-mode; an ESM `import` of kafkajs goes through the same cache):
 *
 * - groupMessagesPerPartition copies the partition's list per message, quadratic in the messages per partition
 *   (tulios/kafkajs#1576, open upstream): our per-partition requests of max.request.size hold ~1,400 benchmark
 *   messages, ~1M element copies and their garbage per request. Replaced by a linear grouping.
 * - crc32C checksums every record batch one byte at a time in JavaScript (~400 MB/s, 7% of the drain's CPU
 *   profile). Replaced by @node-rs/crc32's native CRC-32C (SIMD, GB/s); where its prebuilt binary does not
 *   load (a platform without one), kafkajs keeps its own.
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
const GROUPING = 'kafkajs/src/producer/groupMessagesPerPartition.js';
const CRC32C = 'kafkajs/src/protocol/recordBatch/crc32C/crc32C.js';

function nativeCrc32c(): ((buffer: Buffer) => number) | undefined {
  try {
    const { crc32c } = require('@node-rs/crc32') as { crc32c(input: Buffer, initial?: number): number };
    return (buffer) => crc32c(buffer) >>> 0;
  } catch {
    return undefined;
  }
}

function preload(request: string, exports: unknown): void {
  const path = require.resolve(request);
  if (require.cache[path]) return;
  const Module = require('node:module') as new (id: string) => NodeJS.Module;
  const m = new Module(path);
  m.filename = path;
  m.loaded = true;
  m.exports = exports;
  require.cache[path] = m;
}

const crc32c = nativeCrc32c();

export function installKafkajsPatches(): void {
  preload(GROUPING, groupMessagesPerPartition);
  if (crc32c) preload(CRC32C, crc32c);
}

/** Which replacements kafkajs now uses (for tests). */
export function installedKafkajsPatches(): { grouping: boolean; crc32c: boolean } {
  return {
    grouping: require.cache[require.resolve(GROUPING)]?.exports === groupMessagesPerPartition,
    crc32c: crc32c !== undefined && require.cache[require.resolve(CRC32C)]?.exports === crc32c,
  };
}

installKafkajsPatches();
