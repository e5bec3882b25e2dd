import { ConnectError, Decimal, Logical, type Schema } from '../../api/index.js';
import { javaDoubleString, javaFloatString } from '../../data/java-float.js';
import { toBuffer } from '../json-writer.js';

/**
 * Connect schemas to Avro schemas exactly as Confluent's AvroData.fromConnectSchema builds them (record names from
 * the Connect name, `connect.*` properties, optional fields as `["null", T]` with default null, Decimal as bytes
 * with `logicalType: decimal`), and the schema's JSON text as Avro's Java library writes it (`Schema.toString()`),
 * which is what Confluent's serializer registers: same key order, named types written once and then referred to by
 * name.
 */

/** A property value, kept as JSON text so int64 and double values keep Java's spelling. */
export type Props = Array<[string, string]>;

export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export type AvroNode =
  | { readonly kind: 'primitive'; readonly type: AvroPrimitive; readonly props: Props }
  | AvroRecord
  | AvroEnum
  | { readonly kind: 'array'; readonly items: AvroNode; readonly props: Props }
  | { readonly kind: 'map'; readonly values: AvroNode; readonly props: Props }
  | { readonly kind: 'union'; readonly branches: AvroNode[] };

export interface AvroRecord {
  readonly kind: 'record';
  readonly name: string;
  readonly namespace: string | undefined;
  readonly doc: string | undefined;
  /** filled after creation: a field may refer back to its record */
  fields: AvroField[];
  readonly props: Props;
}

export interface AvroEnum {
  readonly kind: 'enum';
  readonly name: string;
  readonly namespace: string | undefined;
  readonly doc: string | undefined;
  readonly symbols: string[];
  readonly defaultSymbol: string | undefined;
  readonly props: Props;
}

export interface AvroField {
  readonly name: string;
  readonly type: AvroNode;
  readonly doc: string | undefined;
  /** JSON text of the default; undefined: no default */
  readonly defaultJson: string | undefined;
  readonly props: Props;
}

export interface AvroDataOptions {
  /** `connect.meta.data` (default true): connect.name, connect.version, connect.parameters, connect.default, … */
  readonly connectMetaData: boolean;
  /** `enhanced.avro.schema.support` (default false): Connect strings carrying Avro enum parameters become enums */
  readonly enhancedSchemaSupport: boolean;
  /** `scrub.invalid.names` (default false): names Avro refuses are rewritten instead of failing the record */
  readonly scrubInvalidNames: boolean;
}

export const NAMESPACE = 'io.confluent.connect.avro';
const DEFAULT_SCHEMA_NAME = 'ConnectDefault';
const MAP_ENTRY_TYPE_NAME = 'MapEntry';
const AVRO_TYPE_ENUM = `${NAMESPACE}.Enum`;
const AVRO_RECORD_DOC_PROP = `${NAMESPACE}.record.doc`;
const AVRO_FIELD_DOC_PREFIX_PROP = `${NAMESPACE}.field.doc.`;
const AVRO_FIELD_DEFAULT_FLAG_PROP = `${NAMESPACE}.field.default`;
const AVRO_ENUM_DOC_PREFIX_PROP = `${NAMESPACE}.enum.doc.`;
const AVRO_ENUM_DEFAULT_PREFIX_PROP = `${NAMESPACE}.enum.default.`;
const DECIMAL_PRECISION_PARAM = 'connect.decimal.precision';
const DECIMAL_PRECISION_DEFAULT = 64;

const str = (s: string) => JSON.stringify(s);

interface Context {
  /** non-optional Connect schemas already converted, by structural key (Connect's Schema.equals) */
  readonly schemaMap: Map<string, AvroNode>;
  /** records by Connect name: a struct met again by name is the same Avro record (Confluent's cycle references) */
  readonly cycleReferences: Map<string, AvroRecord>;
  readonly seenNamedTypes: Set<string>;
  nameIndex: number;
}

export class AvroSchemaBuilder {
  private readonly keys = new WeakMap<Schema, string>();

  constructor(readonly options: AvroDataOptions) {}

  /** The Avro schema for a Connect schema (AvroData.fromConnectSchema). */
  fromConnectSchema(schema: Schema): AvroNode {
    const ctx: Context = { schemaMap: new Map(), cycleReferences: new Map(), seenNamedTypes: new Set(), nameIndex: 0 };
    return this.convert(schema, ctx, false);
  }

