import { type ChangeRecord, ConnectError, type SourceOffset, type SourcePartition } from '../../runtime/api/index.js';
import type { CaptureMode, FieldExcludes } from './config.js';
import { defaultToJson, documentIdJson, toExtendedJson } from './extended-json.js';
import type { ChangeDoc } from './fragments.js';
import { encodeOffset, type StreamPosition } from './offsets.js';
import { collectionSchemas } from './schemas.js';

export const CONNECTOR_VERSION = '0.1.0';

export interface MapperContext {
  readonly topicPrefix: string;
  readonly rs: string;
  readonly partition: SourcePartition;
  readonly captureMode: CaptureMode;
  readonly tombstonesOnDelete: boolean;
  readonly fieldExcludes: FieldExcludes;
  /** The namespace a collection-scoped stream watches, for servers whose events omit `ns`. */
  readonly defaultNs?: { db: string; coll: string };
  /** Processing time; injectable so tests are deterministic. */
  readonly now?: () => number;
}

export type MappedEvent =
  | { kind: 'data'; records: ChangeRecord[]; position: StreamPosition; db: string; coll: string }
  /** drop, rename, dropDatabase and other events that produce no record but move the position */
  | { kind: 'skip'; operationType: string; position: StreamPosition; db?: string; coll?: string; warn?: boolean }
  | { kind: 'invalidate'; position: StreamPosition };

type Op = 'c' | 'u' | 'd' | 'r';

/** One change stream event (decoded with promoteValues: false) to Debezium records. Pure. */
export function mapChangeEvent(ev: ChangeDoc, ctx: MapperContext): MappedEvent {
  const position = positionOf(ev);
  const type = String(ev.operationType);
  if (type === 'invalidate') return { kind: 'invalidate', position };
  const ns = namespaceOf(ev, ctx);
  if (type !== 'insert' && type !== 'update' && type !== 'replace' && type !== 'delete') {
    return { kind: 'skip', operationType: type, position, db: ns?.db, coll: ns?.coll };
  }
  if (!ns) {
    throw new ConnectError(`Change event ${type} has no namespace (ns) and the stream is not collection-scoped`, {
      context: { position: position.resumeToken },
    });
  }
  const excludes = ctx.fieldExcludes.pathsFor(ns.db, ns.coll);
  const full = asDoc(ev.fullDocument);
  const pre = asDoc(ev.fullDocumentBeforeChange);
  const withPre = ctx.captureMode.endsWith('_with_pre_image');
  const updateFull = ctx.captureMode.startsWith('change_streams_update_full');

  let op: Op;
  let after: ChangeDoc | undefined;
  let before: ChangeDoc | undefined = withPre ? pre : undefined;
  let updateDescription: Record<string, unknown> | null = null;
  switch (type) {
    case 'insert':
      op = 'c';
      after = full;
      before = undefined;
      break;
    case 'replace':
      op = 'u';
      after = full;
      break;
    case 'update':
      op = 'u';
      // Only trust fullDocument when we asked for it: some servers fill it with other data otherwise.
      after = updateFull ? full : undefined;
      updateDescription = mapUpdateDescription(asDoc(ev.updateDescription), excludes);
      break;
    default:
      op = 'd';
      after = undefined;
  }

  const id = idOf(ev, full);
  if (id === undefined && hasOperatorKeys(ev.documentKey)) {
    // mongo-java-server's update events carry the update operators as documentKey; when the document is gone by
    // lookup time there is no _id anywhere. Its later delete event still says which document went away.
    return { kind: 'skip', operationType: type, position, ...ns, warn: true };
  }
  if (id === undefined) {
    throw new ConnectError(`Change event ${type} carries no _id in documentKey or fullDocument`, {
      context: { table: `${ns.db}.${ns.coll}`, position: position.resumeToken },
    });
  }
  const topic = `${ctx.topicPrefix}.${ns.db}.${ns.coll}`;
  const schemas = collectionSchemas(topic);
  const now = (ctx.now ?? Date.now)();
  const tsMs = position.sec * 1000;
  const wallTime = ev.wallTime instanceof Date ? ev.wallTime.getTime() : null;
  const key = { id: documentIdJson(id) };
  const offset = encodeOffset(position, false);
  const value = {
    before: before ? toExtendedJson(exclude(before, excludes), 'strict') : null,
    after: after ? toExtendedJson(exclude(after, excludes), 'strict') : null,
    updateDescription,
    source: {
      version: CONNECTOR_VERSION,
      connector: 'mongodb',
      name: ctx.topicPrefix,
      ts_ms: tsMs,
      snapshot: 'false',
      db: ns.db,
      sequence: null,
      ts_us: tsMs * 1000,
      ts_ns: BigInt(tsMs) * 1_000_000n,
      collection: ns.coll,
      ord: position.ord,
      lsid: position.lsid ?? null,
      txnNumber: position.txnNumber === undefined ? null : BigInt(position.txnNumber),
      wallTime,
    },
    op,
    ts_ms: now,
    transaction: null,
  };
  const base = {
    topic,
    keySchema: schemas.key,
    key,
    headers: [],
    timestamp: now,
    sourcePartition: ctx.partition,
    sourceOffset: offset,
  };
  const records: ChangeRecord[] = [{ ...base, valueSchema: schemas.value, value }];
  // No value schema: Kafka's JsonConverter writes (null schema, null value) as a null message.
  if (op === 'd' && ctx.tombstonesOnDelete) records.push({ ...base, valueSchema: undefined, value: null });
  return { kind: 'data', records, position, db: ns.db, coll: ns.coll };
}

