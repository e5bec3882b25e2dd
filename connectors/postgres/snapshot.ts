import type pg from 'pg';
import type { ChangeRecord, SourceOffset, SourcePartition, SourceTaskContext } from '../../runtime/api/index.js';
import { describeTable, quoteIdent, quoteLiteral, type TypeCatalog } from './catalog.js';
import type { PostgresSettings } from './config.js';
import { connectClient } from './connection.js';
import { SnapshotMarking, SnapshotTable } from '../cdc/snapshot-markers.js';
import { explain } from './errors.js';
import { isSelect } from './incremental.js';
import { processingTimes, sourceValue } from './source.js';
import { decodeFailure, TableModel } from './table.js';
import type { PgOffset } from './offsets.js';

/** A blocking ad-hoc snapshot (signal): its records carry the stream's offset, its tables may have filters. */
export interface BlockingRun {
  /** the execute-snapshot signal's id */
  id: string;
  /** the stream's position where it stopped: every record's offset, so a restart streams on from there */
  offset: PgOffset;
  /** additional-conditions per `schema.table` */
  filters: ReadonlyMap<string, string>;
}

export interface SnapshotSink {
  push(record: ChangeRecord): void;
  /** resolves when the task's queue can take more records */
  room(): Promise<void>;
  /** true while the task's queue is full */
  full(): boolean;
  stopped(): boolean;
}

/**
 * Reads every captured table inside one REPEATABLE READ transaction — the slot's exported snapshot when there is
 * one, so that the stream continues exactly where the snapshot ends — with a cursor, `snapshot.fetch.size` rows
 * at a time, so memory stays bounded whatever the table size.
 */
export class Snapshotter {
  constructor(
    private readonly s: PostgresSettings,
    private readonly types: TypeCatalog,
    private readonly ctx: SourceTaskContext,
    private readonly partition: SourcePartition,
    private readonly sink: SnapshotSink,
  ) {}

