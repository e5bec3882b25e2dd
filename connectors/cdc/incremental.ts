import { ConnectError, type ErrorContext, type Logger, type SnapshotProgress } from '../../runtime/api/index.js';
import {
  type Signal,
  type SignalAnswer,
  SignalError,
  SIGNAL_TYPES,
  type SnapshotRequest,
  collectionPattern,
  snapshotRequest,
  stopCollections,
} from './signals.js';

/**
 * The state of a DBLog incremental snapshot (Debezium's IncrementalSnapshotContext), shared by every connector:
 * the collections left to read, the last key read of the current one and its maximum key, and the chunk window
 * that de-duplicates a chunk against the log. It lives in the source offset of every record the task hands out
 * while a snapshot runs, so a restart resumes at the last committed chunk.
 *
 * Offset fields: Debezium's `incremental_snapshot_collections` (JSON text of `[{"incremental_snapshot_collections_id":
 * "schema.table", "incremental_snapshot_collections_additional_condition": "…"}]`), `incremental_snapshot_primary_key`
 * and `incremental_snapshot_maximum_key`; Debezium serialises the keys as hex of Java-serialised arrays, sluice as JSON
 * text of the key's column values, so an offset of one is not read by the other (the field names match so
 * that tooling looking for a running snapshot finds it). Ours besides: `incremental_snapshot_id` (the signal's id)
 * and `incremental_snapshot_chunk` (chunks read so far).
 */

export interface SnapshotCollection {
  id: string;
  /** additional-conditions filter, SQL of the database */
  filter?: string;
}

/**
 * A key as text for de-duplication: the log's events and the chunk's rows build their keys with the same codecs,
 * so equal keys give equal text (bigint, Buffer and Decimal values included).
 */
export function keyString(key: unknown): string {
  return JSON.stringify(key, (_k, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') return JSON.stringify(v);
    if (v && typeof v === 'object' && 'unscaled' in v) return String(v);
    return v;
  });
}

/** Key column values as text, in key order: what chunk queries compare against. */
export type KeyText = Array<string | null>;

export interface IncrementalState {
  snapshotId: string;
  collections: SnapshotCollection[];
  /** last key read of collections[0]; undefined before its first chunk */
  lastKey?: KeyText;
  /** collections[0]'s highest key when its first chunk was read: rows past it are new and come from the log */
  maxKey?: KeyText;
  chunk: number;
  paused: boolean;
}

const F = {
  collections: 'incremental_snapshot_collections',
  key: 'incremental_snapshot_primary_key',
  max: 'incremental_snapshot_maximum_key',
  id: 'incremental_snapshot_id',
  chunk: 'incremental_snapshot_chunk',
  paused: 'incremental_snapshot_paused',
} as const;

/** The offset fields of a state; an empty object once no snapshot runs (so a later offset says so). */
export function stateFields(st: IncrementalState | undefined): Record<string, unknown> {
  if (!st || st.collections.length === 0) return {};
  return {
    [F.collections]: JSON.stringify(
      st.collections.map((c) => ({
        incremental_snapshot_collections_id: c.id,
        incremental_snapshot_collections_additional_condition: c.filter ?? null,
      })),
    ),
    [F.key]: st.lastKey ? JSON.stringify(st.lastKey) : null,
    [F.max]: st.maxKey ? JSON.stringify(st.maxKey) : null,
    [F.id]: st.snapshotId,
    [F.chunk]: st.chunk,
    ...(st.paused ? { [F.paused]: true } : {}),
  };
}

function keyText(v: unknown, field: string): KeyText | undefined {
  if (v === null || v === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = typeof v === 'string' ? JSON.parse(v) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.some((x) => x !== null && typeof x !== 'string'))
    throw new Error(`offset field ${field} is not a sluice key (JSON text of a list of strings): ${String(v)}`);
  return parsed as KeyText;
}

