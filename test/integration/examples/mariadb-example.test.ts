import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { example, startExampleWorker } from '../../harness/examples.js';
import { type ConnectorFile, repoRoot, type WorkerProcess, waitFor } from '../../harness/worker.js';

/**
 * The compose pipeline's MariaDB half without Docker: the compose init SQL on a real MariaDB 10.11 (started with
 * the binlog flags docker-compose.yml gives it), examples/mariadb-source.json with only host, port and file paths
 * pointed here, and the file sink, in a worker started from examples/worker-direct.json.
 */

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB example test cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

interface Event {
  topic: string;
  key: { id: number } | null;
  value: { op: string; after: { id: number; name: string; stock: number } | null } | null;
}

describe.runIf(!missing)('examples: mariadb-source.json on a real MariaDB', () => {
  let db: MariaDb;
  let dir: string;
  let w: WorkerProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-examples-maria-'));
    db = await startMariaDb({ args: ['--binlog-row-image=FULL'] });
    await db.exec(readFileSync(join(repoRoot, 'examples/compose/mariadb-init.sql'), 'utf8'));
  });

  afterAll(async () => {
    await w?.stop();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('snapshots the sample products and streams an update', async () => {
    const source = example<ConnectorFile>('mariadb-source.json');
    const started = await startExampleWorker<Event>({
      dir,
      source: {
        ...source,
        config: {
          ...source.config,
          'database.hostname': db.host,
          'database.port': String(db.port),
          'schema.history.internal.file.filename': join(dir, 'history.dat'),
        },
      },
      sink: { 'topics.regex': 'maria\\.inventory\\..*' },
      env: { MARIADB_ROOT_PASSWORD: db.password },
    });
    w = started.worker;
    const { events } = started;
    const rows = () => events().filter((e) => e.value?.after);
    const running = w;
    const snapshot = await waitFor(() => (rows().length >= 3 ? rows() : undefined), 90_000, 'the snapshot').catch(
      (e: Error) => {
        throw new Error(`${e.message}; worker log:\n${running.logs().slice(-3000)}`);
      },
    );
    expect(snapshot.map((e) => [e.topic, e.value?.op, e.value?.after?.name])).toEqual([
      ['maria.inventory.products', 'r', 'difference engine'],
      ['maria.inventory.products', 'r', 'analytical engine'],
      ['maria.inventory.products', 'r', 'harvard mark i'],
    ]);

    await db.exec('UPDATE inventory.products SET stock = stock - 1 WHERE id = 3');
    const update = await waitFor(() => events().find((e) => e.value?.op === 'u'), 60_000, 'the update');
    expect(update.key).toEqual({ id: 3 });
    expect(update.value?.after).toMatchObject({ id: 3, name: 'harvard mark i', stock: 2 });
    expect(await w.stop()).toBe(0);
    w = undefined;
  });
});
