import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ErrorContext } from '../../runtime/api/index.js';
import {
  type ChunkSource,
  ChunkWindow,
  type KeyText,
  keyString,
  resumableCollections,
  type SnapshotCollection,
} from '../cdc/incremental.js';
import {
  matchCollections,
  SignalError,
  type SnapshotRequest,
  snapshotFilter,
  WINDOW_CLOSE,
  WINDOW_OPEN,
} from '../cdc/signals.js';
import { describeTable, listTables, quoteIdent, quoteLiteral, RAW_TYPES, type TypeCatalog } from './catalog.js';
import { type PostgresSettings, tableCaptured } from './config.js';
import { decodeFailure, TableModel } from './table.js';

/** A row of a chunk, decoded as the stream decodes rows: the session turns it into an `op: "r"` event. */
export interface ChunkRow {
  model: TableModel;
  values: unknown[];
}

const qualified = (schema: string, table: string) => `${quoteIdent(schema)}.${quoteIdent(table)}`;

export { keyString };

/**
 * PostgreSQL's part of the DBLog incremental snapshot: checks an `execute-snapshot` request against the catalog,
 * writes the watermark rows to the signal table and reads chunks in key order, `(k1, k2) > (last) AND (k1, k2) <=
 * (max)`, on the metadata connection (READ COMMITTED, between the two watermarks).
 */
export class PgChunkReader implements ChunkSource<ChunkRow> {
  private readonly keyTypes = new Map<string, string[]>();

  constructor(
    private readonly s: PostgresSettings,
    private readonly types: TypeCatalog,
    private readonly meta: () => pg.Client,
    private readonly context: ErrorContext,
  ) {}

  /**
   * The captured tables a request names, each keyed, each condition valid; throws SignalError with the reason. A
   * blocking snapshot (`blocking`) reads whole tables in one transaction: it needs neither keys nor watermarks.
   */
  async resolve(signalId: string, req: SnapshotRequest, blocking = false): Promise<SnapshotCollection[]> {
    const signal = this.s.signalTable;
    const meta = this.meta();
    if (!blocking && !signal)
      throw new SignalError(
        `signal ${signalId}: an incremental snapshot needs a signal table for its watermarks; set signal.data.collection`,
      );
    const inPub =
      !signal || blocking
        ? { rows: [1] }
        : await meta.query(
            'SELECT 1 FROM pg_publication p WHERE p.pubname = $1 AND (p.puballtables OR EXISTS (SELECT 1 FROM pg_publication_tables t WHERE t.pubname = p.pubname AND t.schemaname = $2 AND t.tablename = $3))',
            [this.s.publication, signal.schema, signal.table],
          );
    if (inPub.rows.length === 0)
      throw new SignalError(
        `signal ${signalId}: the signal table ${signal!.id} is not in publication "${this.s.publication}", so its watermarks would never come back through the WAL. Fix: ALTER PUBLICATION … ADD TABLE ${signal!.id} (or use publication.autocreate.mode=filtered)`,
      );
    const captured = (await listTables(meta)).filter((t) => tableCaptured(this.s, t.schema, t.table));
    const out: SnapshotCollection[] = [];
    const matched = matchCollections(
      req,
      captured,
      (t) => `${t.schema}.${t.table}`,
      signalId,
      (name) =>
        `no captured table matches "${name}" (a table must exist and be in table.include.list / schema.include.list)`,
    );
    for (const t of matched) {
      const id = `${t.schema}.${t.table}`;
      const model = blocking ? undefined : await this.model(t.schema, t.table);
      if (!blocking && (!model || model.keyColumns.length === 0))
        throw new SignalError(
          `signal ${signalId}: table ${id} has no primary key, so it cannot be read in key-ordered chunks. Fix: add a primary key, or name key columns with message.key.columns (${id}:col1,col2)`,
        );
      const { filter, statement } = snapshotFilter(req, id, signalId, blocking);
      if (filter !== undefined) {
        try {
          await meta.query({
            text: statement
              ? `EXPLAIN SELECT 1 FROM (${filter}) AS sluice_q`
              : `EXPLAIN SELECT 1 FROM ${qualified(t.schema, t.table)} WHERE ${filter}`,
            queryMode: 'extended',
          } as pg.QueryConfig);
        } catch (err) {
          throw new SignalError(
            `signal ${signalId}: additional-conditions for ${id} is not a valid condition on the table: ${(err as Error).message}`,
          );
        }
      }
      out.push(filter === undefined ? { id } : { id, filter });
    }
    return out;
  }

  /**
   * The collections of a resumable initial snapshot (snapshot.resumable=true): every table to snapshot, each keyed;
   * a ConnectError naming the table or the missing signal table otherwise.
   */
  async initialCollections(
    snapshotId: string,
    tables: Array<{ schema: string; table: string }>,
  ): Promise<SnapshotCollection[]> {
    return resumableCollections(
      this,
      snapshotId,
      tables.map((t) => `${t.schema}.${t.table}`),
      this.context,
    );
  }

  /** The table as events see it now (undefined: it is gone). */
  async model(schema: string, table: string): Promise<TableModel | undefined> {
    const meta = this.meta();
    const catalog = await describeTable(meta, schema, table);
    if (!catalog) return undefined;
    if (catalog.columns.some((c) => !this.types.has(c.typeOid))) await this.types.load(meta);
    return new TableModel(schema, table, catalog.columns, catalog, this.s, this.types);
  }

