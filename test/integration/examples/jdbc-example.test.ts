import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example } from '../../harness/examples.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { type ConnectorFile, repoRoot, startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';

/**
 * The compose file's PostgreSQL → MariaDB pipeline, run for real without Docker: both init scripts on real servers,
 * examples/postgres-source.json and examples/jdbc-sink.json (hosts, ports and paths pointed here; passwords from
 * the environment) in a worker started from examples/worker-direct.json.
 */

const missing = mariaDbAvailable();
if (missing && process.env.CI) throw new Error(missing);

describe.runIf(!missing)('examples: postgres-source.json → jdbc-sink.json into MariaDB', () => {
  let pg: PostgresServer;
  let maria: MariaDb;
  let dir: string;
  let w: WorkerProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-jdbc-example-'));
    [pg, maria] = await Promise.all([startPostgres({ database: 'inventory' }), startMariaDb()]);
    await pg.sql(readFileSync(join(repoRoot, 'examples/compose/postgres-init.sql'), 'utf8'));
    await maria.exec(readFileSync(join(repoRoot, 'examples/compose/mariadb-init.sql'), 'utf8'));
  }, 120_000);

  afterAll(async () => {
    await w?.stop();
    await Promise.all([pg?.stop(), maria?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies the customers into MariaDB and follows an update and a delete', async () => {
    const source = example<ConnectorFile>('postgres-source.json');
    const sink = example<ConnectorFile>('jdbc-sink.json');
    expect(sink.config['connection.password']).toBe('${env:MARIADB_ROOT_PASSWORD}');
    w = await startWorker({
      dir,
      worker: {
        ...example<Record<string, string>>('worker-direct.json'),
        'offset.storage.file.filename': join(dir, 'offsets.json'),
        'config.storage.file.filename': join(dir, 'connectors.json'),
        'offset.flush.interval.ms': '500',
        listeners: '',
      },
      connectors: [
        {
          ...sink,
          config: { ...sink.config, 'connection.url': `jdbc:mariadb://${maria.host}:${maria.port}/replica` },
        },
        { ...source, config: { ...source.config, 'database.hostname': pg.host, 'database.port': String(pg.port) } },
      ],
      env: { POSTGRES_PASSWORD: pg.password, MARIADB_ROOT_PASSWORD: '' },
      waitReady: false,
    });
    const running = w;
    const rows = async () => {
      if (running.proc.exitCode !== null) throw new Error(`the worker exited:\n${running.logs().slice(-3000)}`);
      try {
        return (await maria.exec(
          'SELECT id, name, email, CAST(balance AS CHAR) AS balance FROM replica.customers ORDER BY id',
        )) as Array<Record<string, unknown>>;
      } catch {
        return [];
      }
    };
    await waitFor(async () => (await rows()).length === 3, 90_000, 'the snapshot in MariaDB');
    expect((await rows()).map((r) => [Number(r.id), r.email, r.balance])).toEqual([
      [1, 'ada@example.com', '1815.12'],
      [2, 'grace@example.com', '1906.50'],
      [3, 'alan@example.com', '1912.23'],
    ]);
    await pg.sql(
      'UPDATE inventory.customers SET balance = balance + 1 WHERE id = 1; DELETE FROM inventory.customers WHERE id = 3',
    );
    await waitFor(
      async () => {
        const r = await rows();
        return r.length === 2 && r[0].balance === '1816.12';
      },
      60_000,
      'the update and the delete in MariaDB',
    );
    expect(await w.stop()).toBe(0);
    w = undefined;
  });
});
