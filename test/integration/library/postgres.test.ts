import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  capture,
  ConfigError,
  ConnectError,
  Decimal,
  type OffsetEntry,
  type OffsetStore,
  type PostgresEvent,
  toJson,
} from '../../../runtime/library/index.js';
import { fileSink } from '../../harness/file-sink.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, waitFor } from '../../harness/worker.js';
import { pgConnector } from '../postgres/pg-e2e.js';
import { MATRIX_DDL, MATRIX_ROW } from '../postgres/types-corpus.js';
import { Collector, expectCliEvents, PROCESSING_TIME, sinkLines } from './collect.js';

let pgs: PostgresServer;
let dir: string;

beforeAll(async () => {
  pgs = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'sluice-lib-pg-'));
});
afterAll(async () => {
  await pgs?.stop();
  if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
});

/** The library's config for this server: the same keys a connector file would hold. */
function pgConfig(slot: string, extra: Record<string, string> = {}) {
  const c = pgs.connectorConfig();
  return {
    'database.hostname': c['database.hostname'],
    'database.port': Number(c['database.port']),
    'database.user': c['database.user'],
    'database.password': c['database.password'],
    'database.dbname': c['database.dbname'],
    'topic.prefix': 'srv',
    'slot.name': `${slot}_slot`,
    'publication.name': `${slot}_pub`,
    ...extra,
  };
}

