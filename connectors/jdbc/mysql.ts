import mysql from 'mysql2/promise';
import type { Schema } from '../../runtime/api/index.js';
import type { JdbcSettings } from './config.js';
import {
  type Binding,
  type ColumnMeta,
  columnList,
  type Dialect,
  NETWORK_CODES,
  type RowValues,
  type SqlConnection,
  type Statement,
  type TableMeta,
} from './dialect.js';
import { checkBytes, checkDecimal, checkFraction, checkInteger, checkText, ValueError } from './fit.js';
import {
  bitString,
  hasSubMicros,
  jsonValue,
  kindOf,
  mapJson,
  timeMicros,
  toBigInt,
  toBuffer,
  toDecimal,
  toNumber,
  toText,
  toVariableDecimal,
} from './kinds.js';
import type { TableId } from './naming.js';
import type { FieldDef } from './record.js';
import {
  formatDate,
  formatTime,
  formatTimestamp,
  MICROS_PER_DAY,
  parseZonedTime,
  parseZonedTimestamp,
} from './temporal.js';
import { tlsFor } from './tls.js';
import { param } from './url.js';

/** SQL text that goes into a statement as it is (a number, a function call), not as a quoted string. */
class Raw {
  constructor(readonly sql: string) {}
}

/** Errors of the server worth writing again: deadlock, lock wait timeout, too many connections, shutdown, lost or killed connection. */
const RETRIABLE_ERRNOS = new Set([1213, 1205, 1040, 1053, 1927, 2006, 2013, 4031]);
const CONNECTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);

/** MySQL's DATETIME and DATE range, years 1000 to 9999 (as days since the epoch). */
const MIN_DAY = -354285; // 1000-01-01
const MAX_DAY = 2932896; // 9999-12-31
/** TIMESTAMP's range: 1970-01-01 00:00:01 to 2038-01-19 03:14:07.999999 UTC. */
const TS_MIN = 1_000_000n;
const TS_MAX = 2147483647_999_999n;
/** TIME's range: ±838:59:59 */
const TIME_LIMIT = 838n * 3_600_000_000n + 59n * 60_000_000n + 59_000_000n;

/**
 * Session settings: strict mode, so a value a column cannot hold is an error rather than a warning and a cut
 * value; no backslash-escape surprises (the literals are written with backslash escaping).
 */
const SQL_MODE = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

export class MysqlDialect implements Dialect {
  readonly name = 'mysql' as const;
  serverVersion = '';
  private pool: mysql.Pool | undefined;
  /** MySQL 8.0.20+ deprecates VALUES() in ON DUPLICATE KEY UPDATE in favour of a row alias; MariaDB keeps VALUES(). */
  private rowAlias = false;
  private maxStatementBytes = 4 << 20;

  constructor(private readonly s: JdbcSettings) {}

  async start(): Promise<void> {
    const { url } = this.s;
    const ssl = tlsFor(url);
    this.pool = mysql.createPool({
      host: url.host,
      port: url.port,
      database: url.database || undefined,
      user: this.s.user,
      password: this.s.password,
      charset: 'utf8mb4',
      connectionLimit: this.s.poolMax,
      maxIdle: Math.max(this.s.poolMin, 1),
      idleTimeout: 60_000,
      connectTimeout: Number(param(url, 'connectTimeout') ?? '10000'),
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      multipleStatements: false,
      ...(ssl ? { ssl: ssl as mysql.SslOptions } : {}),
    });
    const zone = this.s.timeZone.sessionName;
    // Each new connection gets the session settings before it is handed out.
    (this.pool as unknown as { pool: { on(e: string, f: (c: unknown) => void): void } }).pool.on('connection', (c) => {
      const conn = c as {
        query(sql: string, values: unknown[], cb: (err: unknown) => void): void;
        on(e: string, f: () => void): void;
      };
      conn.on('error', () => undefined);
      conn.query('SET SESSION sql_mode = ?, time_zone = ?', [SQL_MODE, zone], () => undefined);
    });
    const c = await this.connect();
    try {
      const [v] = await c.rows<{ v: string; packet: string }>('SELECT VERSION() AS v, @@max_allowed_packet AS packet');
      const maria = /mariadb/i.test(v.v);
      this.serverVersion = `${maria ? 'MariaDB' : 'MySQL'} ${v.v}`;
      const [maj, min, patch] = v.v.split(/[.-]/).map(Number);
      this.rowAlias = !maria && (maj > 8 || (maj === 8 && (min > 0 || patch >= 20)));
      this.maxStatementBytes = Math.max(64 << 10, Math.min(Number(v.packet) / 2, 16 << 20));
    } finally {
      c.release();
    }
  }

