import { createRequire } from 'node:module';
import type * as KafkaJS from 'kafkajs';

const require = createRequire(import.meta.url);
let loaded: typeof KafkaJS | undefined;

/**
 * kafkajs, loaded on first use: its ~140 modules cost ~12 MB of RSS, which a worker without Kafka (the direct
 * transport, file offsets) should not pay. Read through `require` because it is a CommonJS package whose
 * named exports Node's ESM loader does not all see (CompressionCodecs).
 */
export function kafkajs(): typeof KafkaJS {
  loaded ??= require('kafkajs') as typeof KafkaJS;
  return loaded;
}
