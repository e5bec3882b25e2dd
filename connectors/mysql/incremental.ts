import { randomUUID } from 'node:crypto';
import mysql from 'mysql2';
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
import { type ConnectOptions, type Flavor, openConnection, query, rawRowsQuery } from './binlog/client.js';
import type { MySqlOptions } from './config.js';
import type { TableShape } from './envelope.js';
import type { RecordMaker } from './records.js';
import type { ColumnDef } from './schema/model.js';
import { valueFailure } from './values.js';

/** A row of a chunk, mapped as the snapshot maps rows: the binlog reader turns it into an `op: "r"` event. */
export interface ChunkRow {
  shape: TableShape;
  after: Record<string, unknown>;
}

const quoteId = (s: string) => `\`${s.replace(/`/g, '``')}\``;
const qualified = (db: string, table: string) => `${quoteId(db)}.${quoteId(table)}`;

/** The key of a row value, as the binlog reader computes it for the same table shape. */
export function rowKey(shape: TableShape, value: Record<string, unknown>): string {
  return keyString(shape.keyIndexes.map((i) => value[shape.columns[i].name]));
}

const NUMERIC =
  /^(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT|DECIMAL|NUMERIC|FIXED|DEC|FLOAT|DOUBLE|REAL|YEAR|BOOLEAN|BOOL)/;
const BINARY = /BINARY|BLOB|^BIT|GEOMETRY|POINT|LINESTRING|POLYGON/;
const NUMBER_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * How a key column is read and compared in chunk queries: numbers as unquoted literals (a quoted one would be
 * compared as a double and lose BIGINT precision), binary values as hex, everything else as a quoted string in the
 * column's collation, which is the order ORDER BY uses.
 */
function keyExpr(col: ColumnDef): { select: string; literal: (v: string) => string } {
  const id = quoteId(col.name);
  const type = col.type.toUpperCase();
  if (BINARY.test(type))
    return { select: `HEX(${id})`, literal: (v) => (/^[0-9A-F]*$/i.test(v) ? `X'${v}'` : mysql.escape(v)) };
  if (NUMERIC.test(type)) return { select: id, literal: (v) => (NUMBER_TEXT.test(v) ? v : mysql.escape(v)) };
  return { select: id, literal: (v) => mysql.escape(v) };
}

/** `(k1, k2) > (v1, v2)` (or `>=`, `<=`) spelled out, so that the server can use the primary key's range. */
function tupleCompare(cols: string[], lits: string[], op: '>' | '<='): string {
  const strict = op === '>' ? '>' : '<';
  const ors: string[] = [];
  for (let i = 0; i < cols.length; i++) {
    const eq = cols.slice(0, i).map((c, j) => `${c} = ${lits[j]}`);
    const last = i === cols.length - 1 && op === '<=' ? '<=' : strict;
    ors.push([...eq, `${cols[i]} ${last} ${lits[i]}`].join(' AND '));
  }
  return `(${ors.map((o) => `(${o})`).join(' OR ')})`;
}

/**
 * MySQL/MariaDB's part of the DBLog incremental snapshot: checks an `execute-snapshot` request against the server,
 * writes the watermark rows to the signal table (Debezium's insert/insert watermarking) and reads chunks in
 * primary-key order on a connection of its own, each SELECT its own autocommit statement between the watermarks.
 * Rows are read and mapped as the initial snapshot reads them (text protocol, the same column mappings).
 */
export class MySqlChunkReader implements ChunkSource<ChunkRow> {
  private conn?: mysql.Connection;
  /**
   * read.only: the window whose rows are read and the binlog position its read saw exactly; the binlog reader
   * closes the window once it has read up to that position.
   */
  awaiting?: { id: string; file: string; pos: number };

  constructor(
    private readonly o: MySqlOptions,
    private readonly flavor: Flavor,
    private readonly connect: () => ConnectOptions,
    private readonly maker: RecordMaker,
    /** the table's shape in the binlog reader's current schema; undefined when it is not known (or gone) */
    private readonly shapeOf: (db: string, table: string) => TableShape | undefined,
    private readonly context: ErrorContext,
  ) {}

  /** Rows as arrays of the server's text, as the initial snapshot reads them. */
  private raw(sql: string): Promise<Array<Array<Buffer | null>>> {
    return this.run(sql, undefined, true);
  }

