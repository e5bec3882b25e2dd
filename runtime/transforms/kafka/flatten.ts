import { type ChangeRecord, key, type Schema, Schemas } from '../../api/index.js';
import { keyValueTransforms } from '../support/define.js';
import { partOf, withPart } from '../support/records.js';
import { isPlainObject, requireMap, requireStruct, SchemaCache, structLike, type Struct } from '../support/structs.js';

const PURPOSE = 'flattening';

export const [flattenKey, flattenValue] = keyValueTransforms('Flatten', 'flatten', {
  doc: 'Turns nested structs (or nested maps, without a schema) into one level, joining the names along the path with a delimiter. Arrays are left as they are.',
  configSpec: [
    key('delimiter', 'string', 'Text placed between the parent and child names in a flattened field name.', {
      default: '.',
    }),
  ],
  create(config, side) {
    const delimiter = config.string('delimiter');
    const cache = new SchemaCache();

    const buildFields = (s: Schema, prefix: string, optional: boolean, out: Array<[string, Schema]>) => {
      for (const f of s.fields ?? []) {
        const name = prefix + f.name;
        if (f.schema.type === 'struct') {
          buildFields(f.schema, name + delimiter, optional || f.schema.optional, out);
        } else {
          out.push([name, optional ? Schemas.withOptional(f.schema, true) : f.schema]);
        }
      }
    };
    const build = (s: Schema) => {
      const fields: Array<[string, Schema]> = [];
      buildFields(s, '', false, fields);
      return structLike(s, fields);
    };

    const flattenStruct = (s: Schema, v: Struct | null, prefix: string, out: Struct) => {
      for (const f of s.fields ?? []) {
        const name = prefix + f.name;
        const fv = v === null ? null : (v[f.name] ?? null);
        if (f.schema.type === 'struct') flattenStruct(f.schema, fv as Struct | null, name + delimiter, out);
        else out[name] = fv;
      }
    };
    const flattenMap = (v: Struct, prefix: string, out: Struct) => {
      for (const k of Object.keys(v)) {
        const fv = v[k];
        if (isPlainObject(fv) || fv instanceof Map)
          flattenMap(fv instanceof Map ? Object.fromEntries(fv) : fv, prefix + k + delimiter, out);
        else out[prefix + k] = fv;
      }
    };

    return (record: ChangeRecord) => {
      const { schema, value } = partOf(record, side);
      if (value === null || value === undefined) return record;
      const out: Struct = {};
      if (!schema) {
        flattenMap(requireMap(value, PURPOSE), '', out);
        return withPart(record, side, undefined, out);
      }
      flattenStruct(schema, requireStruct(value, schema, PURPOSE), '', out);
      return withPart(record, side, cache.get(schema, build), out);
    };
  },
});
