import type { JdbcSettings } from './config.js';
import type { TableId } from './naming.js';
import type { FieldDef } from './record.js';

/** A column of a target table as the database describes it. */
export interface ColumnMeta {
  readonly name: string;
  /** the type's name, lower case: `integer`, `character varying`, `varchar`, `numeric`, `user-defined`… */
  readonly type: string;
  /** PostgreSQL: the udt name (`int4`, `_int4`, `mood`); MySQL: the full column type (`decimal(10,2)`, `enum('a')`) */
  readonly fullType: string;
  readonly nullable: boolean;
  readonly charLength?: number;
  readonly precision?: number;
  readonly scale?: number;
  readonly datetimePrecision?: number;
}

export interface TableMeta {
  readonly id: TableId;
  /** by the dialect's lookup key of the column name (`columnKey`) */
  readonly columns: ReadonlyMap<string, ColumnMeta>;
  readonly primaryKey: readonly string[];
}

/** One connection out of the pool; `release(true)` discards a broken one. */
export interface SqlConnection {
  /** `name`: a prepared statement the connection keeps (PostgreSQL), for SQL that repeats */
  query(sql: string, params?: readonly unknown[], name?: string): Promise<void>;
  rows<T extends Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  release(broken?: boolean): void;
}

/** A field bound to its column: what the statement builder needs per position. */
export interface Binding {
  readonly field: FieldDef;
  readonly column: string;
  readonly meta?: ColumnMeta;
}

/** Where a value came from, for error messages. */
export interface ValueContext {
  readonly table: string;
  readonly column: string;
}

export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** set where the SQL repeats batch after batch: the connection prepares it once under this name */
  readonly name?: string;
}

/** Rows for one statement: key values then non-key values, in `Binding` order. */
export interface RowValues {
  readonly key: readonly unknown[];
  readonly values: readonly unknown[];
}

/**
 * What differs between PostgreSQL and MySQL/MariaDB: connections, identifiers, column types, value encoding,
 * statements, metadata and which errors are worth retrying.
 */
export interface Dialect {
  readonly name: 'postgresql' | 'mysql';
  /** e.g. `PostgreSQL 17.10`, `MariaDB 10.11.6` (after `start`) */
  readonly serverVersion: string;
  start(): Promise<void>;
  connect(): Promise<SqlConnection>;
  close(): Promise<void>;
  /** folds an unquoted name as the database would (PostgreSQL: lower case) unless quote.identifiers */
  fold(name: string): string;
  /** how column names are compared (MySQL: case-insensitively) */
  columnKey(name: string): string;
  qualified(id: TableId): string;
  quote(name: string): string;
  readTable(conn: SqlConnection, id: TableId): Promise<TableMeta | undefined>;
  /** the column type a field gets in CREATE TABLE / ALTER TABLE */
  columnType(field: FieldDef): string;
  createTable(id: TableId, key: readonly Binding[], value: readonly Binding[]): string;
  addColumns(id: TableId, columns: readonly Binding[]): string[];
  /** INSERT / upsert statements for rows (several when the rows need more parameters than one statement takes) */
  writeRows(
    mode: 'insert' | 'upsert',
    id: TableId,
    key: readonly Binding[],
    value: readonly Binding[],
    rows: readonly RowValues[],
  ): Statement[];
  updateRow(id: TableId, key: readonly Binding[], value: readonly Binding[], row: RowValues): Statement;
  deleteRows(id: TableId, key: readonly Binding[], rows: readonly RowValues[]): Statement[];
  truncate(id: TableId): string;
  /** a connection, lock or serialization error: writing again can succeed */
  isRetriable(err: unknown): boolean;
  /** The column a database error names, when it names one. */
  errorColumn?(err: unknown): string | undefined;
}

export type DialectFactory = (s: JdbcSettings) => Dialect;

/** `a, b` from bindings. */
export function columnList(d: Dialect, bindings: readonly Binding[]): string {
  return bindings.map((b) => d.quote(b.column)).join(', ');
}

/** Node's network error codes that mean the connection is gone or was never made. */
export const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
