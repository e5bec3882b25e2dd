import type { ChangeRecord, Header, Schema } from '../../api/index.js';

/** The half of a record a Key/Value transform variant works on. */
export type Side = 'key' | 'value';

export interface Part {
  readonly schema: Schema | undefined;
  readonly value: unknown;
}

export function partOf(record: ChangeRecord, side: Side): Part {
  return side === 'key'
    ? { schema: record.keySchema, value: record.key }
    : { schema: record.valueSchema, value: record.value };
}

/**
 * A new record from an old one and its changed parts; source position and the rest are kept. Spelled as one
 * literal so every record has the same shape (V8 keeps the transforms' property accesses monomorphic).
 */
export function rebuild(
  r: ChangeRecord,
  topic: string,
  keySchema: Schema | undefined,
  key: unknown,
  valueSchema: Schema | undefined,
  value: unknown,
  headers: readonly Header[] = r.headers,
): ChangeRecord {
  return {
    topic,
    kafkaPartition: r.kafkaPartition,
    keySchema,
    key,
    valueSchema,
    value,
    headers,
    timestamp: r.timestamp,
    sourcePartition: r.sourcePartition,
    sourceOffset: r.sourceOffset,
  };
}

/** A copy of the record with one side replaced; everything else, source position included, is kept. */
export function withPart(record: ChangeRecord, side: Side, schema: Schema | undefined, value: unknown): ChangeRecord {
  return side === 'key'
    ? rebuild(record, record.topic, schema, value, record.valueSchema, record.value)
    : rebuild(record, record.topic, record.keySchema, record.key, schema, value);
}

export function withTopic(record: ChangeRecord, topic: string): ChangeRecord {
  return topic === record.topic
    ? record
    : rebuild(record, topic, record.keySchema, record.key, record.valueSchema, record.value);
}

export function withHeaders(record: ChangeRecord, headers: readonly Header[]): ChangeRecord {
  return rebuild(record, record.topic, record.keySchema, record.key, record.valueSchema, record.value, headers);
}

/** Last header with that key, as Connect's `Headers.lastWithName`. */
export function lastHeader(record: ChangeRecord, key: string): Header | undefined {
  const hs = record.headers;
  for (let i = hs.length - 1; i >= 0; i--) if (hs[i].key === key) return hs[i];
  return undefined;
}
