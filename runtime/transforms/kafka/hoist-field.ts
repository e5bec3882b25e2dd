import { type ChangeRecord, key, type Schema, Schemas } from '../../api/index.js';
import { keyValueTransforms } from '../support/define.js';
import { partOf, withPart } from '../support/records.js';
import { SchemaCache } from '../support/structs.js';

export const [hoistFieldKey, hoistFieldValue] = keyValueTransforms('HoistField', 'hoist-field', {
  doc: 'Wraps the key/value in a struct (or map, without a schema) with a single field holding it.',
  configSpec: [key('field', 'string', 'Name of the wrapping field.')],
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