export interface SnapshotRecordInput {
  readonly doc: ChangeDoc;
  readonly db: string;
  readonly coll: string;
  /**
   * `true`, or `last` for the snapshot's final record. Debezium's MongoDB snapshot writes no `first` or
   * per-collection markers, unlike its relational ones: its source info reports `true` throughout a snapshot.
   */
  readonly snapshot: 'true' | 'last' | 'incremental';
  readonly position?: StreamPosition;
  /** true until the snapshot's last record: a restart from such an offset snapshots again */
  readonly initsync: boolean;
  /** offset fields of a running incremental snapshot */
  readonly offsetFields?: Record<string, unknown>;
}

/** A snapshot read (`op: r`) of one document. */
export function mapSnapshotDocument(input: SnapshotRecordInput, ctx: MapperContext): ChangeRecord {
  const { doc, db, coll } = input;
  const topic = `${ctx.topicPrefix}.${db}.${coll}`;
  const schemas = collectionSchemas(topic);
  const now = (ctx.now ?? Date.now)();
  const excludes = ctx.fieldExcludes.pathsFor(db, coll);
  return {
    topic,
    keySchema: schemas.key,
    key: { id: documentIdJson(doc._id) },
    valueSchema: schemas.value,
    value: {
      before: null,
      after: toExtendedJson(exclude(doc, excludes), 'strict'),
      updateDescription: null,
      source: {
        version: CONNECTOR_VERSION,
        connector: 'mongodb',
        name: ctx.topicPrefix,
        ts_ms: now,
        snapshot: input.snapshot,
        db,
        sequence: null,
        ts_us: now * 1000,
        ts_ns: BigInt(now) * 1_000_000n,
        collection: coll,
        ord: input.position?.ord ?? 0,
        lsid: null,
        txnNumber: null,
        wallTime: null,
      },
      op: 'r',
      ts_ms: now,
      transaction: null,
    },
    headers: [],
    timestamp: now,
    sourcePartition: ctx.partition,
    sourceOffset: input.offsetFields
      ? ({ ...encodeOffset(input.position, input.initsync), ...input.offsetFields } as unknown as SourceOffset)
      : encodeOffset(input.position, input.initsync),
  };
}

