import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, Decimal, type MySqlEvent, toJson } from '../../../runtime/library/index.js';
import { fileSink } from '../../harness/file-sink.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { startWorker, waitFor } from '../../harness/worker.js';
import { mariaConnector } from '../mysql/e2e.js';
import { TYPES_ROW, TYPES_TABLE } from '../mysql/types-corpus.js';
import { Collector, expectCliEvents, PROCESSING_TIME, sinkLines } from './collect.js';

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB library tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

let db: MariaDb;
let dir: string;

describe.runIf(!missing)('capture() from MariaDB', () => {
  beforeAll(async () => {
    db = await startMariaDb();
    dir = await mkdtemp(join(tmpdir(), 'sluice-lib-maria-'));
  });
  afterAll(async () => {
    await db?.stop();
    if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
  });

  it('delivers the events the CLI writes for the same changes, snapshot and binlog', async () => {
    const session = "SET SESSION sql_mode = ''; SET SESSION time_zone = '+00:00';";
    await db.exec(`${session} CREATE DATABASE ty; ${TYPES_TABLE}; ${TYPES_ROW(1)}`);
    const extra = { 'database.include.list': 'ty', 'include.schema.changes': 'false' };
    const topics = ['srv.ty.types'];
    const plain = join(dir, 'plain.jsonl');
    const schemas = join(dir, 'schemas.jsonl');
    const cli = await startWorker({
      dir: join(dir, 'cli'),
      worker: { 'offset.storage.file.filename': join(dir, 'cli-offsets.json'), 'offset.flush.interval.ms': '500' },
      connectors: [
        mariaConnector(db, 'cli', dir, extra),
        fileSink('plain', plain, topics),
        fileSink('schemas', schemas, topics, true),
      ],
    });
    const stream = capture({
      connector: 'mariadb',
      config: {
        'database.hostname': db.host,
        'database.port': db.port,
        'database.user': db.user,
        'database.password': db.password,
        'database.server.id': 6102,
        'topic.prefix': 'srv',
        'schema.history.internal.file.filename': join(dir, 'lib-history.jsonl'),
        ...extra,
        'include.schema.changes': false,
      },
      logger: false,
    });
    const lib = new Collector(stream);
    try {
      await lib.until((es) => es.length === 1, 'the library snapshot');
      await waitFor(() => sinkLines(plain).length === 1 && sinkLines(schemas).length === 1, 60_000, 'the CLI snapshot');
      await db.exec(
        `${session} BEGIN; ${TYPES_ROW(2)}; UPDATE ty.types SET bi = 9223372036854775807, d = -0.0000000001 WHERE id = 1; DELETE FROM ty.types WHERE id = 2; COMMIT`,
      );
      // insert, update, delete, tombstone
      await lib.until((es) => es.length === 5, 'the library changes');
      await waitFor(() => sinkLines(plain).length === 5 && sinkLines(schemas).length === 5, 60_000, 'the CLI changes');
    } finally {
      await cli.stop();
      await stream.close();
    }
    expect(lib.error).toBeUndefined();
    expect(lib.events.map((e) => (e.kind === 'change' ? e.value.op : e.kind))).toEqual([
      'r',
      'c',
      'u',
      'd',
      'tombstone',
    ]);
    // Both snapshots start at the same binlog position (nothing was written between them); only times differ.
    expectCliEvents(
      lib.events,
      sinkLines(plain),
      sinkLines(schemas),
      (v) => {
        const op = (v as { op?: string } | null)?.op;
        return op === 'r'
          ? [...PROCESSING_TIME, 'source.ts_ms', 'source.ts_us', 'source.ts_ns']
          : op
            ? PROCESSING_TIME
            : [];
      },
      toJson,
    );
    const update = lib.events[2] as Extract<MySqlEvent, { kind: 'change' }>;
    const row = update.value.after as Record<string, unknown>;
    expect(row.bi).toBe(9223372036854775807n);
    // BIGINT UNSIGNED 18446744073709551615 is -1 as Debezium's int64 (bigint.unsigned.handling.mode=long)
    expect(row.biu).toBe(-1n);
    expect(row.d).toEqual(new Decimal(-1n, 10));
    expect(row.bl).toEqual(Buffer.from('deadbeef', 'hex'));
    expect(row.dtm).toBe(1709251199999999n);
    expect(typeof update.value.source.pos).toBe('bigint');
    expect(update.position).toMatchObject({ file: update.value.source.file });
  });
});
