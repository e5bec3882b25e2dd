import { type ChangeRecord, ConnectError, key, type Schema } from '../../api/index.js';
import { keyValueTransforms, replaceNullKey } from '../support/define.js';
import { partOf, withPart } from '../support/records.js';
import { fieldValue, isPlainObject, requireStruct } from '../support/structs.js';

const PURPOSE = 'field extraction';

export const [extractFieldKey, extractFieldValue] = keyValueTransforms('ExtractField', 'extract-field', {
  doc: 'Replaces the key/value by one of its fields (struct with a schema, map without). A null key/value stays null.',
  configSpec: [
    key('field', 'string', 'The field whose value becomes the new key/value.'),
    key(
      'field.syntax.version',
      'string',
      'V1: the field name is used as is; V2: dots separate nested field names (KIP-821).',
      {
        default: 'V1',
        validValues: ['V1', 'V2'],
      },
    ),
    replaceNullKey,
  ],
  create(config, side) {
    const name = config.string('field');
    const path = config.string('field.syntax.version') === 'V2' ? name.split('.') : [name];
    const replaceNull = config.bool('replace.null.with.default');
    const schemaCache = new WeakMap<Schema, Schema>();

    const pathSchema = (s: Schema): Schema => {
      let cur = s;
      for (const p of path) {
        const f = cur.type === 'struct' ? cur.fields?.find((x) => x.name === p) : undefined;
        if (!f) throw new ConnectError(`Unknown field: ${name}`);
        cur = f.schema;
      }
      return cur;
    };

    return (record: ChangeRecord) => {
      const { schema, value } = partOf(record, side);
      if (!schema) {
        if (value === null || value === undefined) return withPart(record, side, undefined, null);
        if (!isPlainObject(value) && !(value instanceof Map)) {
          throw new ConnectError(
            `Only Map objects supported in absence of schema for [${PURPOSE}], found: ${typeof value}`,
          );
        }
        let cur: unknown = value;
        for (const p of path) {
          if (cur instanceof Map) cur = cur.get(p);
          else if (isPlainObject(cur)) cur = cur[p];
          else cur = undefined;
          if (cur === undefined || cur === null) break;
        }
        return withPart(record, side, undefined, cur ?? null);
      }
      let outSchema = schemaCache.get(schema);
      if (outSchema === undefined) {
        requireStruct({}, schema, PURPOSE);
        outSchema = pathSchema(schema);
        schemaCache.set(schema, outSchema);
      }
      if (value === null || value === undefined) return withPart(record, side, outSchema, null);
      let cur: unknown = requireStruct(value, schema, PURPOSE);
      let curSchema = schema;
      for (const p of path) {
        if (cur === null) break;
        const f = curSchema.fields!.find((x) => x.name === p)!;
        cur = fieldValue(cur as Record<string, unknown>, f, replaceNull);
        curSchema = f.schema;
      }
      return withPart(record, side, outSchema, cur);
    };
  },
});