/** The state an offset carries; undefined when none runs. Throws naming the field when the offset is damaged. */
export function stateFromOffset(o: Record<string, unknown> | null | undefined): IncrementalState | undefined {
  const raw = o?.[F.collections];
  if (raw === undefined || raw === null) return undefined;
  let list: unknown;
  try {
    list = typeof raw === 'string' ? JSON.parse(raw) : undefined;
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list))
    throw new Error(`offset field ${F.collections} is not JSON text of a list of collections: ${String(raw)}`);
  const collections: SnapshotCollection[] = list.map((c: unknown) => {
    const e = c as Record<string, unknown> | null;
    const id = e?.incremental_snapshot_collections_id;
    const filter = e?.incremental_snapshot_collections_additional_condition;
    if (typeof id !== 'string') throw new Error(`offset field ${F.collections} has an entry without a collection id`);
    return typeof filter === 'string' && filter !== '' ? { id, filter } : { id };
  });
  if (collections.length === 0) return undefined;
  const chunk = o?.[F.chunk];
  return {
    snapshotId: typeof o?.[F.id] === 'string' ? (o[F.id] as string) : 'resumed',
    collections,
    lastKey: keyText(o?.[F.key], F.key),
    maxKey: keyText(o?.[F.max], F.max),
    chunk: typeof chunk === 'number' && Number.isSafeInteger(chunk) && chunk >= 0 ? chunk : 0,
    paused: o?.[F.paused] === true,
  };
}

/**
 * One chunk between its watermarks. Rows read for the chunk wait here; a change the log carries for one of the
 * chunk's keys while the window is open is newer than (or as new as) the row read, so that row is dropped and the
 * log's event stands. What is left when the close watermark arrives goes out as `op: "r"`.
 */
export class ChunkWindow<R> {
  open = false;
  /** keys the log changed while the window was open (kept also before the rows are read) */
  private readonly seen = new Set<string>();
  private rows?: Array<{ key: string; row: R }>;
  private truncated = false;
  /** where the collection stands once this chunk is emitted */
  result?: { lastKey?: KeyText; done: boolean };

  constructor(
    readonly id: string,
    readonly collection: string,
  ) {}

  /** the chunk's rows, in key order, once read, and where the collection stands after them */
  fill(rows: Array<{ key: string; row: R }>, result: { lastKey?: KeyText; done: boolean }): void {
    this.rows = rows;
    this.result = result;
  }

  /** The collection was truncated while the window was open: every row read is gone. */
  truncate(collection: string): void {
    if (this.open && collection === this.collection) this.truncated = true;
  }

  get filled(): boolean {
    return this.rows !== undefined;
  }

  /** The log changed `key` of `collection`. */
  changed(collection: string, key: string): void {
    if (this.open && collection === this.collection) this.seen.add(key);
  }

  /** Closes the window: the rows the log did not supersede, in key order. */
  close(): R[] {
    this.open = false;
    const out: R[] = [];
    if (this.truncated) return out;
    for (const r of this.rows ?? []) if (!this.seen.has(r.key)) out.push(r.row);
    return out;
  }
}

/** A connector's part of an incremental snapshot: what to read, and how. */
export interface ChunkSource<R> {
  /** The captured, keyed collections a request names, conditions checked; throws SignalError with the reason. */
  resolve(signalId: string, req: SnapshotRequest): Promise<SnapshotCollection[]>;
  /** The collection's highest key under its filter now; undefined when it has no rows. */
  maxKey(c: SnapshotCollection): Promise<KeyText | undefined>;
  /**
   * Writes the open watermark, reads the chunk after `lastKey` up to `maxKey`, fills the window (rows and result),
   * writes the close watermark. `onWindow` gets the window before the open watermark is written.
   */
  readChunk(
    c: SnapshotCollection,
    lastKey: KeyText | undefined,
    maxKey: KeyText,
    onWindow: (w: ChunkWindow<R>) => void,
  ): Promise<void>;
}

/**
 * The collections of a resumable initial snapshot (`snapshot.resumable=true`): every captured table by its exact name
 * (`schema.table`, escaped: resolve takes patterns), checked as an execute-snapshot signal would be; a ConnectError
 * saying why the snapshot cannot run in watermarked chunks (no key, no signal table) otherwise.
 */
export async function resumableCollections(
  source: Pick<ChunkSource<unknown>, 'resolve'>,
  snapshotId: string,
  tables: string[],
  context: ErrorContext,
): Promise<SnapshotCollection[]> {
  if (tables.length === 0) return [];
  const names = tables.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  try {
    return await source.resolve(snapshotId, { kind: 'incremental', collections: names, conditions: [] });
  } catch (err) {
    throw new ConnectError(
      `snapshot.resumable=true reads the initial snapshot in watermarked chunks, which it cannot do here: ${(err as Error).message.replace(/^signal [^:]*: /, '')}`,
      { context },
    );
  }
}

export interface IncrementalHooks {
  /** whether chunks may be read now (streaming, no initial snapshot running, not stopping) */
  ready(): boolean;
  fail(err: unknown): void;
  progress(p: SnapshotProgress): void;
  log: Logger;
}

