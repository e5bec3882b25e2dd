/** The schema model: what the connector believes each captured table looks like at a binlog position. */
export interface ColumnDef {
  name: string;
  /** upper-case canonical type: INT, BIGINT, VARCHAR, DECIMAL, DATETIME, ENUM, BOOLEAN, JSON, POINT, … */
  type: string;
  /** the type's name as written when it is a synonym of `type` (INTEGER, BOOL, REAL…), for schema-change events */
  declaredType?: string;
  /** the type as written, e.g. `decimal(20,6) unsigned` */
  typeExpression: string;
  length?: number;
  scale?: number;
  unsigned: boolean;
  /** ZEROFILL (implies unsigned) */
  zerofill?: boolean;
  nullable: boolean;
  charset?: string;
  enumValues?: string[];
  autoIncrement: boolean;
  /** Debezium's defaultValueExpression: the DEFAULT clause as Debezium's DDL parser keeps it (ddl-column.ts) */
  defaultExpression?: string;
  /** the DEFAULT literal, from which the schema's default value is computed; absent for NULL and expressions */
  defaultValue?: { kind: 'string' | 'number' | 'bits' | 'hex' | 'bool' | 'now'; text: string };
  comment?: string;
}

export interface TableDef {
  database: string;
  name: string;
  columns: ColumnDef[];
  primaryKey: string[];
  defaultCharset?: string;
}

export function tableId(database: string, table: string): string {
  return `${database}.${table}`;
}

export class SchemaModel {
  readonly tables = new Map<string, TableDef>();
  /** database default charsets, for CREATE TABLE without one */
  readonly databaseCharsets = new Map<string, string>();
  /** the server's character_set_server, for CREATE DATABASE without a charset */
  serverCharset?: string;

  get(database: string, table: string): TableDef | undefined {
    return this.tables.get(tableId(database, table));
  }

  put(t: TableDef): void {
    this.tables.set(tableId(t.database, t.name), t);
  }

  drop(database: string, table: string): boolean {
    return this.tables.delete(tableId(database, table));
  }

  dropDatabase(database: string): string[] {
    const dropped: string[] = [];
    for (const [id, t] of this.tables) {
      if (t.database === database) {
        this.tables.delete(id);
        dropped.push(id);
      }
    }
    this.databaseCharsets.delete(database);
    return dropped;
  }

  toJSON(): { tables: TableDef[]; databaseCharsets: Record<string, string>; serverCharset?: string } {
    return {
      tables: [...this.tables.values()],
      databaseCharsets: Object.fromEntries(this.databaseCharsets),
      serverCharset: this.serverCharset,
    };
  }

  static fromJSON(doc: {
    tables: TableDef[];
    databaseCharsets?: Record<string, string>;
    serverCharset?: string;
  }): SchemaModel {
    const m = new SchemaModel();
    m.serverCharset = doc.serverCharset;
    for (const t of doc.tables) m.put(t);
    for (const [k, v] of Object.entries(doc.databaseCharsets ?? {})) m.databaseCharsets.set(k, v);
    return m;
  }
}
