import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { type ChangeRecord, Decimal, type Schema } from '../../api/index.js';
import type { RecordConverters } from '../../transport/transport.js';
import type { InspectedRecord, InspectStage } from '../api-types.js';

export const HIDDEN = '[hidden]';
/** Debezium's JSON-in-a-string logical type (PostgreSQL json/jsonb, MySQL JSON, MongoDB documents). */
const JSON_TEXT = 'io.debezium.data.Json';

/** What one rendered key, value or header may take: the inspector is a sample, not a dump. */
export interface RenderLimits {
  /** characters of one string (or base64 of one byte array) */
  readonly maxString: number;
  /** characters of a whole key or value */
  readonly maxText: number;
  /** elements of one array, map or object */
  readonly maxItems: number;
  readonly maxDepth: number;
}

export const DEFAULT_LIMITS: RenderLimits = { maxString: 4096, maxText: 65536, maxItems: 1000, maxDepth: 32 };

/** Whether a field, key or header name is secret: it contains one of `words`, in any case. */
export function nameMatcher(words: readonly string[]): (name: string) => boolean {
  const lower = words.map((w) => w.trim().toLowerCase()).filter(Boolean);
  return (name) => {
    const n = name.toLowerCase();
    return lower.some((w) => n.includes(w));
  };
}

interface Flags {
  masked: boolean;
  truncated: boolean;
}

function fieldSchema(schema: Schema | undefined, name: string): Schema | undefined {
  return schema?.type === 'struct' ? schema.fields?.find((f) => f.name === name)?.schema : undefined;
}

function cut(s: string, max: number, flags: Flags): string {
  if (s.length <= max) return s;
  flags.truncated = true;
  return `${s.slice(0, max)}… (${s.length - max} more characters)`;
}

/** JSON text with every secret-named member masked; text that does not parse is returned as it was. */
function maskJsonText(text: string, secret: (n: string) => boolean, flags: Flags): string {
  let doc: unknown;
  try {
    doc = parseLossless(text);
  } catch {
    return text;
  }
  let changed = false;
  const walk = (v: unknown, depth: number): unknown => {
    if (depth > 64 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    if (v.constructor !== Object) return v; // LosslessNumber
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (secret(k) && x !== null) {
        out[k] = HIDDEN;
        changed = true;
      } else out[k] = walk(x, depth + 1);
    }
    return out;
  };
  const masked = walk(doc, 0);
  if (!changed) return text;
  flags.masked = true;
  return stringifyLossless(masked) ?? text;
}

/**
 * A record's key, value or header as JSON-like text for a person: int64 as its digits, a decimal as written (no
 * float on the way), bytes as base64, NaN and the infinities by name. Secret-named fields show `[hidden]`, inside
 * Debezium's JSON strings too; long strings and big structures are cut where `limits` say.
 */
