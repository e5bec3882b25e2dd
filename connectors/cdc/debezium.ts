import { type Schema, Schemas } from '../../runtime/api/index.js';

/**
 * Schema pieces every Debezium source connector shares. Each connector appends its own `source` fields
 * (PostgreSQL: schema, table, txId, lsn…; MySQL: server_id, file, pos…; MongoDB: rs, collection, ord…).
 */

/**
 * `source.snapshot` values every Debezium 3.6 connector declares (PostgreSQL, MySQL, MariaDB 3.5, MongoDB alike;
 * printed from their SourceInfoStructMakers). The list is a schema parameter, never enforced.
 */
export const SNAPSHOT_VALUES = 'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental';

/** Builds a `source` struct: Debezium's common leading fields, then the connector's own; `"version":1` as in 3.6. */
export function debeziumSourceSchema(name: string, own: ReadonlyArray<readonly [string, Schema]>): Schema {
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
          parameters: { allowed: SNAPSHOT_VALUES },
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
    { name, version: 1 },
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
