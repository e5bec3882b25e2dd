import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../runtime/cli/program.js';
import { codeBlocks } from '../../harness/markdown.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { type ConnectorFile, repoRoot, startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';

/**
 * README's "Your first pipeline", as a reader follows it: its SQL block run as written on a real PostgreSQL (as the
 * superuser, then the restart it asks for), its three JSON blocks as the worker's files with only what must differ
 * here changed (the database's host and port, the REST port), `PGPASSWORD=change-me`, relative file names
 * resolved in the directory the worker starts from. Then the events must arrive in changes.jsonl.
 */

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface Event {
  op: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: { table: string };
}

function events(file: string): Event[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && l !== 'null')
    .map((l) => JSON.parse(l) as Event);
}

describe("README's first pipeline", () => {
  it('runs as written: the SQL, worker.json, the source and the sink; the snapshot and live changes arrive', async () => {
    const readme = join(repoRoot, 'README.md');
    const [sql] = codeBlocks(readme, 'sql');
    // The pipeline's blocks by what they are, whatever else README shows around them.
    const blocks = codeBlocks(readme, 'json').map((b) => JSON.parse(b) as Record<string, unknown>);
    const cls = (b: Record<string, unknown>) => (b.config as Record<string, string> | undefined)?.['connector.class'];
    const workerBlock = blocks.find((b) => b['config.providers'] !== undefined && cls(b) === undefined);
    const sourceBlock = blocks.find((b) => cls(b) === 'io.debezium.connector.postgresql.PostgresConnector');
    const sinkBlock = blocks.find((b) => cls(b) === 'FileStreamSink');
    expect([workerBlock, sourceBlock, sinkBlock].every((b) => b !== undefined)).toBe(true);
    expect(sql).toContain('CREATE PUBLICATION');

    const pg: PostgresServer = await startPostgres({ database: 'inventory' });
    cleanups.push(() => pg.stop());
    // The reader's database: two tables with primary keys, some rows.
    await pg.sql(`CREATE TABLE public.customers (id serial PRIMARY KEY, name text NOT NULL, email text)`);
    await pg.sql(`CREATE TABLE public.orders (id serial PRIMARY KEY, customer_id int NOT NULL, amount numeric(10, 2))`);
    await pg.sql(`INSERT INTO public.customers (name, email) VALUES ('Ada', 'ada@example.com'), ('Grace', NULL)`);
    await pg.sql(`INSERT INTO public.orders (customer_id, amount) VALUES (1, 12.50)`);
    // README's statements, one at a time (ALTER SYSTEM refuses a transaction block), comments and all.
    for (const statement of sql.split(/;\s*(?:--[^\n]*)?\n/).filter((s) => s.trim() !== '')) await pg.sql(statement);
    await pg.restart();
    expect(await pg.sql('SHOW wal_level')).toEqual([{ wal_level: 'logical' }]);

    const dir = mkdtempSync(join(tmpdir(), 'sluice-first-pipeline-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const { listeners: _ownPort, ...worker } = workerBlock as Record<string, string>;
    const source = sourceBlock as unknown as ConnectorFile;
    source.config['database.hostname'] = pg.host;
    source.config['database.port'] = String(pg.port);
    const w: WorkerProcess = await startWorker({
      dir,
      cwd: dir,
      worker,
      connectors: [source, sinkBlock as unknown as ConnectorFile],
      env: { PGPASSWORD: 'change-me' },
    });
    cleanups.push(async () => {
      await w.stop();
    });
    const changes = join(dir, 'changes.jsonl');
    const snapshot = await waitFor(
      () => {
        const e = events(changes);
        return e.length >= 3 ? e : undefined;
      },
      60_000,
      `the snapshot in changes.jsonl; worker log:\n${w.logs().slice(-3000)}`,
    );
    expect(snapshot.map((e) => [e.op, e.source.table, e.after?.id]).sort()).toEqual([
      ['r', 'customers', 1],
      ['r', 'customers', 2],
      ['r', 'orders', 1],
    ]);

    await pg.sql(`INSERT INTO public.orders (customer_id, amount) VALUES (2, 99.99)`);
    await pg.sql(`UPDATE public.customers SET email = 'grace@example.com' WHERE id = 2`);
    await pg.sql(`DELETE FROM public.orders WHERE id = 1`);
    const all = await waitFor(
      () => {
        const e = events(changes);
        return e.length >= 6 ? e : undefined;
      },
      60_000,
      `the live changes; worker log:\n${w.logs().slice(-3000)}`,
    );
    expect(all.slice(3).map((e) => [e.op, e.source.table])).toEqual([
      ['c', 'orders'],
      ['u', 'customers'],
      ['d', 'orders'],
    ]);
    expect(all[4].after).toMatchObject({ id: 2, email: 'grace@example.com' });
    // The offsets file README's worker.json names is where it said, in the worker's directory.
    await waitFor(() => existsSync(join(dir, 'sluice-offsets.json')), 30_000, 'sluice-offsets.json');

    // …and README's day-two command sees it running.
    let out = '';
    const code = await runCli(['connectors', 'status', 'inventory'], {
      out: (t) => {
        out += t;
      },
      err: (t) => {
        out += t;
      },
      env: { SLUICE_URL: w.url },
    });
    expect(code).toBe(0);
    expect(out).toMatch(/^task 0\s+RUNNING\s/m);
  });
});
