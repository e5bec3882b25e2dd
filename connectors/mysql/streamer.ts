import type { ChangeRecord, Logger, SourceOffset } from '../../runtime/api/index.js';
import { ConnectError } from '../../runtime/api/index.js';
import type { BinlogStream, Flavor } from './binlog/client.js';
import { BinlogDecoder, type EventHeader } from './binlog/events.js';
import { decodeRows, type RowsEvent } from './binlog/rows.js';
import type { MySqlOptions } from './config.js';
import { buildShape, type TableShape } from './envelope.js';
import { tableChange } from './table-changes.js';
import { MariaGtidPosition, MysqlGtidSet, mariaSource, parseMariaGtid } from './gtid.js';
import type { RecordMaker } from './records.js';
import { applyDdl, type DdlChange } from './schema/ddl.js';
import { type ValueError, valueFailure } from './values.js';
import { tableFromMap } from './schema/from-table-map.js';
import type { SchemaHistory } from './schema/history.js';
import type { SchemaModel, TableDef } from './schema/model.js';
import { heartbeatRecord } from './snapshot.js';
import type { ChunkRelease } from '../cdc/incremental.js';
import { WINDOW_CLOSE, WINDOW_OPEN } from '../cdc/signals.js';
import { type ChunkRow, rowKey } from './incremental.js';
import type { TableMap } from './binlog/table-map.js';
import type { StreamStop } from './blocking.js';

/** What signals and incremental snapshots need from the binlog; absent, the reader only streams. */
export interface StreamHooks {
  /** offset fields every record carries while an incremental snapshot runs */
  fields(): Record<string, unknown> | undefined;
  /** whether a chunk window is open on `table` (`db.table`): its changes are then reported */
  watching(table: string): boolean;
  changed(table: string, key: string): void;
  truncated(table: string): void;
  /** a watermark row of the signal table; a close returns the chunk's rows */
  watermark(id: string, open: boolean): ChunkRelease<ChunkRow> | undefined;
  /** any other row inserted into the signal table: a signal (the `source` channel) */
  signalRow(row: { id: string; type: unknown; data: unknown }, position: string): void;
  /** read.only: the binlog position a chunk window waits for the reader to reach */
  awaiting?(): { file: string; pos: number } | undefined;
  /** read.only: the reader reached it; returns the chunk's rows */
  reached?(): ChunkRelease<ChunkRow> | undefined;
}

/** Where to resume: the start of a transaction, and how much of it was already delivered. */
export interface ResumePoint {
  file: string;
  pos: number;
  /** rows events of that transaction already fully delivered */
  event: number;
  /** rows of the next rows event already delivered */
  row: number;
  gtids: string | null;
  /**
   * The stream was positioned by GTID: the partly delivered transaction is the first one received whose GTID
   * source is captured (its file and position may differ from the offset's, e.g. after the file was purged).
   */
  byGtid?: boolean;
}

/**
 * Turns binlog events into change records. Offsets follow Debezium's: `pos` is the start of the current
 * transaction, `event` the rows events of it already delivered and `row` the rows of the next one, so a restart
 * replays the transaction and skips exactly what was delivered.
 */
export class BinlogReader {
  private readonly decoder: BinlogDecoder;
  private file: string;
  private txPos: number;
  private inTx = false;
  private rowsEventIndex = 0;
  private txGtid: string | null = null;
  private txThread: number | null = null;
  /** the transaction's GTID source is excluded by gtid.source.includes/excludes: its rows are not captured */
  private txSkipDml = false;
  private standalone = false;
  private resume: ResumePoint | undefined;
  /** GTIDs of completed transactions, of every source (filters apply when the stream is positioned, as Debezium) */
  private readonly mariaGtids = new MariaGtidPosition();
  private mysqlGtids: MysqlGtidSet | null = null;
  private gtidCache: string | null | undefined;
  private readonly shapes = new Map<string, TableShape>();
  private lastHeartbeat = Date.now();
  private lastEmittedOffset = '';
  private committedOffset: SourceOffset | undefined;
  /** the last event's header from a server (not a fake rotate/heartbeat), for chunks emitted between events */
  private lastHeader?: EventHeader;
  /** a blocking snapshot waits: next() returns at the next place between transactions */
  stopBetweenTransactions = false;

