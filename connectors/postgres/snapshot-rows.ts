import type pg from 'pg';
import { isSelect } from '../cdc/signals.js';
import { quoteIdent } from './catalog.js';
import type { TableModel } from './table.js';

export type TextRow = (string | null)[];

export interface RowCursor {
  /** the next FETCH's rows; undefined once the cursor is exhausted */
  next(): Promise<TextRow[] | undefined>;
  close(): Promise<void>;
}

/**
 * A snapshot cursor over a table (or a `ctid` page range of it, or a blocking snapshot's filter) in the client's
 * open transaction, its values as PostgreSQL's text. The next FETCH is sent as soon as one is taken: PostgreSQL reads
 * and sends those rows while the caller turns these into records (its work on another core overlaps ours instead of
 * alternating with it). Two fetches of raw rows at most are held.
 */
export async function openRowCursor(
  client: pg.Client,
  model: TableModel,
  name: string,
  fetchSize: number,
  range?: { from: number; to?: number },
  filter?: string,
): Promise<RowCursor> {
  const cols = model.columns.map((c) => quoteIdent(c.name)).join(', ');
  const conds: string[] = [];
  if (range) {
    conds.push(`ctid >= '(${range.from},0)'::tid`);
    if (range.to !== undefined) conds.push(`ctid < '(${range.to},0)'::tid`);
  }
  // a blocking snapshot's filter: a condition, or a whole SELECT of the table's rows (Debezium's form)
  const select = filter !== undefined && isSelect(filter);
  if (filter && !select) conds.push(`(${filter})`);
  const where = conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
  const from = select ? `(${filter}) AS sluice_rows` : `${quoteIdent(model.schema)}.${quoteIdent(model.table)}`;
  // The extended protocol takes one statement only: a filter cannot end the READ ONLY transaction and go on.
  await client.query({
    text: `DECLARE ${name} NO SCROLL CURSOR FOR SELECT ${cols || '*'} FROM ${from}${where}`,
    queryMode: filter ? 'extended' : undefined,
  } as pg.QueryConfig);
  const fetch = () => {
    const p = client.query({
      text: `FETCH ${fetchSize} FROM ${name}`,
      rowMode: 'array',
      types: { getTypeParser: () => (v: string) => v },
    } as pg.QueryConfig);
    // Awaited by next(); until then a failure must not count as unhandled.
    p.catch(() => undefined);
    return p;
  };
  let pending: ReturnType<typeof fetch> | undefined = fetch();
  return {
    async next() {
      if (!pending) return undefined;
      const res = await pending;
      pending = res.rows.length < fetchSize ? undefined : fetch();
      return res.rows as TextRow[];
    },
    async close() {
      // a cursor left before its end (the task stopping) still has a FETCH on the wire: let it settle first
      if (pending) await pending.catch(() => undefined);
      pending = undefined;
      await client.query(`CLOSE ${name}`);
    },
  };
}
