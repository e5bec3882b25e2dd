import { ConnectError, type Field, type Schema, Schemas } from '../../api/index.js';

export type Struct = Record<string, unknown>;

/** Kafka's Requirements.requireStruct / requireMap, with its messages, so errors read as Connect users know them. */
export function requireStruct(value: unknown, schema: Schema | undefined, purpose: string): Struct {
  if (schema?.type !== 'struct' || !isPlainObject(value)) {
    throw new ConnectError(`Only Struct objects supported for [${purpose}], found: ${describe(value)}`);
  }
  return value;
}

export function requireMap(value: unknown, purpose: string): Struct {
  if (value instanceof Map) return Object.fromEntries(value);
  if (!isPlainObject(value))
    throw new ConnectError(
      `Only Map objects supported in absence of schema for [${purpose}], found: ${describe(value)}`,
    );
  return value;
}

export function requireSchema(schema: Schema | undefined, purpose: string): Schema {
  if (!schema) throw new ConnectError(`Schema required for [${purpose}]`);
  return schema;
}

export function isPlainObject(v: unknown): v is Struct {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || v instanceof Map)
    return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'java.util.ArrayList';
  if (Buffer.isBuffer(v)) return 'byte[]';
  return typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;
}

/**
 * A struct field's value; with `replaceNullWithDefault` a null becomes the field's default, as Connect's
 * `Struct.get(field)` does (Kafka 3.7 added the switch, `getWithoutDefault` being the other branch).
 */
export function fieldValue(struct: Struct, f: Field, replaceNullWithDefault: boolean): unknown {
  const v = struct[f.name];
  if ((v === null || v === undefined) && replaceNullWithDefault && f.schema.defaultValue !== undefined)
    return f.schema.defaultValue;
  return v === undefined ? null : v;
}

/** A struct schema with the basics (name, version, doc, parameters, optional) of `base` and new fields. */
const defaultsOf = new WeakMap<Schema, boolean>();

/** Whether any field of a struct schema has a default (then nulls may need replacing); cached per schema. */
export function hasFieldDefaults(schema: Schema): boolean {
  let v = defaultsOf.get(schema);
  if (v === undefined) {
    v = (schema.fields ?? []).some((f) => f.schema.defaultValue !== undefined);
    defaultsOf.set(schema, v);
  }
  return v;
}

const templates = new WeakMap<Schema, Struct>();

/**
 * An empty struct of a schema: every field present, null, in schema order. Transforms build a struct as a
 * spread of it and then assign fields that already exist; that keeps V8 on one object shape per schema, where
 * adding properties one by one was measured several times slower (bench/transforms.ts).
 */
export function emptyStruct(schema: Schema): Struct {
  let t = templates.get(schema);
  if (t === undefined) {
    t = {};
    for (const f of schema.fields ?? []) t[f.name] = null;
    templates.set(schema, t);
  }
  return { ...t };
}

/**
 * Copies the fields of `schema` from `src` into `out` (a struct whose schema has those fields, e.g. from
 * emptyStruct). Defaults are looked at only when the schema has any.
 */
export function copyInto(src: Struct, schema: Schema, out: Struct, replaceNullWithDefault: boolean): Struct {
  const fields = schema.fields ?? [];
  if (replaceNullWithDefault && hasFieldDefaults(schema)) {
    for (let i = 0; i < fields.length; i++) out[fields[i].name] = fieldValue(src, fields[i], true);
  } else {
    for (let i = 0; i < fields.length; i++) {
      const name = fields[i].name;
      const v = src[name];
      if (v !== undefined) out[name] = v;
    }
  }
  return out;
}

export function structLike(
  base: Schema,
  fields: ReadonlyArray<readonly [string, Schema]>,
  optional = base.optional,
): Schema {
  return Schemas.struct(fields, optional, {
    ...(base.name !== undefined && { name: base.name }),
    ...(base.version !== undefined && { version: base.version }),
    ...(base.doc !== undefined && { doc: base.doc }),
    ...(base.parameters !== undefined && { parameters: base.parameters }),
  });
}

export function fieldPairs(schema: Schema): Array<[string, Schema]> {
  return (schema.fields ?? []).map((f) => [f.name, f.schema]);
}

/**
 * Per-transform schema cache keyed by the input schema (schemas are frozen and shared, so identity is a safe
 * key); the hot path then builds no schema per record.
 */
export class SchemaCache {
  private readonly map = new WeakMap<Schema, Schema>();

  get(input: Schema, build: (s: Schema) => Schema): Schema {
    let out = this.map.get(input);
    if (out === undefined) {
      out = build(input);
      this.map.set(input, out);
    }
    return out;
  }
}

const INFERRED = {
  string: Schemas.string(),
  boolean: Schemas.boolean(),
  int32: Schemas.int32(),
  int64: Schemas.int64(),
  float64: Schemas.float64(),
  bytes: Schemas.bytes(),
} as const;

/**
 * Schema of a schemaless value, for headers and fields taken out of schemaless data (Connect's
 * Values.inferSchema). Returns shared instances so identity-keyed schema caches stay warm.
 */
export function inferSchema(value: unknown): Schema | undefined {
  switch (typeof value) {
    case 'string':
      return INFERRED.string;
    case 'boolean':
      return INFERRED.boolean;
    case 'bigint':
      return INFERRED.int64;
    case 'number':
      return Number.isInteger(value)
        ? value >= -2147483648 && value <= 2147483647
          ? INFERRED.int32
          : INFERRED.int64
        : INFERRED.float64;
    default:
      if (Buffer.isBuffer(value) || value instanceof Uint8Array) return INFERRED.bytes;
      return undefined;
  }
}
