import type { Document, MongoClient } from 'mongodb';
import {
  ConnectError,
  type ErrorContext,
  type SourcePartition,
  type SourceTaskContext,
} from '../../runtime/api/index.js';
import type { MongoSourceConfig } from './config.js';
import { closeWithin } from './connection.js';
import { classifyMongoError, hostsOf, standaloneError } from './errors.js';
import type { ChangeDoc } from './fragments.js';
import type { EventStream } from './merged-stream.js';
import { type StoredOffset, type StreamPosition, tokenTime } from './offsets.js';
import { oplogBounds, oplogReachesBack } from './oplog-check.js';
import { clusterTimeText, earlier, historyLostMessage, positionTime } from './oplog.js';
import { type CollectionRef, snapshotPlan } from './snapshot.js';
import { openEvents } from './stream.js';

/**
 * Where a run starts, decided from the stored offset and the snapshot mode (Debezium's MongoDB connector decides
 * the same way): nothing to do, streaming from the offset or from now, or a snapshot first. The change stream is
 * opened here in every case but `idle` — *before* a snapshot, and read only after it, so every change made while
 * the snapshot runs is delivered afterwards (at least once: a document changed during the snapshot may appear in
 * both).
 */
export type StartPoint =
  | { kind: 'idle' }
  | {
      kind: 'stream';
      events: EventStream;
      /** events already read (the first read checks the stream) */
      pending: ChangeDoc[];
      /** the stored position resumed after; undefined when streaming from now */
      position?: StreamPosition;
    }
  | {
      kind: 'snapshot';
      events: EventStream;
      pending: ChangeDoc[];
      /** where the stream resumes if we crash right after the snapshot; undefined when the server gave no token */
      start?: StreamPosition;
      plan: CollectionRef[];
    };

export interface StartInput {
  client: MongoClient;
  cfg: MongoSourceConfig;
  ctx: SourceTaskContext;
  partition: SourcePartition;
  stored: StoredOffset | null;
  /** the collections watched one stream each (capture.scope=collection without a target) */
  watched: readonly CollectionRef[];
  errorContext: (pos?: StreamPosition) => ErrorContext;
}

export async function startPoint(input: StartInput): Promise<StartPoint> {
  const { client, cfg, ctx, stored } = input;
  const mode = cfg.snapshotMode;
  const snapshotAllowed = mode === 'initial' || mode === 'initial_only' || mode === 'when_needed';
  let needSnapshot = snapshotAllowed && (stored === null || stored.initsync);
  if (mode === 'initial_only' && stored && !stored.initsync) {
    ctx.log.info({ offset: stored }, 'snapshot.mode=initial_only and the snapshot is complete: nothing to do');
    return { kind: 'idle' };
  }

  if (!needSnapshot && stored?.position) {
    // Read the oplog's bounds first: a server that does not raise ChangeStreamHistoryLost (mongo-java-server
    // restarts at its oldest entry) must not resume silently past a gap.
    const bounds = await oplogBounds(client);
    const at = positionTime(stored.position);
    if (bounds && at && earlier(at, bounds.oldest) && !(await oplogReachesBack(client, at))) {
      if (mode === 'when_needed') {
        ctx.log.warn(
          { offset: stored, oldest: clusterTimeText(bounds.oldest) },
          'resume point older than the oplog; snapshot.mode=when_needed: new snapshot',
        );
        needSnapshot = true;
      } else {
        throw new ConnectError(
          historyLostMessage(
            clusterTimeText(at),
            clusterTimeText(bounds.oldest),
            ctx.connector,
            JSON.stringify(input.partition),
          ),
          { context: input.errorContext(stored.position) },
        );
      }
    }
  }
  if (!needSnapshot && stored?.position) {
    const events = openEvents(client, cfg, { kind: 'resumeAfter', position: stored.position }, input.watched);
    const pending: ChangeDoc[] = [];
    try {
      // The first read surfaces a lost resume point now, while we can still choose to snapshot.
      const first = await events.tryNext();
      if (first) pending.push(first as unknown as ChangeDoc);
      ctx.log.info({ offset: stored }, 'resuming the change stream');
      return { kind: 'stream', events, pending, position: stored.position };
    } catch (err) {
      const e = classifyMongoError(err, input.errorContext(stored.position), hostsOf(cfg.connectionString));
      await closeWithin(events.close());
      if (!(mode === 'when_needed' && /ChangeStreamHistoryLost/.test(e.message))) throw e;
      ctx.log.warn({ offset: stored }, 'resume token lost from the oplog; snapshot.mode=when_needed: new snapshot');
      needSnapshot = true;
    }
  }

  const events = openEvents(client, cfg, { kind: 'now' }, input.watched);
  const pending: ChangeDoc[] = [];
  try {
    const start = await probe(events, pending, cfg, input.errorContext);
    if (!needSnapshot) {
      ctx.log.info({ snapshotMode: mode }, 'streaming changes from now on, no snapshot');
      return { kind: 'stream', events, pending };
    }
    const plan = await snapshotPlan(client, cfg).catch((err) => {
      throw classifyMongoError(err, input.errorContext());
    });
    return { kind: 'snapshot', events, pending, start, plan };
  } catch (err) {
    await closeWithin(events.close());
    throw err;
  }
}

/**
 * Reads the fresh stream once: that makes the server start it (and fail now if change streams are unavailable)
 * and, on MongoDB, yields the post-batch resume token, the handover point for the snapshot.
 */
async function probe(
  events: EventStream,
  pending: ChangeDoc[],
  cfg: MongoSourceConfig,
  errorContext: () => ErrorContext,
): Promise<StreamPosition | undefined> {
  let first: Document | null;
  try {
    first = await events.tryNext();
  } catch (err) {
    const e = classifyMongoError(err, errorContext(), hostsOf(cfg.connectionString));
    if (e.retriable || /privileges|replica set/.test(e.message)) throw e;
    throw standaloneError(errorContext(), err);
  }
  if (first) {
    // An event arrived already: keep it for after the snapshot; the handover point is the stream start,
    // which the server did not tell us, so the snapshot's last offset stays initsync.
    pending.push(first as unknown as ChangeDoc);
    return undefined;
  }
  const token = events.resumeToken as { _data?: unknown } | null;
  if (!token || typeof token._data !== 'string') return undefined;
  const time = tokenTime(token._data);
  return time ? { ...time, resumeToken: token._data } : { sec: 0, ord: 0, resumeToken: token._data };
}