  private convert(schema: Schema, ctx: Context, ignoreOptional: boolean): AvroNode {
    const key = schema.optional ? undefined : this.structuralKey(schema);
    if (key !== undefined) {
      const cached = ctx.schemaMap.get(key);
      if (cached) return cached;
    }
    const props: Props = [];
    let connectType: string | undefined;
    let base: AvroNode;
    switch (schema.type) {
      case 'int8':
      case 'int16':
        connectType = schema.type;
        base = { kind: 'primitive', type: 'int', props };
        break;
      case 'int32':
        base = { kind: 'primitive', type: 'int', props };
        break;
      case 'int64':
        base = { kind: 'primitive', type: 'long', props };
        break;
      case 'float32':
        base = { kind: 'primitive', type: 'float', props };
        break;
      case 'float64':
        base = { kind: 'primitive', type: 'double', props };
        break;
      case 'boolean':
        base = { kind: 'primitive', type: 'boolean', props };
        break;
      case 'string': {
        const params = schema.parameters;
        if (this.options.enhancedSchemaSupport && params && AVRO_TYPE_ENUM in params) {
          const symbols = Object.keys(params)
            .filter((k) => k.startsWith(`${AVRO_TYPE_ENUM}.`))
            .map((k) => k.slice(AVRO_TYPE_ENUM.length + 1));
          const [, name] = this.nameOrDefault(ctx, schema.name);
          const enumName = params[AVRO_TYPE_ENUM];
          const [ens, en] = splitName(enumName, false);
          base = {
            kind: 'enum',
            name: this.checkName(en, enumName),
            namespace: ens,
            doc: params[AVRO_ENUM_DOC_PREFIX_PROP + name],
            symbols,
            defaultSymbol: params[AVRO_ENUM_DEFAULT_PREFIX_PROP + name],
            props,
          };
        } else {
          base = { kind: 'primitive', type: 'string', props };
        }
        break;
      }
      case 'bytes':
        base = { kind: 'primitive', type: 'bytes', props };
        if (isDecimal(schema)) {
          props.push(['scale', String(decimalScale(schema))]);
          props.push(['precision', schema.parameters?.[DECIMAL_PRECISION_PARAM] ?? String(DECIMAL_PRECISION_DEFAULT)]);
        }
        break;
      case 'array':
        base = { kind: 'array', items: this.convertWithCycle(schema.valueSchema!, ctx, false), props };
        break;
      case 'map':
        if (schema.keySchema!.type === 'string' && !schema.keySchema!.optional) {
          base = { kind: 'map', values: this.convertWithCycle(schema.valueSchema!, ctx, false), props };
        } else {
          // Avro maps have string keys only: other maps are arrays of key/value records.
          let entry: AvroRecord;
          if (schema.name === undefined) {
            entry = {
              kind: 'record',
              name: MAP_ENTRY_TYPE_NAME,
              namespace: NAMESPACE,
              doc: undefined,
              fields: [],
              props: [],
            };
          } else {
            const [namespace, name] = this.nameOrDefault(ctx, schema.name);
            entry = { kind: 'record', name, namespace, doc: undefined, fields: [], props: [] };
            entry.props.push(['connect.internal.type', str(MAP_ENTRY_TYPE_NAME)]);
          }
          entry.fields = [
            this.field('key', schema.keySchema!, undefined, ctx),
            this.field('value', schema.valueSchema!, undefined, ctx),
          ];
          base = { kind: 'array', items: entry, props };
        }
        break;
      case 'struct': {
        if (schema.optional) {
          // No metadata on a union: it goes on the record inside.
          const inner = this.convertWithCycle(Object.freeze({ ...schema, optional: false }), ctx, false);
          const union: AvroNode = { kind: 'union', branches: [NULL, inner] };
          return union;
        }
        const [namespace, name] = this.nameOrDefault(ctx, schema.name);
        const params = schema.parameters;
        const record: AvroRecord = {
          kind: 'record',
          name,
          namespace,
          doc: params?.[AVRO_RECORD_DOC_PROP],
          fields: [],
          props,
        };
        if (schema.name !== undefined) ctx.cycleReferences.set(schema.name, record);
        // Registered before its fields: a field referring back to this schema finds the record, not a loop.
        if (key !== undefined) ctx.schemaMap.set(key, record);
        record.fields = (schema.fields ?? []).map((f) =>
          this.field(this.fieldName(f.name), f.schema, params?.[AVRO_FIELD_DOC_PREFIX_PROP + f.name], ctx),
        );
        base = record;
        break;
      }
    }
    if (this.options.connectMetaData) {
      if (schema.doc !== undefined) props.push(['connect.doc', str(schema.doc)]);
      if (schema.version !== undefined) props.push(['connect.version', String(schema.version)]);
      const params = schema.parameters;
      if (params && Object.keys(params).length > 0) {
        const entries = Object.entries(params).filter(([k]) => k !== AVRO_FIELD_DEFAULT_FLAG_PROP);
        if (entries.length > 0)
          props.push(['connect.parameters', `{${entries.map(([k, v]) => `${str(k)}:${str(v)}`).join(',')}}`]);
      }
      if (schema.defaultValue !== undefined && schema.defaultValue !== null) {
        if (!params || !(AVRO_FIELD_DEFAULT_FLAG_PROP in params)) {
          props.push(['connect.default', this.defaultJson(schema, schema.defaultValue)]);
        }
      }
      if (schema.name !== undefined) props.push(['connect.name', str(schema.name)]);
      if (connectType !== undefined) props.push(['connect.type', str(connectType)]);
    }
    if (schema.name !== undefined) {
      switch (schema.name) {
        case Logical.Decimal:
          // AvroData adds the logical type whether or not the Decimal is representable as Avro's own.
          props.push(['logicalType', str('decimal')]);
          break;
        case Logical.Time:
          props.push(['logicalType', str('time-millis')]);
          break;
        case Logical.Timestamp:
          props.push(['logicalType', str('timestamp-millis')]);
          break;
        case Logical.Date:
          props.push(['logicalType', str('date')]);
          break;
      }
    }
    if (schema.parameters) {
      for (const [k, v] of Object.entries(schema.parameters)) if (k.startsWith('avro')) props.push([k, str(v)]);
    }
    const result = ignoreOptional ? base : this.maybeOptional(schema, base);
    if (key !== undefined) ctx.schemaMap.set(key, result);
    return result;
  }

