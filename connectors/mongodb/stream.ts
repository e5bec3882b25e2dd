import type { ChangeStream, ChangeStreamOptions, Document, MongoClient, ResumeToken } from 'mongodb';
import { Timestamp } from 'mongodb';
import type { MongoSourceConfig } from './config.js';
import { type EventStream, MergedStream } from './merged-stream.js';
import type { StreamPosition } from './offsets.js';

export type StartFrom =
  | { kind: 'now' }
  | { kind: 'resumeAfter'; position: StreamPosition }
  | { kind: 'startAfter'; token: ResumeToken };

/**
 * Opens the change stream of the configured scope. Documents are decoded with promoteValues: false so that
 * Int32/Int64/Double survive into the Extended JSON exactly.
 */
export function openChangeStream(
  client: MongoClient,
  cfg: MongoSourceConfig,
  from: StartFrom,
  /** a collection to watch instead of the configured scope (the signal collection) */
  only?: { db: string; coll: string },
): ChangeStream<Document> {
  const options: ChangeStreamOptions = { promoteValues: false, promoteBuffers: false, bsonRegExp: true };
  if (cfg.captureMode.startsWith('change_streams_update_full')) options.fullDocument = 'updateLookup';
  if (cfg.captureMode.endsWith('_with_pre_image')) options.fullDocumentBeforeChange = 'whenAvailable';
  if (cfg.maxAwaitTimeMs > 0) options.maxAwaitTimeMS = cfg.maxAwaitTimeMs;
  if (from.kind === 'resumeAfter') {
    if (from.position.resumeToken) options.resumeAfter = { _data: from.position.resumeToken };
    else options.startAtOperationTime = new Timestamp({ t: from.position.sec, i: from.position.ord });
  } else if (from.kind === 'startAfter') {
    options.startAfter = from.token;
  }
  // The split stage must come last; the server then cuts events over 16 MiB into fragments (MongoDB 7.0+).
  const pipeline: Document[] = cfg.splitLargeEvents ? [{ $changeStreamSplitLargeEvent: {} }] : [];
  if (only) return client.db(only.db).collection(only.coll).watch(pipeline, options);
  switch (cfg.scope) {
    case 'collection': {
      const [db, ...rest] = (cfg.target ?? '').split('.');
      return client.db(db).collection(rest.join('.')).watch(pipeline, options);
    }
    case 'database':
      return client.db(cfg.target ?? '').watch(pipeline, options);
    default:
      return client.watch(pipeline, options);
  }
}

/**
 * `capture.scope=collection` without `capture.target` (sluice's extension): one change stream per captured
 * collection, merged in cluster-time order, for servers whose change streams work per collection only
 * (mongo-java-server; some MongoDB-compatible services). The collections are listed when the task starts.
 */
export function perCollection(cfg: MongoSourceConfig): boolean {
  return cfg.scope === 'collection' && !cfg.target;
}

/** Whether the configured stream carries the signal collection's events (else it gets a stream of its own). */
export function streamCoversSignals(cfg: MongoSourceConfig): boolean {
  const sig = cfg.signalCollection;
  if (!sig) return true;
  if (perCollection(cfg)) return cfg.filter.collection(sig.db, sig.coll);
  if (cfg.scope === 'deployment') return true;
  if (cfg.scope === 'database') return cfg.target === sig.db;
  return cfg.target === sig.id;
}

/**
 * The events the task reads: the configured change stream, merged with one on the signal collection when the
 * configured one does not carry it, or one stream per collection in `watched` (perCollection). Merged sub-streams
 * resume by cluster time (a resume token names one collection's stream), re-reading the resume point itself,
 * which is dropped here by its token.
 */
export function openEvents(
  client: MongoClient,
  cfg: MongoSourceConfig,
  from: StartFrom,
  watched: ReadonlyArray<{ db: string; coll: string }> = [],
): EventStream {
  const sig = cfg.signalCollection;
  const each = perCollection(cfg);
  if (!each && (!sig || streamCoversSignals(cfg))) return openChangeStream(client, cfg, from);
  // undefined: the configured scope
  const targets: Array<{ db: string; coll: string } | undefined> = each ? [...watched] : [undefined];
  if (sig && !targets.some((t) => t?.db === sig.db && t.coll === sig.coll) && (each || !streamCoversSignals(cfg)))
    targets.push({ db: sig.db, coll: sig.coll });
  let byTime = from;
  let skip: ((ev: Document) => boolean) | undefined;
  if (from.kind === 'resumeAfter') {
    const p = from.position;
    byTime = { kind: 'resumeAfter', position: { sec: p.sec, ord: p.ord } };
    skip = (ev) => {
      const ts = ev.clusterTime as { high?: number; low?: number } | undefined;
      if (ts?.high === undefined || ts.low === undefined) return false;
      const sec = ts.high >>> 0;
      const ord = ts.low >>> 0;
      if (sec !== p.sec) return sec < p.sec;
      if (ord !== p.ord) return ord < p.ord;
      const token = (ev._id as { _data?: unknown } | undefined)?._data;
      return p.resumeToken === undefined || token === p.resumeToken;
    };
  } else if (from.kind === 'startAfter') {
    byTime = { kind: 'now' };
  }
  return new MergedStream(
    targets.map((t) => openChangeStream(client, cfg, byTime, t)),
    skip,
    (i, invalidate) =>
      openChangeStream(client, cfg, { kind: 'startAfter', token: invalidate._id as ResumeToken }, targets[i]),
    targets.map((t) => t ?? (cfg.scope === 'collection' ? splitTarget(cfg.target) : undefined)),
  );
}

function splitTarget(target: string | undefined): { db: string; coll: string } | undefined {
  if (!target) return undefined;
  const dot = target.indexOf('.');
  return dot > 0 ? { db: target.slice(0, dot), coll: target.slice(dot + 1) } : undefined;
}