export function renderValue(
  value: unknown,
  schema: Schema | undefined,
  secret: (name: string) => boolean,
  flags: Flags,
  limits: RenderLimits = DEFAULT_LIMITS,
): string {
  const out: string[] = [];
  let length = 0;
  let full = false;
  const put = (s: string) => {
    if (full) return;
    if (length + s.length > limits.maxText) {
      out.push(s.slice(0, Math.max(0, limits.maxText - length)), ' …');
      flags.truncated = true;
      full = true;
      return;
    }
    out.push(s);
    length += s.length;
  };
  const str = (s: string) => put(JSON.stringify(cut(s, limits.maxString, flags)));
  const entries = (
    list: Iterable<[string, unknown, Schema | undefined]>,
    count: number,
    pad: string,
    depth: number,
  ) => {
    put('{');
    let i = 0;
    for (const [k, v, s] of list) {
      if (full) return;
      if (i === limits.maxItems) {
        put(`,\n${pad}  … ${count - i} more`);
        flags.truncated = true;
        break;
      }
      put(`${i === 0 ? '' : ','}\n${pad}  ${JSON.stringify(k)}: `);
      if (secret(k) && v !== null && v !== undefined) {
        put(JSON.stringify(HIDDEN));
        flags.masked = true;
      } else walk(v, s, `${pad}  `, depth + 1);
      i++;
    }
    put(i === 0 ? '}' : `\n${pad}}`);
  };
  const walk = (v: unknown, s: Schema | undefined, pad: string, depth: number): void => {
    if (full) return;
    if (v === null || v === undefined) {
      put('null');
      return;
    }
    switch (typeof v) {
      case 'boolean': {
        put(String(v));
        return;
      }
      case 'number': {
        put(Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');
        return;
      }
      case 'bigint': {
        put(v.toString());
        return;
      }
      case 'string': {
        str(s?.name === JSON_TEXT ? maskJsonText(v, secret, flags) : v);
        return;
      }
      case 'object':
        break;
      default: {
        put(JSON.stringify(String(v)));
        return;
      }
    }
    if (v instanceof Decimal) {
      put(v.toString());
      return;
    }
    if (v instanceof Uint8Array) {
      str(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'));
      return;
    }
    if (v instanceof Date) {
      str(v.toISOString());
      return;
    }
    if (depth > limits.maxDepth) {
      flags.truncated = true;
      put('…');
      return;
    }
    if (Array.isArray(v)) {
      put('[');
      const n = Math.min(v.length, limits.maxItems);
      for (let i = 0; i < n && !full; i++) {
        put(`${i === 0 ? '' : ','}\n${pad}  `);
        walk(v[i], s?.valueSchema, `${pad}  `, depth + 1);
      }
      if (v.length > n) {
        put(`,\n${pad}  … ${v.length - n} more`);
        flags.truncated = true;
      }
      put(v.length === 0 ? ']' : `\n${pad}]`);
      return;
    }
    if (v instanceof Map) {
      const vs = s?.type === 'map' ? s.valueSchema : undefined;
      const list = [...v.entries()].map(([k, x]): [string, unknown, Schema | undefined] => [String(k), x, vs]);
      entries(list, v.size, pad, depth);
      return;
    }
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj);
    const mapValues = s?.type === 'map' ? s.valueSchema : undefined;
    entries(
      keys.map((k): [string, unknown, Schema | undefined] => [k, obj[k], mapValues ?? fieldSchema(s, k)]),
      keys.length,
      pad,
      depth,
    );
  };
  walk(value, schema, '', 0);
  return out.join('');
}

/** A value of the same type that says nothing: what a secret field becomes before a converter writes it. */
function placeholder(v: unknown, s: Schema | undefined): unknown {
  if (v === null || v === undefined) return v;
  if (typeof v === 'string') return HIDDEN;
  if (typeof v === 'number') return 0;
  if (typeof v === 'bigint') return 0n;
  if (typeof v === 'boolean') return false;
  if (v instanceof Decimal) return new Decimal(0n, v.scale);
  if (v instanceof Uint8Array) return Buffer.from(HIDDEN);
  if (Array.isArray(v)) return [];
  if (v instanceof Map) return new Map();
  if (s?.optional !== false) return null;
  const obj = v as Record<string, unknown>;
  return Object.fromEntries(Object.keys(obj).map((k) => [k, placeholder(obj[k], fieldSchema(s, k))]));
}

/** A copy of a value whose secret-named fields hold placeholders of their own type, so a converter still writes it. */
export function maskedCopy(
  value: unknown,
  schema: Schema | undefined,
  secret: (name: string) => boolean,
  flags: Flags,
  depth = 0,
): unknown {
  if (value === null || value === undefined || depth > 64) return value;
  if (typeof value === 'string') return schema?.name === JSON_TEXT ? maskJsonText(value, secret, flags) : value;
  if (typeof value !== 'object' || value instanceof Decimal || value instanceof Uint8Array || value instanceof Date)
    return value;
  if (Array.isArray(value)) return value.map((x) => maskedCopy(x, schema?.valueSchema, secret, flags, depth + 1));
  const vs = schema?.type === 'map' ? schema.valueSchema : undefined;
  const one = (k: string, x: unknown, s: Schema | undefined) => {
    if (secret(k) && x !== null && x !== undefined) {
      flags.masked = true;
      return placeholder(x, s);
    }
    return maskedCopy(x, s, secret, flags, depth + 1);
  };
  if (value instanceof Map) return new Map([...value].map(([k, x]) => [k, one(String(k), x, vs)]));
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) out[k] = one(k, obj[k], vs ?? fieldSchema(schema, k));
  return out;
}

/**
 * What the connector's converters need before they can write this record (a registry-backed converter registers its
 * schema), for the same masked values inspectRecord converts; undefined when they are ready.
 */
