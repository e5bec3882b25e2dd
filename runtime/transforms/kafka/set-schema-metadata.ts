import { type ChangeRecord, ConfigError, key, type Schema } from '../../api/index.js';
import { keyValueTransforms, replaceNullKey } from '../support/define.js';
import { partOf, withPart } from '../support/records.js';
import { requireSchema, SchemaCache } from '../support/structs.js';

export const [setSchemaMetadataKey, setSchemaMetadataValue] = keyValueTransforms(
  'SetSchemaMetadata',
  'set-schema-metadata',
  {
    doc: 'Gives the key/value schema a new name, version, or both; the data is untouched.',
    configSpec: [
      key('schema.name', 'string', 'New schema name.', { default: null }),
      key('schema.version', 'int', 'New schema version.', { default: null }),
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
