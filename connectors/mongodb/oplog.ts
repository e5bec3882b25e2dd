import {
  ConfigError,
  type ConfigIssue,
  type Json,
  type OffsetEntry,
  type SourceOffset,
} from '../../runtime/api/index.js';
import { type StreamPosition, tokenTime } from './offsets.js';

/** A cluster time (seconds, increment), as offsets and the oplog's `ts` hold it. */
export interface ClusterTime {
  sec: number;
  ord: number;
}

export const clusterTimeText = (t: ClusterTime): string => `${t.sec}:${t.ord}`;

export function earlier(a: ClusterTime, b: ClusterTime): boolean {
  return a.sec < b.sec || (a.sec === b.sec && a.ord < b.ord);
}

/** A position's cluster time: its own, or the one inside its resume token. */
export function positionTime(p: StreamPosition): ClusterTime | undefined {
  if (p.sec > 0) return { sec: p.sec, ord: p.ord };
  return p.resumeToken ? tokenTime(p.resumeToken) : undefined;
}

/**
 * The message for a resume point the oplog no longer holds (MongoDB's ChangeStreamHistoryLost, or found by
 * reading the oldest oplog entry first): what is lost, from where, and the two ways out.
 */
export function historyLostMessage(
  position: string,
  oldest: string | undefined,
  connector: string,
  partition: string,
): string {
  return `The stored resume point ${position} is no longer in the oplog${oldest ? ` (its oldest entry is at cluster time ${oldest})` : ''} (ChangeStreamHistoryLost): the changes between the last committed offset and the oplog's oldest entry are lost to this connector. Two ways out: set snapshot.mode=when_needed to take a new snapshot, or set a start point by hand — PATCH /connectors/${connector}/offsets with {"offsets":[{"partition":${partition},"offset":{"sec":<seconds>,"ord":<increment>}}]} (a cluster time still in the oplog, or a "resume_token") while the connector is stopped — to stream from there, accepting the gap.`;
}

/** Fields of Debezium's MongoDB offsets (and ours). */
const KNOWN = new Set(['sec', 'ord', 'resume_token', 'lsid', 'txnNumber', 'initsync', 'h', 'operator']);
const TOKEN = /^[0-9A-Fa-f]{16,}$/;

/**
 * An operator's start point for the change stream (PATCH …/offsets): a cluster time (`{"sec": 1765000000, "ord":
 * 1}`: the stream starts at it) or a resume token (`{"resume_token": "8263…"}`: after it). The partition is
 * `{"server_id": <topic.prefix>, "rs": <replica set>}`, as GET …/offsets shows it.
 */
export function operatorOffsets(entries: readonly OffsetEntry[], server: string): OffsetEntry[] {
  const issues: ConfigIssue[] = [];
  const out: OffsetEntry[] = [];
  for (const e of entries) {
    const p = e.partition as Record<string, unknown>;
    if (p.server_id !== server || typeof p.rs !== 'string' || Object.keys(p).length !== 2) {
      issues.push({
        key: 'partition.server_id',
        message: `this connector's partition is {"server_id":"${server}","rs":"<replica set>"} (GET …/offsets shows it), not ${JSON.stringify(p)}`,
      });
      continue;
    }
    if (e.offset === null) {
      out.push(e);
      continue;
    }
    const o = e.offset as Record<string, unknown>;
    const before = issues.length;
    const issue = (field: string, message: string) => issues.push({ key: `offset.${field}`, message });
    const token = o.resume_token;
    if (token !== undefined && (typeof token !== 'string' || !TOKEN.test(token))) {
      issue(
        'resume_token',
        `${JSON.stringify(token)} is not a resume token (the hex string of a change event's _id._data)`,
      );
    }
    for (const f of ['sec', 'ord'] as const) {
      const v = o[f];
      if (v !== undefined && !(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 0xffffffff)) {
        issue(f, `${JSON.stringify(v)} is not a cluster time part (an integer from 0 to 4294967295)`);
      }
    }
    if (token === undefined && (typeof o.sec !== 'number' || o.sec <= 0)) {
      issue('sec', 'missing: a start point is a cluster time ("sec" and "ord") or a "resume_token"');
    }
    for (const k of Object.keys(o)) {
      if (!KNOWN.has(k)) issue(k, 'unknown field; a MongoDB offset has sec, ord, resume_token, lsid, txnNumber');
    }
    if (issues.length > before) continue;
    const fromToken = typeof token === 'string' ? tokenTime(token) : undefined;
    const offset: Record<string, Json> = {
      sec: typeof o.sec === 'number' ? o.sec : (fromToken?.sec ?? 0),
      ord: typeof o.ord === 'number' ? o.ord : (fromToken?.ord ?? 0),
      operator: true,
    };
    if (typeof token === 'string') offset.resume_token = token;
    out.push({ partition: e.partition, offset: offset as SourceOffset });
  }
  if (issues.length) throw new ConfigError(issues, 'Invalid offset');
  return out;
}
