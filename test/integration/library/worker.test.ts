import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createWorker } from '../../../runtime/library/index.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { waitFor } from '../../harness/worker.js';
import { sinkLines } from './collect.js';

let pgs: PostgresServer;
let dir: string;

beforeAll(async () => {
  pgs = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'sluice-lib-worker-'));
});
afterAll(async () => {
  await pgs?.stop();
  if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
});

describe('createWorker()', () => {
  it('runs connector files in process, with transforms, REST and metrics, and stops gracefully', async () => {
    await pgs.sql("CREATE TABLE w (id int PRIMARY KEY, v text); INSERT INTO w VALUES (1, 'a'), (2, 'b')");
    const out = join(dir, 'w.jsonl');
    const worker = await createWorker(
      {
        'offset.storage.file.filename': join(dir, 'offsets.json'),
        listeners: 'http://127.0.0.1:0',
        'offset.flush.interval.ms': 500,
      },
      {
        logger: false,
        connectors: [
          {
            name: 'pg',
            config: {
              'connector.class': 'postgres',
              ...pgs.connectorConfig(),
              'topic.prefix': 'srv',
              'slot.name': 'worker_slot',
              'table.include.list': 'public.w',
              transforms: 'unwrap',
              'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
            },
          },
          {
            name: 'out',
            config: {
              'connector.class': 'FileStreamSink',
              file: out,
              topics: 'srv.public.w',
              'value.converter.schemas.enable': false,
            },
          },
        ],
      },
    );
    try {
      await waitFor(() => sinkLines(out).length === 2, 60_000, 'the snapshot in the file');
      await pgs.sql("UPDATE w SET v = 'c' WHERE id = 2");
      await waitFor(() => sinkLines(out).length === 3, 60_000, 'the update in the file');
      expect(sinkLines(out).map((l) => JSON.parse(l))).toEqual([
        { id: 1, v: 'a' },
        { id: 2, v: 'b' },
        { id: 2, v: 'c' },
      ]);
      expect(worker.connectors()).toEqual(['out', 'pg']);
      expect(worker.status('pg').tasks.map((t) => t.state)).toEqual(['RUNNING']);
      // The REST API of the CLI's worker, on the port it bound.
      expect(worker.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${worker.url}/connectors?expand=status`);
      expect(Object.keys((await res.json()) as object).sort()).toEqual(['out', 'pg']);
      expect(await worker.metrics()).toMatch(/sluice_source_records_polled_total\{connector="pg",task="0"\} 3/);
      // Control as through REST: pause, resume, a connector added at run time.
      await worker.pause('pg');
      expect(worker.status('pg').connector.state).toBe('PAUSED');
      await worker.resume('pg');
    } finally {
      await worker.stop();
    }
    // Stopped gracefully: the slot's position is committed up to the update.
    const [slot] = await pgs.sql<{ active: boolean }>(
      "SELECT active FROM pg_replication_slots WHERE slot_name = 'worker_slot'",
    );
    expect(slot.active).toBe(false);
    await expect(fetch(`${worker.url}/connectors`)).rejects.toThrow();
  });

  it('opens no port unless listeners is set, and reports every problem of settings and connectors at once', async () => {
    const quiet = await createWorker({}, { logger: false });
    expect(quiet.url).toBeUndefined();
    await quiet.stop();

    const err = await createWorker(
      { 'offset.flush.interval.ms': 'soon' as unknown as number },
      {
        logger: false,
        connectors: [
          { name: 'a', config: { 'connector.class': 'postgres', 'database.port': 'x' } },
          { name: 'b', config: { 'connector.class': 'NoSuchConnector' } },
        ],
      },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).issues.map((i) => `${i.key}: ${i.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^offset\.flush\.interval\.ms: /),
        expect.stringMatching(/^database\.port: connector a: /),
        expect.stringMatching(/^database\.hostname: connector a: Missing required/),
        expect.stringMatching(/^connector\.class: connector b: Failed to find/),
      ]),
    );
  });
});