/** Rows a closed window releases, with the offset fields for all but the last row (`before`) and the last (`after`). */
export interface ChunkRelease<R> {
  rows: R[];
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

/**
 * Debezium's incremental snapshot (AbstractIncrementalSnapshotChangeEventSource) for any connector that gives a
 * ChunkSource: takes the snapshot signals, reads one chunk at a time between watermarks, and keeps the state the
 * offsets carry. The connector feeds it the log: watermark rows (`watermark`), and every change of a captured
 * table while a window is open (`changed`, `truncated`).
 */
export class IncrementalSnapshotter<R> {
  private state?: IncrementalState;
  private window?: ChunkWindow<R>;
  private reading = false;
  /** bumped by restore(): a chunk read for an earlier state must not open its window on the new one */
  private epoch = 0;
  private total = 0;
  private rows = 0;
  /** rows emitted per collection (Debezium's RowsScanned) */
  private readonly perTable = new Map<string, number>();

  constructor(
    private readonly source: ChunkSource<R>,
    private readonly hooks: IncrementalHooks,
  ) {}

  /** A snapshot an offset says was running (a restart): it goes on at its last committed chunk. */
  restore(state: IncrementalState | undefined): void {
    this.state = state;
    this.window = undefined;
    this.epoch++;
    if (state) {
      this.total = state.collections.length;
      this.hooks.log.info(
        { snapshot: state.snapshotId, collections: state.collections.map((c) => c.id), chunk: state.chunk },
        'incremental snapshot resumes at its last committed chunk',
      );
    }
  }

  get running(): boolean {
    return this.state !== undefined;
  }

  /** Offset fields every record carries while a snapshot runs (undefined when none does). */
  get fields(): Record<string, unknown> | undefined {
    return this.state ? stateFields(this.state) : undefined;
  }

  /** execute-snapshot (incremental), stop-snapshot, pause-snapshot, resume-snapshot, log. */
  async signal(s: Signal): Promise<SignalAnswer> {
    switch (s.type) {
      case 'log':
        this.hooks.log.info({ signal: s.id }, typeof s.data.message === 'string' ? s.data.message : '(log signal)');
        return { accepted: true };
      case 'execute-snapshot':
        return this.execute(s, snapshotRequest(s));
      case 'stop-snapshot':
        return this.stop(s);
      case 'pause-snapshot':
      case 'resume-snapshot': {
        const st = this.state;
        if (!st) throw new SignalError(`signal ${s.id}: no incremental snapshot is running`);
        st.paused = s.type === 'pause-snapshot';
        this.hooks.log.info(
          { signal: s.id, snapshot: st.snapshotId },
          `incremental snapshot ${st.paused ? 'paused' : 'resumed'}`,
        );
        this.report();
        this.kick();
        return { accepted: true, snapshotId: st.snapshotId };
      }
      default:
        throw new SignalError(`signal ${s.id}: unknown type "${s.type}" (known: ${SIGNAL_TYPES.join(', ')})`);
    }
  }

  private async execute(s: Signal, req: SnapshotRequest): Promise<SignalAnswer> {
    // The coordinator takes blocking snapshots for connectors that have them; here only those that do not.
    if (req.kind === 'blocking')
      throw new SignalError(
        `signal ${s.id}: this connector takes no blocking snapshots in sluice yet; send "type": "incremental"`,
      );
    const collections = await this.source.resolve(s.id, req);
    if (this.state?.snapshotId === s.id) return { accepted: true, snapshotId: s.id }; // the same signal again (a replay)
    this.begin(s.id, collections);
    return { accepted: true, snapshotId: s.id };
  }

  /**
   * Queues `collections` (already resolved) for a snapshot with this id; one already running takes them after its
   * own. Besides signals, a connector's resumable initial snapshot starts here.
   */
  begin(snapshotId: string, collections: SnapshotCollection[]): void {
    let st = this.state;
    if (!st) {
      if (collections.length === 0) return;
      st = { snapshotId, collections: [], chunk: 0, paused: false };
      this.state = st;
      this.total = 0;
      this.rows = 0;
      this.perTable.clear();
    }
    for (const c of collections) {
      if (st.collections.some((x) => x.id === c.id)) continue;
      st.collections.push(c);
      this.total++;
    }
    this.hooks.log.info(
      { signal: snapshotId, collections: collections.map((c) => c.id) },
      'incremental snapshot requested',
    );
    this.report();
    this.kick();
  }