  private convertWithCycle(schema: Schema, ctx: Context, ignoreOptional: boolean): AvroNode {
    const seen = schema.name === undefined ? undefined : ctx.cycleReferences.get(schema.name);
    if (seen) return ignoreOptional ? seen : this.maybeOptional(schema, seen);
    return this.convert(schema, ctx, ignoreOptional);
  }

  private maybeOptional(schema: Schema, base: AvroNode): AvroNode {
    if (!schema.optional) return base;
    // A default value must match a union's first branch, so a field with a default puts its type first.
    const hasDefault = schema.defaultValue !== undefined && schema.defaultValue !== null;
    return { kind: 'union', branches: hasDefault ? [base, NULL] : [NULL, base] };
  }

  private field(name: string, schema: Schema, doc: string | undefined, ctx: Context): AvroField {
    let defaultJson: string | undefined;
    if (schema.defaultValue !== undefined && schema.defaultValue !== null) {
      defaultJson = this.defaultJson(schema, schema.defaultValue);
    } else if (schema.optional) defaultJson = 'null';
    const scrubbed = schema.name === undefined ? undefined : this.scrubFullName(schema.name);
    const alreadySeen = scrubbed !== undefined && ctx.seenNamedTypes.has(scrubbed);
    if (scrubbed !== undefined) ctx.seenNamedTypes.add(scrubbed);
    const type = this.convert(schema, ctx, false);
    // A struct field's default must match its union's first branch (null): Avro refuses it, AvroData drops it.
    if (defaultJson !== undefined && defaultJson !== 'null' && type.kind === 'union' && type.branches[0] === NULL) {
      defaultJson = undefined;
    }
    const props: Props = [];
    if (this.options.connectMetaData && alreadySeen && schema.parameters && isNamed(type)) {
      const entries = Object.entries(schema.parameters).filter(([k]) => k !== AVRO_FIELD_DEFAULT_FLAG_PROP);
      if (entries.length > 0)
        props.push(['connect.parameters', `{${entries.map(([k, v]) => `${str(k)}:${str(v)}`).join(',')}}`]);
    }
    return { name, type, doc, defaultJson, props };
  }

