import type { ColumnDef, TableDef } from './schema/model.js';

/**
 * The `tableChanges` items of schema-change events, field for field as Debezium's MySQL/MariaDB connector writes
 * them (checked against Debezium's MariaDB connector 3.5 by test/conformance/mysql).
 */

/**
 * java.sql.Types codes Debezium reports per MySQL type (its MySqlAntlrDdlParser's data type resolver): TINYINT is
 * SMALLINT (5), MEDIUMINT and YEAR are INTEGER (4), FLOAT is FLOAT (6), the BLOBs are BLOB (2004), TIMESTAMP is
 * TIMESTAMP_WITH_TIMEZONE (2014), geometries OTHER (1111). Unsigned does not change the code.
 */
const JDBC: Record<string, number> = {
  BOOLEAN: 16,
  BIT: -7,
  TINYINT: 5,
  SMALLINT: 5,
  MEDIUMINT: 4,
  INT: 4,
  BIGINT: -5,
  FLOAT: 6,
  DOUBLE: 8,
  DECIMAL: 3,
  DATE: 91,
  TIME: 92,
  DATETIME: 93,
  TIMESTAMP: 2014,
  YEAR: 4,
  CHAR: 1,
  VARCHAR: 12,
  TINYTEXT: 12,
  TEXT: 12,
  MEDIUMTEXT: 12,
  LONGTEXT: 12,
  BINARY: -2,
  VARBINARY: -3,
  TINYBLOB: 2004,
  BLOB: 2004,
  MEDIUMBLOB: 2004,
  LONGBLOB: 2004,
  ENUM: 1,
  SET: 1,
  JSON: 1111,
  // synonyms Debezium resolves to their own codes
  REAL: 7,
  NUMERIC: 2,
  NCHAR: -15,
  NVARCHAR: -9,
};

/** `INT UNSIGNED ZEROFILL`: the type name with its sign attributes, as Debezium's typeName and typeExpression. */
function typeName(c: ColumnDef): string {
  return `${c.declaredType ?? c.type}${c.unsigned ? ' UNSIGNED' : ''}${c.zerofill ? ' ZEROFILL' : ''}`;
}

/** An ENUM/SET member as Debezium lists it: the literal with its quotes. */
function quoted(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

/**
 * Debezium's length of an ENUM or SET column: as if every member were one character long — 1 for an ENUM, the
 * member count plus the commas for a SET (observed: ENUM('a','c d','it''s') has length 1, SET('one','two') 3).
 */
function enumLength(c: ColumnDef): number | null {
  const n = c.enumValues?.length ?? 0;
  if (n === 0) return null;
  return c.type === 'ENUM' ? 1 : 2 * n - 1;
}

function column(c: ColumnDef, i: number): Record<string, unknown> {
  const enumLike = c.type === 'ENUM' || c.type === 'SET';
  return {
    name: c.name,
    jdbcType: JDBC[c.declaredType ?? c.type] ?? JDBC[c.type] ?? 1111,
    nativeType: null,
    typeName: typeName(c),
    typeExpression: typeName(c),
    charsetName: c.charset ?? null,
    length: enumLike ? enumLength(c) : (c.length ?? null),
    scale: c.scale ?? null,
    position: i + 1,
    optional: c.nullable,
    autoIncremented: c.autoIncrement,
    generated: c.autoIncrement,
    // Column comments go out only with include.schema.comments, which sluice does not implement.
    comment: null,
    defaultValueExpression: c.defaultExpression ?? null,
    enumValues: enumLike ? (c.enumValues ?? []).map(quoted) : null,
  };
}

export function tableChange(type: 'CREATE' | 'ALTER' | 'DROP', def: TableDef): Record<string, unknown> {
  return {
    type,
    id: `"${def.database}"."${def.name}"`,
    // Debezium describes no table in a DROP.
    table:
      type === 'DROP'
        ? null
        : {
            defaultCharsetName: def.defaultCharset ?? null,
            primaryKeyColumnNames: def.primaryKey,
            columns: def.columns.map(column),
            comment: null,
          },
  };
}
