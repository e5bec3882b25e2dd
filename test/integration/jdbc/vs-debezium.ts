import type { MariaDb } from '../../harness/mariadb.js';
import type { PostgresServer } from '../../harness/postgres.js';

/**
 * What vs-debezium.test.ts compares between two target databases of one server, one written by sluice's JDBC sink
 * and one by Debezium's: the tables' columns (information_schema) and every row, each value as the server's own text.
 */

export interface Column {
  /** the column's type as information_schema describes it, with nullability and key */
  readonly type: string;
  /** true when the value is compared as hex (a binary column on either side) */
  readonly binary: boolean;
}

/** table → column → description */
export type Columns = Map<string, Map<string, Column>>;

export interface TargetServer {
  readonly name: 'postgresql' | 'mariadb';
  createDatabase(db: string): Promise<void>;
  url(db: string): string;
  credentials(): Record<string, string>;
  columns(db: string): Promise<Columns>;
  /** rows of a table as text, the given columns only (binary ones as hex) */
  rows(
    db: string,
    table: string,
    columns: ReadonlyArray<readonly [string, boolean]>,
  ): Promise<Record<string, string | null>[]>;
  /** whether a table holds a row with this id (false while the table does not exist) */
  hasId(db: string, table: string, id: number): Promise<boolean>;
}

