import { JsonConverter } from '../converters/json.js';
import { Decimal } from '../data/decimal.js';
import { Logical } from '../data/logical.js';
import type { ChangeRecord } from '../data/record.js';
import type { Schema } from '../data/schema.js';
import type { CaptureEvent, EventHeader, EventKind } from './events.js';

/**
 * Record values as capture() delivers them (events.ts): the runtime keeps an int64 as a number when it is a safe
 * integer and a bigint otherwise, and Debezium's VariableScaleDecimal as `{scale, value}`; an application wants one
 * type per column. A normalizer is compiled once per schema (schemas are shared by every record of a table) and is
 * absent for a schema whose values need nothing, so a row without int64, bytes or decimals costs nothing.
 *
 * Values are fixed in place where toJson needs nothing but the event's values (jsonSchemas): the record is dropped
 * once its event is made, so a copy would only double what the batch holds until then. Where a value changes form
 * (a Decimal, a Date), structs are copied where a field changes, and the record is kept intact for toJson.
 */
type Fix = (value: unknown) => unknown;

const MS_PER_DAY = 86_400_000;

/** The logical types `dates: true` turns into JS Dates. */
const DATE_TYPES = new Set<string>([
  Logical.Timestamp,
  Logical.DebeziumTimestamp,
  Logical.MicroTimestamp,
  Logical.NanoTimestamp,
  Logical.Date,
  Logical.DebeziumDate,
  Logical.ZonedTimestamp,
]);

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

/** What toJson needs of an event whose values the converter writes as it writes the record's: its schemas. */
interface JsonSchemas {
  readonly keySchema: Schema | undefined;
  readonly valueSchema: Schema | undefined;
}

/** Stands for an absent schema as a WeakMap key. */
const NO_SCHEMA: Schema = { type: 'struct', optional: true };

export class ValueNormalizer {
  /** fixes that copy what they change, and fixes that change values in place */
  private readonly caches = [new WeakMap<Schema, Fix | null>(), new WeakMap<Schema, Fix | null>()] as const;
  private readonly transparent = new WeakMap<Schema, boolean>();
  private readonly schemas = new WeakMap<Schema, WeakMap<Schema, JsonSchemas>>();

  constructor(private readonly options: NormalizeOptions = { dates: false }) {}

  /**
   * A value as capture() delivers it. `inPlace`: changes the value's own objects (structs, arrays) instead of
   * copying them — only for a value of jsonSchemas' schemas, nothing else holds.
   */
  normalize(schema: Schema | undefined, value: unknown, inPlace = false): unknown {
    if (value === undefined) return null;
    if (!schema || value === null) return value;
    const fix = this.fixFor(schema, inPlace);
    return fix ? fix(value) : value;
  }

  /**
   * The schemas of a record whose normalized key and value JsonConverter writes byte for byte as it writes the
   * record's own (an int64 as bigint or number, bytes as Buffer or Uint8Array, a null field or its default are all
   * written alike), shared by every record with the same schemas; undefined when a value changed form: a
   * VariableScaleDecimal become a Decimal, or a temporal value a Date (`dates: true`).
   */
  jsonSchemas(keySchema: Schema | undefined, valueSchema: Schema | undefined): JsonSchemas | undefined {
    if (!this.isTransparent(keySchema) || !this.isTransparent(valueSchema)) return undefined;
    const v = valueSchema ?? NO_SCHEMA;
    let byKey = this.schemas.get(v);
    if (!byKey) {
      byKey = new WeakMap();
      this.schemas.set(v, byKey);
    }
    const k = keySchema ?? NO_SCHEMA;
    let out = byKey.get(k);
    if (!out) {
      out = { keySchema, valueSchema };
      byKey.set(k, out);
    }
    return out;
  }

  private isTransparent(schema: Schema | undefined): boolean {
    if (!schema) return true;
    let t = this.transparent.get(schema);
    if (t === undefined) {
      // Guards a recursive schema: assumed transparent while its own fields are checked.
      this.transparent.set(schema, true);
      t = this.checkTransparent(schema);
      this.transparent.set(schema, t);
    }
    return t;
  }