  constructor(
    private readonly stream: BinlogStream,
    private readonly model: SchemaModel,
    private readonly history: SchemaHistory,
    private readonly maker: RecordMaker,
    private readonly options: MySqlOptions,
    private readonly flavor: Flavor,
    private readonly log: Logger,
    start: ResumePoint,
    checksum: boolean,
    private readonly hooks?: StreamHooks,
  ) {
    this.decoder = new BinlogDecoder(checksum);
    this.file = start.file;
    this.txPos = start.pos;
    this.resume = start.event > 0 || start.row > 0 ? start : undefined;
    if (start.gtids) {
      if (flavor === 'mysql') this.mysqlGtids = new MysqlGtidSet(start.gtids);
      else for (const g of new MariaGtidPosition(start.gtids).entries()) this.mariaGtids.set(g);
    }
  }

  /** The GTIDs of the transactions completed so far; cached, as every row's offset carries it. */
  private gtidText(): string | null {
    if (this.gtidCache === undefined) {
      const text = this.flavor === 'mysql' ? (this.mysqlGtids?.toString() ?? '') : this.mariaGtids.toString();
      this.gtidCache = text === '' ? null : text;
    }
    return this.gtidCache;
  }

  private gtidSource(gtid: string): string {
    return this.flavor === 'mysql' ? gtid.slice(0, gtid.lastIndexOf(':')) : mariaSource(parseMariaGtid(gtid));
  }

  /** Reads events until a batch is full or nothing arrives for `idleMs`; [] when idle. */
  async next(signal: AbortSignal, idleMs: number): Promise<ChangeRecord[]> {
    const out: ChangeRecord[] = [];
    // A time budget as well as a size: server heartbeats and changes of uncaptured tables keep events coming
    // without producing records, and poll() must still return.
    const deadline = Date.now() + idleMs;
    while (out.length < this.options.maxBatch && !signal.aborted) {
      if (this.stopBetweenTransactions && this.betweenTransactions) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      // read.only: a chunk waiting for a GTID position the reader may already have is checked often
      const waiting = this.hooks?.awaiting?.() !== undefined;
      if (waiting && !this.inTx) this.checkSnapshotWindow(out);
      const raw = await this.stream.next(signal, out.length || waiting ? Math.min(waiting ? 20 : 5, left) : left);
      if (!raw) {
        if (waiting && out.length === 0) continue;
        break;
      }
      this.handle(raw, out);
    }
    // DDL recorded while decoding must be stored before records whose offsets lie past it are handed out.
    await this.history.flush();
    if (this.options.heartbeatMs > 0 && Date.now() - this.lastHeartbeat >= this.options.heartbeatMs) {
      this.lastHeartbeat = Date.now();
      if (out.length === 0 && this.committedOffset && JSON.stringify(this.committedOffset) !== this.lastEmittedOffset) {
        out.push(heartbeatRecord(this.maker, this.committedOffset));
        this.lastEmittedOffset = JSON.stringify(this.committedOffset);
      }
    }
    return out;
  }

  /** Whether the reader stands between transactions (a blocking snapshot's stop). */
  get betweenTransactions(): boolean {
    return !this.inTx;
  }

  /**
   * Where the stream stands between transactions: the offset a restart streams on from (the next transaction), and
   * its place for a `source` block. Before the first transaction after a resume it is the resume point itself, with
   * what of its transaction was already delivered.
   */
  stopPoint(): StreamStop {
    const serverId = this.lastHeader?.serverId ?? 0;
    const r = this.resume;
    const at = r
      ? { file: r.file, pos: r.pos, gtids: r.gtids, event: r.event, row: r.row }
      : { file: this.file, pos: this.txPos, gtids: this.gtidText(), event: 0, row: 0 };
    const offset = this.withFields({
      file: at.file,
      pos: at.pos,
      gtids: at.gtids,
      row: at.row,
      event: at.event,
      server_id: serverId,
      ts_sec: this.lastHeader?.timestamp ?? Math.floor(Date.now() / 1000),
    });
    return { offset, file: at.file, pos: at.pos, gtids: at.gtids, serverId };
  }

  private offset(event: number, row: number, header: EventHeader): SourceOffset {
    return this.withFields({
      file: this.file,
      pos: this.txPos,
      gtids: this.gtidText(),
      row,
      event,
      server_id: header.serverId,
      ts_sec: header.timestamp,
    });
  }

