import type mysql from 'mysql2';
import {
  type ChangeRecord,
  ConnectError,
  type Logger,
  type SnapshotProgress,
  type SourceOffset,
} from '../../runtime/api/index.js';
import { connectOptions, type Flavor, openConnection, query, streamRawRows } from './binlog/client.js';
import type { MySqlOptions } from './config.js';
import { ConcurrentMarking, type SnapshotMarker, SnapshotMarking, SnapshotTable } from '../cdc/snapshot-markers.js';
import { heartbeatRecord as sharedHeartbeat } from '../cdc/transaction.js';
import { buildShape } from './envelope.js';
import { keyRanges, type ParallelTable, readParallel } from './parallel-snapshot.js';
import { tableChange } from './table-changes.js';
import { valueFailure } from './values.js';
import type { RecordMaker } from './records.js';
import { applyDdl } from './schema/ddl.js';
import { normalizeCharset } from './schema/ddl-column.js';
import type { SchemaHistory } from './schema/history.js';
import { SchemaModel } from './schema/model.js';

export interface SnapshotPosition {
  file: string;
  pos: number;
  gtids: string | null;
}

export interface SnapshotContext {
  options: MySqlOptions;
  flavor: Flavor;
  maker: RecordMaker;
  history: SchemaHistory;
  log: Logger;
  signal: AbortSignal;
  /** with data: rows too; without: schemas only (no_data, recovery) */
  data: boolean;
  progress?: (p: SnapshotProgress) => void;
  ssl?: mysql.SslOptions;
  /** fields the completed offset carries besides the position (a resumable snapshot's chunk state) */
  offsetFields?: () => Record<string, unknown> | undefined;
}

export interface SnapshotResult {
  position: SnapshotPosition;
  model: SchemaModel;
}

const quoteId = (s: string) => `\`${s.replace(/`/g, '``')}\``;

/**
 * A consistent snapshot: the binlog position and every table's rows as of one instant. The global read lock is
 * held only while the position and the schemas are read (minimal), for the whole read (extended), or not at all
 * (none: MariaDB's binlog_snapshot_* status gives a position consistent with the transaction anyway).
 * Rows stream from the server with backpressure; memory stays bounded by snapshot.fetch.size.
 */
