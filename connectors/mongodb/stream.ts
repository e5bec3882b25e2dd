import type { ChangeStream, ChangeStreamOptions, Document, MongoClient, ResumeToken } from 'mongodb';
import { Timestamp } from 'mongodb';
import type { MongoSourceConfig } from './config.js';
import type { StreamPosition } from './offsets.js';

export type StartFrom =
  | { kind: 'now' }
  | { kind: 'resumeAfter'; position: StreamPosition }
  | { kind: 'startAfter'; token: ResumeToken };

/**
 * Opens the change stream of the configured scope. Documents are decoded with promoteValues: false so that
 * Int32/Int64/Double survive into the Extended JSON exactly.
 */
export function openChangeStream(client: MongoClient, cfg: MongoSourceConfig, from: StartFrom): ChangeStream<Document> {
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
