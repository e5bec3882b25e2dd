import { type Config, type ConfigSpec, key, signalChannelKeys } from '../../runtime/api/index.js';

export const SNAPSHOT_MODES = ['initial', 'initial_only', 'no_data', 'never', 'when_needed'] as const;
export const CAPTURE_MODES = [
  'change_streams',
  'change_streams_update_full',
  'change_streams_with_pre_image',
  'change_streams_update_full_with_pre_image',
] as const;
export const CAPTURE_SCOPES = ['deployment', 'database', 'collection'] as const;

export type SnapshotMode = (typeof SNAPSHOT_MODES)[number];
export type CaptureMode = (typeof CAPTURE_MODES)[number];
export type CaptureScope = (typeof CAPTURE_SCOPES)[number];

/** Debezium's MongoDB connector keys, with Debezium's defaults. */
export const mongoConfigSpec: ConfigSpec = [
  key('mongodb.connection.string', 'password', 'MongoDB connection string (mongodb:// or mongodb+srv://)', {
    importance: 'HIGH',
  }),
  key('topic.prefix', 'string', 'Prefix of every topic: <topic.prefix>.<database>.<collection>', {
    importance: 'HIGH',
    validate: (v) => (typeof v === 'string' && /^[A-Za-z0-9._-]+$/.test(v) ? undefined : 'use [A-Za-z0-9._-] only'),
  }),
  key('database.include.list', 'list', 'Regular expressions of database names to capture', { default: null }),
  key('database.exclude.list', 'list', 'Regular expressions of database names not to capture', { default: null }),
  key('collection.include.list', 'list', 'Regular expressions of <database>.<collection> names to capture', {
    default: null,
  }),
  key('collection.exclude.list', 'list', 'Regular expressions of <database>.<collection> names not to capture', {
    default: null,
  }),
  key('field.exclude.list', 'list', 'Fields to drop, as <database>.<collection>.<field path>', { default: null }),
  key('snapshot.mode', 'string', 'When to snapshot existing documents', {
    default: 'initial',
    validValues: SNAPSHOT_MODES,
  }),
  key('capture.mode', 'string', 'Change stream options: post-images of updates and pre-images', {
    default: 'change_streams_update_full',
    validValues: CAPTURE_MODES,
  }),
  key('capture.scope', 'string', 'What one change stream watches: the deployment, a database, or a collection', {
    default: 'deployment',
    validValues: CAPTURE_SCOPES,
  }),
  key(
    'capture.target',
    'string',
    'The database (scope database) or <database>.<collection> (scope collection). With scope collection and no target, sluice opens one change stream per collection the include/exclude lists capture (listed when the task starts), merged in cluster-time order: for servers whose change streams work per collection only.',
    {
      default: null,
    },
  ),
  key('heartbeat.interval.ms', 'int', 'Emit a heartbeat (and commit the stream position) this often; 0 = off', {
    default: 0,
    min: 0,
  }),
  key('heartbeat.topics.prefix', 'string', 'Heartbeat topic prefix', { default: '__debezium-heartbeat' }),
  key('tombstones.on.delete', 'boolean', 'Follow each delete with a tombstone', { default: true }),
  key('snapshot.fetch.size', 'int', 'Documents per snapshot cursor batch; 0 = the driver default', {
    default: 0,
    min: 0,
  }),
  key('cursor.max.await.time.ms', 'int', 'How long the server waits for new events per getMore; 0 = server default', {
    default: 0,
    min: 0,
  }),
  key('mongodb.split.large.events', 'boolean', 'Ask the server to split events over 16 MiB (MongoDB 7.0+)', {
    default: false,
  }),
  key('max.batch.size', 'int', 'Most records one poll returns', { default: 2048, min: 1 }),
  key('poll.interval.ms', 'int', 'Pause after an empty poll when the server does not wait itself', {
    default: 500,
    min: 1,
  }),
  key(
    'signal.data.collection',
    'string',
    'The signal collection, `<database>.<collection>`. Signals inserted into it ({_id, type, data}) are read from the change stream, in order with the data (the `source` channel); incremental snapshots insert their watermark documents into it, so the connector user needs insert on it. When the change stream does not cover it (capture.scope collection or another database) the connector opens a second stream on it and merges both in cluster-time order.',
    { default: null },
  ),
  ...signalChannelKeys,
  key(
    'incremental.snapshot.chunk.size',
    'int',
    'Documents per chunk of an incremental snapshot, read in _id order between two watermarks and held in memory until the close watermark comes back through the change stream.',
    { default: 1024, min: 1, max: 1_000_000 },
  ),
  key(
    'snapshot.max.threads',
    'int',
    'Cursors that read the initial snapshot (and a blocking snapshot) at once: collections are read concurrently, and a collection of 20,000 documents or more is split into this many _id ranges read concurrently (sluice; Debezium reads one collection per thread). 1 reads collections one after another.',
    { default: 1, min: 1, max: 64 },
  ),
  key(
    'snapshot.resumable',
    'boolean',
    'sluice: read the initial snapshot (snapshot.mode initial or when_needed) as watermarked chunks of incremental.snapshot.chunk.size documents in _id order beside the change stream, with the incremental snapshot machinery: a crash resumes at the last committed chunk instead of starting over, and streaming is not held back. Needs signal.data.collection (the watermarks). Events are `op: "r"` with `source.snapshot` = `incremental`.',
    { default: false },
  ),
  key('mongodb.server.selection.timeout.ms', 'int', 'How long to look for a usable server', { default: 30000 }),
  key('mongodb.connect.timeout.ms', 'int', 'TCP connect timeout', { default: 10000 }),
];