export function positionOf(ev: ChangeDoc): StreamPosition {
  const id = asDoc(ev._id);
  const token = id && typeof id._data === 'string' ? id._data : undefined;
  const ts = ev.clusterTime as { high?: number; low?: number } | undefined;
  const lsid = asDoc(ev.lsid);
  const txn = ev.txnNumber;
  return {
    sec: ts?.high !== undefined ? ts.high >>> 0 : 0,
    ord: ts?.low !== undefined ? ts.low >>> 0 : 0,
    resumeToken: token,
    lsid: lsid && txn !== undefined && txn !== null ? toExtendedJson(lsid, 'strict') : undefined,
    txnNumber: lsid && txn !== undefined && txn !== null ? longNumber(txn) : undefined,
  };
}

function namespaceOf(ev: ChangeDoc, ctx: MapperContext): { db: string; coll: string } | undefined {
  const ns = asDoc(ev.ns);
  if (ns && typeof ns.db === 'string' && typeof ns.coll === 'string') return { db: ns.db, coll: ns.coll };
  return ctx.defaultNs;
}

function idOf(ev: ChangeDoc, full: ChangeDoc | undefined): unknown {
  const dk = asDoc(ev.documentKey);
  if (dk && '_id' in dk) return dk._id;
  // mongo-java-server puts the update operators in documentKey; the post-image still has the _id.
  if (full && '_id' in full) return full._id;
  return undefined;
}

function hasOperatorKeys(v: unknown): boolean {
  const d = asDoc(v);
  return d !== undefined && Object.keys(d).length > 0 && Object.keys(d).every((k) => k.startsWith('$'));
}

function mapUpdateDescription(ud: ChangeDoc | undefined, excludes: string[][]): Record<string, unknown> | null {
  if (!ud) return null;
  const removed = Array.isArray(ud.removedFields)
    ? (ud.removedFields as unknown[]).map(String).filter((f) => !excluded(f, excludes))
    : [];
  const updated = asDoc(ud.updatedFields);
  const truncated = Array.isArray(ud.truncatedArrays)
    ? (ud.truncatedArrays as ChangeDoc[])
        .map((t) => ({ field: String(t.field), size: Number(longNumber(t.newSize)) }))
        .filter((t) => !excluded(t.field, excludes))
    : [];
  let updatedJson: string | null = null;
  if (updated) {
    const kept: ChangeDoc = {};
    for (const [k, v] of Object.entries(updated)) if (!excluded(k, excludes)) kept[k] = v;
    updatedJson = defaultToJson(kept);
  }
  return {
    removedFields: removed.length ? removed : null,
    updatedFields: updatedJson,
    truncatedArrays: truncated.length ? truncated : null,
  };
}

/** Whether a dotted update path is, or lies under, an excluded field. */
function excluded(path: string, excludes: string[][]): boolean {
  const parts = path.split('.');
  return excludes.some((e) => e.length <= parts.length && e.every((p, i) => p === parts[i]));
}

/** A copy of the document without the excluded field paths (nested documents are followed, arrays are not). */
function exclude(doc: ChangeDoc, excludes: string[][]): ChangeDoc {
  if (!excludes.length) return doc;
  const copy: ChangeDoc = { ...doc };
  for (const path of excludes) removePath(copy, path);
  return copy;
}

function removePath(doc: ChangeDoc, path: string[]): void {
  const [head, ...rest] = path;
  if (!(head in doc)) return;
  if (!rest.length) {
    delete doc[head];
    return;
  }
  const child = asDoc(doc[head]);
  if (!child) return;
  const copy = { ...child };
  removePath(copy, rest);
  doc[head] = copy;
}

function asDoc(v: unknown): ChangeDoc | undefined {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) return undefined;
  if ((v as { _bsontype?: string })._bsontype !== undefined) return undefined;
  return v as ChangeDoc;
}

function longNumber(v: unknown): number | string {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v !== null && typeof v === 'object') {
    const b = v as { _bsontype?: string; value?: unknown; toString(): string };
    if (b._bsontype === 'Int32' || b._bsontype === 'Double') return Number(b.value);
    const s = b.toString();
    return Number.isSafeInteger(Number(s)) ? Number(s) : s;
  }
  return Number(v);
}