export function prepareConverted(
  r: ChangeRecord,
  converters: RecordConverters,
  secret: (name: string) => boolean,
): Promise<unknown> | undefined {
  const flags: Flags = { masked: false, truncated: false };
  const pending: Array<Promise<void>> = [];
  const add = (p: Promise<void> | undefined) => {
    if (p) pending.push(p);
  };
  add(converters.key.prepareFromRecord?.(r.topic, r.keySchema, maskedCopy(r.key, r.keySchema, secret, flags)));
  add(converters.value.prepareFromRecord?.(r.topic, r.valueSchema, maskedCopy(r.value, r.valueSchema, secret, flags)));
  for (const h of r.headers)
    if (!secret(h.key))
      add(converters.header.prepareFromRecord?.(r.topic, h.schema, maskedCopy(h.value, h.schema, secret, flags)));
  return pending.length ? Promise.all(pending) : undefined;
}

/** Converted bytes as text when they are UTF-8 text (JSON, strings), else base64. */
function bytesText(bytes: Buffer | null, flags: Flags, limits: RenderLimits): string {
  if (bytes === null) return 'null';
  const text = bytes.toString('utf8');
  // A replacement character or a control character other than tab and newlines means binary (Avro, raw bytes).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: exactly what is looked for
  if (!/[\uFFFD\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(text)) return cut(text, limits.maxText, flags);
  return `(${bytes.length} bytes, base64) ${cut(bytes.toString('base64'), limits.maxText, flags)}`;
}

/** Offsets are JSON maps; a connector that put a bigint in one still gets it shown. */
function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'null';
}

function schemaName(s: Schema | undefined): string | undefined {
  return s ? (s.name ?? s.type) : undefined;
}

/**
 * One record as the inspector sends it. At stage `converted` the record goes through the connector's own converters
 * (the instances its pipeline uses), with secret fields replaced first, so the bytes shown never held a secret.
 */
export function inspectRecord(
  r: ChangeRecord,
  stage: InspectStage,
  converters: RecordConverters,
  secret: (name: string) => boolean,
  limits: RenderLimits = DEFAULT_LIMITS,
): Omit<InspectedRecord, 'seq' | 'at' | 'task'> {
  const flags: Flags = { masked: false, truncated: false };
  let key: string;
  let value: string;
  let headers: Array<{ key: string; value: string }>;
  const headerText = (h: ChangeRecord['headers'][number], text: () => string) => {
    if (secret(h.key) && h.value !== null && h.value !== undefined) {
      flags.masked = true;
      return { key: h.key, value: JSON.stringify(HIDDEN) };
    }
    return { key: h.key, value: text() };
  };
  if (stage === 'converted') {
    const k = maskedCopy(r.key, r.keySchema, secret, flags);
    const v = maskedCopy(r.value, r.valueSchema, secret, flags);
    key = bytesText(converters.key.fromRecord(r.topic, r.keySchema, k), flags, limits);
    value = bytesText(converters.value.fromRecord(r.topic, r.valueSchema, v), flags, limits);
    headers = r.headers.map((h) =>
      headerText(h, () =>
        bytesText(
          converters.header.fromRecord(r.topic, h.schema, maskedCopy(h.value, h.schema, secret, flags)),
          flags,
          limits,
        ),
      ),
    );
  } else {
    key = renderValue(r.key, r.keySchema, secret, flags, limits);
    value = renderValue(r.value, r.valueSchema, secret, flags, limits);
    headers = r.headers.map((h) => headerText(h, () => renderValue(h.value, h.schema, secret, flags, limits)));
  }
  return {
    stage,
    topic: r.topic,
    ...(r.kafkaPartition !== undefined ? { kafkaPartition: r.kafkaPartition } : {}),
    ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
    ...(r.keySchema ? { keySchema: schemaName(r.keySchema) } : {}),
    ...(r.valueSchema ? { valueSchema: schemaName(r.valueSchema) } : {}),
    key,
    value,
    headers,
    sourcePartition: cut(jsonText(r.sourcePartition), limits.maxString, flags),
    sourceOffset: cut(jsonText(r.sourceOffset), limits.maxString, flags),
    masked: flags.masked,
    truncated: flags.truncated,
  };
}