  async connect(): Promise<SqlConnection> {
    if (!this.pool) throw new Error('dialect not started');
    const conn = await this.pool.getConnection();
    return {
      query: async (sql, params) => {
        await conn.query(sql, params as unknown[] | undefined);
      },
      rows: async <T extends Record<string, unknown>>(sql: string, params?: readonly unknown[]) =>
        (await conn.query(sql, params as unknown[] | undefined))[0] as T[],
      release: (broken) => {
        if (broken) conn.destroy();
        else conn.release();
      },
    };
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  fold(name: string): string {
    return name;
  }

  columnKey(name: string): string {
    return name.toLowerCase();
  }

  quote(name: string): string {
    if (name.includes('\u0000'))
      throw new ValueError(`an identifier cannot hold the NUL character: ${JSON.stringify(name)}`);
    return `\`${name.replace(/`/g, '``')}\``;
  }

  qualified(id: TableId): string {
    return id.schema ? `${this.quote(id.schema)}.${this.quote(id.name)}` : this.quote(id.name);
  }

  async readTable(conn: SqlConnection, id: TableId): Promise<TableMeta | undefined> {
    const cols = await conn.rows<Record<string, string | number | null>>(
      `SELECT COLUMN_NAME AS name, DATA_TYPE AS type, COLUMN_TYPE AS full, IS_NULLABLE AS nullable,
              CHARACTER_MAXIMUM_LENGTH AS len, NUMERIC_PRECISION AS p, NUMERIC_SCALE AS s, DATETIME_PRECISION AS dp,
              COLUMN_KEY AS k
         FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?
        ORDER BY ORDINAL_POSITION`,
      [id.schema ?? null, id.name],
    );
    if (cols.length === 0) return undefined;
    const pk = await conn.rows<{ name: string }>(
      `SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY'
        ORDER BY ORDINAL_POSITION`,
      [id.schema ?? null, id.name],
    );
    const num = (v: string | number | null) => (v === null || v === undefined ? undefined : Number(v));
    const columns = new Map<string, ColumnMeta>();
    for (const c of cols) {
      const type = String(c.type).toLowerCase();
      const decimal = type === 'decimal';
      columns.set(String(c.name).toLowerCase(), {
        name: String(c.name),
        type,
        fullType: String(c.full).toLowerCase(),
        nullable: c.nullable === 'YES',
        charLength: /char|text|binary/.test(type) ? num(c.len) : undefined,
        precision: decimal ? num(c.p) : undefined,
        scale: decimal ? num(c.s) : undefined,
        datetimePrecision: /^(time|datetime|timestamp)$/.test(type) ? num(c.dp) : undefined,
      });
    }
    return { id, columns, primaryKey: pk.map((p) => p.name) };
  }

  columnType(field: FieldDef): string {
    const schema = field.schema;
    const kind = kindOf(schema);
    switch (kind) {
      case 'int8':
        return 'tinyint';
      case 'int16':
        return 'smallint';
      case 'int32':
        return 'int';
      case 'int64':
        return 'bigint';
      case 'float32':
        return 'float';
      case 'float64':
        return 'double';
      case 'boolean':
        return 'boolean';
      case 'string':
        return field.isKey ? 'varchar(255)' : 'longtext';
      case 'bytes':
        return field.isKey ? 'varbinary(255)' : 'longblob';
      case 'decimal': {
        const p = Number(schema.parameters?.['connect.decimal.precision'] ?? 0);
        const s = Math.min(30, Math.max(0, Number(schema.parameters?.scale ?? 0)));
        return `decimal(${p > 0 ? Math.min(65, Math.max(p, s)) : 65}, ${s})`;
      }
      case 'variable-decimal':
        // Debezium: double. decimal(65, 30) keeps every value of up to 35 integer and 30 fraction digits.
        return 'decimal(65, 30)';
      case 'date':
        return 'date';
      case 'time-millis':
        return 'time(3)';
      case 'time-micros':
      case 'time-nanos':
      case 'zoned-time':
        return 'time(6)';
      case 'timestamp-millis':
        return 'datetime(3)';
      case 'timestamp-micros':
      case 'timestamp-nanos':
        return 'datetime(6)';
      case 'zoned-timestamp':
        return 'timestamp(6)';
      case 'micro-duration':
        return 'bigint';
      case 'interval':
        return 'varchar(64)';
      case 'year':
        return 'year';
      case 'json':
      case 'array':
      case 'map':
        return 'json';
      case 'uuid':
        return 'char(36)';
      case 'enum':
      case 'enum-set': {
        const allowed = schema.parameters?.allowed;
        if (!allowed) return field.isKey ? 'varchar(255)' : 'longtext';
        const values = allowed.split(',').map((a) => mysql.escape(a));
        return `${kind === 'enum' ? 'enum' : 'set'}(${values.join(',')})`;
      }
      case 'bits': {
        const n = Number(schema.parameters?.length ?? 1);
        return n <= 64 ? `bit(${n})` : `varbinary(${Math.ceil(n / 8)})`;
      }
      case 'xml':
        return 'longtext';
      case 'geometry':
        return 'geometry';
      case 'point':
        return 'point';
      default:
        throw new ValueError(
          `no MySQL column type for a ${schema.type}${schema.name ? ` (${schema.name})` : ''} field`,
        );
    }
  }

  createTable(id: TableId, key: readonly Binding[], value: readonly Binding[]): string {
    const cols = [...key, ...value].map((b) => {
      const nullable = !b.field.isKey && b.field.schema.optional;
      return `${this.quote(b.column)} ${this.columnType(b.field)}${this.defaultClause(b.field)} ${nullable ? 'NULL' : 'NOT NULL'}`;
    });
    if (key.length) cols.push(`PRIMARY KEY (${columnList(this, key)})`);
    return `CREATE TABLE ${this.qualified(id)} (${cols.join(', ')}) DEFAULT CHARSET=utf8mb4`;
  }

  addColumns(id: TableId, columns: readonly Binding[]): string[] {
    const parts = columns.map(
      (b) =>
        `ADD COLUMN ${this.quote(b.column)} ${this.columnType(b.field)}${this.defaultClause(b.field)} ${b.field.schema.optional ? 'NULL' : 'NOT NULL'}`,
    );
    return [`ALTER TABLE ${this.qualified(id)} ${parts.join(', ')}`];
  }

  /** MySQL takes no DEFAULT on TEXT, BLOB, JSON and geometry columns (Debezium skips them too). */
  private defaultClause(field: FieldDef): string {
    const d = field.schema.defaultValue;
    if (d === undefined || d === null) return '';
    const type = this.columnType(field);
    if (/text|blob|json|geometry|point/.test(type)) return '';
    try {
      const v = this.literal(field.schema, d, undefined);
      return v === 'NULL' ? '' : ` DEFAULT ${v}`;
    } catch {
      return '';
    }
  }

  writeRows(
    mode: 'insert' | 'upsert',
    id: TableId,
    key: readonly Binding[],
    value: readonly Binding[],
    rows: readonly RowValues[],
  ): Statement[] {
    const all = [...key, ...value];
    const head = `INSERT INTO ${this.qualified(id)} (${columnList(this, all)}) VALUES `;
    let tail = '';
    if (mode === 'upsert') {
      const update = value.length ? value : key;
      tail = this.rowAlias
        ? ` AS new ON DUPLICATE KEY UPDATE ${update.map((b) => `${this.quote(b.column)} = new.${this.quote(b.column)}`).join(', ')}`
        : ` ON DUPLICATE KEY UPDATE ${update.map((b) => `${this.quote(b.column)} = VALUES(${this.quote(b.column)})`).join(', ')}`;
    }
    return this.chunked(head, tail, rows, (row) => {
      const parts: string[] = [];
      for (let i = 0; i < key.length; i++) parts.push(this.bind(key[i], row.key[i]));
      for (let i = 0; i < value.length; i++) parts.push(this.bind(value[i], row.values[i]));
      return `(${parts.join(', ')})`;
    });
  }

  updateRow(id: TableId, key: readonly Binding[], value: readonly Binding[], row: RowValues): Statement {
    const set = value.map((b, i) => `${this.quote(b.column)} = ${this.bind(b, row.values[i])}`);
    const where = key.map((b, i) => `${this.quote(b.column)} = ${this.bind(b, row.key[i])}`);
    return { sql: `UPDATE ${this.qualified(id)} SET ${set.join(', ')} WHERE ${where.join(' AND ')}`, params: [] };
  }

  deleteRows(id: TableId, key: readonly Binding[], rows: readonly RowValues[]): Statement[] {
    const lhs = key.length === 1 ? this.quote(key[0].column) : `(${columnList(this, key)})`;
    return this.chunked(`DELETE FROM ${this.qualified(id)} WHERE ${lhs} IN (`, ')', rows, (row) => {
      const parts = key.map((b, i) => this.bind(b, row.key[i]));
      return key.length === 1 ? parts[0] : `(${parts.join(', ')})`;
    });
  }

  /** Statements of as many rows as fit the server's max_allowed_packet (half of it, at most 16 MiB). */
  private chunked(
    head: string,
    tail: string,
    rows: readonly RowValues[],
    tuple: (r: RowValues) => string,
  ): Statement[] {
    const out: Statement[] = [];
    let parts: string[] = [];
    let size = head.length + tail.length;
    for (const row of rows) {
      const t = tuple(row);
      if (parts.length > 0 && size + t.length + 2 > this.maxStatementBytes) {
        out.push({ sql: head + parts.join(', ') + tail, params: [] });
        parts = [];
        size = head.length + tail.length;
      }
      parts.push(t);
      size += t.length + 2;
    }
    if (parts.length) out.push({ sql: head + parts.join(', ') + tail, params: [] });
    return out;
  }

  truncate(id: TableId): string {
    return `TRUNCATE TABLE ${this.qualified(id)}`;
  }

  isRetriable(err: unknown): boolean {
    const e = err as { errno?: number; code?: string; fatal?: boolean; message?: string } | null;
    if (!e) return false;
    if (e.errno === 1213 || e.errno === 1205) return true;
    const connection =
      (e.errno !== undefined && RETRIABLE_ERRNOS.has(e.errno)) ||
      CONNECTION_CODES.has(e.code ?? '') ||
      NETWORK_CODES.has(e.code ?? '') ||
      e.fatal === true ||
      /connection is in closed state|Connection lost|Can't add new command when connection is in closed state/i.test(
        e.message ?? '',
      );
    return connection && this.s.restartOnErrors;
  }

  private bind(b: Binding, v: unknown): string {
    try {
      return this.literal(b.field.schema, v, b.meta);
    } catch (err) {
      throw new ValueError(`column ${b.column}: ${(err as Error).message}`);
    }
  }

  /** A value as SQL text: a number, a quoted and escaped string, X'…' bytes, b'…' bits, or a function call. */
  literal(schema: Schema, v: unknown, meta: ColumnMeta | undefined): string {
    const e = this.encode(schema, v, meta);
    if (e === null) return 'NULL';
    if (e instanceof Raw) return e.sql;
    if (Buffer.isBuffer(e)) return `X'${e.toString('hex')}'`;
    return mysql.escape(e);
  }

  private encode(schema: Schema, v: unknown, meta: ColumnMeta | undefined): string | Buffer | Raw | null {
    if (v === null || v === undefined) return null;
    const kind = kindOf(schema);
    switch (kind) {
      case 'int8':
      case 'int16':
      case 'int32':
      case 'int64':
      case 'year':
      case 'micro-duration': {
        const n = toBigInt(v);
        checkInteger(meta, n);
        return new Raw(n.toString());
      }
      case 'float32':
      case 'float64': {
        const n = toNumber(v);
        if (!Number.isFinite(n))
          throw new ValueError(`${n} does not fit a MySQL floating-point column (no NaN or infinities)`);
        return new Raw(String(n));
      }
      case 'boolean':
        return new Raw(v === true ? 'TRUE' : 'FALSE');
      case 'string':
      case 'enum':
      case 'enum-set':
      case 'uuid':
      case 'xml':
      case 'interval':
      case 'json': {
        const t = toText(v);
        checkText(meta, t);
        return t;
      }
      case 'bytes': {
        const b = toBuffer(v);
        checkBytes(meta, b);
        return b;
      }
      case 'decimal':
      case 'variable-decimal': {
        const d = kind === 'decimal' ? toDecimal(v, schema) : toVariableDecimal(v);
        checkDecimal(meta, d);
        return new Raw(d.toString());
      }
      case 'date': {
        const days = Number(toBigInt(v));
        if (days < MIN_DAY || days > MAX_DAY)
          throw new ValueError(`${describeDate(days)} is outside MySQL's DATE range (1000-01-01 to 9999-12-31)`);
        return formatDate(days, false);
      }
      case 'time-millis':
      case 'time-micros':
      case 'time-nanos': {
        if (hasSubMicros(kind, v)) throw new ValueError('nanoseconds below the microsecond do not fit a MySQL TIME');
        const us = timeMicros(kind, v);
        if (us > TIME_LIMIT || us < -TIME_LIMIT)
          throw new ValueError(`${formatTime(us)} is outside MySQL's TIME range (±838:59:59)`);
        checkFraction(meta, us);
        return formatTime(us);
      }
      case 'timestamp-millis':
      case 'timestamp-micros':
      case 'timestamp-nanos': {
        if (hasSubMicros(kind, v))
          throw new ValueError('nanoseconds below the microsecond do not fit a MySQL DATETIME');
        const raw = toBigInt(v);
        if (raw === 9223372036854775807n || raw === -9223372036854775808n)
          throw new ValueError(`${raw > 0n ? 'infinity' : '-infinity'} does not fit a MySQL DATETIME`);
        const us = timeMicros(kind, v);
        checkFraction(meta, us);
        return this.datetime(us, meta);
      }
      case 'zoned-timestamp': {
        const t = toText(v);
        const utc = parseZonedTimestamp(t);
        if (utc === null) throw new ValueError(`"${t}" is not a timestamp MySQL can hold`);
        checkFraction(meta, utc);
        if (!meta || meta.type === 'timestamp') {
          if (utc < TS_MIN || utc > TS_MAX)
            throw new ValueError(
              `${t} is outside MySQL's TIMESTAMP range (1970-01-01 00:00:01 to 2038-01-19 03:14:07 UTC)`,
            );
        }
        return this.datetime(this.s.timeZone.toLocal(utc), meta);
      }
      case 'zoned-time': {
        const t = toText(v);
        const utc = parseZonedTime(t);
        if (utc === null) throw new ValueError(`"${t}" is not a time MySQL can hold`);
        const today = ((BigInt(Date.now()) * 1000n) / MICROS_PER_DAY) * MICROS_PER_DAY;
        const local = this.s.timeZone.toLocal(today + utc) - today;
        return formatTime(((local % MICROS_PER_DAY) + MICROS_PER_DAY) % MICROS_PER_DAY);
      }
      case 'bits': {
        const n = Number(schema.parameters?.length ?? 1);
        if (meta && meta.type !== 'bit') return Buffer.from(toBuffer(v)).reverse();
        return new Raw(`b'${bitString(v, Math.min(n, 64))}'`);
      }
      case 'geometry': {
        const g = v as { wkb?: unknown; srid?: unknown };
        return new Raw(`ST_GeomFromWKB(X'${toBuffer(g.wkb).toString('hex')}', ${Number(g.srid ?? 0) || 0})`);
      }
      case 'point': {
        const p = v as { x?: unknown; y?: unknown; wkb?: unknown; srid?: unknown };
        if (p.wkb) return new Raw(`ST_GeomFromWKB(X'${toBuffer(p.wkb).toString('hex')}', ${Number(p.srid ?? 0) || 0})`);
        return new Raw(`POINT(${toNumber(p.x)}, ${toNumber(p.y)})`);
      }
      case 'array':
        if (!Array.isArray(v)) throw new ValueError(`expected an array, got ${typeof v}`);
        return jsonValue(v);
      case 'map':
        return mapJson(v);
      default:
        throw new ValueError(`cannot write a ${schema.type}${schema.name ? ` (${schema.name})` : ''} value`);
    }
  }

  private datetime(us: bigint, meta: ColumnMeta | undefined): string {
    const text = formatTimestamp(us, false);
    const days = Number(us / MICROS_PER_DAY);
    if (text === null || days < MIN_DAY || days > MAX_DAY + 1)
      throw new ValueError(
        `the timestamp is outside MySQL's DATETIME range (years 1000 to 9999)${meta ? ` of ${meta.fullType}` : ''}`,
      );
    return text;
  }
}

function describeDate(days: number): string {
  if (days === 2147483647) return 'infinity';
  if (days === -2147483648) return '-infinity';
  return formatDate(days, true) ?? `day ${days}`;
}
