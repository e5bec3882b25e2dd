import { describe, expect, it } from 'vitest';
import { CollectionFilter, crossCheck, mongoConfigSpec } from '../../../connectors/mongodb/config.js';
import { classifyMongoError, hostsOf } from '../../../connectors/mongodb/errors.js';
import { decodeOffset, encodeOffset, tokenTime } from '../../../connectors/mongodb/offsets.js';
import { MongoSourceTask } from '../../../connectors/mongodb/task.js';
import { ConfigError, type Logger } from '../../../runtime/api/index.js';
import { sourceCommonSpec } from '../../../runtime/config/common.js';
import { parseConfig } from '../../../runtime/config/parse.js';

const required = { name: 'm', 'mongodb.connection.string': 'mongodb://h:27017', 'topic.prefix': 'p' };

function parse(raw: Record<string, string>) {
  return parseConfig([...sourceCommonSpec, ...mongoConfigSpec], { ...required, ...raw });
}

describe('MongoDB config', () => {
  it("uses Debezium's defaults and accepts its enum values case-insensitively", () => {
    const { config, issues } = parse({ 'snapshot.mode': 'WHEN_NEEDED' });
    expect(issues).toEqual([]);
    expect(config.string('snapshot.mode')).toBe('when_needed');
    expect(config.string('capture.mode')).toBe('change_streams_update_full');
    expect(config.string('capture.scope')).toBe('deployment');
    expect(config.bool('tombstones.on.delete')).toBe(true);
  });

  it('rejects unknown snapshot and capture modes', () => {
    expect(parse({ 'snapshot.mode': 'schema_only' }).issues.map((i) => i.key)).toContain('snapshot.mode');
    expect(parse({ 'capture.mode': 'oplog' }).issues.map((i) => i.key)).toContain('capture.mode');
  });

  it('needs a capture.target matching the scope, and include/exclude lists that do not clash', () => {
    expect(
      crossCheck(parse({ 'capture.scope': 'collection', 'capture.target': 'db' }).config).map((i) => i.key),
    ).toEqual(['capture.target']);
    expect(crossCheck(parse({ 'capture.scope': 'database', 'capture.target': 'db' }).config)).toEqual([]);
    const clash = parse({ 'collection.include.list': 'a.b', 'collection.exclude.list': 'a.c' }).config;
    expect(crossCheck(clash).map((i) => i.key)).toEqual(['collection.exclude.list']);
    expect(crossCheck(parse({ 'database.include.list': '(' }).config).map((i) => i.key)).toEqual([
      'database.include.list',
    ]);
  });
});

describe('MongoSourceTask.start', () => {
  it('takes snapshot.resumable only with snapshot.mode initial or when_needed and a signal collection', () => {
    const sig = { 'signal.data.collection': 'db.signals', 'snapshot.resumable': 'true' };
    expect(crossCheck(parse(sig).config)).toEqual([]);
    expect(crossCheck(parse({ ...sig, 'snapshot.mode': 'when_needed' }).config)).toEqual([]);
    const initialOnly = crossCheck(parse({ ...sig, 'snapshot.mode': 'initial_only' }).config);
    expect(initialOnly.map((i) => i.key)).toEqual(['snapshot.resumable']);
    expect(initialOnly[0].message).toMatch(/not initial_only/);
    const noSignals = crossCheck(parse({ 'snapshot.resumable': 'true' }).config);
    expect(noSignals.map((i) => i.key)).toEqual(['snapshot.resumable']);
    expect(noSignals[0].message).toMatch(/signal.data.collection/);
  });

  it('refuses a scope without its target before connecting anywhere', async () => {
    const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
    const { config } = parse({ 'capture.scope': 'database' });
    const err = await new MongoSourceTask()
      .start(config, {
        connector: 'm',
        taskId: 0,
        signal: new AbortController().signal,
        log: quiet,
        offsets: { offset: async () => null },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.key)).toEqual(['capture.target']);
  });
});

describe('CollectionFilter', () => {
  it('matches whole names with regular expressions and never captures system databases or collections', () => {
    const f = new CollectionFilter(['inv.*'], [], [], ['inventory\\.secret.*']);
    expect(f.database('inventory')).toBe(true);
    expect(f.database('sales')).toBe(false);
    expect(f.database('admin')).toBe(false);
    expect(f.collection('inventory', 'orders')).toBe(true);
    expect(f.collection('inventory', 'secrets')).toBe(false);
    expect(f.collection('inventory', 'system.views')).toBe(false);
    const inc = new CollectionFilter([], [], ['a\\.b'], []);
    expect(inc.collection('a', 'b')).toBe(true);
    expect(inc.collection('a', 'bb')).toBe(false);
  });
});

describe('classifyMongoError', () => {
  const serverError = (code: number, message: string) =>
    Object.assign(new Error(message), { name: 'MongoServerError', code });

  it('names the snapshot mode that recovers from a lost resume token', () => {
    const e = classifyMongoError(
      serverError(286, 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.'),
    );
    expect(e.retriable).toBe(false);
    expect(e.message).toContain('ChangeStreamHistoryLost');
    expect(e.message).toContain('snapshot.mode=when_needed');
  });

  it('explains standalone servers, missing privileges and failed authentication', () => {
    const standalone = classifyMongoError(
      serverError(40573, 'The $changeStream stage is only supported on replica sets'),
    );
    expect(standalone.message).toMatch(/replica set/);
    expect(standalone.retriable).toBe(false);
    const denied = classifyMongoError(
      serverError(13, 'not authorized on inventory to execute command { aggregate: 1 }'),
    );
    expect(denied.message).toMatch(/privileges/);
    expect(denied.message).toMatch(/changeStream/);
    expect(denied.retriable).toBe(false);
    const auth = classifyMongoError(serverError(18, 'Authentication failed.'));
    expect(auth.message).toMatch(/authentication failed/i);
    expect(auth.retriable).toBe(false);
  });

  it('treats an unreachable server as retriable', () => {
    const e = classifyMongoError(
      Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoServerSelectionError' }),
      { connector: 'c' },
      hostsOf('mongodb://u:secret@db1:27017,db2:27017/?replicaSet=rs0'),
    );
    expect(e.retriable).toBe(true);
    expect(e.message).toContain('db1:27017,db2:27017');
    expect(e.message).not.toContain('secret');
    expect(e.context.connector).toBe('c');
  });
});

describe('offsets', () => {
  it('round-trips the Debezium offset and recognises an unfinished snapshot', () => {
    const o = encodeOffset({ sec: 100, ord: 2, resumeToken: '82ABC' }, true);
    expect(o).toEqual({ sec: 100, ord: 2, resume_token: '82ABC', initsync: true });
    expect(decodeOffset(o)).toEqual({ initsync: true, position: { sec: 100, ord: 2, resumeToken: '82ABC' } });
    expect(decodeOffset({ sec: 0, ord: 0, initsync: true })).toEqual({ initsync: true, position: undefined });
    expect(decodeOffset(null)).toBeNull();
  });

  it('reads the cluster time out of MongoDB and mongo-java-server resume tokens', () => {
    expect(tokenTime('8265A5E1A0000000032B022C0100296E5A1004')).toEqual({ sec: 0x65a5e1a0, ord: 3 });
    expect(tokenTime('6b012e7700000002')).toEqual({ sec: 0x6b012e77, ord: 2 });
    expect(tokenTime('zz')).toBeUndefined();
  });
});
