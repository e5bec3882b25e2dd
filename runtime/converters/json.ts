import { parse as parseLossless } from 'lossless-json';
import {
  appendEncodedValue,
  ByteBuilder,
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
  type ValueEncoding,
} from '../api/index.js';
import { JsonValueWriters, toBuffer, writeString } from './json-writer.js';

export { float32Json, floatJson } from './json-writer.js';

/**
 * Kafka's JsonConverter: `schemas.enable=true` writes `{"schema": …, "payload": …}` with Connect's schema JSON,
 * `false` the payload alone. int64 is written with all its digits; bytes and Decimal (decimal.format=BASE64) as
 * base64; NaN and infinities as strings, as Jackson does.
 */
export interface JsonConverterOptions {
  schemasEnable: boolean;
  decimalFormat: 'BASE64' | 'NUMERIC';
  /** schemas read from messages kept by their JSON text (Kafka's `schemas.cache.size`); default 1000 */
  schemasCacheSize?: number;
}

export class JsonConverter implements Converter {
  private readonly schemaJsonCache = new WeakMap<Schema, string>();
  /** `{"schema":<schema JSON>,"payload":` as bytes, per schema */
  private readonly envelopeHeads = new WeakMap<Schema, Buffer>();
  private readonly writers: JsonValueWriters;
  /** where fromRecord builds its bytes before copying them out */
  private scratch = new ByteBuilder();
  /**
   * Schemas read by toRecord, by their JSON text, oldest first. Kafka's JsonConverter caches its schema conversions
   * the same way; without it every message built a new Schema, and a sink then compiled a new writer for each one
   * (Kafka mode's FileStreamSink fell behind 5,000 changes/s with schemas on: issue 22's latency run).
   */
  private readonly schemasByText = new Map<string, Schema>();
  /** the last few schemas read, by text: a topic's messages mostly carry the same ones (key and value) */
  private readonly recent: Array<{ text: string; schema: Schema }> = [];

  /** what pre-encoded values (runtime/api/encoded.ts) this converter writes as they are */
  private readonly encoding: ValueEncoding;

  constructor(readonly options: JsonConverterOptions = { schemasEnable: true, decimalFormat: 'BASE64' }) {
    this.writers = new JsonValueWriters(options.decimalFormat);
    this.encoding = {
      tag: `json:schemas.enable=${options.schemasEnable}:decimal.format=${options.decimalFormat}`,
      converter: 'json',
      schemasEnable: options.schemasEnable,
      decimalFormat: options.decimalFormat,
    };
  }

  valueEncoding(): ValueEncoding {
    return this.encoding;
  }

  fromRecord(topic: string, schema: Schema | undefined, value: unknown): Buffer | null {
    const out = this.scratch;
    out.reset();
    if (!this.appendRecord(out, topic, schema, value)) return null;
    const bytes = out.copy();
    // One huge record must not keep a huge scratch buffer alive.
    if (out.buf.length > 1 << 22) this.scratch = new ByteBuilder();
    return bytes;
  }

  appendRecord(out: ByteBuilder, _topic: string, schema: Schema | undefined, value: unknown): boolean {
    if (appendEncodedValue(out, value, this.encoding.tag)) return true;
    if (value === null || value === undefined) {
      // As Kafka's JsonConverter: only no schema and no value is a null message (a tombstone); a null value with
      // a schema is written (`{"schema":…,"payload":null}`, or `null`), and refused when the schema requires one.
      if (!schema) return false;
      if (!schema.optional && (schema.defaultValue === undefined || schema.defaultValue === null)) {
        throw new ConnectError(
          'Conversion error: null value for field that is required and has no default value (a tombstone must have no value schema)',
        );
      }
    }
    if (!this.options.schemasEnable) {
      this.writePayload(out, schema, value);
      return true;
    }
    out.pushBytes(this.envelopeHead(schema));
    this.writePayload(out, schema, value);
    out.pushByte(0x7d);
    return true;
  }

  private writePayload(out: ByteBuilder, schema: Schema | undefined, value: unknown): void {
    if (schema) this.writers.writer(schema)(value, out);
    else if (value === null || value === undefined) out.pushAscii('null');
    else if (typeof value === 'string') writeString(value, out);
    else out.pushUtf8(schemalessJson(value));
  }

