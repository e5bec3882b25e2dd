import { JsonConverter } from '../converters/json.js';
import { Decimal } from '../data/decimal.js';
import { Logical } from '../data/logical.js';
import type { ChangeRecord } from '../data/record.js';
import type { Schema } from '../data/schema.js';
import type { CaptureEvent, EventKind } from './events.js';

/**
 * Record values as capture() delivers them (events.ts): the runtime keeps an int64 as a number when it is a safe
 * integer and a bigint otherwise, and Debezium's VariableScaleDecimal as `{scale, value}`; an application wants one
 * type per column. A normalizer is compiled once per schema (schemas are shared by every record of a table) and is
 * absent for a schema whose values need nothing, so a row without int64, bytes or decimals costs nothing. Structs
 * are copied only where a field changes: the connector's objects are never modified.
 */
type Fix = (value: unknown) => unknown;

const MS_PER_DAY = 86_400_000;

const toBigint: Fix = (v) => (typeof v === 'number' ? BigInt(v) : v);
const toBuffer: Fix = (v) =>
  v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
const dateFrom =
  (perMs: number): Fix =>
  (v) =>
    typeof v === 'number' || typeof v === 'bigint' ? new Date(Math.floor(Number(v) / perMs)) : v;

export interface NormalizeOptions {
  /** Date, Timestamp, MicroTimestamp, NanoTimestamp and ZonedTimestamp as JS Dates (sub-millisecond digits lost) */
  readonly dates: boolean;
}

export class ValueNormalizer {
  private readonly cache = new WeakMap<Schema, Fix | null>();

  constructor(private readonly options: NormalizeOptions = { dates: false }) {}

  normalize(schema: Schema | undefined, value: unknown): unknown {
    if (value === undefined) return null;
    if (!schema || value === null) return value;
    const fix = this.fixFor(schema);
    return fix ? fix(value) : value;
  }

  private fixFor(schema: Schema): Fix | undefined {
    let fix = this.cache.get(schema);
    if (fix === undefined) {
      fix = this.compile(schema) ?? null;
      this.cache.set(schema, fix);
    }
    return fix ?? undefined;
  }

  private compile(schema: Schema): Fix | undefined {
    const dates = this.options.dates;
    switch (schema.type) {
      case 'int64':
        if (dates && (schema.name === Logical.Timestamp || schema.name === Logical.DebeziumTimestamp))
          return dateFrom(1);
        if (dates && schema.name === Logical.MicroTimestamp) return dateFrom(1000);
        if (dates && schema.name === Logical.NanoTimestamp) return dateFrom(1_000_000);
        return toBigint;
      case 'int32':
        if (dates && (schema.name === Logical.Date || schema.name === Logical.DebeziumDate)) {
          return (v) => (typeof v === 'number' ? new Date(v * MS_PER_DAY) : v);
        }
        return undefined;
      case 'string':
        if (dates && schema.name === Logical.ZonedTimestamp) return (v) => (typeof v === 'string' ? new Date(v) : v);
        return undefined;
      case 'bytes':
        // Connect's Decimal is a Decimal already; plain bytes may come as a Uint8Array.
        return schema.name === Logical.Decimal ? undefined : toBuffer;
      case 'array': {
        const item = this.fixFor(schema.valueSchema as Schema);
        if (!item) return undefined;
        return (v) => (Array.isArray(v) ? v.map((x) => (x === null || x === undefined ? null : item(x))) : v);
      }
      case 'map': {
        const k = this.fixFor(schema.keySchema as Schema);
        const val = this.fixFor(schema.valueSchema as Schema);
        if (!k && !val) return undefined;
        const fk = k ?? ((x: unknown) => x);
        const fv = (x: unknown) => (x === null || x === undefined || !val ? (x ?? null) : val(x));
        return (v) => {
          if (v instanceof Map) return new Map([...v].map(([a, b]) => [fk(a), fv(b)]));
          if (typeof v !== 'object' || v === null) return v;
          return Object.fromEntries(Object.entries(v).map(([a, b]) => [a, fv(b)]));
        };
      }
      case 'struct':
        return this.compileStruct(schema);
      default:
        return undefined;
    }
  }

