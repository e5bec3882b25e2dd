import type { Json, SourceOffset, SourcePartition } from '../../runtime/api/index.js';

/**
 * Debezium's MongoDB partition and offset: one partition per replica set, `{server_id, rs}`; an offset holds the
 * cluster time (`sec`, `ord`), the resume token's `_data`, the transaction (`lsid`, `txnNumber`) when there is one,
 * and `initsync: true` while the snapshot is not complete.
 */

export interface StreamPosition {
  readonly sec: number;
  readonly ord: number;
  readonly resumeToken?: string;
  readonly lsid?: string;
  readonly txnNumber?: number | string;
}

export interface StoredOffset {
  readonly position?: StreamPosition;
  readonly initsync: boolean;
}

export function sourcePartition(serverId: string, rs: string): SourcePartition {
  return { server_id: serverId, rs };
}

export function encodeOffset(pos: StreamPosition | undefined, initsync: boolean): SourceOffset {
  const o: Record<string, Json> = { sec: pos?.sec ?? 0, ord: pos?.ord ?? 0 };
  if (pos?.resumeToken) o.resume_token = pos.resumeToken;
  if (pos?.lsid !== undefined) o.lsid = pos.lsid;
  if (pos?.txnNumber !== undefined) o.txnNumber = pos.txnNumber;
  if (initsync) o.initsync = true;
  return o;
}

export function decodeOffset(o: SourceOffset | null): StoredOffset | null {
  if (!o) return null;
  const sec = typeof o.sec === 'number' ? o.sec : 0;
  const ord = typeof o.ord === 'number' ? o.ord : 0;
  const token = typeof o.resume_token === 'string' ? o.resume_token : undefined;
  const initsync = o.initsync === true;
  const known = token !== undefined || sec > 0;
  return { initsync, position: known ? { sec, ord, resumeToken: token } : undefined };
}

/**
 * The cluster time inside a resume token's `_data`. MongoDB's tokens are KeyString hex starting with type byte
 * 0x82 (a Timestamp) followed by the seconds and increment, big-endian; mongo-java-server's are the bare 8-byte
 * timestamp. Anything else yields undefined.
 */
export function tokenTime(data: string): { sec: number; ord: number } | undefined {
  let hex: string | undefined;
  if (/^82[0-9a-fA-F]{16}/.test(data)) hex = data.slice(2, 18);
  else if (/^[0-9a-fA-F]{16}$/.test(data)) hex = data;
  if (!hex) return undefined;
  return { sec: Number.parseInt(hex.slice(0, 8), 16), ord: Number.parseInt(hex.slice(8, 16), 16) };
}