  /** An offset with the incremental snapshot's state, while one runs (a restart resumes it there). */
  private withFields(o: Record<string, unknown>): SourceOffset {
    const f = this.hooks?.fields();
    if (f) Object.assign(o, f);
    return o as SourceOffset;
  }

  /** A table's definition in the stream's schema now (a blocking snapshot's schema changes). */
  definitionOf(db: string, table: string): TableDef | undefined {
    return this.model.get(db, table);
  }

  /** The current shape of a table, as its rows events would be mapped now (the incremental snapshot's chunks). */
  shapeOf(db: string, table: string): TableShape | undefined {
    const key = `${db}.${table}`;
    const cached = this.shapes.get(key);
    if (cached) return cached;
    const def = this.model.get(db, table);
    if (!def) return undefined;
    const shape = buildShape(def, this.options.prefix, this.options.mapping, this.maker.sourceSchema, (c) =>
      this.options.filters.column(db, table, c),
    );
    this.shapes.set(key, shape);
    return shape;
  }

  private beginTx(start: number, gtid: string | null): void {
    this.inTx = true;
    this.txPos = start;
    this.rowsEventIndex = 0;
    this.txGtid = gtid;
    this.txThread = null;
    const captured = gtid === null || this.options.filters.gtidSource(this.gtidSource(gtid));
    this.txSkipDml = !captured && this.options.gtidFilterDml;
    if (this.resume?.byGtid && (captured || !this.options.gtidFilterDml)) {
      // Positioned by GTID, the server starts at the first transaction not in the offset's set: this one.
      this.resume = { ...this.resume, file: this.file, pos: start, byGtid: false };
    }
  }

  private endTx(header: EventHeader): void {
    if (this.txGtid) {
      if (this.flavor === 'mariadb') this.mariaGtids.set(parseMariaGtid(this.txGtid));
      else {
        this.mysqlGtids ??= new MysqlGtidSet();
        this.mysqlGtids.add(this.txGtid);
      }
      this.gtidCache = undefined;
    }
    this.inTx = false;
    this.standalone = false;
    this.txGtid = null;
    this.txSkipDml = false;
    if (!this.resume?.byGtid) this.resume = undefined;
    if (header.nextPosition > 0) {
      this.txPos = header.nextPosition;
      this.committedOffset = this.withFields({
        file: this.file,
        pos: header.nextPosition,
        gtids: this.gtidText(),
        row: 0,
        event: 0,
        server_id: header.serverId,
        ts_sec: header.timestamp,
      });
    }
  }

  private handle(raw: Buffer, out: ChangeRecord[]): void {
    const { header, event } = this.decoder.decode(raw);
    if (header.serverId !== 0) this.lastHeader = header;
    const start = header.nextPosition > 0 ? header.nextPosition - header.eventSize : 0;
    switch (event.type) {
      case 'rotate':
        this.file = event.file;
        if (!this.inTx) this.txPos = event.position;
        this.decoder.tables.clear();
        return;
      case 'mariaGtid':
        this.beginTx(start, event.gtid);
        this.standalone = event.standalone;
        return;
      case 'gtid':
        this.beginTx(start, event.gtid);
        return;
      case 'query':
        this.onQuery(event.sql, event.database, event.threadId, header, start, out);
        return;
      case 'xid':
        this.endTx(header);
        return;
      case 'rows':
        if (!this.inTx) this.beginTx(start, null);
        this.onRows(event.rows, header, start, out);
        this.rowsEventIndex++;
        return;
      case 'gtidList':
        for (const g of event.gtids) this.mariaGtids.advance(parseMariaGtid(g));
        this.gtidCache = undefined;
        return;
      case 'previousGtids':
        if (this.mysqlGtids === null) {
          this.mysqlGtids = new MysqlGtidSet(event.gtidSet);
          this.gtidCache = undefined;
        }
        return;
      default:
        return;
    }
  }

