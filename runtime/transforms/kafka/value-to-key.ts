import { type ChangeRecord, ConnectError, key, type Schema, Schemas } from '../../api/index.js';
import { kafkaTransform, replaceNullKey } from '../support/define.js';
import { fieldValue, requireMap, requireStruct, SchemaCache } from '../support/structs.js';

const PURPOSE = 'copying fields from value to key';

export const valueToKey = kafkaTransform('ValueToKey', 'value-to-key', {
  doc: 'Makes a new key out of some fields of the value.',
  configSpec: [
    key('fields', 'list', 'Value fields that form the key, in this order.', {
      validate: (v) => ((v as string[]).length === 0 ? 'must name at least one field' : undefined),
    }),
    replaceNullKey,
  ],
  create(config) {
    const fields = config.list('fields');
    const replaceNull = config.bool('replace.null.with.default');
    const cache = new SchemaCache();
    const build = (s: Schema): Schema =>
      Schemas.struct(
        fields.map((n) => {
          const f = s.fields?.find((x) => x.name === n);
          if (!f) throw new ConnectError(`Field does not exist: ${n}`);
          return [n, f.schema] as const;
        }),
      );
    return (record: ChangeRecord) => {
      if (!record.valueSchema) {
        const map = requireMap(record.value, PURPOSE);
        const k: Record<string, unknown> = {};
        for (const n of fields) k[n] = map[n] ?? null;
        return { ...record, keySchema: undefined, key: k };
      }
      const struct = requireStruct(record.value, record.valueSchema, PURPOSE);
      const keySchema = cache.get(record.valueSchema, build);
      const k: Record<string, unknown> = {};
      for (const f of keySchema.fields!) {
        const src = record.valueSchema.fields![record.valueSchema.fields!.findIndex((x) => x.name === f.name)];
        k[f.name] = fieldValue(struct, src, replaceNull);
      }
      return { ...record, keySchema, key: k };
    };
  },
});
