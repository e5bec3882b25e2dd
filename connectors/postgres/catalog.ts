import type pg from 'pg';
import type { PgType, TypeLookup } from './types.js';

/** Everything the catalog says about a table that pgoutput's Relation message does not. */
export interface TableCatalog {
  schema: string;
  table: string;
  /** d default (primary key), n nothing, f full, i index */
  replicaIdentity: string;
  primaryKey: string[];
  columns: CatalogColumn[];
}

export interface CatalogColumn {
  name: string;
  typeOid: number;
  typmod: number;
  notNull: boolean;
  /** pg_get_expr of the column's default (or generation expression), null when it has none */
  defaultExpr: string | null;
}

/** Client whose results stay text: `pg`'s global type parsers cut microseconds and must never touch values. */
export const RAW_TYPES = { getTypeParser: () => (value: string) => value } as const;

/** pg_type, loaded once and again when an unknown type appears (an enum created mid-stream). */
export class TypeCatalog implements TypeLookup {
  private types = new Map<number, PgType>();

  async load(client: pg.Client): Promise<void> {
    const res = await client.query<{
      oid: string;
      typname: string;
      typtype: string;
      typelem: string;
      typbasetype: string;
      typtypmod: string;
      typcategory: string;
      typdelim: string;
      labels: string[] | null;
    }>({
      // Every type, composites and ranges included: a type missing here would make each Relation message reload.
      text: `SELECT t.oid, t.typname, t.typtype, t.typelem, t.typbasetype, t.typtypmod, t.typcategory, t.typdelim,
               (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels
             FROM pg_type t`,
      types: { getTypeParser: (oid: number) => (v: string) => (oid === 1009 || oid === 1015 ? parseNameArray(v) : v) },
    } as pg.QueryConfig);
    const next = new Map<number, PgType>();
    for (const r of res.rows) {
      next.set(Number(r.oid), {
        oid: Number(r.oid),
        name: r.typname,
        kind: r.typtype,
        elem: Number(r.typelem),
        base: Number(r.typbasetype),
        baseTypmod: Number(r.typtypmod),
        category: r.typcategory,
        delimiter: r.typdelim,
        enumLabels: r.labels ?? undefined,
      });
    }
    this.types = next;
  }

  type(oid: number): PgType | undefined {
    return this.types.get(oid);
  }

  has(oid: number): boolean {
    return oid < 10000 || this.types.has(oid);
  }

  /** The loaded types as plain data, for a snapshot reader thread (structured clone) to rebuild the same catalog. */
  entries(): Array<[number, PgType]> {
    return [...this.types];
  }

  static from(entries: Array<[number, PgType]>): TypeCatalog {
    const c = new TypeCatalog();
    c.types = new Map(entries);
    return c;
  }
}

function parseNameArray(text: string): string[] {
  // Enum labels in a text[]: quoted when they hold special characters.
  const out: string[] = [];
  const body = text.slice(1, -1);
  let i = 0;
  while (i < body.length) {
    if (body[i] === '"') {
      let v = '';
      i++;
      while (body[i] !== '"') {
        if (body[i] === '\\') i++;
        v += body[i++];
      }
      out.push(v);
      i += 2;
    } else {
      let end = body.indexOf(',', i);
      if (end < 0) end = body.length;
      out.push(body.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

export async function describeTable(
  client: pg.Client,
  schema: string,
  table: string,
): Promise<TableCatalog | undefined> {
  const rel = await client.query({
    text: `SELECT c.oid, c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relname = $2`,
    values: [schema, table],
    types: RAW_TYPES,
  } as pg.QueryConfig);
  if (rel.rows.length === 0) return undefined;
  const oid = rel.rows[0].oid as string;
  const cols = await client.query({
    text: `SELECT a.attname, a.atttypid, a.atttypmod, a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS def
           FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    values: [oid],
    types: RAW_TYPES,
  } as pg.QueryConfig);
  const pk = await client.query({
    text: `SELECT a.attname FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.ord`,
    values: [oid],
    types: RAW_TYPES,
  } as pg.QueryConfig);
  return {
    schema,
    table,
    replicaIdentity: rel.rows[0].relreplident as string,
    primaryKey: pk.rows.map((r) => r.attname as string),
    columns: cols.rows.map((r) => ({
      name: r.attname as string,
      typeOid: Number(r.atttypid),
      typmod: Number(r.atttypmod),
      notNull: r.attnotnull === 't',
      defaultExpr: (r.def as string | null) ?? null,
    })),
  };
}

/** Ordinary and partitioned tables outside the system schemas. */
export async function listTables(client: pg.Client): Promise<Array<{ schema: string; table: string }>> {
  const res = await client.query({
    text: `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
             AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
             AND n.nspname NOT LIKE 'pg_temp%'
           ORDER BY 1, 2`,
    types: RAW_TYPES,
  } as pg.QueryConfig);
  return res.rows.map((r) => ({ schema: r.nspname as string, table: r.relname as string }));
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