  private onQuery(
    sql: string,
    database: string,
    threadId: number,
    header: EventHeader,
    start: number,
    out: ChangeRecord[],
  ): void {
    const verb = sql.trim().toUpperCase();
    if (verb === 'BEGIN' || verb === 'XA START') {
      if (!this.inTx) this.beginTx(start, this.txGtid);
      this.txThread = threadId;
      return;
    }
    if (verb === 'COMMIT' || verb.startsWith('XA COMMIT') || verb === 'ROLLBACK') {
      this.endTx(header);
      return;
    }
    const txStart = this.inTx ? this.txPos : start;
    const changes = applyDdl(this.model, database, sql);
    if (changes.length) {
      this.history.recordDdl({ file: this.file, pos: txStart }, database, sql);
      for (const c of changes) {
        // A table truncated while a chunk window is open on it: the chunk's rows are gone.
        if (c.type === 'TRUNCATE') this.hooks?.truncated(`${c.database}.${c.table}`);
        if (c.type === 'DATABASE') {
          for (const k of [...this.shapes.keys()]) if (k.startsWith(`${c.database}.`)) this.shapes.delete(k);
        } else {
          this.shapes.delete(`${c.database}.${c.table}`);
          if (c.type === 'ALTER' && 'previousId' in c && c.previousId) this.shapes.delete(c.previousId);
        }
      }
      // Debezium writes no schema change for TRUNCATE (its truncate event is a data event, skipped by default).
      const relevant = changes.filter((c) => c.type !== 'TRUNCATE' && this.options.filters.schemaDatabase(c.database));
      if (this.options.includeSchemaChanges && relevant.length) {
        const tableChangeOf = (c: DdlChange) => {
          const t = (c as { table: string }).table;
          const def = this.model.get(c.database, t) ?? { database: c.database, name: t, columns: [], primaryKey: [] };
          return tableChange(c.type as 'CREATE' | 'ALTER' | 'DROP', def);
        };
        // As Debezium: a DROP TABLE of several tables is one schema change per table, each with its own DDL.
        const drops = relevant.every((c) => c.type === 'DROP') && /^\s*DROP\s/i.test(sql);
        const groups: Array<{ ddl: string; changes: DdlChange[] }> = drops
          ? relevant.map((c) => ({ ddl: dropTableDdl(sql, c as { database: string; table: string }), changes: [c] }))
          : [{ ddl: sql, changes: relevant }];
        const after = header.nextPosition;
        // The DDL is a transaction of its own: resuming after it must not read it again.
        const gtidsAfter = this.txGtid ? gtidsWith(this.flavor, this.gtidText(), this.txGtid) : this.gtidText();
        const offset: SourceOffset = this.withFields({
          file: this.file,
          pos: after,
          gtids: gtidsAfter,
          row: 0,
          event: 0,
          server_id: header.serverId,
          ts_sec: header.timestamp,
        });
        // Each record of a multi-table DROP names every dropped table in source.table, as Debezium's do.
        const dropped = drops
          ? [...new Set(relevant.map((c) => (c as { table: string }).table))].sort().join(',')
          : undefined;
        for (const g of groups) {
          const first = g.changes[0];
          const source = this.maker.source({
            tsMs: header.timestamp * 1000,
            snapshot: 'false',
            db: first.database,
            table: dropped ?? ('table' in first ? first.table : null),
            serverId: header.serverId,
            gtid: this.txGtid,
            file: this.file,
            pos: start,
            row: 0,
            thread: threadId,
          });
          const tableChanges = g.changes
            .filter((c) => c.type === 'CREATE' || c.type === 'ALTER' || c.type === 'DROP')
            .map(tableChangeOf);
          out.push(this.maker.schemaChange(first.database, g.ddl, tableChanges, source, offset));
        }
      }
    }
    if (this.standalone || !this.inTx) this.endTx(header);
  }

  private shapeFor(rows: RowsEvent): { shape: TableShape; def: TableDef } | undefined {
    const map = this.decoder.tables.get(rows.tableId);
    if (!map) throw new ConnectError(`rows event for unknown table id ${rows.tableId} (no TABLE_MAP before it)`);
    if (!this.options.filters.table(map.database, map.table)) return undefined;
    const key = `${map.database}.${map.table}`;
    let shape = this.shapes.get(key);
    if (shape && shape.def.columns.length === map.columns.length) return { shape, def: shape.def };
    let def = this.model.get(map.database, map.table);
    if (!def || def.columns.length !== map.columns.length) {
      const fromMap = tableFromMap(map);
      if (!fromMap) {
        throw new ConnectError(
          `no schema for ${key} matching its binlog rows (${map.columns.length} columns; the schema history has ${def ? def.columns.length : 'none'}), and the server does not send column metadata. Set binlog_row_metadata=FULL on the server, or re-snapshot (snapshot.mode=when_needed after deleting offsets).`,
          { context: { table: key } },
        );
      }
      this.log.warn(
        { table: key },
        'schema history does not match the binlog rows; using the column metadata of TABLE_MAP',
      );
      def = fromMap;
    }
    shape = buildShape(def, this.options.prefix, this.options.mapping, this.maker.sourceSchema, (c) =>
      this.options.filters.column(map.database, map.table, c),
    );
    this.shapes.set(key, shape);
    return { shape, def };
  }

