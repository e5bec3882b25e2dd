import { type Schema, Schemas } from '../../runtime/api/index.js';

/**
 * Schema pieces every Debezium source connector shares. Each connector appends its own `source` fields
 * (PostgreSQL: schema, table, txId, lsn…; MySQL: server_id, file, pos…; MongoDB: rs, collection, ord…).
 */

/**
 * `source.snapshot` values PostgreSQL declares: Debezium 2.7 and 3.0 still declare only these four, although their
 * snapshots also write `first`, `first_in_data_collection` and `last_in_data_collection` (the list is a schema
 * parameter, never enforced). Debezium 3.1 declares all seven, together with other changes to the struct.
 */
export const SNAPSHOT_VALUES = 'true,last,false,incremental';
/** `source.snapshot` values of connectors with per-collection snapshot markers (MySQL, MariaDB, MongoDB). */
export const SNAPSHOT_VALUES_WITH_COLLECTIONS =
  'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental';

/** Builds a `source` struct: Debezium's common leading fields, then the connector's own. */
export function debeziumSourceSchema(
  name: string,
  snapshotValues: string,
  own: ReadonlyArray<readonly [string, Schema]>,
): Schema {
  return Schemas.struct(
    [
      ['version', Schemas.string()],
      ['connector', Schemas.string()],
      ['name', Schemas.string()],
      ['ts_ms', Schemas.int64()],
      [
        'snapshot',
        Schemas.string(true, {
          name: 'io.debezium.data.Enum',
          version: 1,
          parameters: { allowed: snapshotValues },
          defaultValue: 'false',
        }),
      ],
      ['db', Schemas.string()],
      ['sequence', Schemas.string(true)],
      ['ts_us', Schemas.int64(true)],
      ['ts_ns', Schemas.int64(true)],
      ...own,
    ],
    false,
    { name },
  );
}

/** The `transaction` block of an envelope (provide.transaction.metadata). */
export const transactionBlockSchema = Schemas.struct(
  [
    ['id', Schemas.string()],
    ['total_order', Schemas.int64()],
    ['data_collection_order', Schemas.int64()],
  ],
  true,
  { name: 'event.block', version: 1 },
);
