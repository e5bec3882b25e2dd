import { parse as parseLossless } from 'lossless-json';
import {
  type Config,
  ConnectError,
  type Converter,
  Decimal,
  defineConverter,
  key,
  Logical,
  type Schema,
  type SchemaType,
  Schemas,
} from '../api/index.js';
import { javaDoubleString, javaFloatString } from '../data/java-float.js';

/**
 * Kafka's JsonConverter: `schemas.enable=true` writes `{"schema": …, "payload": …}` with Connect's schema JSON,
 * `false` the payload alone. int64 is written with all its digits; bytes and Decimal (decimal.format=BASE64) as
 * base64; NaN and infinities as strings, as Jackson does.
 */
export interface JsonConverterOptions {
  schemasEnable: boolean;
  decimalFormat: 'BASE64' | 'NUMERIC';
}

export class JsonConverter implements Converter {
  private readonly schemaJsonCache = new WeakMap<Schema, string>();
  private readonly writers = new WeakMap<Schema, Writer>();

  constructor(readonly options: JsonConverterOptions = { schemasEnable: true, decimalFormat: 'BASE64' }) {}

  fromRecord(_topic: string, schema: Schema | undefined, value: unknown): Buffer | null {
    if (value === null || value === undefined) {
      // As Kafka's JsonConverter: only no schema and no value is a null message (a tombstone); a null value with
      // a schema is written (`{"schema":…,"payload":null}`, or `null`), and refused when the schema requires one.
      if (!schema) return null;
      if (!schema.optional && (schema.defaultValue === undefined || schema.defaultValue === null)) {
        throw new ConnectError(
          'Conversion error: null value for field that is required and has no default value (a tombstone must have no value schema)',
        );
      }
    }
    if (!this.options.schemasEnable && typeof value === 'string' && JSON_SAFE.test(value)) {
      // A plain string value (FileStreamSource's lines, StringConverter-like data): write it straight into a
      // buffer; no intermediate JSON string.
      const out = Buffer.allocUnsafe(value.length + 2);
      out[0] = 0x22;
      out.write(value, 1, 'latin1');
      out[value.length + 1] = 0x22;
      return out;
    }
    const payload = this.valueJson(schema, value);
    if (!this.options.schemasEnable) return Buffer.from(payload, 'utf8');
    const schemaJson = schema ? this.schemaJson(schema) : 'null';
    return Buffer.from(`{"schema":${schemaJson},"payload":${payload}}`, 'utf8');
  }

