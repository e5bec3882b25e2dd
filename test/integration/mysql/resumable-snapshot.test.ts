import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fileSink } from '../../harness/file-sink.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { killDuringResumableSnapshot } from '../../harness/resumable-snapshot.js';
import { mariaConnector } from './e2e.js';

/**
 * The resumable initial snapshot (snapshot.resumable=true) on a real MariaDB with a writer running: SIGKILL three
 * times while it reads; each restart resumes at the last committed chunk and the replay by key equals the table.
 * The 500,000 rows (SLUICE_RESUMABLE_ROWS sets another count).
 */

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

const ROWS = Number(process.env.SLUICE_RESUMABLE_ROWS ?? 500_000);
/**
 * 10 chunks in all: a chunk well above what a loaded machine delivers between two offset commits, so that "at most 2
 * chunks re-read" measures chunks, not commit latency
 */
const CHUNK = Math.ceil(ROWS / 10);

describe.runIf(!missing)('mariadb source: resumable initial snapshot (snapshot.resumable=true)', () => {
  let db: MariaDb;
  let dir: string;

  beforeAll(async () => {
    db = await startMariaDb();
    dir = await mkdtemp(join(tmpdir(), 'sluice-myresume-'));
  });
  afterAll(async () => {
    await db?.stop();
    if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
  });

  it(`SIGKILL three times during a ${ROWS}-row snapshot: it resumes at the last committed chunk, replay equals the table`, async () => {
    await db.exec('CREATE DATABASE rdb');
    await db.exec(
      'CREATE TABLE rdb.dbz_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))',
    );
    await db.exec('CREATE TABLE rdb.rs (id INT PRIMARY KEY, v INT NOT NULL)');
    for (let from = 1; from <= ROWS; from += 100_000)
      await db.exec(`INSERT INTO rdb.rs SELECT seq, 0 FROM rdb.seq_${from}_to_${Math.min(ROWS, from + 99_999)}`);
    const conn = await db.connect();
    try {
      await killDuringResumableSnapshot({
        dir: join(dir, 'w'),
        connector: 'resum',
        connectors: [
          mariaConnector(db, 'resum', dir, {
            'table.include.list': 'rdb\\.rs',
            'snapshot.resumable': 'true',
            'signal.data.collection': 'rdb.dbz_signal',
            'incremental.snapshot.chunk.size': String(CHUNK),
            'include.schema.changes': 'false',
          }),
          fileSink('sink', join(dir, 'out.jsonl'), ['srv.rdb.rs']),
        ],
        out: join(dir, 'out.jsonl'),
        offsets: join(dir, 'offsets.json'),
        rows: ROWS,
        chunk: CHUNK,
        // a fifth of the table between kills
        step: 2,
        load: { exec: (sql) => conn.query(sql), qualify: (t) => `rdb.${t}`, firstId: 10_000_000 },
        table: async () => {
          const [rows] = await conn.query('SELECT id, v FROM rdb.rs');
          return new Map((rows as Array<{ id: number; v: number }>).map((r) => [r.id, r.v] as const));
        },
        // the binlog offset of the classic snapshot phase (snapshot: true) is not the resumable snapshot's yet
        chunkOf: (o) =>
          o.snapshot === true
            ? undefined
            : typeof o.incremental_snapshot_chunk === 'number'
              ? o.incremental_snapshot_chunk
              : 'done',
      });
    } finally {
      await conn.end();
    }
  }, 400_000);
});
