import { type ChangeRecord, ConfigError, key, type Schema } from '../../api/index.js';
import { keyValueTransforms, replaceNullKey } from '../support/define.js';
import { partOf, withPart } from '../support/records.js';
import { requireSchema, SchemaCache } from '../support/structs.js';

export const [setSchemaMetadataKey, setSchemaMetadataValue] = keyValueTransforms(
  'SetSchemaMetadata',
  'set-schema-metadata',
  {
    doc: "Set the schema name, version or both on the record's key or value schema.",
    configSpec: [
      key('schema.name', 'string', 'Schema name to set.', { default: null }),
      key('schema.version', 'int', 'Schema version to set.', { default: null }),
      replaceNullKey,
    ],
    create(config, side) {
      const name = config.optionalString('schema.name');
      const version = config.has('schema.version') ? config.int('schema.version') : undefined;
      if (name === undefined && version === undefined) {
        throw new ConfigError([{ key: 'schema.name', message: 'Neither schema name nor version configured' }]);
      }
      const cache = new SchemaCache();
      const build = (s: Schema): Schema =>
        Object.freeze({ ...s, ...(name !== undefined && { name }), ...(version !== undefined && { version }) });
      return (record: ChangeRecord) => {
        const { schema, value } = partOf(record, side);
        const s = requireSchema(schema, 'updating schema metadata');
        return withPart(record, side, cache.get(s, build), value);
      };
    },
  },
);
