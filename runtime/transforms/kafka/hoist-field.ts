import { type ChangeRecord, key, type Schema, Schemas } from '../../api/index.js';
import { keyValueTransforms } from '../support/define.js';
import { partOf, withPart } from '../support/records.js';
import { SchemaCache } from '../support/structs.js';

export const [hoistFieldKey, hoistFieldValue] = keyValueTransforms('HoistField', 'hoist-field', {
  doc: 'Wrap data using the specified field name in a Struct when schema present, or a Map in the case of schemaless data.',
  configSpec: [
    key('field', 'string', 'Field name for the single field that will be created in the resulting Struct or Map.'),
  ],
  create(config, side) {
    const name = config.string('field');
    const cache = new SchemaCache();
    const build = (s: Schema) => Schemas.struct([[name, s]]);
    return (record: ChangeRecord) => {
      const { schema, value } = partOf(record, side);
      const out = { [name]: value ?? null };
      return withPart(record, side, schema ? cache.get(schema, build) : undefined, out);
    };
  },
});
