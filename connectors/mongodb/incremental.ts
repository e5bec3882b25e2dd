import { randomUUID } from 'node:crypto';
import { BSON, type Document, type MongoClient } from 'mongodb';
import { type ChunkSource, ChunkWindow, type KeyText, type SnapshotCollection } from '../cdc/incremental.js';
import {
  conditionsFor,
  matchCollections,
  SignalError,
  type SnapshotRequest,
  WINDOW_CLOSE,
  WINDOW_OPEN,
} from '../cdc/signals.js';
import type { MongoSourceConfig } from './config.js';
import { documentIdJson } from './extended-json.js';
import { snapshotPlan } from './snapshot.js';

/** A document of a chunk with its collection: the task turns it into an `op: "r"` event. */
export interface ChunkDoc {
  db: string;
  coll: string;
  doc: Document;
}

/**
 * The key the stream and the chunks compare for de-duplication: the key's `id` as events carry it (the `_id` in
 * relaxed Extended JSON, as Debezium writes it).
 */
export const dedupKey = (id: unknown): string => documentIdJson(id);

/**
 * A last/maximum `_id` as the offset stores it: canonical Extended JSON of `{"_id": …}`, which keeps every BSON
 * type (Int32 apart from Int64 and Double, ObjectId, Decimal128, dates, binary, embedded documents) exactly.
 */
export function keyToText(id: unknown): KeyText {
  return [BSON.EJSON.stringify({ _id: id }, { relaxed: false })];
}

export function keyFromText(k: KeyText, field = 'incremental_snapshot_primary_key'): unknown {
  const text = k[0];
  let parsed: unknown;
  try {
    parsed = typeof text === 'string' ? BSON.EJSON.parse(text, { relaxed: false }) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || !('_id' in parsed))
    throw new Error(`offset field ${field} is not a MongoDB key (canonical Extended JSON of {"_id": …}): ${text}`);
  return (parsed as { _id: unknown })._id;
}

/**
 * MongoDB's comparison order of BSON types (a sort by `_id` follows it), as brackets: `$gt` / `$lte` compare only
 * within a bracket (numbers with numbers, strings with strings), so a range over `_id`s of mixed types is the
 * range within the key's bracket plus every `_id` of the brackets after (or before) it, by `$type`.
 */
const BRACKETS: ReadonlyArray<readonly string[]> = [
  ['minKey'],
  ['null'],
  ['int', 'long', 'double', 'decimal'],
  ['string'],
  ['object'],
  ['binData'],
  ['objectId'],
  ['bool'],
  ['date'],
  ['timestamp'],
  ['regex'],
  ['maxKey'],
];

function bracketOf(v: unknown): number {
  if (v === null || v === undefined) return 1;
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return 2;
    case 'string':
      return 3;
    case 'boolean':
      return 7;
    default:
      break;
  }
  if (v instanceof Date) return 8;
  if (v instanceof RegExp) return 10;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return 5;
  switch ((v as { _bsontype?: string })._bsontype) {
    case 'MinKey':
      return 0;
    case 'Int32':
    case 'Long':
    case 'Double':
    case 'Decimal128':
      return 2;
    case 'BSONSymbol':
      return 3;
    case 'Binary':
      return 5;
    case 'ObjectId':
      return 6;
    case 'Timestamp':
      return 9;
    case 'BSONRegExp':
      return 10;
    case 'MaxKey':
      return 11;
    case undefined:
      return 4;
    default:
      throw new Error(`an _id of BSON type ${(v as { _bsontype?: string })._bsontype} cannot bound a chunk`);
  }
}

/** `_id` after `last` in BSON order, across types. */
export function idAfter(last: unknown): Document {
  const b = bracketOf(last);
  const later = BRACKETS.slice(b + 1).flat();
  const within = b === 0 || b === 1 ? [] : [{ _id: { $gt: last } }];
  const or = [...within, ...(later.length ? [{ _id: { $type: later } }] : [])];
  return or.length === 1 ? or[0] : { $or: or };
}

/** `_id` at or before `max` in BSON order, across types. */
export function idUpTo(max: unknown): Document {
  const b = bracketOf(max);
  const earlier = BRACKETS.slice(0, b).flat();
  const within = b === 0 || b === 1 || b === 11 ? [{ _id: { $type: BRACKETS[b] } }] : [{ _id: { $lte: max } }];
  const or = [...within, ...(earlier.length ? [{ _id: { $type: earlier } }] : [])];
  return or.length === 1 ? or[0] : { $or: or };
}

/** An additional-conditions filter: a JSON (Extended JSON) query document, as Debezium's MongoDB connector takes. */
export function parseCondition(filter: string, where: string): Document {
  let q: unknown;
  try {
    q = BSON.EJSON.parse(filter, { relaxed: false });
  } catch (err) {
    throw new SignalError(`${where}: the filter is not a JSON query document: ${(err as Error).message}`);
  }
  if (!q || typeof q !== 'object' || Array.isArray(q))
    throw new SignalError(`${where}: the filter must be a JSON object, e.g. {"status": "active"}`);
  return q as Document;
}

