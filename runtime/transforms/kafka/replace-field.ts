import { type ChangeRecord, ConfigError, ConnectError, type Field, key, type Schema } from '../../api/index.js';
import { partOf, withPart } from '../support/records.js';
import { keyValueTransforms, replaceNullKey } from '../support/define.js';
import {
  emptyStruct,
  fieldValue,
  hasFieldDefaults,
  requireMap,
  requireStruct,
  structLike,
} from '../support/structs.js';

const PURPOSE = 'field replacement';

export const [replaceFieldKey, replaceFieldValue] = keyValueTransforms('ReplaceField', 'replace-field', {
  doc: 'Keeps, drops and renames top-level fields.',
  configSpec: [
    key('exclude', 'list', 'Fields to drop; wins over `include`.', {
      default: [],
      deprecatedNames: ['blacklist'],
    }),
    key('include', 'list', 'When not empty, only these fields are kept.', {
      default: [],
      deprecatedNames: ['whitelist'],
    }),
    key('renames', 'list', 'Comma-separated `old:new` renames.', {
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
    const keep = (name: string) => !exclude.has(name) && (include.size === 0 || include.has(name));
    const renamed = (name: string) => renames.get(name) ?? name;

    // Per input schema: the output schema and which source field lands under which name.
    interface Plan {
      readonly schema: Schema;
      readonly from: readonly Field[];
      readonly to: readonly string[];
      readonly defaults: boolean;
    }
    const plans = new WeakMap<Schema, Plan>();
    const planOf = (s: Schema): Plan => {
      let plan = plans.get(s);
      if (!plan) {
        const from = (s.fields ?? []).filter((f) => keep(f.name));
        const to = from.map((f) => renamed(f.name));
        const dup = to.find((n, i) => to.indexOf(n) !== i);
        if (dup !== undefined) throw new ConnectError(`Duplicate field name ${dup} after renames`);
        plan = {
          schema: structLike(
            s,
            from.map((f, i) => [to[i], f.schema] as const),
          ),
          from,
          to,
          defaults: replaceNull && hasFieldDefaults(s),
        };
        plans.set(s, plan);
      }
      return plan;
    };

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
      const plan = planOf(schema);
      const out = emptyStruct(plan.schema);
      const { from, to } = plan;
      for (let i = 0; i < from.length; i++) {
        const v = plan.defaults ? fieldValue(struct, from[i], true) : struct[from[i].name];
        if (v !== undefined) out[to[i]] = v;
      }
      return withPart(record, side, plan.schema, out);
    };
  },
});