  toRecord(_topic: string, bytes: Buffer | null): { schema?: Schema; value: unknown } {
    if (bytes === null || bytes.length === 0) return { value: null };
    let doc: unknown;
    try {
      doc = parseLossless(bytes.toString('utf8'), undefined, parseNumber);
    } catch (err) {
      throw new ConnectError(
        `Converting byte[] to Kafka Connect data failed due to serialization error: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (!this.options.schemasEnable) return { value: plain(doc) };
    if (!isObject(doc) || !('schema' in doc) || !('payload' in doc) || Object.keys(doc).length !== 2) {
      throw new ConnectError(
        'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.',
      );
    }
    if (doc.schema === null) return { value: plain(doc.payload) };
    const schema = schemaFromJson(doc.schema);
    return { schema, value: valueFromJson(schema, doc.payload) };
  }

  schemaJson(schema: Schema): string {
    let cached = this.schemaJsonCache.get(schema);
    if (cached === undefined) {
      cached = JSON.stringify(schemaToJson(schema, this));
      this.schemaJsonCache.set(schema, cached);
    }
    return cached;
  }

  valueJson(schema: Schema | undefined, value: unknown): string {
    if (schema) return this.writer(schema)(value);
    return value === null || value === undefined ? 'null' : schemalessJson(value);
  }

  /** A writer compiled once per schema: field names quoted once, nested writers resolved once. */
  private writer(schema: Schema): Writer {
    let w = this.writers.get(schema);
    if (w === undefined) {
      const base = this.compile(schema);
      const fallback = schema.defaultValue;
      w =
        fallback === undefined || fallback === null
          ? (v) => (v === null || v === undefined ? 'null' : base(v))
          : (v) => base(v === null || v === undefined ? fallback : v);
      this.writers.set(schema, w);
    }
    return w;
  }

  private compile(schema: Schema): Writer {
    switch (schema.type) {
      case 'int8':
      case 'int16':
      case 'int32':
        return (v) => String(v);
      case 'int64':
        return (v) => (typeof v === 'bigint' ? v.toString() : String(v));
      case 'float32':
        return (v) => float32Json(v as number);
      case 'float64':
        return (v) => floatJson(v as number);
      case 'boolean':
        return (v) => (v ? 'true' : 'false');
      case 'string':
        return (v) => (JSON_SAFE.test(v as string) ? `"${v}"` : JSON.stringify(v));
      case 'bytes':
        if (schema.name === Logical.Decimal) {
          return this.options.decimalFormat === 'NUMERIC'
            ? (v) => (v as Decimal).toString()
            : (v) => `"${(v as Decimal).unscaledBytes().toString('base64')}"`;
        }
        return (v) => `"${toBuffer(v).toString('base64')}"`;
      case 'array': {
        const item = this.writer(schema.valueSchema!);
        return (v) => {
          const items = v as unknown[];
          let out = '[';
          for (let i = 0; i < items.length; i++) out += (i ? ',' : '') + item(items[i]);
          return `${out}]`;
        };
      }
      case 'map': {
        const keyW = this.writer(schema.keySchema!);
        const valW = this.writer(schema.valueSchema!);
        const stringKeys = schema.keySchema?.type === 'string';
        return (v) => {
          const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as object);
          if (stringKeys) return `{${entries.map(([k, x]) => `${JSON.stringify(String(k))}:${valW(x)}`).join(',')}}`;
          return `[${entries.map(([k, x]) => `[${keyW(k)},${valW(x)}]`).join(',')}]`;
        };
      }
      case 'struct': {
        const fields = (schema.fields ?? []).map((f, i) => ({
          name: f.name,
          prefix: `${i ? ',' : ''}${JSON.stringify(f.name)}:`,
          write: this.writer(f.schema),
        }));
        return (v) => {
          const obj = v as Record<string, unknown>;
          let out = '{';
          for (const f of fields) out += f.prefix + f.write(obj[f.name]);
          return `${out}}`;
        };
      }
    }
  }
}

type Writer = (value: unknown) => string;

/** Printable ASCII without `"` and `\\`: such a string is its own JSON body, no escaping needed. */
const JSON_SAFE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function toBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new ConnectError(`expected bytes, got ${typeof v}`);
}

/** Java's Double.toString spelling (Java 17's, see java-float.ts), as Jackson writes doubles; NaN and infinities quoted. */
export function floatJson(n: number): string {
  return Number.isFinite(n) ? javaDoubleString(n) : `"${javaDoubleString(n)}"`;
}

/** Java's Float.toString spelling of a float32 value, as Jackson writes floats. */
export function float32Json(n: number): string {
  const f = Math.fround(n);
  return Number.isFinite(f) ? javaFloatString(f) : `"${javaFloatString(f)}"`;
}

function schemalessJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : `"${value}"`;
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof Uint8Array) return `"${toBuffer(value).toString('base64')}"`;
      if (value instanceof Decimal) return value.toString();
      // A schemaless timestamp (e.g. from TimestampConverter): Connect's Timestamp physical value, epoch ms.
      if (value instanceof Date) return String(value.getTime());
      if (Array.isArray(value)) return `[${value.map((v) => schemalessJson(v ?? null)).join(',')}]`;
      const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
      return `{${entries
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${JSON.stringify(String(k))}:${schemalessJson(v)}`)
        .join(',')}}`;
    }
    default:
      return 'null';
  }
}

interface SchemaJson {
  type: string;
  optional: boolean;
  [k: string]: unknown;
}

/** Kafka's JsonSchema names two types differently from Connect's Schema.Type. */
const JSON_TYPE_NAME: Partial<Record<SchemaType, string>> = { float32: 'float', float64: 'double' };
const TYPE_FROM_JSON: Record<string, SchemaType> = { float: 'float32', double: 'float64' };

function schemaToJson(schema: Schema, conv: JsonConverter): SchemaJson {
  const out: Record<string, unknown> = { type: JSON_TYPE_NAME[schema.type] ?? schema.type };
  if (schema.type === 'array') out.items = schemaToJson(schema.valueSchema!, conv);
  if (schema.type === 'map') {
    out.keys = schemaToJson(schema.keySchema!, conv);
    out.values = schemaToJson(schema.valueSchema!, conv);
  }
  if (schema.type === 'struct') {
    out.fields = (schema.fields ?? []).map((f) => ({ ...schemaToJson(f.schema, conv), field: f.name }));
  }
  out.optional = schema.optional;
  if (schema.name !== undefined) out.name = schema.name;
  if (schema.version !== undefined) out.version = schema.version;
  if (schema.doc !== undefined) out.doc = schema.doc;
  if (schema.parameters !== undefined) out.parameters = schema.parameters;
  if (schema.defaultValue !== undefined && schema.defaultValue !== null) {
    out.default = JSON.parse(conv.valueJson(schema, schema.defaultValue));
  }
  return out as SchemaJson;
}

function parseNumber(text: string): number | bigint {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  return Number(text);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function plain(v: unknown): unknown {
  return v;
}

export function schemaFromJson(json: unknown): Schema {
  if (!isObject(json) || typeof json.type !== 'string') throw new ConnectError('Schema must contain a "type" field');
  const optional = json.optional === true;
  const extras = {
    name: typeof json.name === 'string' ? json.name : undefined,
    version: typeof json.version === 'number' ? json.version : undefined,
    doc: typeof json.doc === 'string' ? json.doc : undefined,
    parameters: isObject(json.parameters) ? (json.parameters as Record<string, string>) : undefined,
  };
  for (const k of Object.keys(extras) as (keyof typeof extras)[]) if (extras[k] === undefined) delete extras[k];
  const type = TYPE_FROM_JSON[json.type] ?? json.type;
  switch (type) {
    case 'array':
      return Schemas.array(schemaFromJson(json.items), optional, extras);
    case 'map':
      return Schemas.map(schemaFromJson(json.keys), schemaFromJson(json.values), optional, extras);
    case 'struct': {
      const fields = Array.isArray(json.fields) ? json.fields : [];
      return Schemas.struct(
        fields.map((f) => {
          if (!isObject(f) || typeof f.field !== 'string')
            throw new ConnectError('Struct schema fields must have a "field" name');
          return [f.field, schemaFromJson(f)] as const;
        }),
        optional,
        extras,
      );
    }
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
    case 'float32':
    case 'float64':
    case 'boolean':
    case 'string':
    case 'bytes':
      return Schemas[type](optional, extras);
    default:
      throw new ConnectError(`Unknown schema type: ${String(json.type)}`);
  }
}

export function valueFromJson(schema: Schema, json: unknown): unknown {
  if (json === null || json === undefined) {
    if (schema.defaultValue !== undefined) return schema.defaultValue;
    if (!schema.optional) throw new ConnectError('Invalid null value for required field');
    return null;
  }
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'float32':
    case 'float64':
      if (typeof json === 'string' && /^(NaN|-?Infinity)$/.test(json)) return Number(json);
      return Number(json);
    case 'int64':
      return typeof json === 'bigint' ? json : json;
    case 'boolean':
      return json === true;
    case 'string':
      return String(json);
    case 'bytes': {
      if (schema.name === Logical.Decimal) {
        const scale = Number(schema.parameters?.scale ?? 0);
        if (typeof json === 'string') return Decimal.fromUnscaledBytes(Buffer.from(json, 'base64'), scale);
        return Decimal.parse(String(json)).withScale(scale);
      }
      return Buffer.from(String(json), 'base64');
    }
    case 'array':
      return (json as unknown[]).map((v) => valueFromJson(schema.valueSchema!, v));
    case 'map': {
      if (schema.keySchema?.type === 'string' && isObject(json)) {
        return new Map(Object.entries(json).map(([k, v]) => [k, valueFromJson(schema.valueSchema!, v)]));
      }
      return new Map(
        (json as [unknown, unknown][]).map(([k, v]) => [
          valueFromJson(schema.keySchema!, k),
          valueFromJson(schema.valueSchema!, v),
        ]),
      );
    }
    case 'struct': {
      const obj = json as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of schema.fields ?? []) out[f.name] = valueFromJson(f.schema, obj[f.name]);
      return out;
    }
  }
}

export const jsonConverterPlugin = defineConverter({
  name: 'json',
  className: 'org.apache.kafka.connect.json.JsonConverter',
  version: '1.0.0',
  doc: "Kafka's JsonConverter.",
  configSpec: [
    key('schemas.enable', 'boolean', 'Write and expect the {"schema","payload"} envelope.', { default: true }),
    key('decimal.format', 'string', 'BASE64 (as Kafka) or NUMERIC for Connect Decimal values.', {
      default: 'BASE64',
      validValues: ['BASE64', 'NUMERIC'],
    }),
    key('schemas.cache.size', 'int', 'Accepted for compatibility.', { default: 1000 }),
    key('replace.null.with.default', 'boolean', 'Accepted for compatibility.', { default: true }),
  ],
  create(config: Config) {
    return new JsonConverter({
      schemasEnable: config.bool('schemas.enable'),
      decimalFormat: config.string('decimal.format') as 'BASE64' | 'NUMERIC',
    });
  },
});
