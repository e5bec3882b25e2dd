import { type ChangeRecord, ConnectError, Decimal, key, Logical, type Schema } from '../../api/index.js';
import { keyValueTransforms, replaceNullKey } from '../support/define.js';
import { partOf, withPart } from '../support/records.js';
import { fieldValue, requireMap, requireStruct } from '../support/structs.js';
import { castValue } from './cast.js';

const PURPOSE = 'mask fields';

/** The "empty" value of a type, as Kafka's MaskField picks it. */
function emptyOf(v: unknown, schema: Schema | undefined): unknown {
  if (schema?.name === Logical.Decimal) return new Decimal(0n, Number(schema.parameters?.scale ?? 0));
  if (v instanceof Decimal) return new Decimal(0n, 0);
  if (schema) {
    switch (schema.type) {
      case 'boolean':
        return false;
      case 'int8':
      case 'int16':
      case 'int32':
      case 'int64':
      case 'float32':
      case 'float64':
        return 0;
      case 'string':
        return '';
      case 'bytes':
        return Buffer.alloc(0);
      case 'array':
        return [];
      case 'map':
        return v instanceof Map ? new Map() : {};
      default:
        throw new ConnectError(`Cannot mask value of type: ${schema.type}`);
    }
  }
  switch (typeof v) {
    case 'boolean':
      return false;
    case 'number':
      return 0;
    case 'bigint':
      return 0n;
    case 'string':
      return '';
    default:
      if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.alloc(0);
      if (Array.isArray(v)) return [];
      if (v instanceof Map) return new Map();
      if (v instanceof Date) return new Date(0);
      throw new ConnectError(`Cannot mask value of type: ${v === null ? 'null' : typeof v}`);
  }
}

function replacementOf(v: unknown, schema: Schema | undefined, replacement: string): unknown {
  const type =
    schema?.name === Logical.Decimal || v instanceof Decimal
      ? 'decimal'
      : (schema?.type ??
        (typeof v === 'number'
          ? Number.isInteger(v)
            ? 'int64'
            : 'float64'
          : typeof v === 'bigint'
            ? 'int64'
            : typeof v));
  try {
    switch (type) {
      case 'decimal':
        return Decimal.parse(replacement);
      case 'int8':
      case 'int16':
      case 'int32':
      case 'int64':
      case 'float32':
      case 'float64': {
        const out = castValue(replacement, type);
        return typeof v === 'bigint' && typeof out === 'number' ? BigInt(out) : out;
      }
      case 'string':
        return replacement;
    }
  } catch (err) {
    throw new ConnectError(`Unable to convert ${replacement} (${type}) for masking: ${(err as Error).message}`);
  }
  throw new ConnectError(`Cannot mask value of type ${type} with custom replacement.`);
}

export const [maskFieldKey, maskFieldValue] = keyValueTransforms('MaskField', 'mask-field', {
  doc: "Overwrites chosen fields with the empty value of their type (0, false, empty text, empty list…), or with `replacement` converted to the field's type (numbers and strings only).",
  configSpec: [
    key('fields', 'list', 'Fields to overwrite.', {
      validate: (v) => ((v as string[]).length === 0 ? 'must name at least one field' : undefined),
    }),
    key(
      'replacement',
      'string',
      'Optional value used instead of the empty value; must be non-empty; numeric and string fields only.',
      {
        default: null,
        validate: (v) => (v === '' ? 'String must be non-empty' : undefined),
      },
    ),
    replaceNullKey,
  ],
  create(config, side) {
    const fields = new Set(config.list('fields'));
    const replacement = config.optionalString('replacement');
    const replaceNull = config.bool('replace.null.with.default');
    const mask = (v: unknown, schema: Schema | undefined) => {
      if (v === null || v === undefined) return null;
      return replacement === undefined ? emptyOf(v, schema) : replacementOf(v, schema, replacement);
    };
    return (record: ChangeRecord) => {
      const { schema, value } = partOf(record, side);
      if (value === null || value === undefined) return record;
      if (!schema) {
        const out = { ...requireMap(value, PURPOSE) };
        for (const f of fields) if (f in out) out[f] = mask(out[f], undefined);
        return withPart(record, side, undefined, out);
      }
      const struct = requireStruct(value, schema, PURPOSE);
      const out: Record<string, unknown> = {};
      for (const f of schema.fields ?? []) {
        const v = fieldValue(struct, f, replaceNull);
        out[f.name] = fields.has(f.name) ? mask(v, f.schema) : v;
      }
      return withPart(record, side, schema, out);
    };
  },
});
