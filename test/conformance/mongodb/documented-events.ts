/**
 * Debezium's documented MongoDB change events, for what the side-by-side run cannot reach: Debezium's change stream
 * does not read mongo-java-server's events (docs/FACTS.md), so streamed events are compared with the examples of
 * Debezium's own documentation instead. Each entry quotes the payload fields of one example, verbatim, with where
 * it comes from. Fields the examples show from older Debezium versions (`source.rs`, `source.h`, `source.tord`,
 * `source.stxnid`, a boolean `source.snapshot`, the create example's `" : "` spacing) are not compared: the
 * side-by-side snapshot run (test/conformance/mongodb.test.ts) checks the whole schema and source block, and the
 * document text, against Debezium 3.6.1 itself.
 */

/** debezium/debezium, documentation/modules/ROOT/pages/connectors/mongodb.adoc, commit aad5519902 (2026). */
export const DOC = 'debezium/debezium documentation/modules/ROOT/pages/connectors/mongodb.adoc @ aad5519902';

/** The sample document of the examples: `{"_id": 1004, "first_name": "Anne", …}`, `_id` an int64 there. */
export const documentedUpdate = {
  source: `${DOC}, "Change streams capture mode" (update event, capture.mode with pre-image and full document)`,
  payload: {
    op: 'u',
    before:
      '{"_id": {"$numberLong": "1004"},"first_name": "unknown","last_name": "Kretchmar","email": "annek@noanswer.org"}',
    after:
      '{"_id": {"$numberLong": "1004"},"first_name": "Anne Marie","last_name": "Kretchmar","email": "annek@noanswer.org"}',
    updateDescription: {
      removedFields: null,
      updatedFields: '{"first_name": "Anne Marie"}',
      truncatedArrays: null,
    },
    source: {
      db: 'inventory',
      collection: 'customers',
      lsid: '{"id": {"$binary": "FA7YEzXgQXSX9OxmzllH2w==","$type": "04"},"uid": {"$binary": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=","$type": "00"}}',
      txnNumber: 1,
    },
  },
};

export const documentedDelete = {
  source: `${DOC}, "delete events" (with a pre-image)`,
  payload: {
    op: 'd',
    before:
      '{"_id": {"$numberLong": "1004"},"first_name": "Anne Marie","last_name": "Kretchmar","email": "annek@noanswer.org"}',
    source: { db: 'inventory', collection: 'customers' },
  },
};

/** The key of every event of the sample document: `{"id": "1004"}` (the `_id` in RELAXED Extended JSON). */
export const documentedKey = {
  source: `${DOC}, "Change event keys"`,
  schema: {
    type: 'struct',
    name: 'fulfillment.inventory.customers.Key',
    optional: false,
    fields: [{ field: 'id', type: 'string', optional: false }],
  },
  payload: { id: '1004' },
};

/** What each capture.mode puts in an update event, as the section's text states it. */
export const documentedCaptureModes = {
  source: `${DOC}, "Change streams capture mode": an after value only with change_streams_update_full*, a before value only with *_with_pre_image`,
  modes: [
    { mode: 'change_streams', after: false, before: false },
    { mode: 'change_streams_update_full', after: true, before: false },
    { mode: 'change_streams_with_pre_image', after: false, before: true },
    { mode: 'change_streams_update_full_with_pre_image', after: true, before: true },
  ],
} as const;

/** "Tombstone events": after a delete, the same key with a null value (Kafka's compaction then drops the key). */
export const documentedTombstone = { source: `${DOC}, "Tombstone events"` };
