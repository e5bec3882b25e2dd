import type { ChangeRecord, Logger, SnapshotProgress, SourceOffset } from '../../runtime/api/index.js';
import { isSelect } from '../cdc/signals.js';
import { type SnapshotMarker, SnapshotMarking, SnapshotTable } from '../cdc/snapshot-markers.js';
import { type ConnectOptions, openConnection, query, streamRawRows } from './binlog/client.js';
import type { MySqlOptions } from './config.js';
import type { TableShape } from './envelope.js';
import type { RecordMaker } from './records.js';
import type { TableDef } from './schema/model.js';
import { tableChange } from './table-changes.js';
import { valueFailure } from './values.js';

/** One table of a blocking snapshot: its shape in the stream's schema at the stop, and its filter if any. */
export interface BlockingTable {
  db: string;
  table: string;
  shape: TableShape;
  /** its definition in the stream's schema at the stop (its CREATE TABLE schema change) */
  def?: TableDef;
  /** a condition, or a whole SELECT of the table's rows (Debezium's blocking-snapshot form) */
  filter?: string;
}

/** Where the stream stopped: a blocking snapshot's records carry it, as offset and in `source`. */
export interface StreamStop {
  offset: SourceOffset;
  file: string;
  pos: number;
  gtids: string | null;
  serverId: number;
}

export interface BlockingContext {
  id: string;
  options: MySqlOptions;
  maker: RecordMaker;
  connect: () => ConnectOptions;
  stop: StreamStop;
  signal: AbortSignal;
  log: Logger;
  progress?: (p: SnapshotProgress) => void;
}

const quoteId = (s: string) => `\`${s.replace(/`/g, '``')}\``;

/** The query of one table: its columns by name, from the table or from the user's SELECT of its rows. */
export function blockingQuery(t: BlockingTable): string {
  const cols = t.shape.columns.map((c) => quoteId(c.name)).join(', ');
  if (t.filter !== undefined && isSelect(t.filter)) return `SELECT ${cols} FROM (${t.filter}) AS sluice_rows`;
  const where = t.filter !== undefined ? ` WHERE ${t.filter}` : '';
  return `SELECT ${cols} FROM ${quoteId(t.db)}.${quoteId(t.table)}${where}`;
}

/**
 * A blocking ad-hoc snapshot's rows (Debezium's BlockingSnapshot on MySQL): the tables read one after another in
 * one consistent-snapshot transaction, mapped exactly as the initial snapshot maps rows, `op: "r"` with the initial
 * snapshot's `source.snapshot` markers (first, true, last_in_data_collection, last). Every record carries the
 * stream's offset at the stop, so a crash during it streams on from there (it is not redone, as in Debezium). No
 * global read lock: changes committed after the stop and before the read come from the stream after these rows, so
 * a replay by key still ends at the table's content.
 */
export async function* blockingSnapshot(ctx: BlockingContext, tables: BlockingTable[]): AsyncGenerator<ChangeRecord[]> {
  const o = ctx.options;
  const conn = openConnection(ctx.connect());
  const tag = { kind: 'blocking' as const, snapshotId: ctx.id };
  let rowsScanned = 0;
  try {
    // TIMESTAMP columns as the initial snapshot and the binlog give them: UTC.
    await query(conn, "SET SESSION time_zone = '+00:00'");
    await query(conn, 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await query(conn, 'START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const tsMs = Date.now();
    const { stop } = ctx;
    const sourceFor = (db: string, table: string, snapshot: SnapshotMarker) =>
      ctx.maker.source({
        tsMs,
        snapshot,
        db,
        table,
        serverId: stop.serverId,
        gtid: stop.gtids,
        file: stop.file,
        pos: stop.pos,
        row: 0,
        thread: null,
      });
    const marking = new SnapshotMarking<Record<string, unknown>>();
    let batch: ChangeRecord[] = o.includeSchemaChanges ? await schemaChanges(ctx, conn, tables, sourceFor) : [];
    const report = (remaining: number, running: boolean, table?: { name: string; rows: number }) =>
      ctx.progress?.({
        tablesTotal: tables.length,
        tablesRemaining: remaining,
        rowsScanned,
        running,
        ...(table ? { table } : {}),
        ...tag,
      });
    report(tables.length, true);
    for (const [index, t] of tables.entries()) {
      const id = `${t.db}.${t.table}`;
      const stream = streamRawRows(conn, blockingQuery(t), o.fetchSize);
      const marks = new SnapshotTable(index, tables.length, (m) => sourceFor(t.db, t.table, m));
      let rows = 0;
      for await (const row of stream) {
        if (ctx.signal.aborted) {
          stream.destroy();
          return;
        }
        const after = ctx.maker.valueFromText(t.shape, row as (Buffer | null)[], (err, column) => {
          throw valueFailure(err, id, column, `the blocking snapshot ${ctx.id}`);
        });
        for (const rec of ctx.maker.rowChange(t.shape, 'r', null, after, EMPTY_SOURCE, stop.offset, stop.offset)) {
          const released = marking.next(rec, marks);
          if (released) batch.push(released);
        }
        rows++;
        rowsScanned++;
        if (batch.length >= o.maxBatch) {
          yield batch;
          batch = [];
          report(tables.length - index, true, { name: id, rows });
        }
      }
      report(tables.length - index - 1, true, { name: id, rows });
    }
    await query(conn, 'COMMIT');
    const last = marking.finish();
    if (last) batch.push(last);
    if (batch.length) yield batch;
    report(0, false);
    ctx.log.info({ signal: ctx.id, rows: rowsScanned, tables: tables.length }, 'blocking snapshot read');
  } finally {
    conn.destroy();
  }
}

/**
 * The schema changes Debezium's blocking snapshot writes before the rows (with include.schema.changes): a DROP TABLE
 * IF EXISTS for every table, then each table's CREATE TABLE as SHOW CREATE TABLE gives it, marked snapshot "true".
 * They describe the tables to a consumer of the schema-change topic; the stream's own schema already has them.
 */
async function schemaChanges(
  ctx: BlockingContext,
  conn: ReturnType<typeof openConnection>,
  tables: readonly BlockingTable[],
  sourceFor: (db: string, table: string, snapshot: SnapshotMarker) => Record<string, unknown>,
): Promise<ChangeRecord[]> {
  const make = (t: BlockingTable, ddl: string, changes: Record<string, unknown>[]) =>
    ctx.maker.schemaChange(t.db, ddl, changes, sourceFor(t.db, t.table, 'true'), ctx.stop.offset);
  const out = tables.map((t) =>
    make(t, `DROP TABLE IF EXISTS ${quoteId(t.db)}.${quoteId(t.table)}`, [
      { type: 'DROP', id: `"${t.db}"."${t.table}"`, table: null },
    ]),
  );
  for (const t of tables) {
    if (!t.def) continue;
    const [create] = await query<Record<string, string>>(
      conn,
      `SHOW CREATE TABLE ${quoteId(t.db)}.${quoteId(t.table)}`,
    );
    const ddl = create?.['Create Table'];
    if (ddl) out.push(make(t, ddl, [tableChange('CREATE', t.def)]));
  }
  return out;
}

/** Stands in for a snapshot row's source block until its marker is known. */
const EMPTY_SOURCE: Record<string, unknown> = {};
