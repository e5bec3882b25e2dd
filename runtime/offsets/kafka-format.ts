import { type Json, partitionKey, type SourceOffset, type SourcePartition } from '../api/index.js';
import type { OffsetEntry } from './store.js';

/**
 * Kafka Connect's offset record format on `offset.storage.topic`, as its JsonConverter (schemas.enable=false)
 * writes it: key `["<connector>",{<partition>}]`, value `{<offset>}`, a null value deleting the partition. Keeping
 * the bytes identical lets Connect's offset tooling (and a Connect worker) read what sluice wrote, and back.
 */
export function encodeOffsetKey(connector: string, partition: SourcePartition): Buffer {
  return Buffer.from(JSON.stringify([connector, partition]), 'utf8');
}

export function encodeOffsetValue(offset: SourceOffset | null): Buffer | null {
  return offset === null ? null : Buffer.from(JSON.stringify(offset), 'utf8');
}

const isMap = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One record of the topic, or undefined for records that are not offsets of the expected shape (Connect logs
 * and skips those too; another tool may share the topic).
 */
export function decodeOffsetRecord(key: Buffer | null, value: Buffer | null): OffsetEntry | undefined {
  if (key === null) return undefined;
  let k: unknown;
  try {
    k = JSON.parse(key.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(k) || k.length !== 2 || typeof k[0] !== 'string' || !isMap(k[1])) return undefined;
  if (value === null || value.length === 0) return { connector: k[0], partition: k[1], offset: null };
  let v: unknown;
  try {
    v = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (v === null) return { connector: k[0], partition: k[1], offset: null };
  if (!isMap(v)) return undefined;
  return { connector: k[0], partition: k[1], offset: v };
}

/** Map key for one connector's partition, independent of the partition map's key order. */
export function storedKey(connector: string, partition: SourcePartition): string {
  return `${JSON.stringify(connector)}:${partitionKey(partition)}`;
}