  /** `{"schema":…,"payload":` as bytes: each distinct schema is serialized once. */
  private envelopeHead(schema: Schema | undefined): Buffer {
    if (!schema) return NULL_SCHEMA_HEAD;
    let head = this.envelopeHeads.get(schema);
    if (head === undefined) {
      head = Buffer.from(`{"schema":${this.schemaJson(schema)},"payload":`, 'utf8');
      this.envelopeHeads.set(schema, head);
    }
    return head;
  }

  toRecord(_topic: string, bytes: Buffer | null): { schema?: Schema; value: unknown } {
    if (bytes === null || bytes.length === 0) return { value: null };
    const text = bytes.toString('utf8');
    if (this.options.schemasEnable) {
      const fast = this.envelopeToRecord(text);
      if (fast) return fast;
    }
    let doc: unknown;
    try {
      doc = parseLossless(text, undefined, parseNumber);
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

  /**
   * `{"schema":…,"payload":…}` as Connect's and sluice's JsonConverter write it (those two keys, in that order, no
   * spaces): the schema comes from the cache by its text and only the payload is parsed. Anything else (and any
   * envelope whose payload does not parse) returns undefined, for the full parse and its errors.
   */
  private envelopeToRecord(text: string): { schema?: Schema; value: unknown } | undefined {
    let hit: { text: string; schema: Schema } | undefined;
    let split: { schema: string; payload: string } | undefined;
    for (const r of this.recent) {
      split = knownEnvelope(text, r.text);
      if (split) {
        hit = r;
        break;
      }
    }
    split ??= splitEnvelope(text);
    if (!split) return undefined;
    let payload: unknown;
    try {
      payload = parsePayload(split.payload);
    } catch {
      return undefined;
    }
    if (split.schema === 'null') return { value: plain(payload) };
    if (hit) return { schema: hit.schema, value: valueFromJson(hit.schema, payload) };
    const schema = this.cachedSchema(split.schema);
    if (!schema) return undefined;
    this.recent.unshift({ text: split.schema, schema });
    if (this.recent.length > 4) this.recent.pop();
    return { schema, value: valueFromJson(schema, payload) };
  }

  private cachedSchema(text: string): Schema | undefined {
    let schema = this.schemasByText.get(text);
    if (schema === undefined) {
      try {
        schema = schemaFromJson(parseLossless(text, undefined, parseNumber));
      } catch {
        return undefined;
      }
      const limit = this.options.schemasCacheSize ?? 1000;
      if (this.schemasByText.size >= limit) {
        const oldest = this.schemasByText.keys().next();
        if (!oldest.done) this.schemasByText.delete(oldest.value);
      }
      if (limit > 0) this.schemasByText.set(text, schema);
    }
    return schema;
  }

  schemaJson(schema: Schema): string {
    let cached = this.schemaJsonCache.get(schema);
    if (cached === undefined) {
      cached = schemaToJson(schema, this);
      this.schemaJsonCache.set(schema, cached);
    }
    return cached;
  }

  valueJson(schema: Schema | undefined, value: unknown): string {
    const out = new ByteBuilder(256);
    this.writePayload(out, schema, value);
    return out.view().toString('utf8');
  }
}

const NULL_SCHEMA_HEAD = Buffer.from('{"schema":null,"payload":');
const SCHEMA_KEY = '{"schema":';
const PAYLOAD_KEY = ',"payload":';

/**
 * The envelope split for a message whose schema text is `schemaText` (a complete JSON value, so nothing that
 * starts with it can continue it): a prefix compare instead of a scan.
 */
function knownEnvelope(text: string, schemaText: string): { schema: string; payload: string } | undefined {
  const at = SCHEMA_KEY.length + schemaText.length;
  if (!text.startsWith(SCHEMA_KEY) || !text.startsWith(schemaText, SCHEMA_KEY.length)) return undefined;
  if (!text.startsWith(PAYLOAD_KEY, at)) return undefined;
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) <= 0x20) end--;
  if (text.charCodeAt(end - 1) !== 0x7d) return undefined;
  const payload = text.slice(at + PAYLOAD_KEY.length, end - 1);
  return payload.trim() === '' ? undefined : { schema: schemaText, payload };
}

