import type { ChangeRecord, Schema } from '../../api/index.js';
import { isPlainObject, type Struct } from '../support/structs.js';

/** A Debezium change event: the value struct with before/after/source/op/ts_ms (schema named `….Envelope`). */
export interface Envelope {
  readonly value: Struct;
  /** undefined for schemaless events */
  readonly schema: Schema | undefined;
  readonly op: string;
}

/**
 * The envelope of a record, or undefined for anything else (heartbeats, schema changes, tombstones, already
 * flattened rows), which Debezium's transforms pass on unchanged. Schemaless events are recognised by shape.
 */
export function envelopeOf(record: ChangeRecord): Envelope | undefined {
  const v = record.value;
  if (!isPlainObject(v)) return undefined;
  const s = record.valueSchema;
  if (s) {
    if (s.type !== 'struct' || !s.name?.endsWith('.Envelope')) return undefined;
  } else if (!('op' in v) || !('after' in v || 'before' in v)) {
    return undefined;
  }
  const op = v.op;
  if (typeof op !== 'string') return undefined;
  return { value: v, schema: s, op };
}

export function fieldSchema(schema: Schema | undefined, name: string): Schema | undefined {
  return schema?.fields?.find((f) => f.name === name)?.schema;
}