  /** The collection's highest key under its filter; undefined for an empty (or gone) table. */
  async maxKey(c: SnapshotCollection): Promise<KeyText | undefined> {
    const [schema, table] = split(c.id);
    const model = await this.model(schema, table);
    if (!model || model.keyColumns.length === 0) return undefined;
    const keys = model.keyColumns.map((k) => quoteIdent(k.name));
    const res = await this.meta().query({
      text: `SELECT ${keys.map((k, i) => `${k}::text AS sluice_k${i}`).join(', ')} FROM ${qualified(schema, table)}${c.filter ? ` WHERE ${c.filter}` : ''} ORDER BY ${keys.map((k) => `${k} DESC`).join(', ')} LIMIT 1`,
      rowMode: 'array',
      queryMode: 'extended',
      types: RAW_TYPES,
    } as pg.QueryConfig);
    return res.rows.length ? (res.rows[0] as KeyText) : undefined;
  }

  /**
   * One chunk between watermarks: the open watermark is committed, the chunk read, the close watermark committed.
   * The window is returned before the rows are in (`onWindow`), so the stream can see the open watermark meanwhile.
   */
  async readChunk(
    c: SnapshotCollection,
    lastKey: KeyText | undefined,
    maxKey: KeyText,
    onWindow: (w: ChunkWindow<ChunkRow>) => void,
  ): Promise<void> {
    const [schema, table] = split(c.id);
    const model = await this.model(schema, table);
    const window = new ChunkWindow<ChunkRow>(randomUUID(), c.id);
    if (!model || model.keyColumns.length === 0) {
      // gone, or its key dropped since the signal: an empty chunk that ends the collection
      onWindow(window);
      await this.watermark(window.id, WINDOW_OPEN);
      window.fill([], { done: true });
      await this.watermark(window.id, WINDOW_CLOSE);
      return;
    }
    const meta = this.meta();
    const types = await this.keyTypesOf(model);
    const keys = model.keyColumns.map((k) => quoteIdent(k.name));
    const tuple = (from: number) => `(${types.map((t, i) => `$${from + i}::${t}`).join(', ')})`;
    const conds: string[] = [];
    const params: Array<string | null> = [];
    if (lastKey) {
      conds.push(`(${keys.join(', ')}) > ${tuple(params.length + 1)}`);
      params.push(...lastKey);
    }
    conds.push(`(${keys.join(', ')}) <= ${tuple(params.length + 1)}`);
    params.push(...maxKey);
    if (c.filter) conds.push(`(${c.filter})`);
    const cols = model.columns.map((col) => quoteIdent(col.name));
    onWindow(window);
    await this.watermark(window.id, WINDOW_OPEN);
    const res = await meta.query({
      text: `SELECT ${cols.join(', ')}, ${keys.map((k, i) => `${k}::text AS sluice_k${i}`).join(', ')} FROM ${qualified(schema, table)} WHERE ${conds.join(' AND ')} ORDER BY ${keys.join(', ')} LIMIT ${this.s.chunkSize}`,
      values: params,
      rowMode: 'array',
      types: RAW_TYPES,
    } as pg.QueryConfig);
    const raw = res.rows as Array<Array<string | null>>;
    const rows: Array<{ key: string; row: ChunkRow }> = [];
    let last: KeyText | undefined;
    for (const r of raw) {
      const values = model.columns.map((col, i) => {
        const v = r[i];
        if (v === null || !col.codec) return undefined;
        try {
          return col.codec.decode(v);
        } catch (err) {
          throw decodeFailure(model, col, v, `incremental snapshot of ${model.id}`, this.types, this.context, err);
        }
      });
      last = r.slice(cols.length) as KeyText;
      rows.push({ key: keyString(model.keyOf(values)), row: { model, values } });
    }
    const reachedMax = last?.every((v, i) => v === maxKey[i]) === true;
    window.fill(rows, { lastKey: last ?? lastKey, done: raw.length < this.s.chunkSize || reachedMax });
    await this.watermark(window.id, WINDOW_CLOSE);
  }

  private async keyTypesOf(model: TableModel): Promise<string[]> {
    const cached = this.keyTypes.get(model.id);
    if (cached) return cached;
    const res = await this.meta().query(
      `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a WHERE a.attrelid = ${quoteLiteral(qualified(model.schema, model.table))}::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
    );
    const byName = new Map(res.rows.map((r) => [r.attname as string, r.t as string]));
    const out = model.keyColumns.map((k) => byName.get(k.name) ?? 'text');
    this.keyTypes.set(model.id, out);
    return out;
  }

  /** A watermark row: Debezium's id `<chunk id>-open` / `-close` and type names. */
  private async watermark(chunkId: string, type: string): Promise<void> {
    const t = this.s.signalTable!;
    const suffix = type === WINDOW_OPEN ? 'open' : 'close';
    await this.meta().query(`INSERT INTO ${qualified(t.schema, t.table)} (id, type, data) VALUES ($1, $2, $3)`, [
      `${chunkId}-${suffix}`,
      type,
      JSON.stringify({
        [type === WINDOW_OPEN ? 'openWindowTimestamp' : 'closeWindowTimestamp']: new Date().toISOString(),
      }),
    ]);
  }
}

function split(id: string): [string, string] {
  const dot = id.indexOf('.');
  return [id.slice(0, dot), id.slice(dot + 1)];
}
