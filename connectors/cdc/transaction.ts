import { type ChangeRecord, Schemas, type SourceOffset, type SourcePartition } from '../../runtime/api/index.js';

/**
 * Debezium's transaction metadata (`provide.transaction.metadata`) and heartbeat records, shared by every CDC
 * source: the schemas of `<prefix>.transaction` and `__debezium-heartbeat.<prefix>`, and the counting of one
 * transaction's events per table.
 */
export const heartbeatKeySchema = Schemas.struct([['serverName', Schemas.string()]], false, {
  name: 'io.debezium.connector.common.ServerNameKey',
});
export const heartbeatValueSchema = Schemas.struct([['ts_ms', Schemas.int64()]], false, {
  name: 'io.debezium.connector.common.Heartbeat',
});

/** A record on Debezium's heartbeat topic (`__debezium-heartbeat.<prefix>`): it moves the offset when no change does. */
export function heartbeatRecord(
  topic: string,
  prefix: string,
  partition: SourcePartition,
  offset: SourceOffset,
  now = Date.now(),
): ChangeRecord {
  return {
    topic,
    keySchema: heartbeatKeySchema,
    key: { serverName: prefix },
    valueSchema: heartbeatValueSchema,
    value: { ts_ms: now },
    headers: [],
    timestamp: now,
    sourcePartition: partition,
    sourceOffset: offset,
  };
}

export const transactionKeySchema = Schemas.struct([['id', Schemas.string()]], false, {
  name: 'io.debezium.connector.common.TransactionMetadataKey',
});
export const transactionValueSchema = Schemas.struct(
  [
    ['status', Schemas.string()],
    ['id', Schemas.string()],
    ['event_count', Schemas.int64(true)],
    [
      'data_collections',
      Schemas.array(
        Schemas.struct([
          ['data_collection', Schemas.string()],
          ['event_count', Schemas.int64()],
        ]),
        true,
      ),
    ],
    ['ts_ms', Schemas.int64()],
  ],
  false,
  { name: 'io.debezium.connector.common.TransactionMetadataValue' },
);

/** One open transaction's event counts: the `transaction` block of its events and its END record. */
export class TransactionCounts {
  total = 0;
  private readonly perTable = new Map<string, number>();

  constructor(readonly id: string) {}

  /** Counts one event of `table` and returns the event's `transaction` block. */
  block(table: string): { id: string; total_order: number; data_collection_order: number } {
    this.total++;
    const n = (this.perTable.get(table) ?? 0) + 1;
    this.perTable.set(table, n);
    return { id: this.id, total_order: this.total, data_collection_order: n };
  }

  /** The value of the BEGIN or END record. */
  value(status: 'BEGIN' | 'END', tsMs: number): Record<string, unknown> {
    const end = status === 'END';
    return {
      status,
      id: this.id,
      event_count: end ? this.total : null,
      data_collections: end
        ? [...this.perTable].map(([data_collection, event_count]) => ({ data_collection, event_count }))
        : null,
      ts_ms: tsMs,
    };
  }
}
