import {
  type ChangeRecord,
  ConfigError,
  ConnectError,
  Decimal,
  key,
  Logical,
  type Schema,
  Schemas,
  type SchemaType,
} from '../../api/index.js';
import { floatJson } from '../../converters/json.js';
import { javaFloatString } from '../../data/java-float.js';
import { keyValueTransforms, replaceNullKey } from '../support/define.js';
import { partOf, withPart } from '../support/records.js';
import { requireMap, requireStruct, SchemaCache, structLike } from '../support/structs.js';

const TARGETS = ['int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'boolean', 'string'] as const;
type Target = (typeof TARGETS)[number];
const PURPOSE = 'cast types';
const DAY_MS = 86_400_000;

function targetSchema(t: Target, optional: boolean): Schema {
  return Schemas[t](optional);
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** Connect's Values.dateFormatFor spellings of Date, Time and Timestamp. */
function logicalToString(name: string, v: number): string | undefined {
  if (name === Logical.Date) {
    const d = new Date(v * DAY_MS);
    return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
  }
  if (name === Logical.Time) {
    const d = new Date(v);
    return `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}`;
  }
  if (name === Logical.Timestamp) return new Date(v).toISOString();
  return undefined;
}

const BITS: Partial<Record<Target, number>> = { int8: 8, int16: 16, int32: 32, int64: 64 };

/** Casts one value; `from` is its schema when there is one (its logical name decides Decimal and dates). */
export function castValue(v: unknown, to: Target, from?: Schema): unknown {
  if (v === null || v === undefined) return null;
  const bits = BITS[to];
  if (bits !== undefined) {
    let big: bigint;
    if (typeof v === 'bigint') big = v;
    else if (typeof v === 'number') big = Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
    else if (typeof v === 'boolean') big = v ? 1n : 0n;
    else if (v instanceof Decimal) big = v.unscaled / 10n ** BigInt(Math.max(0, v.scale));
    else if (typeof v === 'string') {
      const t = v.trim();
      if (!/^[+-]?\d+$/.test(t)) throw new ConnectError(`Value (${v}) is not a valid ${to}`);
      big = BigInt(t);
      if (BigInt.asIntN(bits, big) !== big) throw new ConnectError(`Value out of range. Value:"${v}" Radix:10`);
    } else throw new ConnectError(`Unexpected type in Cast transformation: ${typeof v}`);
    // Java's narrowing keeps the low bits: (byte) 300 == 44.
    const wrapped = BigInt.asIntN(bits, big);
    return bits === 64 && !Number.isSafeInteger(Number(wrapped)) ? wrapped : Number(wrapped);
  }
  if (to === 'float32' || to === 'float64') {
    let n: number;
    if (typeof v === 'number') n = v;
    else if (typeof v === 'bigint') n = Number(v);
    else if (typeof v === 'boolean') n = v ? 1 : 0;
    else if (v instanceof Decimal) n = v.toNumber();
    else if (typeof v === 'string') {
      n = Number(v.trim());
      if (v.trim() === '' || Number.isNaN(n)) throw new ConnectError(`Value (${v}) is not a valid ${to}`);
    } else throw new ConnectError(`Unexpected type in Cast transformation: ${typeof v}`);
    return to === 'float32' ? Math.fround(n) : n;
  }
  if (to === 'boolean') {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'bigint') return v !== 0n;
    if (typeof v === 'string') return v.toLowerCase() === 'true';
    if (v instanceof Decimal) return v.unscaled !== 0n;
    throw new ConnectError(`Unexpected type in Cast transformation: ${typeof v}`);
  }
  // string
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') {
    if (from?.name && (from.type === 'int32' || from.type === 'int64')) {
      const text = logicalToString(from.name, v);
      if (text !== undefined) return text;
    }
    if (from?.type === 'float32') return javaFloatString(Math.fround(v));
    if (from?.type === 'float64' || !Number.isInteger(v)) return floatJson(v).replace(/"/g, '');
    return String(v);
  }
  if (v instanceof Decimal) return v.toString();
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  throw new ConnectError(`Unexpected type in Cast transformation: ${Array.isArray(v) ? 'array' : typeof v}`);
}

const CASTABLE: ReadonlySet<SchemaType> = new Set([
  'int8',
  'int16',
  'int32',
  'int64',
  'float32',
  'float64',
  'boolean',
  'string',
  'bytes',
]);

function checkSource(s: Schema, field: string): void {
  if (!CASTABLE.has(s.type))
    throw new ConnectError(
      `Cast transformation does not support casting from ${s.type}${field ? ` (field ${field})` : ''}`,
    );
}

export const [castKey, castValuePlugin] = keyValueTransforms('Cast', 'cast', {
  doc: 'Changes the type of chosen fields, or of the whole key/value when it is a primitive. Sources: integers, floats, boolean, string, bytes, Decimal, Date/Time/Timestamp; targets: integers, floats, boolean, string.',
  configSpec: [
    key(
      'spec',
      'list',
      'Comma-separated `field:type` pairs, or one bare type for the whole key/value. Types: int8, int16, int32, int64, float32, float64, boolean, string.',
      {
        validate: (v) => {
          const items = v as string[];
          if (items.length === 0) return 'Must specify at least one field to cast.';
          for (const item of items) {
            const parts = item.split(':');
            const type = parts[parts.length - 1].trim();
            if (parts.length > 2 || (parts.length === 1 && items.length > 1)) return `Invalid cast mapping: ${item}`;
            if (!(TARGETS as readonly string[]).includes(type)) return `Invalid type found in casting spec: ${type}`;
          }
          return undefined;
        },
      },
    ),
    replaceNullKey,
  ],
  create(config, side) {
    const items = config.list('spec');
    const whole: Target | undefined =
      items.length === 1 && !items[0].includes(':') ? (items[0].trim() as Target) : undefined;
    const casts = new Map<string, Target>();
    if (!whole) {
      for (const item of items) {
        const [f, t] = item.split(':');
        if (casts.has(f.trim())) throw new ConfigError([{ key: 'spec', message: `Field ${f} is cast twice` }]);
        casts.set(f.trim(), t.trim() as Target);
      }
    }
    const replaceNull = config.bool('replace.null.with.default');
    const cache = new SchemaCache();
    const build = (s: Schema): Schema =>
      structLike(
        s,
        (s.fields ?? []).map((f) => {
          const t = casts.get(f.name);
          if (!t) return [f.name, f.schema] as const;
          checkSource(f.schema, f.name);
          const out = targetSchema(t, f.schema.optional);
          const def = f.schema.defaultValue;
          return [
            f.name,
            def === undefined || def === null
              ? out
              : Object.freeze({ ...out, defaultValue: castValue(def, t, f.schema) }),
          ] as const;
        }),
      );

    return (record: ChangeRecord) => {
      const { schema, value } = partOf(record, side);
      if (whole) {
        if (schema) {
          checkSource(schema, '');
          return withPart(record, side, targetSchema(whole, schema.optional), castValue(value, whole, schema));
        }
        if (value !== null && typeof value === 'object' && !(value instanceof Decimal) && !Buffer.isBuffer(value)) {
          throw new ConnectError('Cast transformation does not support casting a whole Map or Struct');
        }
        return withPart(record, side, undefined, castValue(value, whole));
      }
      if (value === null || value === undefined) return record;
      if (!schema) {
        const map = requireMap(value, PURPOSE);
        const out = { ...map };
        for (const [f, t] of casts) if (f in out) out[f] = castValue(out[f], t);
        return withPart(record, side, undefined, out);
      }
      const struct = requireStruct(value, schema, PURPOSE);
      const outSchema = cache.get(schema, build);
      const out: Record<string, unknown> = {};
      for (const f of schema.fields ?? []) {
        let v = struct[f.name] ?? null;
        if (v === null && replaceNull && f.schema.defaultValue !== undefined) v = f.schema.defaultValue;
        const t = casts.get(f.name);
        out[f.name] = t ? castValue(v, t, f.schema) : v;
      }
      return withPart(record, side, outSchema, out);
    };
  },
});
