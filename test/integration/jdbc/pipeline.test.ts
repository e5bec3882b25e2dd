import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import type { WorkerProcess } from '../../harness/worker.js';
import { killAndCompare, mariaToPg, pgToMaria } from './pipeline.js';

/**
 * PostgreSQL → MariaDB and MariaDB → PostgreSQL in direct mode (no Kafka): the source's type corpus and two
 * tables, a snapshot, 10,000 changes with a SIGKILL of the worker part-way; the target equals the source.
 */

const missing = mariaDbAvailable();
if (missing && process.env.CI) throw new Error(missing);

describe.runIf(!missing)('JDBC sink pipelines under SIGKILL, direct mode', () => {
  let pg: PostgresServer;
  let maria: MariaDb;
  let dir: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-jdbc-pipe-'));
    [pg, maria] = await Promise.all([startPostgres(), startMariaDb()]);
  }, 120_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail')
      for (const w of workers) console.error(`----- worker log -----\n${w.logs().slice(-4000)}`);
    for (const w of workers.splice(0)) w.proc.kill('SIGKILL');
  });
  afterAll(async () => {
    await Promise.all([pg?.stop(), maria?.stop()]);
    if (dir && !process.env.SLUICE_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  const worker = (name: string) => ({
    'offset.storage.file.filename': join(dir, `${name}-offsets.json`),
    'offset.flush.interval.ms': '500',
  });

  it('PostgreSQL → MariaDB: the target equals the source after a SIGKILL mid-stream', async () => {
    const side = await pgToMaria(pg, maria, 'p2m');
    await killAndCompare({ side, dir, worker: worker('p2m'), workers });
  }, 300_000);

  it('MariaDB → PostgreSQL: the target equals the source after a SIGKILL mid-stream', async () => {
    const side = await mariaToPg(maria, pg, 'm2p', dir);
    await killAndCompare({ side, dir, worker: worker('m2p'), workers });
  }, 300_000);
});
