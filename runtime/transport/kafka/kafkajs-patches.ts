import { createRequire } from 'node:module';
import { type EncodedBytes, encodeProduce, frameRequest, type ProduceArgs } from './produce-encoder.js';

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
 * - The produce request (v3, which v4–v7 reuse) encodes through nested Encoders that copy each value eight or nine
 *   times (produce-encoder.ts): uncompressed requests are written in one buffer instead, with the same bytes;
 *   compressed ones keep kafkajs's path. Request framing (protocol/request.js) copies the body once, not twice.
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
/** kafkajs's unsigned wrapper around CRC32C (ours once preloaded) */
const CRC32C_INDEX = 'kafkajs/src/protocol/recordBatch/crc32C/index.js';
const PRODUCE_V3 = 'kafkajs/src/protocol/requests/produce/v3/request.js';
const REQUEST = 'kafkajs/src/protocol/request.js';
/** kafkajs's compression type for uncompressed batches */
const NO_COMPRESSION = 0;

type ProduceRequest = { encode: () => Promise<unknown> };
type ProduceV3 = (args: ProduceArgs & { compression?: number }) => ProduceRequest;

/** kafkajs's request framing with one copy of the body (frameRequest). */
async function createRequest({
  correlationId,
  clientId,
  request: { apiKey, apiVersion, encode },
}: {
  correlationId: number;
  clientId: string | null;
  request: { apiKey: number; apiVersion: number; encode: () => Promise<{ buffer: Buffer }> };
}): Promise<EncodedBytes> {
  const payload = await encode();
  return frameRequest(correlationId, clientId, apiKey, apiVersion, payload.buffer);
}

/** Wraps kafkajs's produce v3 request: the same request object, with our encode for uncompressed batches. */
function wrapProduce(original: ProduceV3, crc: (b: Buffer) => number): ProduceV3 {
  const wrapped: ProduceV3 = (args) => {
    const request = original(args);
    if ((args.compression ?? NO_COMPRESSION) !== NO_COMPRESSION) return request;
    return { ...request, encode: async () => encodeProduce(args, crc) };
  };
  return wrapped;
}

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

let produceV3: ProduceV3 | undefined;

export function installKafkajsPatches(): void {
  preload(GROUPING, groupMessagesPerPartition);
  if (crc32c) preload(CRC32C, crc32c);
  preload(REQUEST, createRequest);
  if (!produceV3) {
    // Loaded first (after the CRC above), then its cache entry is given the wrapper: v4..v7 require v3 later.
    const path = require.resolve(PRODUCE_V3);
    const original = require(path) as ProduceV3;
    produceV3 = wrapProduce(original, require(CRC32C_INDEX) as (b: Buffer) => number);
    (require.cache[path] as NodeJS.Module).exports = produceV3;
  }
}

/** Which replacements kafkajs now uses (for tests). */
export function installedKafkajsPatches(): { grouping: boolean; crc32c: boolean; produce: boolean; framing: boolean } {
  return {
    grouping: require.cache[require.resolve(GROUPING)]?.exports === groupMessagesPerPartition,
    crc32c: crc32c !== undefined && require.cache[require.resolve(CRC32C)]?.exports === crc32c,
    produce: produceV3 !== undefined && require.cache[require.resolve(PRODUCE_V3)]?.exports === produceV3,
    framing: require.cache[require.resolve(REQUEST)]?.exports === createRequest,
  };
}

installKafkajsPatches();
