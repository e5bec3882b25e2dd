import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { call, fileSink, lines, metricValue, parsePrometheus, waitState } from '../rest/support.js';
import { pgConnector } from './pg-e2e.js';

/**
 * Issue 15, "lag everyone can see": while the sink is paused nothing is committed, so the slot keeps the WAL
 * written since; /metrics, the task status and the log.retention.warn.bytes warning show it, and all of it goes
 * back once the sink resumes.
 */
describe('postgres source: log retention and lag in /metrics and status', () => {
  let pg: PostgresServer;
  let dir: string;
  let w: WorkerProcess;
  const MB = 1024 * 1024;

  beforeAll(async () => {
    pg = await startPostgres({ settings: { wal_compression: 'off' } });
    await pg.sql(`CREATE TABLE lag_cap (id int PRIMARY KEY, v text);
      CREATE TABLE lag_other (id serial PRIMARY KEY, junk text);
      ALTER TABLE lag_other ALTER COLUMN junk SET STORAGE EXTERNAL`);
    dir = mkdtempSync(join(tmpdir(), 'sluice-lag-'));
  });
  afterAll(async () => {
    await w?.stop();
    await pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a paused sink: retained and unconfirmed WAL grow past the threshold (gauge, status, warning), then fall back on resume', async () => {
    const out = join(dir, 'out.jsonl');
    w = await startWorker({
      dir,
      worker: { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '300' },
      connectors: [
        pgConnector(pg, 'lagpg', {
          'table.include.list': 'public\\.lag_cap',
          'publication.autocreate.mode': 'filtered',
          'log.retention.warn.bytes': String(8 * MB),
        }),
        fileSink('lagsink', out, 'srv.public.lag_cap'),
      ],
    });
    await waitState(w, 'lagpg', 'RUNNING');
    const gauge = async (name: string) =>
      metricValue(parsePrometheus((await call(w, 'GET', '/metrics')).text), name, { connector: 'lagpg', task: '0' });
    const taskLog = async () =>
      (await call<{ tasks: Array<{ log?: Record<string, unknown> }> }>(w, 'GET', '/connectors/lagpg/status')).body
        .tasks[0]?.log;
    await waitFor(async () => (await taskLog())?.behind_bytes !== undefined, 30_000, 'a first log report');

    expect((await call(w, 'PUT', '/connectors/lagsink/pause')).status).toBe(202);
    await waitState(w, 'lagsink', 'PAUSED');
    // Changes the sink cannot take: nothing after them may be confirmed; then WAL of another table piles up.
    await pg.sql("INSERT INTO lag_cap SELECT g, 'v' FROM generate_series(1, 10) g");
    for (let i = 0; i < 6; i++) await pg.sql("INSERT INTO lag_other (junk) SELECT repeat('x', 4194304)");
    await waitFor(
      async () => (await gauge('sluice_source_log_retention_exceeded')) === 1,
      30_000,
      'the gauge to say exceeded',
    );
    expect(await gauge('sluice_source_log_behind_bytes')).toBeGreaterThan(16 * MB);
    expect(await gauge('sluice_source_log_retained_bytes')).toBeGreaterThan(16 * MB);
    const paused = await taskLog();
    expect(paused).toMatchObject({
      retention_exceeded: true,
      position: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/),
    });
    expect(paused?.behind_bytes as number).toBeGreaterThan(16 * MB);
    expect(w.logs()).toMatch(/keeps more of its log for this connector than log\.retention\.warn\.bytes/);
    expect(lines(out)).toEqual([]);

    expect((await call(w, 'PUT', '/connectors/lagsink/resume')).status).toBe(202);
    await waitFor(() => lines(out).length >= 10, 30_000, 'the held changes to arrive');
    await waitFor(
      async () => (await gauge('sluice_source_log_retention_exceeded')) === 0,
      30_000,
      'the gauge to clear',
    );
    expect(await gauge('sluice_source_log_behind_bytes')).toBeLessThan(1 * MB);
    expect((await taskLog())?.retention_exceeded).toBe(false);
    expect(await gauge('sluice_source_milliseconds_behind_source')).toBeGreaterThanOrEqual(0);
    expect((await taskLog())?.ms_behind_source).toEqual(expect.any(Number));
    expect(w.logs()).toMatch(/back under log\.retention\.warn\.bytes/);
  });
});