export interface MongoSourceConfig {
  readonly connectionString: string;
  readonly topicPrefix: string;
  readonly filter: CollectionFilter;
  readonly fieldExcludes: FieldExcludes;
  readonly snapshotMode: SnapshotMode;
  readonly captureMode: CaptureMode;
  readonly scope: CaptureScope;
  readonly target?: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTopic: string;
  readonly tombstonesOnDelete: boolean;
  readonly snapshotFetchSize: number;
  readonly maxAwaitTimeMs: number;
  readonly maxBatchSize: number;
  /** records made ahead of delivery, at most (Connect's common max.queue.size) */
  readonly maxQueue: number;
  readonly splitLargeEvents: boolean;
  readonly pollIntervalMs: number;
  readonly serverSelectionTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** signal.data.collection, split; undefined when none is configured */
  readonly signalCollection?: { db: string; coll: string; id: string };
  readonly signalChannels: string[];
  readonly chunkSize: number;
  /** snapshot.max.threads: cursors reading the snapshot at once */
  readonly snapshotThreads: number;
  /** snapshot.resumable: the initial snapshot in watermarked chunks beside the stream */
  readonly snapshotResumable: boolean;
}

export function readConfig(c: Config): MongoSourceConfig {
  const scope = c.string('capture.scope') as CaptureScope;
  const target = c.optionalString('capture.target');
  const prefix = c.string('topic.prefix');
  return {
    connectionString: c.string('mongodb.connection.string'),
    topicPrefix: prefix,
    filter: new CollectionFilter(
      c.list('database.include.list'),
      c.list('database.exclude.list'),
      c.list('collection.include.list'),
      c.list('collection.exclude.list'),
    ),
    fieldExcludes: new FieldExcludes(c.list('field.exclude.list')),
    snapshotMode: c.string('snapshot.mode') as SnapshotMode,
    captureMode: c.string('capture.mode') as CaptureMode,
    scope,
    target,
    heartbeatIntervalMs: c.int('heartbeat.interval.ms'),
    heartbeatTopic: `${c.string('heartbeat.topics.prefix')}.${prefix}`,
    tombstonesOnDelete: c.bool('tombstones.on.delete'),
    snapshotFetchSize: c.int('snapshot.fetch.size'),
    maxAwaitTimeMs: c.int('cursor.max.await.time.ms'),
    maxBatchSize: c.int('max.batch.size'),
    // the runtime's common source key, as on MySQL/MariaDB; Debezium's default
    maxQueue: c.has('max.queue.size') ? Math.max(16, c.int('max.queue.size')) : 8192,
    splitLargeEvents: c.bool('mongodb.split.large.events'),
    pollIntervalMs: c.int('poll.interval.ms'),
    serverSelectionTimeoutMs: c.int('mongodb.server.selection.timeout.ms'),
    connectTimeoutMs: c.int('mongodb.connect.timeout.ms'),
    signalCollection: signalCollection(c.optionalString('signal.data.collection')),
    signalChannels: c.list('signal.enabled.channels'),
    chunkSize: c.int('incremental.snapshot.chunk.size'),
    snapshotResumable: c.bool('snapshot.resumable'),
    snapshotThreads: c.int('snapshot.max.threads'),
  };
}

/** `<database>.<collection>` (the collection name may hold dots) */
function signalCollection(v: string | undefined): MongoSourceConfig['signalCollection'] {
  if (!v) return undefined;
  const dot = v.indexOf('.');
  if (dot <= 0 || dot === v.length - 1) throw new Error(`signal.data.collection "${v}" is not <database>.<collection>`);
  return { db: v.slice(0, dot), coll: v.slice(dot + 1), id: v };
}