  /** The default value as JSON text (AvroData.defaultValueFromConnect). */
  defaultJson(schema: Schema, value: unknown): string {
    if (value === null || value === undefined) return 'null';
    switch (schema.type) {
      case 'int8':
      case 'int16':
      case 'int32':
      case 'int64':
        return typeof value === 'bigint' ? value.toString() : String(Math.trunc(Number(value)));
      case 'float32':
        return javaFloatString(Number(value));
      case 'float64':
        return javaDoubleString(Number(value));
      case 'boolean':
        return value ? 'true' : 'false';
      case 'string':
        return str(String(value));
      case 'bytes': {
        const bytes = isDecimal(schema) ? decimalBytes(schema, value) : toBuffer(value as Uint8Array);
        return str(bytes.toString('latin1'));
      }
      case 'array':
        return `[${(value as unknown[]).map((v) => this.defaultJson(schema.valueSchema!, v)).join(',')}]`;
      case 'map': {
        const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as object);
        if (schema.keySchema!.type === 'string' && !schema.keySchema!.optional) {
          return `{${entries.map(([k, v]) => `${str(String(k))}:${this.defaultJson(schema.valueSchema!, v)}`).join(',')}}`;
        }
        return `[${entries
          .map(([k, v]) => `[${this.defaultJson(schema.keySchema!, k)},${this.defaultJson(schema.valueSchema!, v)}]`)
          .join(',')}]`;
      }
      case 'struct': {
        const v = value as Record<string, unknown>;
        return `{${(schema.fields ?? [])
          .map(
            (f) =>
              `${str(this.fieldName(f.name))}:${this.defaultJson(f.schema, v[f.name] ?? f.schema.defaultValue ?? null)}`,
          )
          .join(',')}}`;
      }
    }
  }

  private nameOrDefault(ctx: Context, name: string | undefined): [string | undefined, string] {
    if (name === undefined) {
      ctx.nameIndex++;
      return [NAMESPACE, DEFAULT_SCHEMA_NAME + (ctx.nameIndex > 1 ? ctx.nameIndex : '')];
    }
    const [namespace, simple] = splitName(name, this.options.scrubInvalidNames);
    if (!this.options.scrubInvalidNames) {
      for (const part of name.split('.')) this.checkName(part, name);
    }
    return [namespace, simple];
  }

  private fieldName(name: string): string {
    if (this.options.scrubInvalidNames) return scrubName(name);
    return this.checkName(name, name, 'field');
  }

  private checkName(part: string, whole: string, what = 'schema'): string {
    if (!AVRO_NAME.test(part)) {
      throw new ConnectError(
        `AvroConverter: the ${what} name "${whole}" is not a valid Avro name (letters, digits and _ only, not starting with a digit); set the connector's schema.name.adjustment.mode / field.name.adjustment.mode to avro, or the converter's scrub.invalid.names=true`,
      );
    }
    return part;
  }

  private scrubFullName(name: string): string {
    if (!this.options.scrubInvalidNames) return name;
    const [ns, n] = splitName(name, true);
    return ns === undefined ? n : `${ns}.${n}`;
  }

  /** A key equal for schemas Connect's Schema.equals calls equal (optional excluded: only non-optional are keyed). */
  private structuralKey(schema: Schema): string {
    let k = this.keys.get(schema);
    if (k === undefined) {
      const parts: unknown[] = [
        schema.type,
        schema.optional,
        schema.name ?? null,
        schema.version ?? null,
        schema.doc ?? null,
        schema.parameters ?? null,
        schema.defaultValue === undefined || schema.defaultValue === null
          ? null
          : this.defaultJson(schema, schema.defaultValue),
        schema.keySchema ? this.structuralKey(schema.keySchema) : null,
        schema.valueSchema ? this.structuralKey(schema.valueSchema) : null,
        (schema.fields ?? []).map((f) => [f.name, this.structuralKey(f.schema)]),
      ];
      k = JSON.stringify(parts);
      this.keys.set(schema, k);
    }
    return k;
  }
}

const NULL: AvroNode = Object.freeze({ kind: 'primitive', type: 'null', props: [] }) as AvroNode;
const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isNamed(node: AvroNode): boolean {
  if (node.kind === 'record' || node.kind === 'enum') return true;
  return node.kind === 'union' && node.branches.some((b) => b.kind === 'record' || b.kind === 'enum');
}