const READ = { promoteValues: false, promoteBuffers: false, bsonRegExp: true } as const;

/**
 * MongoDB's part of the DBLog incremental snapshot (Debezium's MongoDbIncrementalSnapshotChangeEventSource): checks
 * a request against the captured collections, inserts the watermark documents into the signal collection and
 * reads chunks in `_id` order, `_id > last AND _id <= max` in BSON order across types.
 */
export class MongoChunkReader implements ChunkSource<ChunkDoc> {
  constructor(
    private readonly cfg: MongoSourceConfig,
    private readonly client: () => MongoClient,
  ) {}

  /** `blocking`: for a blocking snapshot, which writes no watermarks (no signal collection needed) */
  async resolve(signalId: string, req: SnapshotRequest, blocking = false): Promise<SnapshotCollection[]> {
    if (!blocking && !this.cfg.signalCollection)
      throw new SignalError(
        `signal ${signalId}: an incremental snapshot needs a signal collection for its watermarks; set signal.data.collection`,
      );
    const captured = (await snapshotPlan(this.client(), this.cfg)).map((c) => `${c.db}.${c.coll}`);
    const out: SnapshotCollection[] = [];
    const matched = matchCollections(
      req,
      captured,
      (id) => id,
      signalId,
      (name) =>
        `no captured collection matches "${name}" (a collection must exist and be captured by capture.scope / capture.target and the include/exclude lists)`,
    );
    for (const id of matched) {
      const conds = conditionsFor(req, id);
      let filter: string | undefined;
      if (conds.length === 1) filter = conds[0].filter;
      else if (conds.length > 1)
        filter = BSON.EJSON.stringify(
          { $and: conds.map((c) => parseCondition(c.filter, `signal ${signalId}: additional-conditions for ${id}`)) },
          { relaxed: false },
        );
      if (filter !== undefined) {
        const q = parseCondition(filter, `signal ${signalId}: additional-conditions for ${id}`);
        const [db, coll] = split(id);
        try {
          // the server checks the operators
          await this.client()
            .db(db)
            .collection(coll)
            .findOne(q, { projection: { _id: 1 } });
        } catch (err) {
          throw new SignalError(
            `signal ${signalId}: additional-conditions for ${id} is not a valid query: ${(err as Error).message}`,
          );
        }
      }
      out.push(filter === undefined ? { id } : { id, filter });
    }
    return out;
  }

  private condition(c: SnapshotCollection): Document | undefined {
    return c.filter === undefined ? undefined : parseCondition(c.filter, `additional-conditions for ${c.id}`);
  }

  async maxKey(c: SnapshotCollection): Promise<KeyText | undefined> {
    const [db, coll] = split(c.id);
    const last = await this.client()
      .db(db)
      .collection(coll)
      .find(this.condition(c) ?? {}, { ...READ, projection: { _id: 1 } })
      .sort({ _id: -1 })
      .limit(1)
      .next();
    return last ? keyToText(last._id) : undefined;
  }

  async readChunk(
    c: SnapshotCollection,
    lastKey: KeyText | undefined,
    maxKey: KeyText,
    onWindow: (w: ChunkWindow<ChunkDoc>) => void,
  ): Promise<void> {
    const [db, coll] = split(c.id);
    const max = keyFromText(maxKey, 'incremental_snapshot_maximum_key');
    const parts: Document[] = [];
    if (lastKey) parts.push(idAfter(keyFromText(lastKey)));
    parts.push(idUpTo(max));
    const cond = this.condition(c);
    if (cond) parts.push(cond);
    const window = new ChunkWindow<ChunkDoc>(randomUUID(), c.id);
    onWindow(window);
    await this.watermark(window.id, WINDOW_OPEN);
    const docs = await this.client()
      .db(db)
      .collection(coll)
      .find(parts.length === 1 ? parts[0] : { $and: parts }, READ)
      .sort({ _id: 1 })
      .limit(this.cfg.chunkSize)
      .toArray();
    const rows = docs.map((doc) => ({ key: dedupKey(doc._id), row: { db, coll, doc } }));
    const last = docs.length ? keyToText(docs[docs.length - 1]._id) : lastKey;
    const reachedMax = docs.length > 0 && last?.[0] === maxKey[0];
    window.fill(rows, { lastKey: last, done: docs.length < this.cfg.chunkSize || reachedMax });
    await this.watermark(window.id, WINDOW_CLOSE);
  }

  /** A watermark document: Debezium's `_id` `<chunk id>-open` / `-close` and type names. */
  private async watermark(chunkId: string, type: string): Promise<void> {
    const s = this.cfg.signalCollection!;
    const suffix = type === WINDOW_OPEN ? 'open' : 'close';
    await this.client()
      .db(s.db)
      .collection<{ _id: string; type: string; payload: string }>(s.coll)
      .insertOne({ _id: `${chunkId}-${suffix}`, type, payload: '' });
  }
}

function split(id: string): [string, string] {
  const dot = id.indexOf('.');
  return [id.slice(0, dot), id.slice(dot + 1)];
}