/** Problems the spec alone cannot see: the scope's target and mutually exclusive lists. */
export function crossCheck(c: Config): { key: string; message: string }[] {
  const issues: { key: string; message: string }[] = [];
  const scope = c.string('capture.scope');
  const target = c.optionalString('capture.target');
  if (scope === 'database' && (!target || target.includes('.'))) {
    issues.push({ key: 'capture.target', message: 'capture.scope=database needs the database name here' });
  }
  // without a target: one stream per captured collection (sluice's extension, see stream.ts perCollection)
  if (scope === 'collection' && target && !target.includes('.')) {
    issues.push({ key: 'capture.target', message: 'capture.scope=collection needs <database>.<collection> here' });
  }
  const signal = c.optionalString('signal.data.collection');
  if (signal !== undefined && signal !== '' && !/^[^.]+\.[^.].*$/.test(signal)) {
    issues.push({ key: 'signal.data.collection', message: 'must be <database>.<collection>' });
  }
  if (c.bool('snapshot.resumable')) {
    const mode = c.string('snapshot.mode');
    if (mode !== 'initial' && mode !== 'when_needed')
      issues.push({
        key: 'snapshot.resumable',
        message: `applies to snapshot.mode initial or when_needed, not ${mode}: a resumable snapshot streams while it reads`,
      });
    if (!signal)
      issues.push({
        key: 'snapshot.resumable',
        message:
          'a resumable snapshot writes the watermarks of its chunks to the signal collection: set signal.data.collection',
      });
  }
  if (c.list('database.include.list').length && c.list('database.exclude.list').length) {
    issues.push({ key: 'database.exclude.list', message: 'cannot be used together with database.include.list' });
  }
  if (c.list('collection.include.list').length && c.list('collection.exclude.list').length) {
    issues.push({ key: 'collection.exclude.list', message: 'cannot be used together with collection.include.list' });
  }
  for (const k of [
    'database.include.list',
    'database.exclude.list',
    'collection.include.list',
    'collection.exclude.list',
  ]) {
    for (const p of c.list(k)) {
      try {
        new RegExp(p);
      } catch {
        issues.push({ key: k, message: `not a regular expression: ${p}` });
      }
    }
  }
  return issues;
}

/** Debezium's include/exclude lists: comma-separated regular expressions matched against the whole name. */
export class CollectionFilter {
  private readonly dbInclude: RegExp[];
  private readonly dbExclude: RegExp[];
  private readonly collInclude: RegExp[];
  private readonly collExclude: RegExp[];

  constructor(dbInclude: string[], dbExclude: string[], collInclude: string[], collExclude: string[]) {
    const anchored = (ps: string[]) => ps.map((p) => new RegExp(`^(?:${p.trim()})$`));
    this.dbInclude = anchored(dbInclude);
    this.dbExclude = anchored(dbExclude);
    this.collInclude = anchored(collInclude);
    this.collExclude = anchored(collExclude);
  }

  database(db: string): boolean {
    if (db === 'admin' || db === 'config' || db === 'local') return false;
    if (this.dbInclude.length) return this.dbInclude.some((r) => r.test(db));
    return !this.dbExclude.some((r) => r.test(db));
  }

  collection(db: string, coll: string): boolean {
    if (!this.database(db) || coll.startsWith('system.')) return false;
    const full = `${db}.${coll}`;
    if (this.collInclude.length) return this.collInclude.some((r) => r.test(full));
    return !this.collExclude.some((r) => r.test(full));
  }
}

/**
 * `field.exclude.list` entries are `<database>.<collection>.<field path>`; as in Debezium, `*` in the database
 * and collection parts matches any characters (they are not regular expressions: the dot separates the parts).
 */
export class FieldExcludes {
  private readonly rules: { ns: RegExp; path: string[] }[];

  constructor(entries: string[]) {
    this.rules = entries.map((e) => {
      const parts = e.trim().split('.');
      if (parts.length < 3) throw new Error(`field.exclude.list entry ${e} is not <database>.<collection>.<field>`);
      return { ns: new RegExp(`^${wildcard(parts[0])}\\.${wildcard(parts[1])}$`), path: parts.slice(2) };
    });
  }

  /** Field paths (split on dots) to drop for one collection; empty when none. */
  pathsFor(db: string, coll: string): string[][] {
    const ns = `${db}.${coll}`;
    return this.rules.filter((r) => r.ns.test(ns)).map((r) => r.path);
  }
}

function wildcard(part: string): string {
  return part
    .split('*')
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
}
