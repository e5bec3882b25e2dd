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

/** A copy of the record with one side replaced; everything else, source position included, is kept. */
export function withPart(record: ChangeRecord, side: Side, schema: Schema | undefined, value: unknown): ChangeRecord {
  return side === 'key' ? { ...record, keySchema: schema, key: value } : { ...record, valueSchema: schema, value };
}

export function withTopic(record: ChangeRecord, topic: string): ChangeRecord {
  return topic === record.topic ? record : { ...record, topic };
}

export function withHeaders(record: ChangeRecord, headers: readonly Header[]): ChangeRecord {
  return { ...record, headers };
}

/** Last header with that key, as Connect's `Headers.lastWithName`. */
export function lastHeader(record: ChangeRecord, key: string): Header | undefined {
  const hs = record.headers;
  for (let i = hs.length - 1; i >= 0; i--) if (hs[i].key === key) return hs[i];
  return undefined;
}
