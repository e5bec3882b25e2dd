import { type Schema, Schemas } from '../../runtime/api/index.js';
import { debeziumSourceSchema, transactionBlockSchema } from '../cdc/debezium.js';

/**
 * Debezium's MongoDB record schemas. Documents have no fixed shape, so `after`/`before` are Extended JSON strings
 * (`io.debezium.data.Json`) and every collection shares one envelope layout; only the record names differ.
 */

const json = Schemas.string(true, { name: 'io.debezium.data.Json', version: 1 });

export const truncatedArraySchema = Schemas.struct(
  [
    ['field', Schemas.string()],
    ['size', Schemas.int32()],
  ],
  false,
  { name: 'io.debezium.connector.mongodb.changestream.truncatedarray', version: 1 },
);

export const updateDescriptionSchema = Schemas.struct(
  [
    ['removedFields', Schemas.array(Schemas.string(), true)],
    ['updatedFields', json],
    ['truncatedArrays', Schemas.array(truncatedArraySchema, true)],
  ],
  true,
  { name: 'io.debezium.connector.mongodb.changestream.updatedescription', version: 1 },
);

/** Debezium 3.6's MongoDB source: no `rs` any more (one connection to the whole deployment). */
export const sourceSchema = debeziumSourceSchema('io.debezium.connector.mongo.Source', [
  ['collection', Schemas.string()],
  ['ord', Schemas.int32()],
  ['lsid', Schemas.string(true)],
  ['txnNumber', Schemas.int64(true)],
  ['wallTime', Schemas.int64(true)],
]);

export const transactionSchema = transactionBlockSchema;

export interface CollectionSchemas {
  readonly key: Schema;
  readonly value: Schema;
}

const cache = new Map<string, CollectionSchemas>();

/** Key and envelope schemas of one topic, named `<topic>.Key` / `<topic>.Envelope` as Debezium names them. */
export function collectionSchemas(topic: string): CollectionSchemas {
  let s = cache.get(topic);
  if (!s) {
    const name = avroName(topic);
    s = {
      key: Schemas.struct([['id', Schemas.string()]], false, { name: `${name}.Key` }),
      value: Schemas.struct(
        [
          ['before', json],
          ['after', json],
          ['updateDescription', updateDescriptionSchema],
          ['source', sourceSchema],
          ['op', Schemas.string(true)],
          ['ts_ms', Schemas.int64(true)],
          ['transaction', transactionSchema],
        ],
        // As Debezium 3.6's MongoDB envelope: no ts_us/ts_ns and no schema version (test/conformance/mongodb).
        false,
        { name: `${name}.Envelope` },
      ),
    };
    cache.set(topic, s);
  }
  return s;
}

/** Debezium adjusts schema names to Avro's alphabet: a character outside [A-Za-z0-9_.] becomes `_`. */
function avroName(topic: string): string {
  const s = topic.replace(/[^A-Za-z0-9_.]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `_${s}`;
}
