import { type Schema, Schemas } from '../../runtime/api/index.js';
import { debeziumSourceSchema, transactionBlockSchema } from '../cdc/debezium.js';
import type { Flavor } from './binlog/client.js';
import type { TableDef } from './schema/model.js';
import { type ColumnMapping, type MappingOptions, mapColumn } from './values.js';

export const CONNECTOR_VERSION = '0.1.0';

/** Debezium's source block for MySQL/MariaDB, field for field. */
export function sourceSchema(flavor: Flavor): Schema {
  return debeziumSourceSchema(
    flavor === 'mariadb' ? 'io.debezium.connector.mariadb.Source' : 'io.debezium.connector.mysql.Source',
    [
      ['table', Schemas.string(true)],
      ['server_id', Schemas.int64()],
      ['gtid', Schemas.string(true)],
      ['file', Schemas.string()],
      ['pos', Schemas.int64()],
      ['row', Schemas.int32()],
      ['thread', Schemas.int64(true)],
      ['query', Schemas.string(true)],
    ],
  );
}

export const transactionSchema = transactionBlockSchema;

/** Everything needed to turn rows of one table version into records. */
export interface TableShape {
  readonly def: TableDef;
  readonly topic: string;
  readonly columns: ColumnMapping[];
  /** for each of `columns`, its index in the table (and in a binlog row image) */
  readonly sourceIndexes: number[];
  /** indexes of the key columns in `columns` */
  readonly keyIndexes: number[];
  readonly keySchema?: Schema;
  readonly valueSchema: Schema;
  readonly envelopeSchema: Schema;
}

export function buildShape(
  def: TableDef,
  prefix: string,
  opts: MappingOptions,
  source: Schema,
  columnFilter: (column: string) => boolean,
): TableShape {
  const topic = `${prefix}.${def.database}.${def.name}`;
  const sourceIndexes: number[] = [];
  def.columns.forEach((c, i) => {
    if (columnFilter(c.name) || def.primaryKey.includes(c.name)) sourceIndexes.push(i);
  });
  const columns = sourceIndexes.map((i) => mapColumn(def.columns[i], opts));
  const keyIndexes = def.primaryKey.map((k) => columns.findIndex((c) => c.name === k)).filter((i) => i >= 0);
  const keySchema = keyIndexes.length
    ? Schemas.struct(
        keyIndexes.map((i) => [columns[i].name, Schemas.withOptional(columns[i].schema, false)] as const),
        false,
        { name: `${topic}.Key` },
      )
    : undefined;
  const valueSchema = Schemas.struct(
    columns.map((c) => [c.name, c.schema] as const),
    true,
    { name: `${topic}.Value` },
  );
  const envelopeSchema = Schemas.struct(
    [
      ['before', valueSchema],
      ['after', valueSchema],
      ['source', source],
      ['transaction', transactionSchema],
      ['op', Schemas.string()],
      ['ts_ms', Schemas.int64(true)],
      ['ts_us', Schemas.int64(true)],
      ['ts_ns', Schemas.int64(true)],
    ],
    false,
    { name: `${topic}.Envelope`, version: 2 },
  );
  return { def, topic, columns, sourceIndexes, keyIndexes, keySchema, valueSchema, envelopeSchema };
}

/** Debezium's schema-change event (topic `<topic.prefix>`). */
export function schemaChangeSchemas(flavor: Flavor, source: Schema): { key: Schema; value: Schema } {
  const ns = flavor === 'mariadb' ? 'io.debezium.connector.mariadb' : 'io.debezium.connector.mysql';
  const column = Schemas.struct(
    [
      ['name', Schemas.string()],
      ['jdbcType', Schemas.int32()],
      ['nativeType', Schemas.int32(true)],
      ['typeName', Schemas.string()],
      ['typeExpression', Schemas.string(true)],
      ['charsetName', Schemas.string(true)],
      ['length', Schemas.int32(true)],
      ['scale', Schemas.int32(true)],
      ['position', Schemas.int32()],
      ['optional', Schemas.boolean(true)],
      ['autoIncremented', Schemas.boolean(true)],
      ['generated', Schemas.boolean(true)],
      ['comment', Schemas.string(true)],
      ['defaultValueExpression', Schemas.string(true)],
      ['enumValues', Schemas.array(Schemas.string(), true)],
    ],
    false,
    { name: 'io.debezium.connector.schema.Column', version: 1 },
  );
  const table = Schemas.struct(
    [
      ['defaultCharsetName', Schemas.string(true)],
      ['primaryKeyColumnNames', Schemas.array(Schemas.string(), true)],
      ['columns', Schemas.array(column)],
      ['comment', Schemas.string(true)],
    ],
    true,
    { name: 'io.debezium.connector.schema.Table', version: 1 },
  );
  const change = Schemas.struct(
    [
      ['type', Schemas.string()],
      ['id', Schemas.string()],
      ['table', table],
    ],
    false,
    { name: 'io.debezium.connector.schema.Change', version: 1 },
  );
  return {
    key: Schemas.struct([['databaseName', Schemas.string()]], false, { name: `${ns}.SchemaChangeKey`, version: 1 }),
    value: Schemas.struct(
      [
        ['source', source],
        ['ts_ms', Schemas.int64()],
        ['databaseName', Schemas.string(true)],
        ['schemaName', Schemas.string(true)],
        ['ddl', Schemas.string(true)],
        ['tableChanges', Schemas.array(change)],
      ],
      false,
      { name: `${ns}.SchemaChangeValue`, version: 1 },
    ),
  };
}