  private stop(s: Signal): SignalAnswer {
    const st = this.state;
    if (!st) throw new SignalError(`signal ${s.id}: no incremental snapshot is running`);
    const names = stopCollections(s);
    const current = st.collections[0];
    if (!names) st.collections = [];
    else {
      const res = names.map((n) => collectionPattern(n, s.id));
      st.collections = st.collections.filter((c) => !res.some((r) => r.test(c.id)));
    }
    if (st.collections[0] !== current) {
      // the window in flight belongs to a collection no longer read: its rows are dropped at its close
      this.window = undefined;
      st.lastKey = undefined;
      st.maxKey = undefined;
    }
    this.hooks.log.info({ signal: s.id, left: st.collections.map((c) => c.id) }, 'incremental snapshot stopped');
    if (st.collections.length === 0) this.finish(true);
    else this.report();
    this.kick();
    return { accepted: true, snapshotId: st.snapshotId };
  }

  /** Reads the next chunk when one may be read; chunks follow one another as their windows close. */
  kick(): void {
    void this.next().catch((err) => this.hooks.fail(err));
  }

  private async next(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      for (;;) {
        const st = this.state;
        if (!st || st.paused || this.window || !this.hooks.ready()) return;
        const c = st.collections[0];
        if (!c) {
          this.finish();
          return;
        }
        if (!st.maxKey) {
          const max = await this.source.maxKey(c);
          if (this.state !== st || st.collections[0] !== c) continue;
          if (!max) {
            st.collections.shift();
            st.lastKey = undefined;
            this.report();
            continue;
          }
          st.maxKey = max;
        }
        let w: ChunkWindow<R> | undefined;
        const epoch = this.epoch;
        await this.source.readChunk(c, st.lastKey, st.maxKey, (x) => {
          w = x;
          if (this.epoch === epoch) this.window = x;
        });
        // Its close watermark not back yet: watermark() reads on when it is.
        if (this.window !== undefined && this.window === w) return;
      }
    } finally {
      this.reading = false;
    }
  }

  /** The log changed a row of `collection` (key as the connector serialises keys). */
  changed(collection: string, key: string): void {
    this.window?.changed(collection, key);
  }

  truncated(collection: string): void {
    this.window?.truncate(collection);
  }

  /** Whether a window is open on `collection` (so the connector serialises keys only then). */
  watching(collection: string): boolean {
    return this.window?.open === true && this.window.collection === collection;
  }

  /** A watermark row came through the log; a close returns the chunk's rows to emit. */
  watermark(id: string, open: boolean): ChunkRelease<R> | undefined {
    const w = this.window;
    if (!w || id !== `${w.id}-${open ? 'open' : 'close'}`) return undefined;
    if (open) {
      w.open = true;
      return undefined;
    }
    this.window = undefined;
    const st = this.state;
    const rows = w.close();
    if (!st || st.collections[0]?.id !== w.collection || !w.result) return undefined;
    const before = stateFields(st);
    st.chunk++;
    if (w.result.done) {
      st.collections.shift();
      st.lastKey = undefined;
      st.maxKey = undefined;
    } else st.lastKey = w.result.lastKey;
    const after = stateFields(st);
    this.rows += rows.length;
    const inTable = (this.perTable.get(w.collection) ?? 0) + rows.length;
    this.perTable.set(w.collection, inTable);
    const table = { name: w.collection, rows: inTable };
    if (st.collections.length === 0) this.finish(false, table);
    else this.report(table);
    this.kick();
    return { rows, before, after };
  }

  private finish(aborted = false, table?: { name: string; rows: number }): void {
    const st = this.state;
    this.state = undefined;
    this.window = undefined;
    if (st)
      this.hooks.log.info(
        { snapshot: st.snapshotId, chunks: st.chunk, rows: this.rows },
        'incremental snapshot complete',
      );
    this.hooks.progress({
      kind: 'incremental',
      snapshotId: st?.snapshotId,
      tablesTotal: this.total,
      tablesRemaining: aborted ? (st?.collections.length ?? 0) : 0,
      rowsScanned: this.rows,
      running: false,
      paused: false,
      aborted,
      table,
    });
  }

  private report(table?: { name: string; rows: number }): void {
    const st = this.state;
    if (!st) return;
    this.hooks.progress({
      tablesTotal: this.total,
      tablesRemaining: st.collections.length,
      rowsScanned: this.rows,
      running: !st.paused,
      paused: st.paused,
      kind: 'incremental',
      snapshotId: st.snapshotId,
      table,
    });
  }
}