  private async run<T = Record<string, unknown>>(sql: string, values?: unknown[], raw = false): Promise<T[]> {
    if (!this.conn) {
      const conn = openConnection(this.connect());
      this.conn = conn;
      try {
        // TIMESTAMP columns as the snapshot and the binlog give them: UTC.
        await query(conn, "SET SESSION time_zone = '+00:00'");
        // read.only's consistent-snapshot reads need it (the server's default may be READ COMMITTED)
        await query(conn, 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      } catch (err) {
        this.close();
        throw err;
      }
    }
    const conn = this.conn;
    try {
      if (!raw) return await query<T>(conn, sql, values);
      return await new Promise<T[]>((resolve, reject) =>
        conn.query(rawRowsQuery(sql), (err, rows) => (err ? reject(err) : resolve(rows as T[]))),
      );
    } catch (err) {
      // a connection the server closed is opened again by the next query
      if ((err as { fatal?: boolean }).fatal) this.close();
      throw err;
    }
  }

  close(): void {
    this.conn?.destroy();
    this.conn = undefined;
  }

  /**
   * The captured tables a request names, each condition valid; throws SignalError with the reason. An incremental
   * snapshot needs each table keyed (it reads key-ordered chunks); a blocking one (`blocking`) reads whole tables in
   * one transaction and takes a whole SELECT as a table's filter too (Debezium's form), so it needs neither keys nor
   * watermarks.
   */
  async resolve(signalId: string, req: SnapshotRequest, blocking = false): Promise<SnapshotCollection[]> {
    if (blocking) {
      // checked below per table
    } else if (!this.o.signalTable && !this.o.readOnly)
      throw new SignalError(
        `signal ${signalId}: an incremental snapshot needs a signal table for its watermarks; set signal.data.collection`,
      );
    else if (this.o.readOnly && this.flavor !== 'mariadb')
      throw new SignalError(
        `signal ${signalId}: read.only=true incremental snapshots are built for MariaDB only (they need its binlog_snapshot_position); on MySQL set signal.data.collection and read.only=false`,
      );
    const tables = (
      await this.run<{ db: string; t: string }>(
        "SELECT TABLE_SCHEMA AS db, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME",
      )
    ).filter((r) => this.o.filters.table(r.db, r.t));
    const out: SnapshotCollection[] = [];
    const matched = matchCollections(
      req,
      tables,
      (t) => `${t.db}.${t.t}`,
      signalId,
      (name) =>
        `no captured table matches "${name}" (a table must exist and be in table.include.list / database.include.list)`,
    );
    for (const t of matched) {
      const id = `${t.db}.${t.t}`;
      const key = await this.run(
        "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY'",
        [t.db, t.t],
      );
      if (key.length === 0 && !blocking)
        throw new SignalError(
          `signal ${signalId}: table ${id} has no primary key, so it cannot be read in key-ordered chunks. Fix: add a primary key (sluice's MySQL/MariaDB connector does not take message.key.columns yet)`,
        );
      const { filter, statement } = snapshotFilter(req, id, signalId, blocking);
      if (filter !== undefined) {
        try {
          await this.run(
            statement ? `EXPLAIN ${filter}` : `EXPLAIN SELECT 1 FROM ${qualified(t.db, t.t)} WHERE ${filter}`,
          );
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
   * The collections of a resumable initial snapshot (snapshot.resumable=true): every captured table, each keyed; a
   * ConnectError naming the table or the missing signal table otherwise.
   */
  async initialCollections(snapshotId: string): Promise<SnapshotCollection[]> {
    const tables = (
      await this.run<{ db: string; t: string }>(
        "SELECT TABLE_SCHEMA AS db, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME",
      )
    ).filter((r) => this.o.filters.database(r.db) && this.o.filters.table(r.db, r.t));
    return resumableCollections(
      this,
      snapshotId,
      tables.map((t) => `${t.db}.${t.t}`),
      this.context,
    );
  }

  private keyed(c: SnapshotCollection): { shape: TableShape; db: string; table: string } | undefined {
    const [db, table] = split(c.id);
    const shape = this.shapeOf(db, table);
    return shape && shape.keyIndexes.length > 0 ? { shape, db, table } : undefined;
  }

  private keyExprs(shape: TableShape) {
    return shape.keyIndexes.map((i) => {
      const col = shape.def.columns[shape.sourceIndexes[i]];
      return { name: quoteId(col.name), ...keyExpr(col) };
    });
  }

  /** The collection's highest key under its filter; undefined for an empty (or gone) table. */
  async maxKey(c: SnapshotCollection): Promise<KeyText | undefined> {
    const t = this.keyed(c);
    if (!t) return undefined;
    const keys = this.keyExprs(t.shape);
    const rows = await this.raw(
      `SELECT ${keys.map((k) => k.select).join(', ')} FROM ${qualified(t.db, t.table)}${c.filter ? ` WHERE ${c.filter}` : ''} ORDER BY ${keys.map((k) => `${k.name} DESC`).join(', ')} LIMIT 1`,
    );
    if (rows.length === 0) return undefined;
    return rows[0].map((b) => (b === null ? null : b.toString('utf8')));
  }

  /**
   * One chunk between watermarks: the open watermark is committed, the chunk read, the close watermark committed.
   * The window is handed out before the open watermark is written, so the binlog reader can see it meanwhile.
   */
  async readChunk(
    c: SnapshotCollection,
    lastKey: KeyText | undefined,
    maxKey: KeyText,
    onWindow: (w: ChunkWindow<ChunkRow>) => void,
  ): Promise<void> {
    const window = new ChunkWindow<ChunkRow>(randomUUID(), c.id);
    const t = this.keyed(c);
    if (this.o.readOnly) return this.readOnlyChunk(c, t, window, lastKey, maxKey, onWindow);
    if (!t) {
      // gone, or its key dropped since the signal: an empty chunk that ends the collection
      onWindow(window);
      await this.watermark(window.id, WINDOW_OPEN);
      window.fill([], { done: true });
      await this.watermark(window.id, WINDOW_CLOSE);
      return;
    }
    const sql = this.chunkQuery(c, t, lastKey, maxKey);
    onWindow(window);
    await this.watermark(window.id, WINDOW_OPEN);
    this.fill(window, c, t.shape, await this.raw(sql), lastKey, maxKey);
    await this.watermark(window.id, WINDOW_CLOSE);
  }

  /**
   * The read-only variant (Debezium's MySqlReadOnlyIncrementalSnapshotChangeEventSource bounds windows by GTID
   * sets): no watermark rows. The chunk is read in a consistent-snapshot transaction, whose binlog position MariaDB
   * gives exactly (binlog_snapshot_file/position: every transaction before it is in the read, none after). The
   * window opens before that transaction starts, so every event at or after the position is seen by it (a change
   * the reader meets supersedes the row read: the stream delivers that key's newer value before the chunk), and
   * closes once the reader has read up to the position. A GTID position read after an autocommit SELECT is not
   * enough: MariaDB writes a transaction to the binlog before its commit is visible to other sessions, so the
   * reader can pass a change the SELECT does not yet see (seen in our test: a stale row and a resurrected one).
   */
  private async readOnlyChunk(
    c: SnapshotCollection,
    t: { shape: TableShape; db: string; table: string } | undefined,
    window: ChunkWindow<ChunkRow>,
    lastKey: KeyText | undefined,
    maxKey: KeyText,
    onWindow: (w: ChunkWindow<ChunkRow>) => void,
  ): Promise<void> {
    const sql = t && this.chunkQuery(c, t, lastKey, maxKey);
    onWindow(window);
    window.open = true;
    await this.run('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    let at: { file: string; pos: number };
    try {
      const status = await this.run<{ Variable_name: string; Value: string }>("SHOW STATUS LIKE 'binlog_snapshot_%'");
      const v = Object.fromEntries(status.map((r) => [r.Variable_name.toLowerCase(), r.Value]));
      if (!v.binlog_snapshot_file) throw new Error('the server gives no binlog_snapshot_file (is the binlog on?)');
      at = { file: v.binlog_snapshot_file, pos: Number(v.binlog_snapshot_position) };
      if (t && sql) this.fill(window, c, t.shape, await this.raw(sql), lastKey, maxKey);
      else window.fill([], { done: true });
    } finally {
      await this.run('COMMIT').catch(() => undefined);
    }
    this.awaiting = { id: window.id, ...at };
  }

  private chunkQuery(
    c: SnapshotCollection,
    { shape, db, table }: { shape: TableShape; db: string; table: string },
    lastKey: KeyText | undefined,
    maxKey: KeyText,
  ): string {
    const keys = this.keyExprs(shape);
    const names = keys.map((k) => k.name);
    const lit = (v: KeyText) => keys.map((k, i) => (v[i] === null ? 'NULL' : k.literal(v[i] as string)));
    const conds: string[] = [];
    if (lastKey) conds.push(tupleCompare(names, lit(lastKey), '>'));
    conds.push(tupleCompare(names, lit(maxKey), '<='));
    if (c.filter) conds.push(`(${c.filter})`);
    const cols = shape.columns.map((col) => quoteId(col.name));
    return `SELECT ${cols.join(', ')}, ${keys.map((k) => k.select).join(', ')} FROM ${qualified(db, table)} WHERE ${conds.join(' AND ')} ORDER BY ${names.join(', ')} LIMIT ${this.o.chunkSize}`;
  }

  /** The chunk's rows, mapped as the snapshot maps them, into the window with where the collection stands after. */
  private fill(
    window: ChunkWindow<ChunkRow>,
    c: SnapshotCollection,
    shape: TableShape,
    raw: Array<Array<Buffer | null>>,
    lastKey: KeyText | undefined,
    maxKey: KeyText,
  ): void {
    const ncols = shape.columns.length;
    const rows: Array<{ key: string; row: ChunkRow }> = [];
    let last: KeyText | undefined;
    for (const r of raw) {
      const after = this.maker.valueFromText(shape, r, (err, column) => {
        throw valueFailure(err, c.id, column, `an incremental snapshot chunk of ${c.id} (${this.context.connector})`);
      });
      last = r.slice(ncols).map((b) => (b === null ? null : b.toString('utf8')));
      rows.push({ key: rowKey(shape, after), row: { shape, after } });
    }
    const reachedMax = last?.every((v, i) => v === maxKey[i]) === true;
    window.fill(rows, { lastKey: last ?? lastKey, done: raw.length < this.o.chunkSize || reachedMax });
  }

  /** A watermark row: Debezium's id `<chunk id>-open` / `-close` and type names. */
  private async watermark(chunkId: string, type: string): Promise<void> {
    const t = this.o.signalTable!;
    const suffix = type === WINDOW_OPEN ? 'open' : 'close';
    await this.run(`INSERT INTO ${qualified(t.db, t.table)} (id, type, data) VALUES (?, ?, ?)`, [
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
