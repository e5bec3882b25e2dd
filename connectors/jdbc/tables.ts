import type { Logger } from '../../runtime/api/index.js';
import type { JdbcSettings } from './config.js';
import type { Binding, Dialect, SqlConnection, TableMeta } from './dialect.js';
import { parseTableId, type TableId } from './naming.js';
import { type FieldDef, type FieldSet, RecordError } from './record.js';

/** A table ready for a field set: its columns bound to the record's fields, key first. */
export interface PreparedTable {
  readonly id: TableId;
  readonly meta: TableMeta;
  readonly key: readonly Binding[];
  readonly value: readonly Binding[];
}

/**
 * What the sink knows of its target tables, and schema evolution (Debezium's `checkAndApplyTableChangesIfNeeded`):
 * with `schema.evolution=basic` a missing table is created from the record (key fields become the primary key)
 * and missing columns are added; with `none` either is an error naming the table and the columns.
 */
export class Tables {
  private readonly ids = new Map<string, TableId>();
  private readonly metas = new Map<string, TableMeta>();
  private readonly prepared = new Map<string, PreparedTable>();

  constructor(
    private readonly dialect: Dialect,
    private readonly s: JdbcSettings,
    private readonly log: Logger,
  ) {}

  /** The table a resolved name means: split into schema and name, each folded as the database folds it. */
  id(name: string): TableId {
    let id = this.ids.get(name);
    if (!id) {
      let parsed: TableId;
      try {
        parsed = parseTableId(name);
      } catch (err) {
        throw new RecordError((err as Error).message);
      }
      const schema = parsed.schema === undefined ? undefined : this.dialect.fold(parsed.schema);
      const table = this.dialect.fold(parsed.name);
      id = { schema, name: table, text: schema ? `${schema}.${table}` : table };
      this.ids.set(name, id);
    }
    return id;
  }

  /** Forgets what was read of a table (after an error that may come from a change made behind our back). */
  forget(id: TableId): void {
    this.metas.delete(id.text);
    for (const k of [...this.prepared.keys()]) if (k.startsWith(`${id.text}\u0000`)) this.prepared.delete(k);
  }

  async prepare(conn: SqlConnection, id: TableId, fields: FieldSet): Promise<PreparedTable> {
    const memo = `${id.text}\u0000${fields.signature}`;
    const known = this.prepared.get(memo);
    if (known) return known;
    let meta = this.metas.get(id.text) ?? (await this.dialect.readTable(conn, id));
    if (!meta) meta = await this.create(conn, id, fields);
    let bound = this.bind(meta, fields);
    const missing = [...bound.key, ...bound.value].filter((b) => !b.meta);
    if (missing.length) {
      meta = await this.addColumns(conn, id, meta, missing);
      bound = this.bind(meta, fields);
    }
    this.metas.set(id.text, meta);
    const out = { id, meta, ...bound };
    this.prepared.set(memo, out);
    return out;
  }

  private bind(meta: TableMeta, fields: FieldSet): { key: Binding[]; value: Binding[] } {
    const one = (field: FieldDef): Binding => {
      const column = this.dialect.fold(field.name);
      return { field, column, meta: meta.columns.get(this.dialect.columnKey(column)) };
    };
    return { key: fields.key.map(one), value: fields.value.map(one) };
  }

  private async create(conn: SqlConnection, id: TableId, fields: FieldSet): Promise<TableMeta> {
    if (this.s.evolution !== 'basic') {
      throw new RecordError(
        `table ${id.text} does not exist, and schema.evolution=${this.s.evolution} does not create tables (set schema.evolution=basic, or create it)`,
      );
    }
    const col = (field: FieldDef): Binding => ({ field, column: this.dialect.fold(field.name) });
    const sql = this.dialect.createTable(id, fields.key.map(col), fields.value.map(col));
    try {
      await conn.query(sql);
      this.log.info({ table: id.text }, 'Created table (schema.evolution=basic)');
    } catch (err) {
      // Another task may have created it meanwhile: read it again and go on as for an existing table.
      const meta = await this.dialect.readTable(conn, id);
      if (meta) return meta;
      throw err;
    }
    const meta = await this.dialect.readTable(conn, id);
    if (!meta) throw new RecordError(`table ${id.text} was created but cannot be read back from the catalog`);
    return meta;
  }

  private async addColumns(conn: SqlConnection, id: TableId, meta: TableMeta, missing: Binding[]): Promise<TableMeta> {
    const names = missing.map((b) => b.column).join(', ');
    if (this.s.evolution !== 'basic') {
      throw new RecordError(
        `table ${id.text} has no column ${names}, and schema.evolution=${this.s.evolution} does not add columns (set schema.evolution=basic, or add ${missing.length === 1 ? 'it' : 'them'})`,
      );
    }
    for (const b of missing) {
      if (b.field.isKey)
        throw new RecordError(
          `table ${id.text} lacks the primary key column ${b.column}; schema evolution does not change primary keys`,
        );
      if (
        !b.field.schema.optional &&
        (b.field.schema.defaultValue === undefined || b.field.schema.defaultValue === null)
      ) {
        throw new RecordError(
          `cannot add column ${b.column} to table ${id.text}: field ${b.field.name} is not optional and has no default value`,
        );
      }
    }
    try {
      for (const sql of this.dialect.addColumns(id, missing)) await conn.query(sql);
      this.log.info({ table: id.text, columns: names }, 'Added columns (schema.evolution=basic)');
    } catch (err) {
      const again = await this.dialect.readTable(conn, id);
      if (again && missing.every((b) => again.columns.has(this.dialect.columnKey(b.column)))) return again;
      throw err;
    }
    const after = await this.dialect.readTable(conn, id);
    if (!after) throw new RecordError(`table ${id.text} disappeared while columns were added`);
    return after ?? meta;
  }

  /** `schema.evolution=validate-only`: the tables the listed topics write to must exist before the task starts. */
  async validate(conn: SqlConnection, names: readonly string[]): Promise<string[]> {
    const missing: string[] = [];
    for (const n of names) {
      const id = this.id(n);
      if (!(await this.dialect.readTable(conn, id))) missing.push(id.text);
    }
    return missing;
  }
}
