import { type ChangeRecord, ConnectError, key, LogicalSchemas, type Schema, Schemas } from '../../api/index.js';
import { partOf, withPart } from '../support/records.js';
import { keyValueTransforms, replaceNullKey } from '../support/define.js';
import {
  copyInto,
  emptyStruct,
  fieldPairs,
  requireMap,
  requireStruct,
  SchemaCache,
  structLike,
} from '../support/structs.js';

interface FieldSpec {
  readonly name: string;
  readonly optional: boolean;
}

/** `name`, `name?` (optional, the default) or `name!` (required), as Kafka's InsertField spells it. */
function fieldSpec(text: string | undefined): FieldSpec | undefined {
  if (text === undefined || text === '') return undefined;
  if (text.endsWith('!')) return { name: text.slice(0, -1), optional: false };
  if (text.endsWith('?')) return { name: text.slice(0, -1), optional: true };
  return { name: text, optional: true };
}

const PURPOSE = 'field insertion';

export const [insertFieldKey, insertFieldValue] = keyValueTransforms('InsertField', 'insert-field', {
  doc: "Adds fields taken from the record's metadata (topic, partition, timestamp) or a fixed text.",
  configSpec: [
    key(
      'topic.field',
      'string',
      'Field to receive the topic name. A trailing `!` makes the field required, `?` (the default) optional.',
      { default: null },
    ),
    key(
      'partition.field',
      'string',
      'Field to receive the Kafka partition. A trailing `!` makes the field required, `?` (the default) optional.',
      { default: null },
    ),
    key(
      'offset.field',
      'string',
      'Field to receive the Kafka offset; sink records only. A trailing `!` makes the field required, `?` (the default) optional.',
      { default: null },
    ),
    key(
      'timestamp.field',
      'string',
      'Field to receive the record timestamp (Connect Timestamp). A trailing `!` makes the field required, `?` (the default) optional.',
      { default: null },
    ),
    key(
      'static.field',
      'string',
      'Field to receive `static.value`. A trailing `!` makes the field required, `?` (the default) optional.',
      { default: null },
    ),
    key('static.value', 'string', 'The text written into `static.field`.', { default: null }),
    replaceNullKey,
  ],
  create(config, side) {
    const topicF = fieldSpec(config.optionalString('topic.field'));
    const partitionF = fieldSpec(config.optionalString('partition.field'));
    const offsetF = fieldSpec(config.optionalString('offset.field'));
    const timestampF = fieldSpec(config.optionalString('timestamp.field'));
    const staticF = fieldSpec(config.optionalString('static.field'));
    const staticValue = config.optionalString('static.value') ?? null;
    const replaceNull = config.bool('replace.null.with.default');
    const cache = new SchemaCache();

    const buildSchema = (s: Schema): Schema => {
      const fields = fieldPairs(s);
      if (topicF) fields.push([topicF.name, Schemas.string(topicF.optional)]);
      if (partitionF) fields.push([partitionF.name, Schemas.int32(partitionF.optional)]);
      if (offsetF) fields.push([offsetF.name, Schemas.int64(offsetF.optional)]);
      if (timestampF) fields.push([timestampF.name, LogicalSchemas.connectTimestamp(timestampF.optional)]);
      if (staticF) fields.push([staticF.name, Schemas.string(staticF.optional)]);
      return structLike(s, fields);
    };

    const offsetOf = (): never => {
      // A source record has no Kafka offset; Kafka refuses the same way.
      throw new ConnectError('Offset insertion is only supported for sink connectors, record is of type: SourceRecord');
    };

    const required = (f: FieldSpec, v: unknown): unknown => {
      if ((v === null || v === undefined) && !f.optional)
        throw new ConnectError(`Invalid value: null used for required field: "${f.name}"`);
      return v ?? null;
    };

    return (record: ChangeRecord) => {
      const { schema, value } = partOf(record, side);
      if (value === null || value === undefined) return record;
      if (!schema) {
        const out = { ...requireMap(value, PURPOSE) };
        if (topicF) out[topicF.name] = record.topic;
        if (partitionF && record.kafkaPartition !== undefined) out[partitionF.name] = record.kafkaPartition;
        if (offsetF) offsetOf();
        if (timestampF && record.timestamp !== undefined) out[timestampF.name] = record.timestamp;
        if (staticF) out[staticF.name] = staticValue;
        return withPart(record, side, undefined, out);
      }
      const struct = requireStruct(value, schema, PURPOSE);
      const outSchema = cache.get(schema, buildSchema);
      const out = copyInto(struct, schema, emptyStruct(outSchema), replaceNull);
      if (topicF) out[topicF.name] = record.topic;
      if (partitionF) out[partitionF.name] = required(partitionF, record.kafkaPartition);
      if (offsetF) offsetOf();
      if (timestampF) out[timestampF.name] = required(timestampF, record.timestamp);
      if (staticF) out[staticF.name] = required(staticF, staticValue);
      return withPart(record, side, outSchema, out);
    };
  },
});