  async run(
    tables: Array<{ schema: string; table: string }>,
    exportedSnapshot: string | null,
    lsn: number,
    blocking?: BlockingRun,
  ): Promise<void> {
    const tag = blocking ? { kind: 'blocking' as const, snapshotId: blocking.id } : {};
    const context = { connector: this.ctx.connector, task: this.ctx.taskId };
    let client: pg.Client;
    try {
      client = await connectClient(this.s, `sluice-${this.ctx.connector}-snapshot`);
    } catch (err) {
      throw explain(err, 'cannot open the snapshot connection', context, this.s.user);
    }
    client.on('error', () => {});
    const started = Date.now();
    const tsUs = BigInt(started) * 1000n;
    // Records go out one behind, so that each can be marked first/last of its table and of the snapshot.
    const marking = new SnapshotMarking<Record<string, unknown>>();
    let rows = 0;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      if (exportedSnapshot) await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(exportedSnapshot)}`);
      const txRow = await client.query({
        text: 'SELECT txid_snapshot_xmin(txid_current_snapshot())::text AS xmin',
        rowMode: 'array',
      });
      const txId = Number(txRow.rows[0][0]);
      this.ctx.log.info({ tables: tables.length, exported: exportedSnapshot !== null }, 'snapshot started');
      this.ctx.reportSnapshotProgress?.({
        tablesTotal: tables.length,
        tablesRemaining: tables.length,
        rowsScanned: 0,
        running: true,
        ...tag,
      });
      for (let ti = 0; ti < tables.length; ti++) {
        const t = tables[ti];
        if (this.sink.stopped()) return;
        const catalog = await describeTable(client, t.schema, t.table);
        if (!catalog) continue;
        if (catalog.columns.some((c) => !this.types.has(c.typeOid))) await this.types.load(client);
        const model = new TableModel(t.schema, t.table, catalog.columns, catalog, this.s, this.types);
        const cols = model.columns.map((c) => quoteIdent(c.name)).join(', ');
        // a blocking snapshot's filter: a condition, or a whole SELECT of the table's rows (Debezium's form)
        const filter = blocking?.filters.get(`${t.schema}.${t.table}`);
        const from =
          filter && isSelect(filter) ? `(${filter}) AS sluice_rows` : `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
        // The extended protocol takes one statement only: a filter cannot end the READ ONLY transaction and go on.
        await client.query({
          text: `DECLARE sluice_snapshot NO SCROLL CURSOR FOR SELECT ${cols || '*'} FROM ${from}${filter && !isSelect(filter) ? ` WHERE ${filter}` : ''}`,
          queryMode: filter ? 'extended' : undefined,
        } as pg.QueryConfig);
        // Every row of a table shares its offset and one of its few source blocks (same snapshot, LSN and
        // transaction; only the marker differs) instead of one object per row, which keeps in-flight records small.
        const marks = new SnapshotTable(ti, tables.length, (snapshot) =>
          sourceValue({
            name: this.s.prefix,
            db: this.s.database,
            schema: model.schema,
            table: model.table,
            tsUs,
            snapshot,
            txId,
            lsn,
            lastCommitLsn: null,
          }),
        );
        const tableStart = rows;
        const offset: PgOffset = blocking?.offset ?? {
          lsn,
          lsn_proc: lsn,
          lsn_commit: lsn,
          txId,
          ts_usec: Number(tsUs),
          snapshot: true,
          last_snapshot_record: false,
        };
        const fetch = () => {
          const p = client.query({
            text: `FETCH ${this.s.fetchSize} FROM sluice_snapshot`,
            rowMode: 'array',
            types: { getTypeParser: () => (v: string) => v },
          } as pg.QueryConfig);
          // Awaited below; until then a failure must not count as unhandled.
          p.catch(() => undefined);
          return p;
        };
        let pending: ReturnType<typeof fetch> | undefined = fetch();
        while (pending) {
          await this.sink.room();
          if (this.sink.stopped()) return;
          const res: pg.QueryResult = await pending;
          // The next rows are read and sent by PostgreSQL while these become records: its work overlaps ours (the
          // cursor's pages and text formatting on the other core) instead of alternating with it. Two fetches of raw
          // rows at most are held.
          pending = res.rows.length < this.s.fetchSize ? undefined : fetch();
          const fetched = res.rows as ((string | null)[] | null)[];
          const now = processingTimes();
          for (let r = 0; r < fetched.length; r++) {
            // Rows become records only as the task's queue takes them: a fetch holds raw rows (as JDBC's fetch
            // buffer does), never a whole fetch of records on top of a full queue.
            if (this.sink.full()) {
              await this.sink.room();
              if (this.sink.stopped()) return;
            }
            const row = fetched[r]!;
            fetched[r] = null;
            const values = row.map((v, i) => {
              const codec = model.columns[i].codec;
              if (v === null || !codec) return undefined;
              try {
                return codec.decode(v);
              } catch (err) {
                throw decodeFailure(
                  model,
                  model.columns[i],
                  v,
                  `snapshot row ${rows + 1} of ${model.id}`,
                  this.types,
                  context,
                  err,
                );
              }
            });
            const record: ChangeRecord = {
              topic: model.topic,
              keySchema: model.keySchema,
              key: model.keyOf(values),
              valueSchema: model.envelopeSchema,
              value: {
                before: null,
                after: model.valueOf(values),
                source: null, // the marking sets it once the row's place in its table is known
                transaction: null,
                op: 'r',
                ts_ms: now.ms,
                ts_us: now.us,
                ts_ns: now.ns,
              },
              headers: [],
              timestamp: started,
              sourcePartition: this.partition,
              sourceOffset: offset as unknown as SourceOffset,
            };
            const released = marking.next(record, marks);
            if (released) this.sink.push(released);
            rows++;
          }
        }
        await client.query('CLOSE sluice_snapshot');
        this.ctx.reportSnapshotProgress?.({
          tablesTotal: tables.length,
          tablesRemaining: tables.length - ti - 1,
          rowsScanned: rows,
          running: true,
          table: { name: model.id, rows: rows - tableStart },
          ...tag,
        });
      }
      await client.query('COMMIT');
      const last = marking.finish();
      if (last && blocking) this.sink.push(last);
      else if (last) {
        // The last snapshot record says so in its offset too (even when the last tables were empty and it comes
        // from an earlier one): a restart then knows the snapshot is complete once this offset is committed.
        const offset = { ...last.sourceOffset, last_snapshot_record: true };
        this.sink.push({ ...last, sourceOffset: offset });
      }
      this.ctx.reportSnapshotProgress?.({
        tablesTotal: tables.length,
        tablesRemaining: 0,
        rowsScanned: rows,
        running: false,
        ...tag,
      });
      this.ctx.log.info({ rows, ms: Date.now() - started }, 'snapshot complete');
    } catch (err) {
      throw explain(err, 'snapshot failed', context, this.s.user);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
