import { type ChangeRecord, ConfigError, ConnectError, type Header, key, type Schema } from '../../api/index.js';
import { keyValueTransforms, replaceNullKey } from '../support/define.js';
import { partOf, withPart } from '../support/records.js';
import { fieldValue, inferSchema, requireMap, requireStruct, SchemaCache, structLike } from '../support/structs.js';

const PURPOSE = 'header from';

export const [headerFromKey, headerFromValue] = keyValueTransforms('HeaderFrom', 'header-from', {
  doc: 'Puts fields of the key/value into headers, pairing the n-th field with the n-th header name; copies them or moves them out.',
  configSpec: [
    key('fields', 'list', 'Fields whose values go into headers.'),
    key('headers', 'list', 'Header names, one per entry of `fields`, same order.'),
    key('operation', 'string', '`move` removes the fields from the key/value; `copy` keeps them.', {
      validValues: ['move', 'copy'],
    }),
    replaceNullKey,
  ],
  create(config, side) {
    const fields = config.list('fields');
    const headers = config.list('headers');
    if (fields.length !== headers.length) {
      throw new ConfigError([
        { key: 'headers', message: "'fields' config must have the same number of elements as 'headers' config." },
      ]);
    }
    const move = config.string('operation') === 'move';
    const replaceNull = config.bool('replace.null.with.default');
    const moved = new Set(fields);
    const cache = new SchemaCache();
    const build = (s: Schema) =>
      structLike(
        s,
        (s.fields ?? []).filter((f) => !moved.has(f.name)).map((f) => [f.name, f.schema] as const),
      );

    return (record: ChangeRecord) => {
      const { schema, value } = partOf(record, side);
      if (value === null || value === undefined) return record;
      const added: Header[] = [];
      if (!schema) {
        const map = requireMap(value, PURPOSE);
        for (let i = 0; i < fields.length; i++) {
          const v = map[fields[i]] ?? null;
          added.push({ key: headers[i], value: v, schema: inferSchema(v) });
        }
        let out: unknown = value;
        if (move) {
          const copy = { ...map };
          for (const f of fields) delete copy[f];
          out = copy;
        }
        return { ...withPart(record, side, undefined, out), headers: [...record.headers, ...added] };
      }
      const struct = requireStruct(value, schema, PURPOSE);
      for (let i = 0; i < fields.length; i++) {
        const f = schema.fields?.find((x) => x.name === fields[i]);
        if (!f) throw new ConnectError(`${fields[i]} is not a valid field name`);
        added.push({ key: headers[i], value: fieldValue(struct, f, replaceNull), schema: f.schema });
      }
      if (!move) return { ...record, headers: [...record.headers, ...added] };
      const outSchema = cache.get(schema, build);
      const out: Record<string, unknown> = {};
      for (const f of outSchema.fields ?? []) out[f.name] = struct[f.name] ?? null;
      return { ...withPart(record, side, outSchema, out), headers: [...record.headers, ...added] };
    };
  },
});