export function pgServer(pg: PostgresServer): TargetServer {
  const query = async (db: string, sql: string): Promise<Record<string, unknown>[]> => {
    const c = await pg.client(db);
    try {
      await c.query("SET TimeZone = 'UTC'; SET extra_float_digits = 1");
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };
  return {
    name: 'postgresql',
    createDatabase: (db) => pg.sql(`CREATE DATABASE ${db}`).then(() => undefined),
    url: (db) => `jdbc:postgresql://127.0.0.1:${pg.port}/${db}`,
    credentials: () => ({ 'connection.username': pg.user, 'connection.password': pg.password }),
    async columns(db) {
      const rows = await query(
        db,
        `SELECT c.table_name AS t, c.column_name AS c, c.data_type, c.udt_name, c.character_maximum_length AS len,
                c.numeric_precision AS prec, c.numeric_scale AS scale, c.datetime_precision AS dtp, c.is_nullable,
                c.column_default, (k.column_name IS NOT NULL) AS pk
           FROM information_schema.columns c
           LEFT JOIN information_schema.table_constraints tc
             ON tc.table_schema = c.table_schema AND tc.table_name = c.table_name AND tc.constraint_type = 'PRIMARY KEY'
           LEFT JOIN information_schema.key_column_usage k
             ON k.constraint_name = tc.constraint_name AND k.table_schema = c.table_schema AND k.column_name = c.column_name
          WHERE c.table_schema = 'public'`,
      );
      const out: Columns = new Map();
      for (const r of rows) {
        const type = [
          r.data_type === 'USER-DEFINED' || r.data_type === 'ARRAY' ? r.udt_name : r.data_type,
          r.len != null ? `(${r.len})` : '',
          r.data_type === 'numeric' && r.prec != null ? `(${r.prec},${r.scale})` : '',
          r.dtp != null && /time|interval/.test(String(r.data_type)) ? ` p${r.dtp}` : '',
          r.is_nullable === 'NO' ? ' not null' : '',
          r.pk ? ' pk' : '',
          r.column_default != null ? ` default ${r.column_default}` : '',
        ].join('');
        const t = out.get(r.t as string) ?? new Map();
        t.set(r.c as string, { type, binary: r.data_type === 'bytea' });
        out.set(r.t as string, t);
      }
      return out;
    },
    rows: (db, table, columns) =>
      query(
        db,
        `SELECT ${columns.map(([c, bin]) => (bin ? `encode("${c}"::bytea, 'hex')` : `"${c}"::text`) + ` AS "${c}"`).join(', ')} FROM "${table}"`,
      ) as Promise<Record<string, string | null>[]>,
    hasId: (db, table, id) =>
      query(db, `SELECT 1 FROM "${table}" WHERE id = ${id}`).then(
        (r) => r.length > 0,
        () => false,
      ),
  };
}

export function mariaServer(maria: MariaDb): TargetServer {
  const query = async (db: string, sql: string): Promise<Record<string, unknown>[]> => {
    const c = await maria.connect(db);
    c.on('error', () => undefined);
    try {
      await c.query("SET time_zone = '+00:00'");
      return (await c.query(sql))[0] as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  };
  return {
    name: 'mariadb',
    // utf8mb4 as a Debezium user sets it: Debezium's tables take the database's default (latin1 here), sluice's are
    // utf8mb4 whatever it is (docs/jdbc.md).
    createDatabase: (db) => maria.exec(`CREATE DATABASE ${db} CHARACTER SET utf8mb4`).then(() => undefined),
    // Without it MariaDB's JDBC driver looks a table up in every database of the server, and Debezium's sink takes
    // the other sink's table of the same name for its own ("Table 'dz_….my_ty_kb' doesn't exist"); sluice ignores it.
    url: (db) => `jdbc:mariadb://127.0.0.1:${maria.port}/${db}?nullDatabaseMeansCurrent=true`,
    credentials: () => ({ 'connection.username': 'root', 'connection.password': '' }),
    async columns(db) {
      const rows = await query(
        db,
        `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS def,
                COLUMN_KEY AS k
           FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '${db}'`,
      );
      const out: Columns = new Map();
      for (const r of rows) {
        const type = `${r.type}${r.nullable === 'NO' ? ' not null' : ''}${r.k === 'PRI' ? ' pk' : ''}${r.def != null ? ` default ${r.def}` : ''}`;
        const t = out.get(r.t as string) ?? new Map();
        t.set(r.c as string, {
          type,
          binary: /blob|binary|geometry|point|linestring|polygon|^bit/i.test(String(r.type)),
        });
        out.set(r.t as string, t);
      }
      return out;
    },
    rows: (db, table, columns) =>
      query(
        db,
        `SELECT ${columns.map(([c, bin]) => (bin ? `LOWER(HEX(\`${c}\`))` : `CAST(\`${c}\` AS CHAR)`) + ` AS \`${c}\``).join(', ')} FROM \`${table}\``,
      ) as Promise<Record<string, string | null>[]>,
    hasId: (db, table, id) =>
      query(db, `SELECT 1 FROM \`${table}\` WHERE id = ${id}`).then(
        (r) => r.length > 0,
        () => false,
      ),
  };
}

export interface Differences {
  /** `table.column: sluice type ≠ Debezium type` (a missing side is `-`) */
  readonly types: string[];
  /** `table.column` whose values differ in some row (with one example), or `table: rows …` when rows are missing */
  readonly values: Map<string, string>;
}

/**
 * The differences between the tables sluice wrote (db `ours`) and those Debezium wrote (`theirs`); rows are matched
 * by `key` columns (id, or the Kafka coordinates).
 */
export async function compareTargets(server: TargetServer, ours: string, theirs: string): Promise<Differences> {
  const [a, b] = await Promise.all([server.columns(ours), server.columns(theirs)]);
  const types: string[] = [];
  const values = new Map<string, string>();
  for (const table of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const ca = a.get(table) ?? new Map<string, Column>();
    const cb = b.get(table) ?? new Map<string, Column>();
    const names = [...new Set([...ca.keys(), ...cb.keys()])].sort();
    for (const c of names) {
      const ta = ca.get(c)?.type ?? '-';
      const tb = cb.get(c)?.type ?? '-';
      if (ta !== tb) types.push(`${table}.${c}: ${ta} ≠ ${tb}`);
    }
    if (!a.has(table) || !b.has(table)) continue;
    const common = names
      .filter((c) => ca.has(c) && cb.has(c))
      .map((c) => [c, Boolean(ca.get(c)?.binary || cb.get(c)?.binary)] as const);
    const key = ca.has('__connect_offset') ? ['__connect_topic', '__connect_partition', '__connect_offset'] : ['id'];
    const index = (rows: Record<string, string | null>[]) =>
      new Map(rows.map((r) => [key.map((k) => r[k]).join('/'), r]));
    const [ra, rb] = await Promise.all([
      server.rows(ours, table, common).then(index),
      server.rows(theirs, table, common).then(index),
    ]);
    const missing = [...rb.keys()].filter((k) => !ra.has(k));
    const extra = [...ra.keys()].filter((k) => !rb.has(k));
    if (missing.length || extra.length)
      values.set(
        table,
        `rows only Debezium wrote: ${missing.length} (${missing.slice(0, 3).join(', ')}); rows only sluice wrote: ${extra.length} (${extra.slice(0, 3).join(', ')})`,
      );
    for (const [k, row] of ra) {
      const other = rb.get(k);
      if (!other) continue;
      for (const [c] of common) {
        const id = `${table}.${c}`;
        if (row[c] !== other[c] && !values.has(id))
          values.set(id, `row ${k}: sluice ${JSON.stringify(row[c])} ≠ Debezium ${JSON.stringify(other[c])}`);
      }
    }
  }
  return { types, values };
}
