import { type Schema, Schemas } from '../../runtime/api/index.js';
import type { TableCatalog } from './catalog.js';
import { columnCaptured, type PostgresSettings } from './config.js';
import { sourceSchema, transactionBlockSchema } from './source.js';
import { type ColumnCodec, columnCodec, type TypeLookup } from './types.js';

export interface TableColumn {
  readonly name: string;
  readonly typeOid: number;
  readonly typmod: number;
  readonly optional: boolean;
  readonly codec: ColumnCodec;
  /** part of the event value (column include/exclude lists) */
  readonly inValue: boolean;
}

/**
 * One captured table as events see it: columns in table order, key columns, and the Debezium schemas
 * `<prefix>.<schema>.<table>.Key` / `.Value` / `.Envelope`. Rebuilt on every Relation message, so an ALTER TABLE
 * mid-stream changes the schemas from the next event on.
 */
export class TableModel {
  readonly id: string;
  readonly topic: string;
  readonly columns: readonly TableColumn[];
  readonly keyColumns: readonly TableColumn[];
  readonly keySchema?: Schema;
  readonly valueSchema: Schema;
  readonly envelopeSchema: Schema;

  constructor(
    readonly schema: string,
    readonly table: string,
    columns: ReadonlyArray<{ name: string; typeOid: number; typmod: number }>,
    catalog: TableCatalog | undefined,
    settings: PostgresSettings,
    types: TypeLookup,
  ) {
    this.id = `${schema}.${table}`;
    this.topic = `${settings.prefix}.${schema}.${table}`;
    const notNull = new Map(catalog?.columns.map((c) => [c.name, c.notNull]) ?? []);
    const modes = {
      decimal: settings.decimal,
      time: settings.time,
      binary: settings.binary,
      interval: settings.interval,
    };
    this.columns = columns.map((c) => {
      const codec = columnCodec(c.typeOid, c.typmod, modes, types);
      const optional = notNull.get(c.name) !== true;
      return {
        name: c.name,
        typeOid: c.typeOid,
        typmod: c.typmod,
        optional,
        codec: { ...codec, schema: Schemas.withOptional(codec.schema, optional) },
        inValue: columnCaptured(settings, schema, table, c.name),
      };
    });
    const override = settings.keyColumns.find((k) => k.table.test(this.id));
    const keyNames = override ? override.columns : (catalog?.primaryKey ?? []);
    this.keyColumns = keyNames
      .map((n) => this.columns.find((c) => c.name === n))
      .filter((c): c is TableColumn => c !== undefined);
    const base = `${settings.prefix}.${schema}.${table}`;
    if (this.keyColumns.length) {
      this.keySchema = Schemas.struct(
        this.keyColumns.map((c) => [c.name, c.codec.schema] as const),
        false,
        { name: `${base}.Key` },
      );
    }
    this.valueSchema = Schemas.struct(
      this.columns.filter((c) => c.inValue).map((c) => [c.name, c.codec.schema] as const),
      true,
      { name: `${base}.Value` },
    );
    this.envelopeSchema = Schemas.struct(
      [
        ['before', this.valueSchema],
        ['after', this.valueSchema],
        ['source', sourceSchema],
        ['transaction', transactionBlockSchema],
        ['op', Schemas.string()],
        ['ts_ms', Schemas.int64(true)],
        ['ts_us', Schemas.int64(true)],
        ['ts_ns', Schemas.int64(true)],
      ],
      false,
      { name: `${base}.Envelope`, version: 2 },
    );
  }

  /** The value struct from decoded column values (by column position); null when no row. */
  valueOf(row: readonly unknown[] | undefined): Record<string, unknown> | null {
    if (!row) return null;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < this.columns.length; i++)
      if (this.columns[i].inValue) out[this.columns[i].name] = row[i] ?? null;
    return out;
  }

  keyOf(row: readonly unknown[] | undefined): Record<string, unknown> | null {
    if (!row || !this.keySchema) return null;
    const out: Record<string, unknown> = {};
    for (const c of this.keyColumns) out[c.name] = row[this.columns.indexOf(c)] ?? null;
    return out;
  }
}
