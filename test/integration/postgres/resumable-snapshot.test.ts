import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fileSink } from '../../harness/file-sink.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { killDuringResumableSnapshot } from '../../harness/resumable-snapshot.js';
import { waitFor } from '../../harness/worker.js';
import { pgConnector } from './pg-e2e.js';

let pgs: PostgresServer;
let dir: string;

beforeAll(async () => {
  pgs = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'sluice-pgresume-'));
});
afterAll(async () => {
  await pgs?.stop();
  if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
});

const CHUNK = 25_000;
const ROWS = 500_000;

describe('postgres source: resumable initial snapshot (snapshot.resumable=true)', () => {
  it('SIGKILL three times during a 500k-row snapshot: it resumes at the last committed chunk, replay equals the table', async () => {
    await pgs.sql(
      'CREATE TABLE dbz_signal (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));' +
        `CREATE TABLE rs (id int PRIMARY KEY, v int NOT NULL); INSERT INTO rs SELECT g, 0 FROM generate_series(1, ${ROWS}) g`,
    );
    const client = await pgs.client();
    try {
      await killDuringResumableSnapshot({
        dir,
        connector: 'resum',
        connectors: [
          pgConnector(pgs, 'resum', {
            'table.include.list': 'public\\.rs',
            'snapshot.resumable': 'true',
            'signal.data.collection': 'public.dbz_signal',
            'incremental.snapshot.chunk.size': String(CHUNK),
          }),
          fileSink('sink', join(dir, 'out.jsonl'), ['srv.public.rs']),
        ],
        out: join(dir, 'out.jsonl'),
        offsets: join(dir, 'offsets.json'),
        rows: ROWS,
        chunk: CHUNK,
        // a fifth of the table between kills: 20 chunks in all
        step: 4,
        load: { exec: (sql) => client.query(sql), firstId: 1_000_000 },
        beforeLoad: () =>
          waitFor(
            async () => (await pgs.sql("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'resum_slot'")).length > 0,
            30_000,
            'the slot',
          ),
        table: async () =>
          new Map((await pgs.sql<{ id: number; v: number }>('SELECT id, v FROM rs')).map((r) => [r.id, r.v] as const)),
      });
    } finally {
      await client.end();
    }
  }, 400_000);
});