  private checkTransparent(schema: Schema): boolean {
    if (schema.name === Logical.VariableScaleDecimal) return false;
    if (this.options.dates && DATE_TYPES.has(schema.name ?? '')) return false;
    switch (schema.type) {
      case 'array':
        return this.isTransparent(schema.valueSchema);
      case 'map':
        return this.isTransparent(schema.keySchema) && this.isTransparent(schema.valueSchema);
      case 'struct':
        return (schema.fields ?? []).every((f) => this.isTransparent(f.schema));
      default:
        return true;
    }
  }

  private fixFor(schema: Schema, inPlace: boolean): Fix | undefined {
    const cache = this.caches[inPlace ? 1 : 0];
    let fix = cache.get(schema);
    if (fix === undefined) {
      fix = this.compile(schema, inPlace) ?? null;
      cache.set(schema, fix);
    }
    return fix ?? undefined;
  }

  private compile(schema: Schema, inPlace: boolean): Fix | undefined {
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
        const item = this.fixFor(schema.valueSchema as Schema, inPlace);
        if (!item) return undefined;
        const fixItem = (x: unknown) => (x === null || x === undefined ? null : item(x));
        return (v) => {
          if (!Array.isArray(v)) return v;
          if (!inPlace || Object.isFrozen(v)) return v.map(fixItem);
          for (let i = 0; i < v.length; i++) v[i] = fixItem(v[i]);
          return v;
        };
      }
      case 'map': {
        const k = this.fixFor(schema.keySchema as Schema, inPlace);
        const val = this.fixFor(schema.valueSchema as Schema, inPlace);
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
        return this.compileStruct(schema, inPlace);
      default:
        return undefined;
    }
  }

  private compileStruct(schema: Schema, inPlace: boolean): Fix | undefined {
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
      const fix = this.fixFor(f.schema, inPlace);
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
          out ??= inPlace && !Object.isFrozen(obj) ? obj : { ...obj };
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

/**
 * What toJson needs of an event, as a non-enumerable symbol (spreads, JSON and logs leave it out): the schemas its
 * key and value are written with, shared by the events of a table; or, where normalizing changed a value's form, the
 * record it was made from. Not the record otherwise: a consumer's `for await` loop keeps the previous batch alive
 * while it waits for the next one (V8 keeps the loop variable in the suspended function), and a record kept beside
 * its normalized copies made that batch 40% bigger (docs/FACTS.md).
 */
const JSON_OF = Symbol('sluice.json');

const NO_HEADERS: readonly EventHeader[] = Object.freeze([]);

export function toEvent(record: ChangeRecord, n: ValueNormalizer): CaptureEvent {
  const schemas = n.jsonSchemas(record.keySchema, record.valueSchema);
  const inPlace = schemas !== undefined;
  const event = {
    kind: kindOf(record),
    topic: record.topic,
    key: n.normalize(record.keySchema, record.key, inPlace),
    value: n.normalize(record.valueSchema, record.value, inPlace),
    headers: record.headers.length ? record.headers.map((h) => ({ key: h.key, value: h.value })) : NO_HEADERS,
    timestamp: record.timestamp,
    position: record.sourceOffset,
  };
  Object.defineProperty(event, JSON_OF, { value: schemas ?? record });
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
const topicOf = (event: object): string => {
  const t = (event as { topic?: unknown }).topic;
  return typeof t === 'string' ? t : '';
};

export function toJson(event: { key?: unknown; value?: unknown }, options: ToJsonOptions = {}): string {
  const conv = options.schemas ? converters.schemas : converters.plain;
  const of = (event as { [JSON_OF]?: JsonSchemas | ChangeRecord })[JSON_OF];
  // A record carries its own (pre-normalization) key and value; schemas alone go with the event's.
  const source = of && 'topic' in of ? of : event;
  const bytes = of
    ? options.key
      ? conv.fromRecord(topicOf(event), of.keySchema, source.key)
      : conv.fromRecord(topicOf(event), of.valueSchema, source.value)
    : conv.fromRecord('', undefined, options.key ? event.key : event.value);
  return bytes === null ? 'null' : bytes.toString('utf8');
}
