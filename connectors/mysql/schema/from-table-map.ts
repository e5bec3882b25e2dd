import { ColumnType } from '../binlog/constants.js';
import type { TableMap } from '../binlog/table-map.js';
import { collationCharset } from '../charsets.js';
import type { ColumnDef, TableDef } from './model.js';

/**
 * A table definition from TABLE_MAP's full metadata (binlog_row_metadata=FULL), for tables the DDL history does
 * not know. It cannot see what only DDL says: BOOLEAN vs TINYINT(1), MariaDB's JSON (a LONGTEXT), defaults.
 */
export function tableFromMap(map: TableMap): TableDef | undefined {
  if (!map.hasFullMetadata) return undefined;
  const columns: ColumnDef[] = map.columns.map((c, i) => {
    const charset = c.collation === undefined ? undefined : collationCharset(c.collation);
    const binary = charset === 'binary';
    const col: ColumnDef = {
      name: c.name ?? `col${i + 1}`,
      type: 'VARCHAR',
      typeExpression: '',
      unsigned: c.unsigned ?? false,
      nullable: c.nullable,
      autoIncrement: false,
      charset: binary ? undefined : charset,
    };
    switch (c.type) {
      case ColumnType.TINY:
        col.type = 'TINYINT';
        break;
      case ColumnType.SHORT:
        col.type = 'SMALLINT';
        break;
      case ColumnType.INT24:
        col.type = 'MEDIUMINT';
        break;
      case ColumnType.LONG:
        col.type = 'INT';
        break;
      case ColumnType.LONGLONG:
        col.type = 'BIGINT';
        break;
      case ColumnType.FLOAT:
        col.type = 'FLOAT';
        break;
      case ColumnType.DOUBLE:
        col.type = 'DOUBLE';
        break;
      case ColumnType.NEWDECIMAL:
        col.type = 'DECIMAL';
        col.length = c.meta >> 8;
        col.scale = c.meta & 0xff;
        break;
      case ColumnType.YEAR:
        col.type = 'YEAR';
        break;
      case ColumnType.DATE:
      case ColumnType.NEWDATE:
        col.type = 'DATE';
        break;
      case ColumnType.TIME:
      case ColumnType.TIME2:
        col.type = 'TIME';
        col.length = c.type === ColumnType.TIME2 ? c.meta : 0;
        break;
      case ColumnType.DATETIME:
      case ColumnType.DATETIME2:
        col.type = 'DATETIME';
        col.length = c.type === ColumnType.DATETIME2 ? c.meta : 0;
        break;
      case ColumnType.TIMESTAMP:
      case ColumnType.TIMESTAMP2:
        col.type = 'TIMESTAMP';
        col.length = c.type === ColumnType.TIMESTAMP2 ? c.meta : 0;
        break;
      case ColumnType.VARCHAR:
      case ColumnType.VAR_STRING:
        col.type = binary ? 'VARBINARY' : 'VARCHAR';
        break;
      case ColumnType.STRING:
        col.type = binary ? 'BINARY' : 'CHAR';
        col.length = binary ? c.meta : undefined;
        break;
      case ColumnType.ENUM:
        col.type = 'ENUM';
        col.enumValues = c.enumValues;
        break;
      case ColumnType.SET:
        col.type = 'SET';
        col.enumValues = c.setValues;
        break;
      case ColumnType.BIT:
        col.type = 'BIT';
        col.length = (c.meta & 0xff) * 8 + ((c.meta >> 8) & 0xff);
        break;
      case ColumnType.JSON:
        col.type = 'JSON';
        break;
      case ColumnType.GEOMETRY:
        col.type = c.geometryType === 1 ? 'POINT' : 'GEOMETRY';
        break;
      case ColumnType.BLOB:
      case ColumnType.TINY_BLOB:
      case ColumnType.MEDIUM_BLOB:
      case ColumnType.LONG_BLOB:
        col.type = binary ? 'BLOB' : 'TEXT';
        break;
    }
    col.typeExpression = col.type.toLowerCase();
    return col;
  });
  const primaryKey = (map.primaryKey ?? []).map((i) => columns[i].name);
  return { database: map.database, name: map.table, columns, primaryKey };
}