export function isDecimal(schema: Schema): boolean {
  return schema.type === 'bytes' && schema.name === Logical.Decimal;
}

export function decimalScale(schema: Schema): number {
  return Number.parseInt(schema.parameters?.scale ?? '0', 10);
}

/** The unscaled two's-complement bytes of a Decimal value at the schema's scale (Connect's Decimal.fromLogical). */
export function decimalBytes(schema: Schema, value: unknown): Buffer {
  const scale = decimalScale(schema);
  let d: Decimal;
  if (value instanceof Decimal) d = value;
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')
    d = Decimal.parse(String(value));
  else throw new ConnectError(`Invalid type for Decimal: ${typeof value}`);
  try {
    return d.withScale(scale).unscaledBytes();
  } catch {
    throw new ConnectError(`BigDecimal has mismatching scale value for given Decimal schema: ${d} at scale ${scale}`);
  }
}

/** Splits `a.b.C` into namespace `a.b` and name `C` (AvroData.splitName). */
export function splitName(fullName: string, scrub: boolean): [string | undefined, string] {
  const parts = fullName.split('.').map((p) => (scrub ? scrubName(p) : p));
  if (parts.length <= 1) return [undefined, parts[0]];
  return [parts.slice(0, -1).join('.'), parts[parts.length - 1]];
}

/**
 * AvroData.doScrubName: a name Avro accepts is kept; otherwise it is URL-encoded (Java's URLEncoder: UTF-8 bytes
 * as %XX, space as +) and every character other than letters, digits and _ becomes _; a leading digit gets an x.
 */
export function scrubName(name: string): string {
  if (name === '' || AVRO_NAME.test(name)) return name;
  let encoded = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9._*-]/.test(ch)) encoded += ch;
    else if (ch === ' ') encoded += '+';
    else encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (/^[0-9]/.test(encoded)) encoded = `x${encoded}`;
  return encoded.replace(/[^A-Za-z0-9_]/g, '_');
}

/** The schema's JSON text as Avro's Java library writes it (Schema.toString()). */
export function avroSchemaText(node: AvroNode): string {
  return write(node, new Set(), undefined);
}

function fullName(n: { name: string; namespace: string | undefined }): string {
  return n.namespace ? `${n.namespace}.${n.name}` : n.name;
}

function write(node: AvroNode, known: Set<string>, space: string | undefined): string {
  switch (node.kind) {
    case 'primitive':
      return node.props.length === 0 ? str(node.type) : `{"type":${str(node.type)}${props(node.props)}}`;
    case 'union':
      return `[${node.branches.map((b) => write(b, known, space)).join(',')}]`;
    case 'array':
      return `{"type":"array","items":${write(node.items, known, space)}${props(node.props)}}`;
    case 'map':
      return `{"type":"map","values":${write(node.values, known, space)}${props(node.props)}}`;
    case 'record':
    case 'enum': {
      const full = fullName(node);
      if (known.has(full)) return str(node.namespace === space || !node.namespace ? node.name : full);
      known.add(full);
      let out = `{"type":${str(node.kind)},"name":${str(node.name)}`;
      if (node.namespace !== undefined) {
        if (node.namespace !== space) out += `,"namespace":${str(node.namespace)}`;
      } else if (space !== undefined) out += `,"namespace":""`;
      if (node.doc !== undefined) out += `,"doc":${str(node.doc)}`;
      if (node.kind === 'enum') {
        out += `,"symbols":[${node.symbols.map(str).join(',')}]${props(node.props)}`;
        if (node.defaultSymbol !== undefined) out += `,"default":${str(node.defaultSymbol)}`;
        return `${out}}`;
      }
      const inner = node.namespace;
      const fields = node.fields.map((f) => {
        let text = `{"name":${str(f.name)},"type":${write(f.type, known, inner)}`;
        if (f.doc !== undefined) text += `,"doc":${str(f.doc)}`;
        if (f.defaultJson !== undefined) text += `,"default":${f.defaultJson}`;
        return `${text}${props(f.props)}}`;
      });
      return `${out},"fields":[${fields.join(',')}]${props(node.props)}}`;
    }
  }
}

function props(p: Props): string {
  let out = '';
  for (const [k, v] of p) out += `,${str(k)}:${v}`;
  return out;
}