  private onRows(rows: RowsEvent, header: EventHeader, start: number, out: ChangeRecord[]): void {
    if (this.txSkipDml) return;
    const sig = this.options.signalTable;
    if (sig && this.hooks) {
      const m = this.decoder.tables.get(rows.tableId);
      if (m && m.database === sig.db && m.table === sig.table) {
        this.onSignalRows(rows, m, header, start, out);
        // its own rows become events only when the filters capture it
        if (!this.options.filters.table(sig.db, sig.table)) return;
      }
    }
    const found = this.shapeFor(rows);
    if (!found) return;
    const { shape, def } = found;
    let skipRows = 0;
    if (this.resume && this.resume.file === this.file && this.resume.pos === this.txPos) {
      if (this.rowsEventIndex < this.resume.event) return;
      if (this.rowsEventIndex === this.resume.event) skipRows = this.resume.row;
    }
    const map = this.decoder.tables.get(rows.tableId);
    if (!map) return;
    const unsigned = def.columns.map((c) => c.unsigned);
    const images = decodeRows(rows, map, unsigned);
    const enumMeta = (i: number) => map.columns[i]?.enumValues ?? map.columns[i]?.setValues;
    const op = rows.kind === 'insert' ? 'c' : rows.kind === 'update' ? 'u' : 'd';
    const baseSource = this.maker.source({
      tsMs: header.timestamp * 1000,
      snapshot: 'false',
      db: map.database,
      table: map.table,
      serverId: header.serverId,
      gtid: this.txGtid,
      file: this.file,
      pos: start,
      row: 0,
      thread: this.txThread,
    });
    const table = `${map.database}.${map.table}`;
    const position = `binlog ${this.file}:${start}`;
    // A change the binlog carries while a chunk window is open on its table supersedes the row the chunk read.
    const watch = this.hooks?.watching(table) === true && shape.keyIndexes.length > 0;
    const onError = (err: ValueError, column: string) => {
      const mode = this.options.failureHandling;
      if (err.kind !== 'invalid' || mode === 'fail') throw valueFailure(err, table, column, position);
      if (mode === 'warn') {
        this.log.warn(
          { table, column, position },
          `${err.message}: written as the epoch (event.processing.failure.handling.mode=warn)`,
        );
      }
      return err.fallback;
    };
    for (let i = skipRows; i < images.length; i++) {
      const img = images[i];
      const before = img.before ? this.maker.valueFromCells(shape, img.before, enumMeta, onError) : null;
      const after = img.after ? this.maker.valueFromCells(shape, img.after, enumMeta, onError) : null;
      if (watch) {
        const k = rowKey(shape, (after ?? before) as Record<string, unknown>);
        this.hooks?.changed(table, k);
        if (before && after) {
          const kb = rowKey(shape, before);
          if (kb !== k) this.hooks?.changed(table, kb);
        }
      }
      const source = i === 0 ? baseSource : { ...baseSource, row: i };
      const partial = this.offset(this.rowsEventIndex, i, header);
      const last =
        i === images.length - 1
          ? this.offset(this.rowsEventIndex + 1, 0, header)
          : this.offset(this.rowsEventIndex, i + 1, header);
      for (const r of this.maker.rowChange(shape, op, before, after, source, partial, last)) out.push(r);
    }
  }

  /**
   * read.only: once the reader has read up to the binlog position a chunk's read saw, the chunk's rows go out,
   * here, between transactions (a restart from their offset starts after the last one read).
   */
  private checkSnapshotWindow(out: ChangeRecord[]): void {
    const a = this.hooks?.awaiting?.();
    if (!a || !this.lastHeader) return;
    if (compareBinlogFiles(this.file, a.file) < 0 || (this.file === a.file && this.txPos < a.pos)) return;
    const release = this.hooks?.reached?.();
    if (release) this.emitChunk(release, this.lastHeader, this.txPos, 0, 0, out);
  }

