import {
  ConfigError,
  type ConfigIssue,
  ConnectError,
  type ErrorContext,
  type OffsetEntry,
  type SourceOffset,
} from '../../runtime/api/index.js';
import { parseLsn } from './lsn.js';

/** What the task stores per record; Debezium's names where the meaning is Debezium's. */
export interface PgOffset {
  /** LSN of the event's change (heartbeat: the server position it confirms) */
  lsn: number;
  /** everything up to here is delivered once this offset is committed: the flush LSN sent to the slot */
  lsn_proc: number;
  /** commit LSN of the event's transaction */
  lsn_commit: number;
  txId: number | null;
  ts_usec: number;
  snapshot?: boolean;
  last_snapshot_record?: boolean;
  /**
   * Position among the records of one change (they share its `lsn`): a delete and its tombstone, the delete,
   * tombstone and create of a key change, the truncates of one TRUNCATE. -1 for a BEGIN marker, which shares
   * its LSN with the transaction's first change. A resume skips the records at `lsn` up to this one only.
   */
  event?: number;
  /**
   * Set on a start point written by an operator (PATCH …/offsets): streaming starts there even when the slot is
   * missing or was invalidated — the operator has accepted that changes before it are not delivered.
   */
  operator?: boolean;
}

/** Fields of Debezium's PostgreSQL offsets (and ours) that an offset may carry. */
const KNOWN = new Set([
  'lsn',
  'lsn_proc',
  'lsn_commit',
  'txId',
  'ts_usec',
  'snapshot',
  'last_snapshot_record',
  'event',
  'operator',
  'xmin',
  'messageType',
]);
const KNOWN_PREFIXES = ['transaction_', 'incremental_snapshot_'];

const LSN_FIELDS = ['lsn', 'lsn_proc', 'lsn_commit'] as const;

/** An LSN as offsets hold it: a non-negative integer (Debezium's form) or PostgreSQL's `X/Y` text. */
function lsnValue(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  if (typeof v === 'string') {
    if (/^\d{1,16}$/.test(v)) {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : undefined;
    }
    try {
      return parseLsn(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The problems of one offset, each keyed `offset.<field>`, and the offset with its LSNs as numbers.
 * `lsn` is required; `lsn_proc` and `lsn_commit` default to it (a start point, not the middle of a transaction).
 */
function check(raw: Readonly<Record<string, unknown>>): { issues: ConfigIssue[]; offset?: PgOffset } {
  const issues: ConfigIssue[] = [];
  const issue = (field: string, message: string) => issues.push({ key: `offset.${field}`, message });
  const lsns: Partial<Record<(typeof LSN_FIELDS)[number], number>> = {};
  for (const f of LSN_FIELDS) {
    if (raw[f] === undefined || raw[f] === null) {
      if (f === 'lsn')
        issue(f, 'missing: a PostgreSQL offset needs "lsn", a WAL position (a number, or text like "0/16B3748")');
      continue;
    }
    const n = lsnValue(raw[f]);
    if (n === undefined)
      issue(f, `${JSON.stringify(raw[f])} is not an LSN (a non-negative integer, or text like "0/16B3748")`);
    else lsns[f] = n;
  }
  for (const f of ['txId', 'ts_usec', 'event'] as const) {
    const v = raw[f];
    if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isSafeInteger(v))) {
      issue(f, `${JSON.stringify(v)} is not an integer`);
    }
  }
  if (typeof raw.event === 'number' && raw.event < -1) issue('event', `${raw.event} is below -1`);
  for (const f of ['snapshot', 'last_snapshot_record', 'operator'] as const) {
    const v = raw[f];
    if (v !== undefined && v !== null && typeof v !== 'boolean') issue(f, `${JSON.stringify(v)} is not true or false`);
  }
  for (const k of Object.keys(raw)) {
    if (!KNOWN.has(k) && !KNOWN_PREFIXES.some((p) => k.startsWith(p))) {
      issue(
        k,
        `unknown field; a PostgreSQL offset has ${[...LSN_FIELDS, 'txId', 'ts_usec', 'snapshot', 'last_snapshot_record', 'event'].join(', ')}`,
      );
    }
  }
  if (issues.length || lsns.lsn === undefined) return { issues };
  const lsn = lsns.lsn;
  const proc = lsns.lsn_proc ?? lsn;
  // lsn_proc past lsn_commit is normal (the last record of a transaction confirms its end, after the commit).
  const commit = lsns.lsn_commit ?? Math.max(lsn, proc);
  const offset: PgOffset = {
    ...(raw as object),
    lsn,
    lsn_proc: proc,
    lsn_commit: commit,
    txId: typeof raw.txId === 'number' ? raw.txId : null,
    ts_usec: typeof raw.ts_usec === 'number' ? raw.ts_usec : 0,
  };
  return { issues, offset };
}

/**
 * A committed offset read at start. Offsets come from a file or a topic others can write: one that does not parse
 * fails the task naming the offset and the field, instead of a `syntax error` from the server later.
 */
export function readStoredOffset(raw: SourceOffset | null, server: string, context: ErrorContext): PgOffset | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConnectError(
      `the stored offset of partition {"server":"${server}"} is ${JSON.stringify(raw)}, not an object. Fix: set a valid one (PATCH /connectors/${context.connector}/offsets with {"lsn": …}) or delete the offsets.`,
      { context },
    );
  }
  const { issues, offset } = check(raw);
  if (!offset) {
    throw new ConnectError(
      `the stored offset ${JSON.stringify(raw)} of partition {"server":"${server}"} cannot be used: ${issues.map((i) => `${i.key}: ${i.message}`).join('; ')}. Fix: set a valid one (PATCH /connectors/${context.connector}/offsets with {"lsn": …}) or delete the offsets.`,
      { context },
    );
  }
  return offset;
}

/** The highest WAL position an offset names: what the server must already have written. */
export function highestLsn(o: PgOffset): number {
  return Math.max(o.lsn, o.lsn_proc, o.lsn_commit);
}

/**
 * Checks an operator's offsets for this connector (PATCH): the partition must be this connector's, the offset must
 * parse; each offset comes back completed (`{"lsn": N}` is a start point at N) and marked as the operator's.
 */
export function operatorOffsets(entries: readonly OffsetEntry[], server: string): OffsetEntry[] {
  const issues: ConfigIssue[] = [];
  const out: OffsetEntry[] = [];
  for (const e of entries) {
    const p = e.partition as Record<string, unknown>;
    const keys = Object.keys(p);
    if (p.server !== server || keys.length !== 1) {
      issues.push({
        key: 'partition.server',
        message: `this connector's only partition is {"server":"${server}"} (its topic.prefix), not ${JSON.stringify(p)}`,
      });
      continue;
    }
    if (e.offset === null) {
      out.push(e);
      continue;
    }
    const r = check(e.offset);
    if (!r.offset) issues.push(...r.issues);
    else {
      const o: PgOffset = { ...r.offset, operator: true };
      out.push({ partition: e.partition, offset: o as unknown as SourceOffset });
    }
  }
  if (issues.length) throw new ConfigError(issues, 'Invalid offset');
  return out;
}