  private compileStruct(schema: Schema): Fix | undefined {
    if (schema.name === Logical.VariableScaleDecimal) {
      // Debezium's NUMERIC without a declared scale: `{scale, value}` (unscaled two's-complement bytes) is a decimal.
      return (v) => {
        const o = v as { scale?: unknown; value?: unknown };
        return typeof o?.scale === 'number' && o.value instanceof Uint8Array
          ? Decimal.fromUnscaledBytes(o.value, o.scale)
          : v;
      };
    }
    const fields: Array<{ name: string; fix?: Fix; fallback: unknown }> = [];
    for (const f of schema.fields ?? []) {
      const fix = this.fixFor(f.schema);
      // A null field with a schema default reads as the default, as the JSON converter writes it
      // (replace.null.with.default).
      const d = f.schema.defaultValue;
      const fallback = d === undefined || d === null ? undefined : fix ? fix(d) : d;
      if (fix || fallback !== undefined) fields.push({ name: f.name, fix, fallback });
    }
    if (fields.length === 0) return undefined;
    return (v) => {
      if (typeof v !== 'object' || v === null) return v;
      const obj = v as Record<string, unknown>;
      let out: Record<string, unknown> | undefined;
      for (const f of fields) {
        const x = obj[f.name];
        const y = x === null || x === undefined ? (f.fallback ?? x) : f.fix ? f.fix(x) : x;
        if (y !== x) {
          out ??= { ...obj };
          out[f.name] = y;
        }
      }
      return out ?? obj;
    };
  }
}

const ENVELOPE = /\.Envelope$/;

/** The kind of a record, from its value schema's name (Debezium names them). */
export function kindOf(record: ChangeRecord): EventKind {
  if (record.value === null || record.value === undefined) return 'tombstone';
  const name = record.valueSchema?.name;
  if (name === undefined) return 'other';
  if (ENVELOPE.test(name)) return 'change';
  if (name === 'io.debezium.connector.common.Heartbeat') return 'heartbeat';
  if (name === 'io.debezium.connector.common.TransactionMetadataValue') return 'transaction';
  if (name.endsWith('.SchemaChangeValue')) return 'schema-change';
  return 'other';
}

/** The record an event was made from, for toJson: a non-enumerable symbol, so spreads, JSON and logs leave it out. */
const RECORD = Symbol('sluice.record');

export function toEvent(record: ChangeRecord, n: ValueNormalizer): CaptureEvent {
  const event = {
    kind: kindOf(record),
    topic: record.topic,
    key: n.normalize(record.keySchema, record.key),
    value: n.normalize(record.valueSchema, record.value),
    headers: record.headers.length ? record.headers.map((h) => ({ key: h.key, value: h.value })) : [],
    timestamp: record.timestamp,
    position: record.sourceOffset,
  };
  Object.defineProperty(event, RECORD, { value: record });
  return event as CaptureEvent;
}

const converters = {
  plain: new JsonConverter({ schemasEnable: false, decimalFormat: 'BASE64' }),
  schemas: new JsonConverter({ schemasEnable: true, decimalFormat: 'BASE64' }),
};

export interface ToJsonOptions {
  /** the key instead of the value */
  key?: boolean;
  /** `{"schema": …, "payload": …}` as JsonConverter with schemas.enable=true (default false) */
  schemas?: boolean;
}

/**
 * An event's value (or key) as the CLI's JsonConverter writes it: the same bytes a file sink or a Kafka consumer
 * of Debezium's JSON gets (int64 with every digit, bytes and decimals in base64, NaN quoted). `null` for a
 * tombstone. An object that is not an event from capture() (a copy made with spread, say) is written without
 * schema: bigints as numbers, Buffers in base64, Decimals as numbers, Dates as epoch ms.
 */
export function toJson(event: { key?: unknown; value?: unknown }, options: ToJsonOptions = {}): string {
  const conv = options.schemas ? converters.schemas : converters.plain;
  const record = (event as { [RECORD]?: ChangeRecord })[RECORD];
  const bytes = record
    ? options.key
      ? conv.fromRecord(record.topic, record.keySchema, record.key)
      : conv.fromRecord(record.topic, record.valueSchema, record.value)
    : conv.fromRecord('', undefined, options.key ? event.key : event.value);
  return bytes === null ? 'null' : bytes.toString('utf8');
}
