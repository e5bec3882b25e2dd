import { type ChangeRecord, ConfigError, key, type Schema } from '../../api/index.js';
import { partOf, withPart } from '../support/records.js';
import { keyValueTransforms, replaceNullKey } from '../support/define.js';
import { fieldValue, requireMap, requireStruct, SchemaCache, structLike } from '../support/structs.js';

const PURPOSE = 'field replacement';

export const [replaceFieldKey, replaceFieldValue] = keyValueTransforms('ReplaceField', 'replace-field', {
  doc: 'Filter or rename fields.',
  configSpec: [
    key('exclude', 'list', 'Fields to exclude. This takes precedence over the fields to include.', {
      default: [],
      deprecatedNames: ['blacklist'],
    }),
    key('include', 'list', 'Fields to include. If specified, only these fields will be used.', {
      default: [],
      deprecatedNames: ['whitelist'],
    }),
    key('renames', 'list', 'Field rename mappings.', {
      default: [],
      validate: (v) => {
        const bad = (v as string[]).find((m) => m.split(':').length !== 2 || m.split(':').some((p) => p === ''));
        return bad === undefined ? undefined : `Invalid rename mapping: ${bad}`;
      },
    }),
    replaceNullKey,
  ],
  create(config, side) {
    const exclude = new Set(config.list('exclude'));
    const include = new Set(config.list('include'));
    const renames = new Map<string, string>();
    const reverse = new Map<string, string>();
    for (const m of config.list('renames')) {
      const [from, to] = m.split(':');
      if (renames.has(from)) throw new ConfigError([{ key: 'renames', message: `Duplicate rename of field ${from}` }]);
      renames.set(from, to);
      reverse.set(to, from);
    }
    const replaceNull = config.bool('replace.null.with.default');
    const cache = new SchemaCache();
    const keep = (name: string) => !exclude.has(name) && (include.size === 0 || include.has(name));
    const renamed = (name: string) => renames.get(name) ?? name;

    const buildSchema = (s: Schema): Schema =>
      structLike(
        s,
        (s.fields ?? []).filter((f) => keep(f.name)).map((f) => [renamed(f.name), f.schema] as const),
      );

    return (record: ChangeRecord) => {
      const { schema, value } = partOf(record, side);
      if (value === null || value === undefined) return record;
      if (!schema) {
        const map = requireMap(value, PURPOSE);
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(map)) if (keep(k)) out[renamed(k)] = map[k];
        return withPart(record, side, undefined, out);
      }
      const struct = requireStruct(value, schema, PURPOSE);
      const outSchema = cache.get(schema, buildSchema);
      const out: Record<string, unknown> = {};
      for (const f of schema.fields ?? []) if (keep(f.name)) out[renamed(f.name)] = fieldValue(struct, f, replaceNull);
      return withPart(record, side, outSchema, out);
    };
  },
});