  /** Rows inserted into the signal table: watermarks of the incremental snapshot, or signals. */
  private onSignalRows(rows: RowsEvent, map: TableMap, header: EventHeader, start: number, out: ChangeRecord[]): void {
    if (rows.kind !== 'insert' || !this.hooks) return;
    let def = this.model.get(map.database, map.table);
    if (!def || def.columns.length !== map.columns.length) def = tableFromMap(map);
    if (!def) {
      this.log.warn({ table: `${map.database}.${map.table}` }, 'signal table rows cannot be decoded (no schema)');
      return;
    }
    const shape = buildShape(def, this.options.prefix, this.options.mapping, this.maker.sourceSchema, () => true);
    const images = decodeRows(
      rows,
      map,
      def.columns.map((c) => c.unsigned),
    );
    const position = `binlog ${this.file}:${start}`;
    for (let i = 0; i < images.length; i++) {
      const cells = images[i].after;
      if (!cells) continue;
      let v: Record<string, unknown>;
      try {
        v = this.maker.valueFromCells(shape, cells, undefined, (err) => {
          throw err;
        });
      } catch (err) {
        this.log.warn({ position, err: (err as Error).message }, 'signal row refused');
        continue;
      }
      const id = v.id;
      if (typeof id !== 'string') continue;
      if (v.type === WINDOW_OPEN || v.type === WINDOW_CLOSE) {
        const release = this.hooks.watermark(id, v.type === WINDOW_OPEN);
        if (release) this.emitChunk(release, header, start, this.rowsEventIndex, i, out);
        continue;
      }
      this.hooks.signalRow({ id, type: v.type, data: v.data }, position);
    }
  }

  /**
   * A chunk's rows as `op: "r"` events at the close watermark's place in the binlog (Debezium's source block: the
   * watermark's position, `snapshot: "incremental"`, the time of emission). All but the last carry the state before
   * the chunk, so a restart from any of them reads the chunk again; the last carries the state after it.
   */
  private emitChunk(
    release: ChunkRelease<ChunkRow>,
    header: EventHeader,
    start: number,
    event: number,
    row: number,
    out: ChangeRecord[],
  ): void {
    const tsMs = Date.now();
    const sources = new Map<TableShape, Record<string, unknown>>();
    const n = release.rows.length;
    for (let i = 0; i < n; i++) {
      const { shape, after } = release.rows[i];
      let source = sources.get(shape);
      if (!source) {
        source = this.maker.source({
          tsMs,
          snapshot: 'incremental',
          db: shape.def.database,
          table: shape.def.name,
          serverId: header.serverId,
          gtid: this.txGtid,
          file: this.file,
          pos: start,
          row,
          thread: this.txThread,
        });
        sources.set(shape, source);
      }
      const offset: SourceOffset = {
        file: this.file,
        pos: this.txPos,
        gtids: this.gtidText(),
        row,
        event,
        server_id: header.serverId,
        ts_sec: header.timestamp,
        ...(i === n - 1 ? release.after : release.before),
      } as SourceOffset;
      for (const r of this.maker.rowChange(shape, 'r', null, after, source, offset, offset)) out.push(r);
    }
  }
}

/** Orders binlog file names (`binlog.000009` < `binlog.000010`, also past six digits). */
function compareBinlogFiles(a: string, b: string): number {
  const na = /(\d+)$/.exec(a)?.[1];
  const nb = /(\d+)$/.exec(b)?.[1];
  if (na !== undefined && nb !== undefined && a.slice(0, -na.length) === b.slice(0, -nb.length))
    return Number(na) - Number(nb);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The GTID text after `gtid` completes. */
function gtidsWith(flavor: Flavor, current: string | null, gtid: string): string {
  if (flavor === 'mysql') {
    const set = new MysqlGtidSet(current);
    set.add(gtid);
    return set.toString();
  }
  const pos = new MariaGtidPosition(current);
  pos.set(parseMariaGtid(gtid));
  return pos.toString();
}

/** The DDL Debezium gives one table of a DROP TABLE: `DROP TABLE [IF EXISTS] `db`.`t`` (no server comment). */
function dropTableDdl(sql: string, c: { database: string; table: string }): string {
  const q = (x: string) => `\`${x.replace(/`/g, '``')}\``;
  const ifExists = /^\s*DROP\s+(TEMPORARY\s+)?TABLE\s+IF\s+EXISTS\s/i.test(sql) ? 'IF EXISTS ' : '';
  return `DROP TABLE ${ifExists}${q(c.database)}.${q(c.table)}`;
}
