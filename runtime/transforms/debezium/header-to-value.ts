import { type ChangeRecord, ConfigError, key, type Schema, Schemas } from '../../api/index.js';
import { DEBEZIUM_PACKAGE, debeziumTransform } from '../support/define.js';
import { lastHeader } from '../support/records.js';
import { inferSchema, requireMap, requireStruct, structLike } from '../support/structs.js';

const OPTIONAL_STRING = Schemas.string(true);
const optionalOf = new WeakMap<Schema, Schema>();
/** The optional twin of a schema, one instance per input so the schema cache below keys on identity. */
function optional(s: Schema): Schema {
  if (s.optional) return s;
  let o = optionalOf.get(s);
  if (!o) {
    o = Schemas.withOptional(s, true);
    optionalOf.set(s, o);
  }
  return o;
}

export const headerToValue = debeziumTransform(
  `${DEBEZIUM_PACKAGE}HeaderToValue`,
  'header-to-value',
  ['HeaderToValue'],
  {
    doc: 'Copies or moves headers into fields of the record value.',
    configSpec: [
      key('headers', 'list', 'Headers to put into the value.'),
      key('fields', 'list', 'Field names, one per entry of `headers`, same order.'),
      key('operation', 'string', '`move` removes the headers; `copy` keeps them.', {
        validValues: ['copy', 'move'],
      }),
    ],
    create(config) {
      const headers = config.list('headers');
      const fields = config.list('fields');
      if (headers.length !== fields.length) {
        throw new ConfigError([
          { key: 'fields', message: "'fields' config must have the same number of elements as 'headers' config." },
        ]);
      }
      const move = config.string('operation') === 'move';
      const names = new Set(headers);
      // Header schemas may differ per record; the cache key is the value schema plus the header schemas' identity.
      const cache = new WeakMap<Schema, Map<string, Schema>>();
      const ids = new WeakMap<Schema, number>();
      let nextId = 0;
      const idOf = (s: Schema | undefined) => {
        if (!s) return -1;
        let id = ids.get(s);
        if (id === undefined) {
          id = nextId++;
          ids.set(s, id);
        }
        return id;
      };

      return (record: ChangeRecord) => {
        if (record.value === null || record.value === undefined) return record;
        const found = headers.map((h) => lastHeader(record, h));
        const rest = move ? record.headers.filter((h) => !names.has(h.key)) : record.headers;
        if (!record.valueSchema) {
          const out = { ...requireMap(record.value, 'header to value') };
          for (let i = 0; i < fields.length; i++) out[fields[i]] = found[i]?.value ?? null;
          return { ...record, value: out, headers: rest };
        }
        const vs = record.valueSchema;
        const struct = requireStruct(record.value, vs, 'header to value');
        const headerSchemas = found.map((h) => optional(h?.schema ?? inferSchema(h?.value) ?? OPTIONAL_STRING));
        let perValue = cache.get(vs);
        if (!perValue) {
          perValue = new Map();
          cache.set(vs, perValue);
        }
        const cacheKey = headerSchemas.map(idOf).join(',');
        let outSchema = perValue.get(cacheKey);
        if (!outSchema) {
          const fs: Array<readonly [string, Schema]> = (vs.fields ?? []).map((f) => [f.name, f.schema] as const);
          for (let i = 0; i < fields.length; i++) fs.push([fields[i], headerSchemas[i]]);
          outSchema = structLike(vs, fs);
          perValue.set(cacheKey, outSchema);
        }
        const out: Record<string, unknown> = { ...struct };
        for (let i = 0; i < fields.length; i++) out[fields[i]] = found[i]?.value ?? null;
        return { ...record, valueSchema: outSchema, value: out, headers: rest };
      };
    },
  },
);
