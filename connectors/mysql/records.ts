import type { ChangeRecord, Schema, SourceOffset, SourcePartition } from '../../runtime/api/index.js';
import type { Cell } from './binlog/cells.js';
import type { SnapshotMarker } from '../cdc/snapshot-markers.js';
import type { Flavor } from './binlog/client.js';
import { CONNECTOR_VERSION, schemaChangeSchemas, sourceSchema, type TableShape } from './envelope.js';
import { ValueError } from './values.js';

export interface SourceFields {
  tsMs: number;
  snapshot: SnapshotMarker | 'false' | 'incremental';
  db: string;
  table: string | null;
  serverId: number;
  gtid: string | null;
  file: string;
  pos: number;
  row: number;
  thread: number | null;
}

export type Op = 'c' | 'u' | 'd' | 'r';

/** Builds Debezium's key, envelope, tombstone and schema-change records for one connector. */
export class RecordMaker {
  readonly partition: SourcePartition;
  readonly sourceSchema: Schema;
  private readonly change: { key: Schema; value: Schema };

  constructor(
    readonly prefix: string,
    readonly flavor: Flavor,
    readonly tombstones: boolean,
  ) {
    this.partition = { server: prefix };
    this.sourceSchema = sourceSchema(flavor);
    this.change = schemaChangeSchemas(flavor, this.sourceSchema);
  }

  source(f: SourceFields): Record<string, unknown> {
    return {
      version: CONNECTOR_VERSION,
      connector: this.flavor,
      name: this.prefix,
      ts_ms: f.tsMs,
      snapshot: f.snapshot,
      db: f.db,
      sequence: null,
      ts_us: f.tsMs * 1000,
      ts_ns: BigInt(f.tsMs) * 1_000_000n,
      table: f.table,
      server_id: f.serverId,
      gtid: f.gtid,
      file: f.file,
      pos: f.pos,
      row: f.row,
      thread: f.thread,
      query: null,
    };
  }

  /**
   * A row image from binlog cells. A value the mapping refuses (ValueError) goes to `onError`, which either throws
   * (with the table, column and position) or returns the value to write instead.
   */
  valueFromCells(
    shape: TableShape,
    cells: readonly Cell[],
    enumMeta: ((index: number) => string[] | undefined) | undefined,
    onError: (err: ValueError, column: string) => unknown,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < shape.columns.length; i++) {
      const src = shape.sourceIndexes[i];
      const col = shape.columns[i];
      try {
        out[col.name] = col.fromCell(cells[src] ?? null, enumMeta?.(src));
      } catch (err) {
        if (!(err instanceof ValueError)) throw err;
        out[col.name] = onError(err, col.name);
      }
    }
    return out;
  }

  valueFromText(
    shape: TableShape,
    row: readonly (Buffer | null)[],
    onError: (err: ValueError, column: string) => unknown,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < shape.columns.length; i++) {
      const col = shape.columns[i];
      try {
        out[col.name] = col.fromText(row[i] ?? null);
      } catch (err) {
        if (!(err instanceof ValueError)) throw err;
        out[col.name] = onError(err, col.name);
      }
    }
    return out;
  }

  private key(shape: TableShape, value: Record<string, unknown>): Record<string, unknown> | null {
    if (!shape.keySchema) return null;
    const k: Record<string, unknown> = {};
    for (const i of shape.keyIndexes) k[shape.columns[i].name] = value[shape.columns[i].name];
    return k;
  }

  /**
   * The records of one row change: one envelope, plus a tombstone after a delete, and for an update that changes
   * the key Debezium's delete + tombstone + create. All but the last carry `partialOffset` so that a restart
   * after a crash between them replays the row rather than skipping its remaining records.
   */
  rowChange(
    shape: TableShape,
    op: Op,
    before: Record<string, unknown> | null,
    after: Record<string, unknown> | null,
    source: Record<string, unknown>,
    partialOffset: SourceOffset,
    offset: SourceOffset,
  ): ChangeRecord[] {
    const now = Date.now();
    const out: ChangeRecord[] = [];
    const envelope = (
      o: Op,
      b: Record<string, unknown> | null,
      a: Record<string, unknown> | null,
      keyOf: Record<string, unknown>,
    ) => {
      out.push({
        topic: shape.topic,
        keySchema: shape.keySchema,
        key: this.key(shape, keyOf),
        valueSchema: shape.envelopeSchema,
        value: {
          before: b,
          after: a,
          source,
          transaction: null,
          op: o,
          ts_ms: now,
          ts_us: now * 1000,
          ts_ns: BigInt(now) * 1_000_000n,
        },
        headers: [],
        timestamp: now,
        sourcePartition: this.partition,
        sourceOffset: partialOffset,
      });
    };
    const tombstone = (keyOf: Record<string, unknown>) => {
      // As Debezium, a keyless table's delete is followed by a tombstone too (with a null key).
      if (!this.tombstones) return;
      out.push({
        topic: shape.topic,
        keySchema: shape.keySchema,
        key: this.key(shape, keyOf),
        // No value schema: Kafka's JsonConverter writes (null schema, null value) as a null message.
        valueSchema: undefined,
        value: null,
        headers: [],
        timestamp: now,
        sourcePartition: this.partition,
        sourceOffset: partialOffset,
      });
    };
    if (op === 'u' && before && after && shape.keySchema && !sameKey(shape, before, after)) {
      envelope('d', before, null, before);
      tombstone(before);
      envelope('c', null, after, after);
    } else if (op === 'd' && before) {
      envelope('d', before, null, before);
      tombstone(before);
    } else {
      envelope(op, before, after, (after ?? before) as Record<string, unknown>);
    }
    const last = out[out.length - 1];
    out[out.length - 1] = { ...last, sourceOffset: offset };
    return out;
  }

  schemaChange(
    databaseName: string,
    ddl: string,
    tableChanges: Record<string, unknown>[],
    source: Record<string, unknown>,
    offset: SourceOffset,
  ): ChangeRecord {
    const now = Date.now();
    return {
      topic: this.prefix,
      keySchema: this.change.key,
      key: { databaseName },
      valueSchema: this.change.value,
      value: { source, ts_ms: now, databaseName, schemaName: null, ddl, tableChanges },
      headers: [],
      timestamp: now,
      sourcePartition: this.partition,
      sourceOffset: offset,
    };
  }
}

function sameKey(shape: TableShape, a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return shape.keyIndexes.every((i) => {
    const n = shape.columns[i].name;
    const x = a[n];
    const y = b[n];
    if (Buffer.isBuffer(x) && Buffer.isBuffer(y)) return x.equals(y);
    if (x && y && typeof x === 'object' && typeof y === 'object')
      return JSON.stringify(x, big) === JSON.stringify(y, big);
    return x === y;
  });
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}
