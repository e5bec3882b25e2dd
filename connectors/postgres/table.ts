import { ConnectError, type ErrorContext, type Schema, Schemas } from '../../runtime/api/index.js';
import type { TableCatalog } from './catalog.js';
import { columnCaptured, type PostgresSettings } from './config.js';
import { columnDefault } from './mapping/defaults.js';
import { sourceSchema, transactionBlockSchema } from './source.js';
import { type ColumnCodec, columnCodec, settingOf, type TypeLookup, type TypeModes } from './types.js';

export interface TableColumn {
  readonly name: string;
  readonly typeOid: number;
  readonly typmod: number;
  readonly optional: boolean;
  /** undefined: a type Debezium has no mapping for; the column is left out of keys and values */
  readonly codec?: ColumnCodec;
  /** what a NOT NULL column without a value gets (its default, else the type's fallback); undefined if optional */
  readonly missing?: unknown;
  /** part of the event value (column include/exclude lists) */
  readonly inValue: boolean;
}

/** A decoded value (undefined: none, e.g. not in a key-only before image): a NOT NULL column then gets `missing`. */
function valueAt(v: unknown, c: TableColumn): unknown {
  return v === undefined ? (c.missing ?? null) : v;
}

export function typeModes(settings: PostgresSettings): TypeModes {
  return {
    decimal: settings.decimal,
    time: settings.time,
    binary: settings.binary,
    interval: settings.interval,
    hstore: settings.hstore,
    unknown: settings.includeUnknown,
  };
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
    const described = new Map(catalog?.columns.map((c) => [c.name, c]) ?? []);
    const modes = typeModes(settings);
    this.columns = columns.map((c) => {
      const codec = columnCodec(c.typeOid, c.typmod, modes, types);
      const cat = described.get(c.name);
      const optional = cat?.notNull !== true;
      let colSchema = codec?.schema;
      let missing: unknown;
      if (codec && cat?.defaultExpr) {
        const t = types.type(c.typeOid);
        const dflt = columnDefault(
          { typeName: t?.name ?? '', isEnum: t?.kind === 'e', expression: cat.defaultExpr },
          codec,
        );
        if (dflt !== undefined) {
          colSchema = Object.freeze({ ...codec.schema, defaultValue: dflt });
          missing = dflt;
        }
      }
      // Debezium gives a NOT NULL column without a value (a key-only before image) its default, else a fallback.
      if (codec && !optional && missing === undefined) missing = codec.fallback;
      return {
        name: c.name,
        typeOid: c.typeOid,
        typmod: c.typmod,
        optional,
        codec: codec && colSchema ? { ...codec, schema: Schemas.withOptional(colSchema, optional) } : undefined,
        missing: optional ? undefined : missing,
        inValue: codec !== undefined && columnCaptured(settings, schema, table, c.name),
      };
    });
    const override = settings.keyColumns.find((k) => k.table.test(this.id));
    const keyNames = override ? override.columns : (catalog?.primaryKey ?? []);
    this.keyColumns = keyNames
      .map((n) => this.columns.find((c) => c.name === n))
      .filter((c): c is TableColumn => c?.codec !== undefined);
    const base = `${settings.prefix}.${schema}.${table}`;
    if (this.keyColumns.length) {
      this.keySchema = Schemas.struct(
        this.keyColumns.map((c) => [c.name, c.codec!.schema] as const),
        false,
        { name: `${base}.Key` },
      );
    }
    this.valueSchema = Schemas.struct(
      this.columns.filter((c) => c.inValue).map((c) => [c.name, c.codec!.schema] as const),
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
    for (let i = 0; i < this.columns.length; i++) {
      const c = this.columns[i];
      if (c.inValue) out[c.name] = valueAt(row[i], c);
    }
    return out;
  }

  keyOf(row: readonly unknown[] | undefined): Record<string, unknown> | null {
    if (!row || !this.keySchema) return null;
    const out: Record<string, unknown> = {};
    for (const c of this.keyColumns) out[c.name] = valueAt(row[this.columns.indexOf(c)], c);
    return out;
  }
}

/**
 * A value the column's codec cannot read: fails the task naming table, column, type, position and the setting
 * that changes the column's mapping. The value itself is not repeated (it is the database's data, and may be large
 * or private); its length is.
 */
export function decodeFailure(
  model: TableModel,
  column: TableColumn,
  text: string,
  position: string,
  types: TypeLookup,
  context: ErrorContext,
  err: unknown,
): ConnectError {
  const type = types.type(column.typeOid)?.name ?? `oid ${column.typeOid}`;
  const setting = settingOf(column.typeOid, types);
  return new ConnectError(
    `cannot read column ${column.name} of ${model.id} (type ${type}) at ${position}: ${(err as Error).message} ` +
      `(a value of ${text.length} characters). ${setting ? `Its mapping depends on ${setting}.` : 'No setting changes how this type is mapped.'}`,
    { context: { ...context, table: model.id, position }, cause: err },
  );
}
