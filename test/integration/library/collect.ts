import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { parse as parseLossless } from 'lossless-json';
import { schemaFromJson, valueFromJson } from '../../../runtime/converters/json.js';
import { type Schema, Schemas } from '../../../runtime/data/schema.js';
import type { Batch, ChangeStream } from '../../../runtime/library/index.js';
import { ValueNormalizer } from '../../../runtime/library/values.js';
import { waitFor } from '../../harness/worker.js';

/** Consumes a capture in the background: every event in order, committing each batch unless told not to. */
export class Collector<E> {
  readonly events: E[] = [];
  readonly batches: Batch<E>[] = [];
  error: unknown;
  readonly done: Promise<void>;

  constructor(stream: ChangeStream<E>, options: { commit?: boolean } = {}) {
    this.done = (async () => {
      try {
        for await (const b of stream) {
          this.events.push(...b.events);
          this.batches.push(b);
          if (options.commit !== false) await b.commit();
        }
      } catch (err) {
        this.error = err;
      }
    })();
  }

  /** Waits until `pred` holds on the events so far; throws the capture's error as soon as there is one. */
  async until(pred: (events: readonly E[]) => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      () => {
        if (this.error !== undefined) throw this.error;
        return pred(this.events);
      },
      timeoutMs,
      what,
    );
  }
}

/** Every line of a file sink's output, tombstones (`null`) included; a partial last line left out. */
export function sinkLines(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const end = text.lastIndexOf('\n');
  return end < 0 ? [] : text.slice(0, end).split('\n');
}

/**
 * The schema with every part optional: Debezium's delete events carry nulls in required columns of `before` (only
 * the key columns are in the old row image), which Connect's JsonConverter refuses to read back.
 */
function lenient(schema: Schema): Schema {
  const extras = { name: schema.name, version: schema.version, doc: schema.doc, parameters: schema.parameters };
  switch (schema.type) {
    case 'struct':
      return Schemas.struct(
        (schema.fields ?? []).map((f) => [f.name, lenient(f.schema)] as const),
        true,
        extras,
      );
    case 'array':
      return Schemas.array(lenient(schema.valueSchema as Schema), true, extras);
    case 'map':
      return Schemas.map(lenient(schema.keySchema as Schema), lenient(schema.valueSchema as Schema), true, extras);
    default:
      return Schemas.withOptional(schema, true);
  }
}

/**
 * A line of a file sink with `schemas.enable=true` read back as the JSON converter reads it (schema and exact
 * values), then given the library's value types: what capture() must deliver for the same change.
 */
export function fromSinkLine(line: string, normalizer = new ValueNormalizer()): unknown {
  if (line === 'null') return null;
  const doc = parseLossless(line, undefined, (t) => (/^-?\d+$/.test(t) ? BigInt(t) : Number(t))) as {
    schema: unknown;
    payload: unknown;
  };
  const schema = lenient(schemaFromJson(doc.schema));
  return normalizer.normalize(schema, valueFromJson(schema, doc.payload));
}

/**
 * Sets the named paths (`source.lsn`) to null in an event value, for fields that legitimately differ; copies only
 * the objects on the way (values keep their types: Decimal, Buffer, bigint).
 */
export function mask<T>(value: T, paths: readonly string[]): T {
  let out: unknown = value;
  for (const p of paths) out = maskPath(out, p.split('.'));
  return out as T;
}

function maskPath(v: unknown, path: readonly string[]): unknown {
  if (v === null || typeof v !== 'object' || !(path[0] in (v as object))) return v;
  const o = v as Record<string, unknown>;
  return { ...o, [path[0]]: path.length === 1 ? null : maskPath(o[path[0]], path.slice(1)) };
}

/**
 * The library's events against a CLI worker's file sinks for the same changes (one with schemas.enable=false, one
 * with true): each event's value equals the CLI's JSON read back with its schema and given the library's value
 * types, and toJson() of it is the CLI's line. `differs` names, per event, the fields that legitimately differ
 * (processing times, the snapshots' own positions).
 */
export function expectCliEvents(
  events: ReadonlyArray<{ value: unknown }>,
  plainLines: readonly string[],
  schemaLines: readonly string[],
  differs: (value: unknown) => readonly string[],
  toJson: (e: never, o?: { schemas?: boolean }) => string,
): void {
  expect(events.length).toBe(plainLines.length);
  expect(schemaLines.length).toBe(plainLines.length);
  const maskText = (text: string, fields: readonly string[]) => {
    let out = text;
    for (const f of new Set(fields.map((p) => p.split('.').pop() as string))) {
      out = out.replace(new RegExp(`"${f}":("(?:[^"\\\\]|\\\\.)*"|-?\\d+|null)`, 'g'), `"${f}":0`);
    }
    return out;
  };
  events.forEach((e, i) => {
    const fields = differs(e.value);
    expect(mask(e.value, fields), `event ${i}`).toEqual(mask(fromSinkLine(schemaLines[i]), fields));
    expect(maskText(toJson(e as never), fields), `event ${i} as JSON`).toBe(maskText(plainLines[i], fields));
    expect(maskText(toJson(e as never, { schemas: true }), fields)).toBe(maskText(schemaLines[i], fields));
  });
}

/** Envelope fields that are processing time: never the same in two pipelines. */
export const PROCESSING_TIME = ['ts_ms', 'ts_us', 'ts_ns'];
