import type { ChangeRecord } from '../../runtime/api/index.js';

/** `source.snapshot` of a snapshot record (the schema's other values: `false` when streaming, `incremental`). */
export type SnapshotMarker = 'first' | 'first_in_data_collection' | 'true' | 'last_in_data_collection' | 'last';

/**
 * Debezium's order of checks (RelationalSnapshotChangeEventSource#setSnapshotMarker): the end of the snapshot wins
 * over its start, and the snapshot's ends over a table's, so a one-row table in the middle is
 * `last_in_data_collection` and a one-table, one-row snapshot is `last`.
 */
export function snapshotMarker(
  firstTable: boolean,
  lastTable: boolean,
  firstInTable: boolean,
  lastInTable: boolean,
): SnapshotMarker {
  if (lastInTable && lastTable) return 'last';
  if (firstInTable && firstTable) return 'first';
  if (lastInTable) return 'last_in_data_collection';
  if (firstInTable) return 'first_in_data_collection';
  return 'true';
}

/**
 * One table of a snapshot: its place in the list of tables the snapshot reads (Debezium counts every planned table,
 * empty or not) and its `source` blocks. Rows of a table differ in `source` only by their marker, so each table
 * builds at most one block per marker, on first use, and its rows share them: a handful of objects per table instead
 * of one per row, which keeps records in flight small.
 */
export class SnapshotTable<S> {
  readonly first: boolean;
  readonly last: boolean;
  private readonly sources = new Map<SnapshotMarker, S>();

  constructor(
    index: number,
    count: number,
    private readonly build: (marker: SnapshotMarker) => S,
  ) {
    this.first = index === 0;
    this.last = index === count - 1;
  }

  source(marker: SnapshotMarker): S {
    let s = this.sources.get(marker);
    if (s === undefined) {
      s = this.build(marker);
      this.sources.set(marker, s);
    }
    return s;
  }
}

/**
 * Gives snapshot records their markers. Whether a row is the last of its table is known only when the next row (of
 * another table) or the end of the snapshot arrives, so the latest record is held back one step, as Debezium's
 * buffering snapshot receiver does.
 *
 * The final record is always `last`, even when it comes from an earlier table because the last tables were empty:
 * Debezium 2.x rewrites the buffered record's source to LAST when the snapshot completes (EventDispatcher's
 * BufferingSnapshotChangeRecordReceiver#completeSnapshot, DBZ-6465).
 */
export class SnapshotMarking<S> {
  private held: ChangeRecord | undefined;
  private heldTable: SnapshotTable<S> | undefined;
  private heldFirstInTable = false;

  /** Takes a row's record (its value an envelope with a `source` field); returns the record it releases, marked. */
  next(record: ChangeRecord, table: SnapshotTable<S>): ChangeRecord | undefined {
    // A row from another table than the held one ends the held one's table (tables are read one after another).
    const newTable = this.heldTable !== table;
    const t = this.heldTable;
    const out = t && this.release(snapshotMarker(t.first, t.last, this.heldFirstInTable, newTable));
    this.held = record;
    this.heldTable = table;
    this.heldFirstInTable = newTable;
    return out;
  }

  /** The snapshot is complete: the held record, if any, is its last. */
  finish(): ChangeRecord | undefined {
    const out = this.held && this.release('last');
    this.held = undefined;
    this.heldTable = undefined;
    return out;
  }

  private release(marker: SnapshotMarker): ChangeRecord {
    const record = this.held!;
    // The held record has not reached the runtime yet, so it is still ours to complete in place: copying every
    // row's envelope to set one field would double the allocations of a snapshot.
    (record.value as { source: unknown }).source = this.heldTable!.source(marker);
    return record;
  }
}

/**
 * SnapshotMarking for a snapshot whose tables (and ranges of one table) are read concurrently: each table holds its
 * latest record back one step, and a finished table's last record waits until the next record of any table (or the
 * end of the snapshot, which makes it `last`). Read one table after another, it marks exactly as SnapshotMarking.
 * `first` stays the first row of the first table in the list, as in Debezium, which may not be the first record out.
 */
export class ConcurrentMarking<S> {
  private readonly held = new Map<SnapshotTable<S>, { record: ChangeRecord; firstInTable: boolean }>();
  private readonly started = new Set<SnapshotTable<S>>();
  private ended?: { record: ChangeRecord; table: SnapshotTable<S>; firstInTable: boolean };

  /** Takes a row's record of `table`; returns the records it releases, marked, in order. */
  next(record: ChangeRecord, table: SnapshotTable<S>): ChangeRecord[] {
    const out: ChangeRecord[] = [];
    if (this.ended) out.push(this.releaseEnded());
    const h = this.held.get(table);
    if (h) {
      // another row of its table follows it: neither last of its table nor of the snapshot
      (h.record.value as { source: unknown }).source = table.source(
        snapshotMarker(table.first, false, h.firstInTable, false),
      );
      out.push(h.record);
    }
    const firstInTable = !this.started.has(table);
    this.started.add(table);
    this.held.set(table, { record, firstInTable });
    return out;
  }

  /** Every row of `table` was read: its held record is its last; it waits to learn whether it is the snapshot's. */
  tableDone(table: SnapshotTable<S>): ChangeRecord | undefined {
    const h = this.held.get(table);
    if (!h) return undefined;
    this.held.delete(table);
    const out = this.ended ? this.releaseEnded() : undefined;
    this.ended = { record: h.record, table, firstInTable: h.firstInTable };
    return out;
  }

  /** The snapshot is complete (every table done): the waiting record is its last. */
  finish(): ChangeRecord | undefined {
    const e = this.ended;
    this.ended = undefined;
    if (!e) return undefined;
    (e.record.value as { source: unknown }).source = e.table.source('last');
    return e.record;
  }

  private releaseEnded(): ChangeRecord {
    const e = this.ended!;
    this.ended = undefined;
    // a record follows it, so it is not the snapshot's last even when its table is the last in the list
    (e.record.value as { source: unknown }).source = e.table.source(
      snapshotMarker(e.table.first, false, e.firstInTable, true),
    );
    return e.record;
  }
}
