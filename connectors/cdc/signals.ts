import { type Signal, SignalError } from '../../runtime/api/index.js';

export { parseSignal, type Signal, type SignalAnswer, SignalError } from '../../runtime/api/index.js';

/**
 * Debezium's signals (`{"id", "type", "data"}`), as the source table, REST and other channels carry them, parsed
 * and checked here once for every connector. A bad signal is refused with the reason; it never fails the task.
 */

export const SIGNAL_TYPES = ['execute-snapshot', 'stop-snapshot', 'pause-snapshot', 'resume-snapshot', 'log'] as const;

/** Watermark rows the incremental snapshot writes to the signal table (Debezium's type names). */
export const WINDOW_OPEN = 'snapshot-window-open';
export const WINDOW_CLOSE = 'snapshot-window-close';

export interface SnapshotRequest {
  kind: 'incremental' | 'blocking';
  /** `data-collections` as given: names or regular expressions, matched against the whole `schema.table` */
  collections: string[];
  /** `additional-conditions`: a filter per collection (matched like `data-collections`) */
  conditions: Array<{ collection: string; filter: string }>;
}

function stringList(v: unknown, what: string, id: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.length === 0))
    throw new SignalError(`signal ${id}: "${what}" must be a list of table names`);
  return v as string[];
}

/**
 * Whether a signal asks for a blocking snapshot. A malformed request is not one: the coordinator refuses it with its
 * reason. Connectors reading signals from the log hold their stream at the end of such a signal's transaction until
 * it is taken or refused, so the snapshot's rows come right after the signal.
 */
export function isBlockingRequest(signal: Signal): boolean {
  if (signal.type !== 'execute-snapshot') return false;
  try {
    return snapshotRequest(signal).kind === 'blocking';
  } catch {
    return false;
  }
}

/** `execute-snapshot`'s data. */
export function snapshotRequest(s: Signal): SnapshotRequest {
  const d = s.data;
  const kind = d.type === undefined ? 'incremental' : String(d.type).toLowerCase();
  if (kind !== 'incremental' && kind !== 'blocking')
    throw new SignalError(`signal ${s.id}: snapshot type ${JSON.stringify(d.type)} is not incremental or blocking`);
  const collections = stringList(d['data-collections'], 'data-collections', s.id);
  if (collections.length === 0) throw new SignalError(`signal ${s.id}: "data-collections" is empty`);
  const conditions: SnapshotRequest['conditions'] = [];
  const extra = d['additional-conditions'];
  if (extra !== undefined) {
    if (!Array.isArray(extra)) throw new SignalError(`signal ${s.id}: "additional-conditions" must be a list`);
    for (const c of extra) {
      const e = c as Record<string, unknown> | null;
      if (!e || typeof e['data-collection'] !== 'string' || typeof e.filter !== 'string')
        throw new SignalError(
          `signal ${s.id}: each "additional-conditions" entry is {"data-collection": "…", "filter": "…"}`,
        );
      conditions.push({ collection: e['data-collection'], filter: e.filter });
    }
  }
  // Debezium's older single condition, for the one collection
  if (typeof d['additional-condition'] === 'string' && d['additional-condition'] !== '') {
    for (const c of collections) conditions.push({ collection: c, filter: d['additional-condition'] });
  }
  for (const c of [...collections, ...conditions.map((x) => x.collection)]) collectionPattern(c, s.id);
  return { kind, collections, conditions };
}

/** A `data-collections` entry as a regular expression over the whole name, case-insensitive (Debezium matches them so). */
export function collectionPattern(name: string, id = '?'): RegExp {
  try {
    return new RegExp(`^(?:${name})$`, 'i');
  } catch {
    throw new SignalError(`signal ${id}: "${name}" is not a valid table name or regular expression`);
  }
}

/**
 * The captured collections an `execute-snapshot` names, each once, in the order the request names them; a name
 * or pattern that matches none is refused with `notFound`'s reason.
 */
export function matchCollections<T>(
  req: SnapshotRequest,
  captured: readonly T[],
  idOf: (t: T) => string,
  signalId: string,
  notFound: (name: string) => string,
): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  for (const name of req.collections) {
    const re = collectionPattern(name, signalId);
    const matched = captured.filter((t) => re.test(idOf(t)));
    if (matched.length === 0) throw new SignalError(`signal ${signalId}: ${notFound(name)}`);
    for (const t of matched) {
      const id = idOf(t);
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(t);
    }
  }
  return out;
}

/** The `additional-conditions` entries whose `data-collection` matches `id`. */
export function conditionsFor(req: SnapshotRequest, id: string): SnapshotRequest['conditions'] {
  return req.conditions.filter((c) => collectionPattern(c.collection).test(id));
}

/** A filter that is a whole query (Debezium's blocking-snapshot form) rather than a condition. */
export function isSelect(filter: string): boolean {
  return /^\s*select\s/i.test(filter);
}

/**
 * One collection's filter in a snapshot request: its additional-conditions ANDed, or a whole SELECT of its rows —
 * Debezium's blocking snapshot takes one in place of the snapshot's query, alone for its collection (`statement`).
 */
export function snapshotFilter(
  req: SnapshotRequest,
  id: string,
  signalId: string,
  blocking: boolean,
): { filter?: string; statement: boolean } {
  const conds = conditionsFor(req, id);
  const statement = conds.find((c) => isSelect(c.filter));
  if (statement && (!blocking || conds.length > 1))
    throw new SignalError(
      `signal ${signalId}: additional-conditions for ${id}: a whole SELECT statement is taken by a blocking snapshot only, alone for its table; an incremental snapshot takes a condition (e.g. "id > 100")`,
    );
  if (statement) return { filter: statement.filter, statement: true };
  return conds.length
    ? { filter: conds.map((c) => `(${c.filter})`).join(' AND '), statement: false }
    : { statement: false };
}

/** `stop-snapshot`'s collections: none named stops the whole snapshot. */
export function stopCollections(s: Signal): string[] | undefined {
  const v = s.data['data-collections'];
  if (v === undefined || v === null) return undefined;
  const list = stringList(v, 'data-collections', s.id);
  return list.length ? list : undefined;
}