const slotLsn = async (slot: string) =>
  (
    await pgs.sql<{ lsn: string | null }>(
      'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    )
  )[0]?.lsn;

describe('capture() from PostgreSQL', () => {
  it('delivers the events the CLI writes for the same changes, snapshot and streaming, with exact values', async () => {
    await pgs.sql(MATRIX_DDL);
    await pgs.sql(MATRIX_ROW);
    await pgs.sql(MATRIX_ROW.replace('(\n  1,', '(\n  2,'));
    const extra = { 'table.include.list': 'public.matrix', 'provide.transaction.metadata': 'true' };
    const topics = ['srv.public.matrix', 'srv.transaction'];
    const plain = join(dir, 'plain.jsonl');
    const schemas = join(dir, 'schemas.jsonl');
    const cli = await startWorker({
      dir: join(dir, 'cli'),
      worker: { 'offset.storage.file.filename': join(dir, 'cli-offsets.json'), 'offset.flush.interval.ms': '500' },
      connectors: [
        pgConnector(pgs, 'cli', extra),
        fileSink('plain', plain, topics),
        fileSink('schemas', schemas, topics, true),
      ],
    });
    const stream = capture({ connector: 'postgres', config: pgConfig('lib', extra), logger: false });
    const lib = new Collector(stream);
    try {
      // Both snapshots done before any change, so both took the same rows.
      await lib.until((es) => es.filter((e) => e.kind === 'change').length === 2, 'the library snapshot');
      await waitFor(() => sinkLines(plain).length >= 2 && sinkLines(schemas).length >= 2, 60_000, 'the CLI snapshot');
      await pgs.sql(
        `BEGIN; ${MATRIX_ROW.replace('(\n  1,', '(\n  3,')}; UPDATE matrix SET c_int = 7, c_numeric = -0.00001 WHERE id = 1; DELETE FROM matrix WHERE id = 2; COMMIT`,
      );
      await pgs.sql("UPDATE matrix SET c_text = 'last' WHERE id = 3");
      // The last transaction's END event closes both streams.
      const ends = (lines: readonly string[]) => lines.filter((l) => l.includes('"status":"END"')).length;
      await lib.until((es) => es.filter((e) => e.kind === 'transaction').length === 4, 'the library changes');
      await waitFor(() => ends(sinkLines(plain)) === 2 && ends(sinkLines(schemas)) === 2, 60_000, 'the CLI changes');
    } finally {
      await cli.stop();
      await stream.close();
    }
    expect(lib.error).toBeUndefined();

    const events = lib.events;
    // 2 snapshot rows; insert, update, delete + tombstone, update; BEGIN and END of both transactions
    expect(events.map((e) => e.kind)).toEqual([
      'change',
      'change',
      'transaction',
      'change',
      'change',
      'change',
      'tombstone',
      'transaction',
      'transaction',
      'change',
      'transaction',
    ]);
    // Each snapshot has its own slot, so its own position, transaction and time.
    const snapshot = ['source.ts_ms', 'source.ts_us', 'source.ts_ns', 'source.lsn', 'source.sequence', 'source.txId'];
    expectCliEvents(
      events,
      sinkLines(plain),
      sinkLines(schemas),
      (v) => {
        const op = (v as { op?: string } | null)?.op;
        return op === 'r' ? [...PROCESSING_TIME, ...snapshot] : op ? PROCESSING_TIME : [];
      },
      toJson,
    );

    // The types an application gets, on the row the update touched.
    const update = events.find((e) => e.kind === 'change' && e.value.op === 'u') as Extract<
      PostgresEvent,
      { kind: 'change' }
    >;
    const row = update.value.after as Record<string, unknown>;
    expect(row.c_bigint).toBe(9223372036854775807n);
    expect(row.c_int).toBe(7);
    expect(row.c_numeric).toEqual(new Decimal(-1n, 5));
    expect(row.c_numeric_var).toEqual(Decimal.parse('3.14159'));
    expect(row.c_bytea).toEqual(Buffer.from([0x00, 0xff, 0x10]));
    expect(row.c_ts).toBe(1704164645123456n);
    expect(row.c_jsonb).toBe('{"a": 1, "b": [1, 2]}');
    expect(typeof update.value.ts_ms).toBe('bigint');
    expect(typeof update.value.source.lsn).toBe('bigint');
    expect(update.key).toEqual({ id: 1 });
    expect(update.position).toMatchObject({ lsn: Number(update.value.source.lsn) });
  });

  it('a consumer that never commits keeps the slot where it was; commit() moves it', async () => {
    await pgs.sql('CREATE TABLE nc (id int PRIMARY KEY, v int); CREATE TABLE uncaptured (id int)');
    await pgs.sql('INSERT INTO nc SELECT g, 0 FROM generate_series(1, 50) g');
    const stream = capture({
      connector: 'postgres',
      config: pgConfig('nc', { 'table.include.list': 'public.nc', 'status.update.interval.ms': '100' }),
      logger: false,
    });
    const lib = new Collector(stream, { commit: false });
    try {
      await lib.until((es) => es.length === 50, 'the snapshot');
      const created = await slotLsn('nc_slot');
      expect(created).toBeTruthy();
      for (let i = 0; i < 5; i++) {
        await pgs.sql(`UPDATE nc SET v = ${i + 1} WHERE id <= 10; INSERT INTO uncaptured VALUES (${i})`);
      }
      await lib.until((es) => es.length === 100, 'the updates');
      // The connector answers the server every 100 ms: once a reply came after the last change arrived, the
      // slot has heard everything it will hear from a consumer that does not commit.
      const arrived = await pgs.sql<{ now: Date }>('SELECT now()');
      await waitFor(
        async () =>
          (
            await pgs.sql<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_replication WHERE application_name <> '' AND reply_time > $1",
              [arrived[0].now],
            )
          )[0].n > 0,
        30_000,
        'a status update after the changes',
      );
      expect(await slotLsn('nc_slot')).toBe(created);

      // The positive control: committing the last batch moves confirmed_flush_lsn.
      await lib.batches[lib.batches.length - 1].commit();
      await waitFor(async () => (await slotLsn('nc_slot')) !== created, 30_000, 'the slot to move after commit()');
    } finally {
      await stream.close();
      await lib.done;
    }
    expect(lib.error).toBeUndefined();
  });

  it('resumes from its own offset store after the last commit, and a closed capture cannot commit', async () => {
    await pgs.sql('CREATE TABLE rs (id int PRIMARY KEY, v int); INSERT INTO rs VALUES (1, 0), (2, 0)');
    const stored = new Map<string, OffsetEntry>();
    let writes = 0;
    const store: OffsetStore = {
      async read(connector) {
        return [...stored.values()]
          .filter((e) => e.connector === connector && e.offset !== null)
          .map((e) => ({ partition: e.partition, offset: e.offset as NonNullable<typeof e.offset> }));
      },
      async write(entries) {
        writes++;
        for (const e of entries) stored.set(JSON.stringify([e.connector, e.partition]), e);
      },
    };
    const config = pgConfig('rs', { 'table.include.list': 'public.rs' });
    const first = capture({ connector: 'postgres', config, offsets: store, name: 'resume', logger: false });
    const it1 = first[Symbol.asyncIterator]();
    // The snapshot, committed batch by batch, until its last row.
    let snapshotRows = 0;
    while (snapshotRows < 2) {
      const b = await it1.next();
      snapshotRows += b.value?.events.length ?? 0;
      await b.value?.commit();
    }
    expect(writes).toBeGreaterThan(0);
    expect([...stored.keys()]).toEqual([JSON.stringify(['resume', { server: 'srv' }])]);
    await pgs.sql('UPDATE rs SET v = 1 WHERE id = 1');
    const upd = await it1.next();
    expect(upd.value?.events.map((e: PostgresEvent) => e.kind === 'change' && e.value.op)).toEqual(['u']);
    // Not committed: the next capture gets it again, and nothing before it.
    await first.close();
    await expect(upd.value?.commit()).rejects.toThrow(/closed before this commit/);
    await pgs.sql('UPDATE rs SET v = 2 WHERE id = 2');

    const second = capture({ connector: 'postgres', config, offsets: store, name: 'resume', logger: false });
    const lib = new Collector(second);
    try {
      await lib.until((es) => es.length === 2, 'the two updates');
      expect(lib.events.map((e) => (e.kind === 'change' ? [e.value.op, e.value.after?.v] : e.kind))).toEqual([
        ['u', 1],
        ['u', 2],
      ]);
    } finally {
      await second.close();
    }
  });

  it('applies transforms given as SMT configs and as functions', async () => {
    await pgs.sql('CREATE TABLE tf (id int PRIMARY KEY, v int); INSERT INTO tf VALUES (1, 1), (2, 2), (3, 3)');
    const stream = capture({
      connector: 'postgres',
      config: pgConfig('tf', { 'table.include.list': 'public.tf' }),
      transforms: [
        { type: 'io.debezium.transforms.ExtractNewRecordState', 'add.fields': ['op'] },
        (r) => ((r.value as { v: number }).v === 2 ? null : r),
      ],
      logger: false,
    });
    const lib = new Collector(stream);
    try {
      await lib.until((es) => es.length === 2, 'the snapshot');
      expect(lib.events.map((e) => [e.kind, e.value])).toEqual([
        ['other', { id: 1, v: 1, __op: 'r' }],
        ['other', { id: 3, v: 3, __op: 'r' }],
      ]);
    } finally {
      await stream.close();
    }
  });

  it('gives temporal values as Debezium numbers, or as JS Dates with dates: true', async () => {
    await pgs.sql(`CREATE TABLE dt (id int PRIMARY KEY, d date, ts timestamp, tz timestamptz, t time);
      INSERT INTO dt VALUES (1, '2024-02-29', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456+02', '10:11:12.123456')`);
    const rowOf = async (slot: string, dates: boolean) => {
      const stream = capture({
        connector: 'postgres',
        config: pgConfig(slot, { 'table.include.list': 'public.dt' }),
        dates,
        logger: false,
      });
      const lib = new Collector(stream);
      try {
        await lib.until((es) => es.length === 1, 'the row');
      } finally {
        await stream.close();
      }
      const e = lib.events[0];
      return e.kind === 'change' ? (e.value.after as Record<string, unknown>) : undefined;
    };
    expect(await rowOf('dtnum', false)).toEqual({
      id: 1,
      d: 19782,
      ts: 1704164645123456n,
      tz: '2024-01-02T01:04:05.123456Z',
      t: 36672123456n,
    });
    expect(await rowOf('dtdate', true)).toEqual({
      id: 1,
      d: new Date('2024-02-29T00:00:00Z'),
      ts: new Date('2024-01-02T03:04:05.123Z'),
      tz: new Date('2024-01-02T01:04:05.123Z'),
      t: 36672123456n,
    });
  });

  it('reports every config problem at once, before connecting, as the CLI does', async () => {
    const stream = capture({
      connector: 'postgres',
      // Wrong on purpose, past the types: what a JavaScript caller (or a cast) can still send.
      config: {
        ...pgConfig('bad'),
        'database.port': 'x' as unknown as number,
        'snapshot.mode': 'sometimes' as 'initial',
        'slot.nme': 'typo',
      } as Parameters<typeof capture<'postgres'>>[0]['config'],
      transforms: [{ type: 'NoSuchTransform' } as unknown as { type: 'unwrap' }],
      logger: false,
    });
    const err = await stream[Symbol.asyncIterator]()
      .next()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ConfigError);
    const keys = (err as ConfigError).issues.map((i) => i.key).sort();
    expect(keys).toEqual(['database.port', 'slot.nme', 'snapshot.mode', 'transforms.option0.type']);
    expect((err as ConfigError).message).toMatch(/did you mean "slot.name"/);

    // What only JavaScript (or a cast) can send: each refused with the option it is about, nothing started.
    const first = (o: unknown) =>
      capture(o as Parameters<typeof capture>[0])
        [Symbol.asyncIterator]()
        .next()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
    for (const [options, key] of [
      [{ connector: 'postgres', config: null }, 'config'],
      [{ connector: 'postgres', config: 'database.hostname=x' }, 'config'],
      [{ connector: 42, config: {} }, 'connector'],
      [{ connector: 'postgres', config: pgConfig('n'), name: 'a/b' }, 'name'],
      [{ connector: 'postgres', config: { ...pgConfig('o'), 'table.include.list': [{}] } }, 'table.include.list'],
      [{ connector: 'FileStreamSink', config: { file: 'x', topics: 't' } }, 'connector.class'],
    ] as const) {
      const e = await first(options);
      expect(e, JSON.stringify(options)).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).issues.map((i) => i.key)).toEqual([key]);
    }
    expect(() => capture(undefined as never)).toThrow(ConfigError);
  });

  it('throws a retriable error with its context when retries are off, and retries it otherwise', async () => {
    const config = { ...pgConfig('down'), 'database.port': 1 };
    const once = capture({ connector: 'postgres', config, retry: false, logger: false });
    const err = await once[Symbol.asyncIterator]()
      .next()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).retriable).toBe(true);
    expect((err as ConnectError).context).toMatchObject({ connector: 'srv', task: 0 });

    // With retries (the default) the same failure is retried with backoff, logged, and does not end the
    // iteration; close() ends it.
    const retries: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn(o: object | string, msg?: string) {
        retries.push(msg ?? String(o));
      },
      error() {},
      child() {
        return logger;
      },
    };
    const retried = capture({ connector: 'postgres', config, logger });
    let ended = false;
    const pending = retried[Symbol.asyncIterator]()
      .next()
      .finally(() => {
        ended = true;
      });
    await waitFor(() => retries.filter((m) => /retrying/.test(m)).length >= 2, 30_000, 'two retries');
    expect(ended).toBe(false);
    await retried.close();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
  });
});
