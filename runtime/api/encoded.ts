import type { ByteBuilder } from '../data/index.js';
import type { Schema } from '../data/index.js';

/**
 * Pre-encoded record values: a source that already has a record's value in the bytes the converter would write
 * (PostgreSQL's threaded snapshot encodes in its reader threads, off the task's thread) hands them over with the
 * record, and a converter whose settings made them writes them instead of serializing the value again.
 *
 * The rules that keep stale bytes out:
 * - bytes hang off the value object itself, invisibly (no copy of the value carries them): a transform that builds a
 *   new value (every SMT does) or a record rebuilt around another value has none, and the converter serializes as
 *   usual;
 * - the runtime offers a source an encoding (`SourceTaskContext.valueEncoding`) only when the task has no
 *   transforms, and the task runners drop a record's bytes before any transform chain runs on it, so a transform
 *   that edits a value in place cannot leave bytes that no longer match;
 * - bytes carry the tag of the converter settings that made them (`ValueEncoding.tag`): a converter uses them only
 *   when its own tag is the same, so a sink with other converter settings converts the value itself;
 * - a source that changes a value after attaching bytes must drop them (`dropEncodedValue`).
 */
export interface ValueEncoding {
  /** the converter settings as one string: equal tags write equal bytes for equal values */
  readonly tag: string;
  readonly converter: 'json';
  readonly schemasEnable: boolean;
  readonly decimalFormat: 'BASE64' | 'NUMERIC';
}

/** Appends the bytes of a value (as the converter's appendRecord); false (nothing written) for a null message. */
export type ValueEncoder = (out: ByteBuilder, topic: string, schema: Schema | undefined, value: unknown) => boolean;

/**
 * Encoded values of many records in one buffer (a reader thread's batch): value i is `bytes[ends[i-1], ends[i])`
 * (`ends[-1]` = 0), made with the converter settings `tag`.
 */
export interface EncodedBatch {
  readonly tag: string;
  readonly bytes: Uint8Array;
  readonly ends: Uint32Array;
}

/** A value's place in its batch. */
interface EncodedSlot {
  readonly batch: EncodedBatch;
  readonly index: number;
}

/**
 * Where a value keeps its slot: a non-enumerable symbol property, which JSON, Object.keys, spread, Object.assign and
 * structuredClone all leave out, so a value rebuilt from this one never carries it. (A WeakMap keyed by the value did
 * the same, but its ephemerons cost the task's thread more garbage-collection time than the conversion saved.)
 */
const SLOT = Symbol('sluice.encodedValue');

/** Hands value `index` of `batch` to the converters downstream as `value`'s bytes. */
export function attachEncodedValue(value: object, batch: EncodedBatch, index: number): void {
  const slot: EncodedSlot = { batch, index };
  Object.defineProperty(value, SLOT, { value: slot, writable: true, configurable: true });
}

/** Appends `value`'s attached bytes if they were made with the converter settings `tag`; false when it has none. */
export function appendEncodedValue(out: ByteBuilder, value: unknown, tag: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const slot = (value as { [SLOT]?: EncodedSlot })[SLOT];
  if (slot === undefined || slot.batch.tag !== tag) return false;
  const { bytes, ends } = slot.batch;
  const i = slot.index;
  out.pushBytes(bytes.subarray(i === 0 ? 0 : ends[i - 1], ends[i]));
  return true;
}

/** Forgets `value`'s bytes (it is about to change, or a transform is about to see it). */
export function dropEncodedValue(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  const v = value as { [SLOT]?: EncodedSlot };
  if (v[SLOT] !== undefined) v[SLOT] = undefined;
}

/**
 * An encoder writing exactly what the converter of `encoding` writes, for a thread that has no converter of its
 * own. Loaded on demand: the converters import this API, not the other way round.
 */
export async function valueEncoder(encoding: ValueEncoding): Promise<ValueEncoder> {
  const { JsonConverter } = await import('../converters/json.js');
  const c = new JsonConverter({ schemasEnable: encoding.schemasEnable, decimalFormat: encoding.decimalFormat });
  return (out, topic, schema, value) => c.appendRecord(out, topic, schema, value);
}
