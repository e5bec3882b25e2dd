import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, waitFor } from '../../harness/worker.js';
import { fileSink } from '../../harness/file-sink.js';
import { pgConnector } from './pg-e2e.js';

let pg: PostgresServer;
let dir: string;
beforeAll(async () => {
  pg = await startPostgres({ settings: { max_wal_size: '1GB', logical_decoding_work_mem: '64MB' } });
  dir = await mkdtemp(join(tmpdir(), 'sluice-pglarge-'));
});
afterAll(async () => {
  await pg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ROWS = 1_000_000;
/** Peak RSS allowed to the worker process. A million events held at once would take well over a gigabyte. */
const PEAK_RSS_LIMIT_MB = 350;

/** kB figures of /proc/<pid>/status (VmRSS: now, VmHWM: the peak so far). */
function memory(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

function lineCount(file: string): number {
  if (!existsSync(file)) return 0;
  const buf = readFileSync(file);
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

describe('postgres source: large transactions', () => {
  it('one transaction updating 1,000,000 rows streams through the worker with bounded memory', async () => {
    await pg.sql(
      `CREATE TABLE large (id int PRIMARY KEY, v int NOT NULL); INSERT INTO large SELECT g, 0 FROM generate_series(1, ${ROWS}) g`,
    );
    const out = join(dir, 'out.jsonl');
    // Default queue sizes: the bound under test is the one users get. The sink writes only id and v, so the
    // test reads 15 MB instead of hundreds.
    const w = await startWorker({
      dir,
      worker: { 'offset.storage.file.filename': join(dir, 'offsets.json') },
      connectors: [
        pgConnector(pg, 'large', {
          'table.include.list': 'public\\.large',
          'snapshot.mode': 'no_data',
          transforms: 'unwrap,keep',
          'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
          'transforms.keep.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value',
          'transforms.keep.include': 'id,v',
        }),
        fileSink('sink', out, ['srv.public.large']),
      ],
    });
    try {
      await waitFor(
        async () =>
          (
            await pg.sql(
              "SELECT 1 FROM pg_stat_replication WHERE application_name = 'sluice-large' AND state = 'streaming'",
            )
          ).length > 0,
        60_000,
        'streaming',
      );
      const idle = memory(w.proc.pid!);
      const t0 = Date.now();
      await pg.sql('UPDATE large SET v = 1');
      const t1 = Date.now();
      await waitFor(() => lineCount(out) >= ROWS, 600_000, `${ROWS} lines in ${out}`);
      const after = memory(w.proc.pid!);
      const streamMs = Date.now() - t1;

      const lines = readFileSync(out, 'utf8').split('\n');
      expect(lines.length).toBe(ROWS + 1);
      let wrong = 0;
      for (let i = 0; i < ROWS; i++) if (lines[i] !== `{"id":${i + 1},"v":1}`) wrong++;
      expect(wrong, 'lines out of order or with wrong values').toBe(0);
      console.log(
        `large transaction: UPDATE ${t1 - t0} ms, streamed in ${streamMs} ms; worker RSS ${idle.rssMb.toFixed(0)} MiB idle, peak ${after.peakMb.toFixed(0)} MiB`,
      );
      expect(after.peakMb).toBeLessThan(PEAK_RSS_LIMIT_MB);
    } finally {
      await w.stop();
    }
  }, 900_000);
});
