import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { example, startExampleWorker } from '../../harness/examples.js';
import { type ConnectorFile, repoRoot, type WorkerProcess, waitFor } from '../../harness/worker.js';

/**
 * The compose pipeline's PostgreSQL half, run for real without Docker: the compose init SQL on a real server,
 * examples/postgres-source.json (only its host, port and file paths pointed here; the password still comes from
 * ${env:POSTGRES_PASSWORD}) and examples/file-sink.json in a worker started from examples/worker-direct.json.
 */

interface Event {
  topic: string;
  key: { id: number };
  value: { op: string; before: { balance: number } | null; after: { id: number; email: string; balance: number } };
}

describe('examples: postgres-source.json and file-sink.json on a real PostgreSQL', () => {
  let pg: PostgresServer;
  let dir: string;
  let w: WorkerProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-examples-'));
    pg = await startPostgres({ database: 'inventory' });
    await pg.sql(readFileSync(join(repoRoot, 'examples/compose/postgres-init.sql'), 'utf8'));
  });

  afterAll(async () => {
    await w?.stop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('snapshots the sample rows and streams an update, with the password from the environment', async () => {
    const source = example<ConnectorFile>('postgres-source.json');
    expect(source.config['database.password']).toBe('${env:POSTGRES_PASSWORD}');
    const started = await startExampleWorker<Event>({
      dir,
      source: {
        ...source,
        config: { ...source.config, 'database.hostname': pg.host, 'database.port': String(pg.port) },
      },
      env: { POSTGRES_PASSWORD: pg.password },
    });
    w = started.worker;
    const { events } = started;
    const snapshot = await waitFor(() => (events().length >= 3 ? events() : undefined), 90_000, 'the snapshot');
    expect(snapshot.map((e) => [e.topic, e.value.op, e.value.after.email])).toEqual([
      ['pg.inventory.customers', 'r', 'ada@example.com'],
      ['pg.inventory.customers', 'r', 'grace@example.com'],
      ['pg.inventory.customers', 'r', 'alan@example.com'],
    ]);

    await pg.sql('UPDATE inventory.customers SET balance = balance + 1 WHERE id = 1');
    const update = await waitFor(() => events().find((e) => e.value.op === 'u'), 60_000, 'the update');
    expect(update.key).toEqual({ id: 1 });
    // REPLICA IDENTITY FULL (set by the init SQL): the whole old row is in `before`.
    expect(update.value.before).toMatchObject({ id: 1, email: 'ada@example.com' });
    expect(update.value.after).toMatchObject({ id: 1, email: 'ada@example.com' });
    expect(await w.stop()).toBe(0);
    w = undefined;
  });
});
