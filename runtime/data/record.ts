import type { Schema } from './schema.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type SourcePartition = Readonly<Record<string, Json>>;
export type SourceOffset = Readonly<Record<string, Json>>;

export interface Header {
  readonly key: string;
  readonly value: unknown;
  readonly schema?: Schema;
}

/**
 * One change, immutable: transforms return new objects. Values match their schemas; with no schema a value is
 * plain JSON-like data (objects, arrays, strings, numbers, bigints, booleans, null, Buffers).
 *
 * Value representation (exact by construction):
 * - int8/int16/int32/float32/float64: number
 * - int64: bigint, or a number when it is a safe integer
 * - bytes: Buffer (Uint8Array accepted)
 * - Connect Decimal: `Decimal`; every other logical type keeps its physical value (e.g. MicroTimestamp: int64)
 * - struct: a plain object with the fields in schema order; map: Map or plain object; array: array
 */
export interface ChangeRecord {
  readonly topic: string;
  readonly kafkaPartition?: number;
  readonly keySchema?: Schema;
  readonly key: unknown;
  readonly valueSchema?: Schema;
  /** null = tombstone */
  readonly value: unknown;
  readonly headers: readonly Header[];
  /** epoch milliseconds */
  readonly timestamp?: number;
  readonly sourcePartition: SourcePartition;
  readonly sourceOffset: SourceOffset;
}

/** Key for maps indexed by a source partition; stable across key order. */
export function partitionKey(partition: SourcePartition): string {
  return stableStringify(partition);
}

export function stableStringify(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`).join(',')}}`;
}

/**
 * Rough in-memory size of a record, for `max.queue.size.in.bytes`. Counts strings and byte arrays, which
 * dominate real records; cheap enough to run on every record.
 */
export function estimateSize(record: ChangeRecord): number {
  return 64 + sizeOf(record.key, 0) + sizeOf(record.value, 0);
}

function sizeOf(v: unknown, depth: number): number {
  if (v === null || v === undefined) return 0;
  switch (typeof v) {
    case 'string':
      return v.length;
    case 'number':
    case 'boolean':
      return 8;
    case 'bigint':
      return 16;
    case 'object': {
      if (depth > 8) return 64;
      if (v instanceof Uint8Array) return v.byteLength;
      if (Array.isArray(v)) {
        let n = 16;
        for (const x of v) n += sizeOf(x, depth + 1);
        return n;
      }
      let n = 16;
      for (const k in v as Record<string, unknown>)
        n += k.length + sizeOf((v as Record<string, unknown>)[k], depth + 1);
      return n;
    }
    default:
      return 8;
  }
}
