import avro from 'avsc';
import { parse as parseLossless } from 'lossless-json';
import { ConnectError, Decimal, Logical, type Schema, Schemas } from '../../api/index.js';
import { NAMESPACE } from './avro-schema.js';

/**
 * The way back, for sinks reading Avro topics: a writer schema (from the registry) to a Connect schema as
 * Confluent's AvroData.toConnectSchema does it (connect.name / version / parameters / default restored, `["null",
 * T]` as optional T, int with connect.type int8/int16, decimal/date/time-millis/timestamp-millis as Connect's
 * logical types, arrays of MapEntry records as maps, other unions as `io.confluent.connect.avro.Union` structs),
 * and Avro bytes to Connect values with avsc.
 */

type Json = null | boolean | number | bigint | string | Json[] | { [k: string]: Json };

function exactNumber(text: string): number | bigint {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  return Number(text);
}
type JsonObject = { [k: string]: Json };

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Avro longs as Connect's int64: a number when safe, a bigint otherwise (never rounded). */
const LONG = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => {
    const n = buf.readBigInt64LE(0);
    return n >= MIN_SAFE && n <= MAX_SAFE ? Number(n) : n;
  },
  toBuffer: (v: number | bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(v), 0);
    return buf;
  },
  fromJSON: (v: unknown) => v,
  toJSON: (v: number | bigint) => (typeof v === 'bigint' ? Number(v) : v),
  isValid: (v: unknown) => typeof v === 'bigint' || Number.isInteger(v),
  compare: (a: number | bigint, b: number | bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

export interface AvroReader {
  readonly schema: Schema;
  read(bytes: Buffer): unknown;
}

/** Builds the Connect schema and the value reader for one writer schema (text as the registry returns it). */
export function avroReader(schemaText: string, connectMetaData = true, enhanced = false): AvroReader {
  let json: Json;
  try {
    json = JSON.parse(schemaText) as Json;
  } catch (err) {
    throw new ConnectError(`The registry's schema is not JSON: ${(err as Error).message}`);
  }
  const type = avro.Type.forSchema(json as avro.Schema, {
    wrapUnions: true,
    typeHook: (s) => (s === 'long' || (isObject(s) && s.type === 'long') ? LONG : undefined),
  });
  const names = new Map<string, JsonObject>();
  const b = new ConnectSchemaBuilder(names, connectMetaData, enhanced);
  // Read again with exact numbers for the Connect schema: an int64 default keeps all its digits.
  const exact = parseLossless(schemaText, undefined, exactNumber) as Json;
  const schema = b.toConnect(exact, undefined, false, undefined);
  const convert = valueConverter(schema, type);
  return {
    schema,
    read(bytes) {
      return convert(type.fromBuffer(bytes));
    },
  };
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NUMBER_TYPES: Record<string, 'int8' | 'int16'> = { int8: 'int8', int16: 'int16' };

class ConnectSchemaBuilder {
  /** records being built, by full name (a record referring to itself) */
  private readonly building = new Map<string, Schema>();

  constructor(
    private readonly names: Map<string, JsonObject>,
    private readonly connectMetaData: boolean,
    private readonly enhanced: boolean,
  ) {}

  /** Avro JSON (`json`) in namespace `space` to a Connect schema; fieldDefault: the field's Avro default */
  toConnect(json: Json, space: string | undefined, forceOptional: boolean, fieldDefault: Json | undefined): Schema {
    if (typeof json === 'string') {
      const primitive = PRIMITIVES.has(json);
      if (primitive) return this.toConnect({ type: json }, space, forceOptional, fieldDefault);
      const full = json.includes('.') || space === undefined ? json : `${space}.${json}`;
      const def = this.names.get(full) ?? this.names.get(json);
      if (!def) throw new ConnectError(`Undefined Avro type name ${json}`);
      const inProgress = this.building.get(full);
      if (inProgress) return Schemas.withOptional(inProgress, forceOptional || inProgress.optional);
      return this.toConnect(def, space, forceOptional, fieldDefault);
    }
    if (Array.isArray(json)) return this.union(json, space, forceOptional);
    if (!isObject(json)) throw new ConnectError(`Invalid Avro schema: ${JSON.stringify(json)}`);
    const avroType = json.type;
    if (typeof avroType !== 'string' || (!PRIMITIVES.has(avroType) && !COMPLEX.has(avroType))) {
      // {"type": {...}} or {"type": "Name"}: the type itself is elsewhere
      return this.toConnect(avroType as Json, space, forceOptional, fieldDefault);
    }
    const logicalType = typeof json.logicalType === 'string' ? json.logicalType : undefined;
    const params: Record<string, string> = {};
    let name: string | undefined;
    let version: number | undefined;
    let base: Schema;
    let fullName: string | undefined;
    switch (avroType) {
      case 'boolean':
        base = Schemas.boolean();
        break;
      case 'bytes':
      case 'fixed':
        if (logicalType === 'decimal') {
          params.scale = String(typeof json.scale === 'number' ? json.scale : 0);
          if (typeof json.precision === 'number' && json.precision !== 64) {
            params['connect.decimal.precision'] = String(json.precision);
          }
          name = Logical.Decimal;
          version = 1;
        }
        if (avroType === 'fixed') {
          params['connect.fixed.size'] = String(json.size);
          fullName = this.define(json, space);
        }
        base = Schemas.bytes();
        break;
      case 'double':
        base = Schemas.float64();
        break;
      case 'float':
        base = Schemas.float32();
        break;
      case 'int': {
        const connectType = typeof json['connect.type'] === 'string' ? NUMBER_TYPES[json['connect.type']] : undefined;
        if (logicalType === 'date') {
          name = Logical.Date;
          version = 1;
        } else if (logicalType === 'time-millis') {
          name = Logical.Time;
          version = 1;
        }
        base = connectType && !logicalType ? Schemas[connectType]() : Schemas.int32();
        break;
      }
      case 'long':
        if (logicalType === 'timestamp-millis') {
          name = Logical.Timestamp;
          version = 1;
        }
        base = Schemas.int64();
        break;
      case 'string':
        base = Schemas.string();
        break;
      case 'array': {
        const items = json.items as Json;
        const entry = this.resolve(items, space);
        if (entry && isMapEntry(entry)) {
          const fields = entry.fields as JsonObject[];
          const entrySpace = this.define(entry, space).split('.').slice(0, -1).join('.') || undefined;
          const key = fields.find((f) => f.name === 'key');
          const value = fields.find((f) => f.name === 'value');
          if (fields.length !== 2 || !key || !value) {
            throw new ConnectError(
              'Found map encoded as array of key-value pairs, but array elements do not match the expected format.',
            );
          }
          base = Schemas.map(
            this.toConnect(key.type, entrySpace, false, undefined),
            this.toConnect(value.type, entrySpace, false, undefined),
          );
        } else base = Schemas.array(this.toConnect(items, space, false, undefined));
        break;
      }
      case 'map':
        base = Schemas.map(Schemas.string(), this.toConnect(json.values as Json, space, false, undefined));
        break;
      case 'enum': {
        fullName = this.define(json, space);
        const simple = fullName.split('.').pop()!;
        if (this.connectMetaData) {
          if (typeof json.doc === 'string') params[`${NAMESPACE}.enum.doc.${simple}`] = json.doc;
          if (typeof json.default === 'string') params[`${NAMESPACE}.enum.default.${simple}`] = json.default;
        }
        params[`${NAMESPACE}.Enum`] = fullName;
        for (const s of (json.symbols as string[]) ?? []) params[`${NAMESPACE}.Enum.${s}`] = s;
        base = Schemas.string();
        break;
      }
      case 'record': {
        fullName = this.define(json, space);
        const recordSpace = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : undefined;
        if (this.connectMetaData && typeof json.doc === 'string') params[`${NAMESPACE}.record.doc`] = json.doc;
        // A placeholder while the fields are built, for a field that refers back to this record.
        const placeholder = Schemas.struct([], false, { name: fullName });
        this.building.set(fullName, placeholder);
        const fields: Array<[string, Schema]> = [];
        for (const f of (json.fields as JsonObject[]) ?? []) {
          const fname = String(f.name);
          if (this.connectMetaData && typeof f.doc === 'string') params[`${NAMESPACE}.field.doc.${fname}`] = f.doc;
          let fs = this.toConnect(f.type, recordSpace, false, 'default' in f ? f.default : undefined);
          if (this.connectMetaData && isObject(f['connect.parameters'])) {
            fs = Object.freeze({
              ...fs,
              parameters: { ...(fs.parameters ?? {}), ...(f['connect.parameters'] as Record<string, string>) },
            });
          }
          fields.push([fname, fs]);
        }
        this.building.delete(fullName);
        base = Schemas.struct(fields);
        break;
      }
      default:
        throw new ConnectError(`Standalone ${avroType} schemas are not supported by this converter`);
    }
    if (this.connectMetaData && typeof json['connect.doc'] === 'string') {
      base = Object.freeze({ ...base, doc: json['connect.doc'] });
    }
    if (typeof json['connect.version'] === 'number') version = json['connect.version'];
    if (this.connectMetaData && isObject(json['connect.parameters'])) {
      for (const [k, v] of Object.entries(json['connect.parameters'])) {
        if (typeof v !== 'string')
          throw new ConnectError(`Expected schema parameter values to be strings but found: ${JSON.stringify(v)}`);
        params[k] = v;
      }
    }
    for (const [k, v] of Object.entries(json))
      if (k.startsWith('avro')) params[k] = typeof v === 'string' ? v : JSON.stringify(v);
    const connectDefault = json['connect.default'];
    let defaultJson = fieldDefault;
    if (defaultJson === undefined) defaultJson = connectDefault;
    else if (this.connectMetaData && connectDefault === undefined) params[`${NAMESPACE}.field.default`] = 'true';
    if (typeof json['connect.name'] === 'string') name = json['connect.name'];
    else if (
      (avroType === 'record' || avroType === 'enum' || (avroType === 'fixed' && name !== Logical.Decimal)) &&
      fullName
    ) {
      name = fullName;
    }
    if (name?.startsWith(`${NAMESPACE}.ConnectDefault`)) name = undefined;
    const extras: Record<string, unknown> = {};
    if (name !== undefined) extras.name = name;
    if (version !== undefined) extras.version = version;
    if (Object.keys(params).length > 0) extras.parameters = params;
    let schema: Schema = Object.freeze({ ...base, ...extras, optional: forceOptional });
    if (defaultJson !== undefined && defaultJson !== null) {
      try {
        schema = Object.freeze({ ...schema, defaultValue: defaultFromJson(schema, defaultJson) });
      } catch {
        // AvroData logs and ignores a default it cannot read.
      }
    }
    return schema;
  }

  private union(branches: Json[], space: string | undefined, forceOptional: boolean): Schema {
    if (branches.length === 1) return this.toConnect(branches[0], space, forceOptional, undefined);
    if (branches.length === 2 && branches.includes('null')) {
      const other = branches.find((b) => b !== 'null')!;
      return this.toConnect(other, space, true, undefined);
    }
    const fields: Array<[string, Schema]> = [];
    let optional = forceOptional;
    for (const b of branches) {
      if (b === 'null' || (isObject(b) && b.type === 'null')) {
        optional = true;
        continue;
      }
      fields.push([this.memberName(b, space), this.toConnect(b, space, true, undefined)]);
    }
    return Schemas.struct(fields, optional, { name: `${NAMESPACE}.Union` });
  }

  /** AvroData.unionMemberFieldName: a named type's name (full name with enhanced support), else the type name. */
  memberName(b: Json, space: string | undefined): string {
    const def = this.resolve(b, space);
    if (def && (def.type === 'record' || def.type === 'enum' || def.type === 'fixed')) {
      const full = this.define(def, space);
      return this.enhanced ? full : full.split('.').pop()!;
    }
    if (typeof b === 'string') return b;
    return String(isObject(b) ? b.type : 'union');
  }

  private resolve(json: Json, space: string | undefined): JsonObject | undefined {
    if (isObject(json)) return json;
    if (typeof json === 'string' && !PRIMITIVES.has(json)) {
      const full = json.includes('.') || space === undefined ? json : `${space}.${json}`;
      return this.names.get(full) ?? this.names.get(json);
    }
    return undefined;
  }

  /** Records a named type's definition and returns its full name. */
  private define(json: JsonObject, space: string | undefined): string {
    const name = String(json.name);
    const ns = typeof json.namespace === 'string' ? json.namespace || undefined : space;
    const full = name.includes('.') || ns === undefined ? name : `${ns}.${name}`;
    if (!this.names.has(full)) this.names.set(full, json);
    return full;
  }
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const COMPLEX = new Set(['record', 'enum', 'array', 'map', 'fixed']);

function isMapEntry(json: JsonObject): boolean {
  if (json.type !== 'record') return false;
  return (
    (json.name === 'MapEntry' && json.namespace === NAMESPACE) ||
    json['connect.internal.type'] === 'MapEntry' ||
    json.name === `${NAMESPACE}.MapEntry`
  );
}

/** An Avro default (JSON) as a Connect value of `schema`. */
function defaultFromJson(schema: Schema, json: Json): unknown {
  if (json === null) return null;
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'float32':
    case 'float64':
      return Number(json);
    case 'int64':
      return typeof json === 'bigint' || typeof json === 'number' ? json : Number(json);
    case 'boolean':
      return json === true;
    case 'string':
      return String(json);
    case 'bytes': {
      const bytes = Buffer.from(String(json), 'latin1');
      if (schema.name === Logical.Decimal)
        return Decimal.fromUnscaledBytes(bytes, Number(schema.parameters?.scale ?? 0));
      return bytes;
    }
    case 'array':
      return (json as Json[]).map((v) => defaultFromJson(schema.valueSchema!, v));
    case 'map':
      if (Array.isArray(json)) {
        return new Map(
          (json as Json[][]).map(([k, v]) => [
            defaultFromJson(schema.keySchema!, k),
            defaultFromJson(schema.valueSchema!, v),
          ]),
        );
      }
      return new Map(Object.entries(json as JsonObject).map(([k, v]) => [k, defaultFromJson(schema.valueSchema!, v)]));
    case 'struct': {
      const out: Record<string, unknown> = {};
      for (const f of schema.fields ?? [])
        out[f.name] = defaultFromJson(f.schema, (json as JsonObject)[f.name] ?? null);
      return out;
    }
  }
}

type Convert = (v: unknown) => unknown;

/** Turns avsc's decoded value (unions wrapped as `{branch: value}`) into the Connect value of `schema`. */
function valueConverter(schema: Schema, type: avro.Type): Convert {
  const t = type as avro.Type & { typeName: string };
  if (t.typeName === 'union:wrapped') {
    const union = type as unknown as { types: avro.Type[] };
    const branches = new Map<string, Convert>();
    if (schema.type === 'struct' && schema.name === `${NAMESPACE}.Union`) {
      // A Connect union struct: one field set, the branch's
      let i = 0;
      for (const bt of union.types) {
        if ((bt as unknown as { typeName: string }).typeName === 'null') continue;
        const field = schema.fields![i++];
        const inner = valueConverter(field.schema, bt);
        branches.set(bt.branchName!, (v) => {
          const out: Record<string, unknown> = {};
          for (const f of schema.fields!) out[f.name] = null;
          out[field.name] = inner(v);
          return out;
        });
      }
    } else {
      for (const bt of union.types) {
        if ((bt as unknown as { typeName: string }).typeName !== 'null')
          branches.set(bt.branchName!, valueConverter(schema, bt));
      }
    }
    return (v) => {
      if (v === null || v === undefined) return null;
      const key = Object.keys(v as object)[0];
      const c = branches.get(key);
      if (!c) throw new ConnectError(`Unexpected union branch ${key}`);
      return c((v as Record<string, unknown>)[key]);
    };
  }
  switch (schema.type) {
    case 'bytes':
      if (schema.name === Logical.Decimal) {
        const scale = Number(schema.parameters?.scale ?? 0);
        return (v) => Decimal.fromUnscaledBytes(v as Buffer, scale);
      }
      return (v) => v;
    case 'array': {
      const item = valueConverter(schema.valueSchema!, (type as unknown as { itemsType: avro.Type }).itemsType);
      return (v) => (v as unknown[]).map(item);
    }
    case 'map': {
      if (t.typeName === 'map') {
        const val = valueConverter(schema.valueSchema!, (type as unknown as { valuesType: avro.Type }).valuesType);
        return (v) => new Map(Object.entries(v as object).map(([k, x]) => [k, val(x)]));
      }
      // array of MapEntry records
      const entryType = (type as unknown as { itemsType: avro.Type }).itemsType as unknown as {
        fields: Array<{ name: string; type: avro.Type }>;
      };
      const keyC = valueConverter(schema.keySchema!, entryType.fields.find((f) => f.name === 'key')!.type);
      const valC = valueConverter(schema.valueSchema!, entryType.fields.find((f) => f.name === 'value')!.type);
      return (v) => new Map((v as Array<Record<string, unknown>>).map((e) => [keyC(e.key), valC(e.value)]));
    }
    case 'struct': {
      const rec = type as unknown as { fields: Array<{ name: string; type: avro.Type }> };
      const conv = (schema.fields ?? []).map((f) => {
        const af = rec.fields.find((x) => x.name === f.name);
        if (!af) throw new ConnectError(`Avro record has no field ${f.name}`);
        return [f.name, valueConverter(f.schema, af.type)] as const;
      });
      return (v) => {
        const src = v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const [name, c] of conv) {
          const x = src[name];
          out[name] = x === null || x === undefined ? null : c(x);
        }
        return out;
      };
    }
    default:
      return (v) => v;
  }
}