/**
 * A payload's value. JSON.parse is exact for every number of at most 15 digits (below 2^53) and is several times
 * faster than the lossless parser, which a payload with any longer digit run (an int64 past 2^53, a long
 * fraction) still goes through.
 */
function parsePayload(text: string): unknown {
  return LONG_DIGITS.test(text) ? parseLossless(text, undefined, parseNumber) : JSON.parse(text);
}
const LONG_DIGITS = /\d{16}/;

/**
 * The schema's and the payload's text of `{"schema":<value>,"payload":<value>}`, or undefined when the text is not
 * exactly that shape as far as a scan can tell (the payload's own parse checks the rest). The schema value is an
 * object or null; its end is found by counting brackets outside strings.
 */
export function splitEnvelope(text: string): { schema: string; payload: string } | undefined {
  if (!text.startsWith(SCHEMA_KEY)) return undefined;
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) <= 0x20) end--;
  if (text.charCodeAt(end - 1) !== 0x7d) return undefined;
  const start = SCHEMA_KEY.length;
  let i = start;
  if (text.startsWith('null', i)) i += 4;
  else if (text.charCodeAt(i) === 0x7b) {
    let depth = 0;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        // a string: skip to its closing quote, past escapes
        for (i++; i < end; i++) {
          const d = text.charCodeAt(i);
          if (d === 0x5c) i++;
          else if (d === 0x22) break;
        }
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (--depth === 0) {
          i++;
          break;
        }
      }
    }
    if (depth !== 0) return undefined;
  } else return undefined;
  if (!text.startsWith(PAYLOAD_KEY, i)) return undefined;
  const payload = text.slice(i + PAYLOAD_KEY.length, end - 1);
  if (payload.trim() === '') return undefined;
  return { schema: text.slice(start, i), payload };
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

/** Kafka's JsonSchema names two types differently from Connect's Schema.Type. */
const JSON_TYPE_NAME: Partial<Record<SchemaType, string>> = { float32: 'float', float64: 'double' };
const TYPE_FROM_JSON: Record<string, SchemaType> = { float: 'float32', double: 'float64' };

/**
 * Connect's schema JSON, written as text: a field's `default` is the converter's own JSON of the value, embedded as
 * is, so an int64 keeps its digits and a double its Java spelling (a JSON.parse round trip would lose both).
 */
function schemaToJson(schema: Schema, conv: JsonConverter): string {
  const parts = [`"type":"${JSON_TYPE_NAME[schema.type] ?? schema.type}"`];
  if (schema.type === 'array') parts.push(`"items":${schemaToJson(schema.valueSchema!, conv)}`);
  if (schema.type === 'map') {
    parts.push(
      `"keys":${schemaToJson(schema.keySchema!, conv)}`,
      `"values":${schemaToJson(schema.valueSchema!, conv)}`,
    );
  }
  if (schema.type === 'struct') {
    const fields = (schema.fields ?? []).map((f) => {
      const text = schemaToJson(f.schema, conv);
      return `${text.slice(0, -1)},"field":${JSON.stringify(f.name)}}`;
    });
    parts.push(`"fields":[${fields.join(',')}]`);
  }
  parts.push(`"optional":${schema.optional}`);
  if (schema.name !== undefined) parts.push(`"name":${JSON.stringify(schema.name)}`);
  if (schema.version !== undefined) parts.push(`"version":${schema.version}`);
  if (schema.doc !== undefined) parts.push(`"doc":${JSON.stringify(schema.doc)}`);
  if (schema.parameters !== undefined) parts.push(`"parameters":${JSON.stringify(schema.parameters)}`);
  if (schema.defaultValue !== undefined && schema.defaultValue !== null) {
    parts.push(`"default":${conv.valueJson(schema, schema.defaultValue)}`);
  }
  return `{${parts.join(',')}}`;
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
    key('schemas.cache.size', 'int', 'How many schemas read from messages are kept, by their JSON text.', {
      default: 1000,
    }),
    key('replace.null.with.default', 'boolean', 'Accepted for compatibility.', { default: true }),
  ],
  create(config: Config) {
    return new JsonConverter({
      schemasEnable: config.bool('schemas.enable'),
      decimalFormat: config.string('decimal.format') as 'BASE64' | 'NUMERIC',
      schemasCacheSize: config.int('schemas.cache.size'),
    });
  },
});