export async function* runSnapshot(
  ctx: SnapshotContext,
  result: { value?: SnapshotResult },
): AsyncGenerator<ChangeRecord[]> {
  const o = ctx.options;
  const conn = openConnection(connectOptions(o, ctx.ssl));
  let locked = false;
  const workers: mysql.Connection[] = [];
  try {
    await query(conn, "SET SESSION time_zone = '+00:00'");
    await query(conn, 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    if (o.lockingMode !== 'none') {
      // The lock waits for every running statement that has tables open; bounded, as Debezium bounds it.
      await query(conn, `SET SESSION lock_wait_timeout = ${Math.max(1, Math.ceil(o.lockTimeoutMs / 1000))}`);
      try {
        await query(conn, 'FLUSH TABLES WITH READ LOCK');
        locked = true;
        // The rows' reads keep the server's own patience (a DDL queued on a table makes them wait).
        await query(conn, 'SET SESSION lock_wait_timeout = @@global.lock_wait_timeout');
      } catch (err) {
        if ((err as { errno?: number }).errno === 1205) {
          throw new ConnectError(
            `The snapshot could not take the global read lock within snapshot.lock.timeout.ms=${o.lockTimeoutMs} (long-running statements hold tables open: see SHOW PROCESSLIST); retrying. Raise snapshot.lock.timeout.ms, or set snapshot.locking.mode=none.`,
            { retriable: true, cause: err },
          );
        }
        throw new ConnectError(
          `The snapshot needs a brief global read lock (FLUSH TABLES WITH READ LOCK), which failed: ${(err as Error).message}. Grant RELOAD to the user, or set snapshot.locking.mode=none${ctx.flavor === 'mysql' ? ' (then DDL during the snapshot is not protected)' : ''}.`,
          { cause: err },
        );
      }
    }
    await query(conn, 'START TRANSACTION WITH CONSISTENT SNAPSHOT');
    // snapshot.max.threads: the other connections start their transactions while the lock holds, so all read the
    // same instant (no commit can happen in between); without the lock they could not be made to agree.
    if (ctx.data && o.snapshotThreads > 1) {
      if (locked) workers.push(...(await openWorkers(ctx, o.snapshotThreads - 1)));
      else
        ctx.log.warn(
          { threads: o.snapshotThreads },
          'snapshot.max.threads > 1 needs the global read lock (snapshot.locking.mode minimal or extended) to start every connection at the same point; reading on one connection',
        );
    }
    const position = await readPosition(conn, ctx.flavor);
    const model = new SchemaModel();
    const [server] = await query<{ cs: string }>(conn, 'SELECT @@character_set_server AS cs');
    model.serverCharset = normalizeCharset(server?.cs);
    const databases = (await query<Record<string, string>>(conn, 'SHOW DATABASES'))
      .map((r) => Object.values(r)[0])
      .filter((d) => o.filters.schemaDatabase(d));
    const captured: { db: string; table: string }[] = [];
    /** every table of the captured databases with its CREATE TABLE, for the schema-change topic (as Debezium) */
    const schemas: { db: string; tables: { table: string; ddl: string }[] }[] = [];
    for (const db of databases) {
      const tablesOfDb: { table: string; ddl: string }[] = [];
      schemas.push({ db, tables: tablesOfDb });
      const [createDb] = await query<Record<string, string>>(conn, `SHOW CREATE DATABASE ${quoteId(db)}`);
      applyDdl(model, db, createDb['Create Database']);
      const tables = await query<Record<string, string>>(
        conn,
        `SHOW FULL TABLES FROM ${quoteId(db)} WHERE Table_type = 'BASE TABLE'`,
      );
      for (const row of tables) {
        const table = Object.values(row)[0];
        const [create] = await query<Record<string, string>>(
          conn,
          `SHOW CREATE TABLE ${quoteId(db)}.${quoteId(table)}`,
        );
        applyDdl(model, db, create['Create Table']);
        tablesOfDb.push({ table, ddl: create['Create Table'] });
        if (o.filters.database(db) && o.filters.table(db, table)) captured.push({ db, table });
      }
    }
    if (locked && o.lockingMode === 'minimal') {
      await query(conn, 'UNLOCK TABLES');
      locked = false;
    }
    ctx.history.recordSnapshot({ file: position.file, pos: position.pos }, model);
    await ctx.history.flush();
    ctx.log.info(
      { file: position.file, pos: position.pos, gtids: position.gtids, tables: captured.length },
      'snapshot position taken',
    );

    const baseOffset: SourceOffset = {
      file: position.file,
      pos: position.pos,
      gtids: position.gtids,
      row: 0,
      event: 0,
      server_id: 0,
      ts_sec: Math.floor(Date.now() / 1000),
      snapshot: true,
    };
    const tsMs = Date.now();
    const sourceFor = (db: string, table: string | null, snapshot: SnapshotMarker) =>
      ctx.maker.source({
        tsMs,
        snapshot,
        db,
        table,
        serverId: 0,
        gtid: position.gtids,
        file: position.file,
        pos: position.pos,
        row: 0,
        thread: null,
      });

    /** without rows (no_data), the snapshot's last record is its last schema change: held back to be marked so */
    let lastChange: ChangeRecord | undefined;
    if (o.includeSchemaChanges) {
      const changes = await snapshotSchemaChanges(conn, schemas, model, (db, table, ddl, tableChanges) =>
        ctx.maker.schemaChange(db, ddl, tableChanges, sourceFor(db, table, 'true'), baseOffset),
      );
      if (!ctx.data) lastChange = changes.pop();
      if (changes.length) yield changes;
    }

    // Records go out one behind, so that each can be marked first/last of its table and of the snapshot, and the
    // last one can carry the completed offset.
    const marking = new SnapshotMarking<Record<string, unknown>>();
    const concurrent = new ConcurrentMarking<Record<string, unknown>>();
    let batch: ChangeRecord[] = [];
    let rowsScanned = 0;
    if (ctx.data && workers.length > 0) {
      const tables: ParallelTable[] = [];
      const ranges = new Map<number, string[]>();
      for (const { db, table } of captured) {
        const def = model.get(db, table);
        if (!def) continue;
        const shape = buildShape(def, o.prefix, o.mapping, ctx.maker.sourceSchema, (c) =>
          o.filters.column(db, table, c),
        );
        const index = tables.length;
        tables.push({ db, table, shape, marks: undefined as unknown as ParallelTable['marks'] });
        const r = await keyRanges(conn, { db, table, shape }, o.snapshotThreads * o.snapshotMultiplier);
        if (r) ranges.set(index, r);
      }
      for (const [index, t] of tables.entries())
        t.marks = new SnapshotTable(index, tables.length, (m) => sourceFor(t.db, t.table, m));
      ctx.log.info(
        { threads: workers.length + 1, tables: tables.length, split: ranges.size },
        'snapshot reads on several connections',
      );
      yield* readParallel({
        conns: [conn, ...workers],
        tables,
        ranges,
        fetchSize: o.fetchSize,
        maxBatch: o.maxBatch,
        signal: ctx.signal,
        marking: concurrent,
        record: (t, row) => {
          const after = ctx.maker.valueFromText(t.shape, row, (err, column) => {
            throw valueFailure(
              err,
              `${t.db}.${t.table}`,
              column,
              `the snapshot (binlog ${position.file}:${position.pos})`,
            );
          });
          return ctx.maker.rowChange(t.shape, 'r', null, after, EMPTY_SOURCE, baseOffset, baseOffset)[0];
        },
        progress: (rows, remaining) => {
          rowsScanned = rows;
          ctx.progress?.({ tablesTotal: tables.length, tablesRemaining: remaining, rowsScanned: rows, running: true });
        },
      });
      if (ctx.signal.aborted) return;
      for (const w of workers) await query(w, 'COMMIT');
    } else if (ctx.data) {
      for (const [index, { db, table }] of captured.entries()) {
        const def = model.get(db, table);
        if (!def) continue;
        const shape = buildShape(def, o.prefix, o.mapping, ctx.maker.sourceSchema, (c) =>
          o.filters.column(db, table, c),
        );
        const sql = `SELECT ${shape.columns.map((c) => quoteId(c.name)).join(', ')} FROM ${quoteId(db)}.${quoteId(table)}`;
        const stream = streamRawRows(conn, sql, o.fetchSize);
        const marks = new SnapshotTable(index, captured.length, (m) => sourceFor(db, table, m));
        for await (const row of stream) {
          if (ctx.signal.aborted) {
            stream.destroy();
            return;
          }
          const after = ctx.maker.valueFromText(shape, row as (Buffer | null)[], (err, column) => {
            throw valueFailure(err, `${db}.${table}`, column, `the snapshot (binlog ${position.file}:${position.pos})`);
          });
          const [rec] = ctx.maker.rowChange(shape, 'r', null, after, EMPTY_SOURCE, baseOffset, baseOffset);
          const released = marking.next(rec, marks);
          if (released) batch.push(released);
          rowsScanned++;
          if (batch.length >= o.maxBatch) {
            yield batch;
            batch = [];
            ctx.progress?.({
              tablesTotal: captured.length,
              tablesRemaining: captured.length - index,
              rowsScanned,
              running: true,
            });
          }
        }
      }
    }
    if (locked) await query(conn, 'UNLOCK TABLES');
    locked = false;
    await query(conn, 'COMMIT');
    const completed: SourceOffset = {
      file: position.file,
      pos: position.pos,
      gtids: position.gtids,
      row: 0,
      event: 0,
      server_id: 0,
      ts_sec: Math.floor(Date.now() / 1000),
      ...ctx.offsetFields?.(),
    };
    const last = workers.length > 0 ? concurrent.finish() : marking.finish();
    if (last) batch.push({ ...last, sourceOffset: completed });
    result.value = { position, model };
    ctx.progress?.({ tablesTotal: captured.length, tablesRemaining: 0, rowsScanned, running: false });
    ctx.log.info({ rows: rowsScanned, tables: captured.length }, 'snapshot completed');
    // Even a snapshot without rows must leave a completed offset behind, or a restart would snapshot again: its last
    // schema change carries it, marked `last` as Debezium marks it (no_data), else a heartbeat.
    if (!last && lastChange) {
      const value = lastChange.value as { source: Record<string, unknown> };
      batch.push({
        ...lastChange,
        value: { ...value, source: { ...value.source, snapshot: 'last' } },
        sourceOffset: completed,
      });
    } else if (!last) batch.push(heartbeatRecord(ctx.maker, completed));
    yield batch;
  } finally {
    if (locked) await query(conn, 'UNLOCK TABLES').catch(() => undefined);
    conn.destroy();
    for (const w of workers) w.destroy();
  }
}

/**
 * The snapshot's schema changes, as Debezium writes them so that its history (and a consumer replaying the topic)
 * starts from a clean slate: the server's charset variables; a DROP TABLE IF EXISTS for every table of the captured
 * databases; then per database DROP DATABASE IF EXISTS, CREATE DATABASE with its charset, USE, and each table's
 * CREATE TABLE. Tables that table filters leave out are included: Debezium keeps their DDL too (only their rows
 * are not captured).
 */
async function snapshotSchemaChanges(
  conn: mysql.Connection,
  schemas: readonly { db: string; tables: readonly { table: string; ddl: string }[] }[],
  model: SchemaModel,
  make: (db: string, table: string | null, ddl: string, tableChanges: Record<string, unknown>[]) => ChangeRecord,
): Promise<ChangeRecord[]> {
  const vars = await query<{ Variable_name: string; Value: string }>(
    conn,
    "SHOW VARIABLES WHERE Variable_name IN ('character_set_server', 'collation_server')",
  );
  const v = Object.fromEntries(vars.map((r) => [r.Variable_name, r.Value]));
  const out = [
    make('', null, `SET character_set_server=${v.character_set_server}, collation_server=${v.collation_server}`, []),
  ];
  for (const { db, tables } of schemas) {
    for (const { table } of tables) {
      out.push(
        make(db, table, `DROP TABLE IF EXISTS ${quoteId(db)}.${quoteId(table)}`, [
          { type: 'DROP', id: `"${db}"."${table}"`, table: null },
        ]),
      );
    }
  }
  for (const { db, tables } of schemas) {
    const [cs] = await query<{ c: string; l: string }>(
      conn,
      'SELECT DEFAULT_CHARACTER_SET_NAME AS c, DEFAULT_COLLATION_NAME AS l FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [db],
    );
    out.push(
      make(db, null, `DROP DATABASE IF EXISTS ${quoteId(db)}`, []),
      make(db, null, `CREATE DATABASE ${quoteId(db)}${cs ? ` CHARSET ${cs.c} COLLATE ${cs.l}` : ''}`, []),
      make(db, null, `USE ${quoteId(db)}`, []),
    );
    for (const { table, ddl } of tables) {
      const def = model.get(db, table);
      if (def) out.push(make(db, table, ddl, [tableChange('CREATE', def)]));
    }
  }
  return out;
}

/** Stands in for a snapshot row's source block until its marker is known. */
const EMPTY_SOURCE: Record<string, unknown> = {};

/** A record on Debezium's heartbeat topic; it carries an offset when no change record does. */
export function heartbeatRecord(maker: RecordMaker, offset: SourceOffset): ChangeRecord {
  return sharedHeartbeat(`__debezium-heartbeat.${maker.prefix}`, maker.prefix, maker.partition, offset);
}

/** The other connections of a parallel snapshot, each in a consistent-snapshot transaction (the lock holds). */
async function openWorkers(ctx: SnapshotContext, n: number): Promise<mysql.Connection[]> {
  const o = ctx.options;
  const out: mysql.Connection[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const w = openConnection(connectOptions(o, ctx.ssl));
      out.push(w);
      await query(w, "SET SESSION time_zone = '+00:00'");
      await query(w, 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await query(w, 'START TRANSACTION WITH CONSISTENT SNAPSHOT');
    }
    return out;
  } catch (err) {
    for (const w of out) w.destroy();
    throw err;
  }
}

async function readPosition(conn: mysql.Connection, flavor: Flavor): Promise<SnapshotPosition> {
  if (flavor === 'mariadb') {
    // Consistent with START TRANSACTION WITH CONSISTENT SNAPSHOT even without a lock (MariaDB's binlog_snapshot_*).
    const rows = await query<{ Variable_name: string; Value: string }>(conn, "SHOW STATUS LIKE 'binlog_snapshot_%'");
    const v = Object.fromEntries(rows.map((r) => [r.Variable_name.toLowerCase(), r.Value]));
    if (v.binlog_snapshot_file) {
      // The GTID position at exactly that file and offset: @@gtid_binlog_pos is read later and, without the global
      // read lock (snapshot.locking.mode=none), may already include transactions the snapshot does not see; a
      // restart positioned by those GTIDs would skip them.
      const [g] = await query<{ g: string | null }>(conn, 'SELECT BINLOG_GTID_POS(?, ?) AS g', [
        v.binlog_snapshot_file,
        Number(v.binlog_snapshot_position),
      ]);
      return { file: v.binlog_snapshot_file, pos: Number(v.binlog_snapshot_position), gtids: g.g || null };
    }
  }
  const [status] = await query<Record<string, string>>(conn, 'SHOW MASTER STATUS');
  if (!status)
    throw new ConnectError(
      'SHOW MASTER STATUS returned nothing: the server does not write a binlog. Start it with --log-bin.',
    );
  const gtids = status.Executed_Gtid_Set ? status.Executed_Gtid_Set.replace(/\s+/g, '') : null;
  return { file: status.File, pos: Number(status.Position), gtids };
}
