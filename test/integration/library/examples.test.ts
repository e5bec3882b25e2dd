import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../harness/ports.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { repoRoot, waitFor } from '../../harness/worker.js';

/** examples/library/*.ts run as a reader would run them (`npx tsx …`), against a real PostgreSQL. */

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
let pgs: PostgresServer;
let dir: string;

beforeAll(async () => {
  pgs = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'sluice-lib-examples-'));
});
afterAll(async () => {
  await pgs?.stop();
  if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
});

interface Example {
  proc: ChildProcess;
  logs: () => string;
  /** SIGTERM, as Ctrl-C would: resolves with the exit code */
  stop(): Promise<number | null>;
}

function run(name: string, env: Record<string, string>): Example {
  const proc = spawn(process.execPath, ['--import', tsx, join(repoRoot, 'examples/library', name)], {
    cwd: dir,
    env: {
      ...process.env,
      PGHOST: pgs.host,
      PGPORT: String(pgs.port),
      PGUSER: pgs.user,
      PGPASSWORD: pgs.password,
      PGDATABASE: pgs.database,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  proc.stdout?.on('data', (d: Buffer) => (logs += d));
  proc.stderr?.on('data', (d: Buffer) => (logs += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', r));
  return {
    proc,
    logs: () => logs,
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

const slotReady = (slot: string) =>
  waitFor(
    async () =>
      (await pgs.sql('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [slot])).length > 0,
    60_000,
    `slot ${slot}`,
  );

describe('examples/library', () => {
  it('outbox-relay.ts POSTs each outbox event, retrying while the endpoint fails, and releases the WAL after', async () => {
    await pgs.sql(
      'CREATE TABLE outbox (id uuid PRIMARY KEY, aggregatetype text NOT NULL, aggregateid text NOT NULL, type text NOT NULL, payload jsonb)',
    );
    const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    let refused = 0;
    const endpoint = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        // The endpoint is down at first: the relay must retry, not skip.
        if (refused < 2) {
          refused++;
          return void res.writeHead(503).end();
        }
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/events`;
    const relay = run('outbox-relay.ts', { OUTBOX_URL: url });
    try {
      await slotReady('outbox_relay');
      const before = (
        await pgs.sql<{ lsn: string }>(
          "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'outbox_relay'",
        )
      )[0].lsn;
      await pgs.sql(`BEGIN;
        INSERT INTO outbox VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'order', 'o-1', 'OrderCreated', '{"total": 12.50, "items": 2}');
        INSERT INTO outbox VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 'customer', 'c-7', 'CustomerMoved', '{"city": "Zürich"}');
        COMMIT`);
      await pgs.sql(
        "INSERT INTO outbox VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', 'order', 'o-1', 'OrderPaid', '{\"paid\": true}')",
      );
      await waitFor(() => received.length === 3, 60_000, 'three events at the endpoint');
      expect(refused).toBe(2);
      expect(
        received.map((r) => [
          r.headers['idempotency-key'],
          r.headers['x-aggregate-type'],
          r.headers['x-aggregate-id'],
          r.headers['x-event-type'],
          JSON.parse(r.body),
        ]),
      ).toEqual([
        ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'order', 'o-1', 'OrderCreated', { total: 12.5, items: 2 }],
        ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 'customer', 'c-7', 'CustomerMoved', { city: 'Zürich' }],
        ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', 'order', 'o-1', 'OrderPaid', { paid: true }],
      ]);
      await waitFor(
        async () =>
          (
            await pgs.sql<{ lsn: string }>(
              "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'outbox_relay'",
            )
          )[0].lsn !== before,
        30_000,
        'the slot to move once the events were taken',
      );
      expect(await relay.stop()).toBe(0);
    } finally {
      relay.proc.kill('SIGKILL');
      endpoint.close();
    }
  });

  it('cache-invalidation.ts serves from its cache until a row changes, then the new row', async () => {
    await pgs.sql(
      "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, balance numeric(12, 2) NOT NULL); INSERT INTO customers VALUES (1, 'Ada', 10.00), (2, 'Lin', 20.00)",
    );
    const port = await freePort();
    const service = run('cache-invalidation.ts', { PORT: String(port) });
    const get = async (id: number) => {
      const res = await fetch(`http://127.0.0.1:${port}/customers/${id}`);
      return res.status === 200 ? ((await res.json()) as { balance: string }) : res.status;
    };
    try {
      await slotReady('customer_cache');
      await waitFor(async () => (await get(1).catch(() => undefined)) !== undefined, 30_000, 'the service');
      expect(await get(1)).toEqual({ id: 1, name: 'Ada', balance: '10.00' });
      // Cached: a change nobody captured would not show. The captured one does, once the event arrives.
      await pgs.sql('UPDATE customers SET balance = 11.50 WHERE id = 1');
      await waitFor(async () => ((await get(1)) as { balance: string }).balance === '11.50', 30_000, 'the new balance');
      await pgs.sql('DELETE FROM customers WHERE id = 1');
      await waitFor(async () => (await get(1)) === 404, 30_000, 'the deleted customer gone');
      expect(await get(2)).toEqual({ id: 2, name: 'Lin', balance: '20.00' });
      expect(service.logs()).toMatch(/invalidated customer 1 \(u\)/);
      expect(await service.stop()).toBe(0);
    } finally {
      service.proc.kill('SIGKILL');
    }
  });

  it('audit-log.ts appends every change with its position, exact, durable before commit', async () => {
    await pgs.sql(
      "CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric(30, 2), limit_cents bigint); INSERT INTO accounts VALUES (1, 'Ada', 12345678901234567890123456.78, 9223372036854775807)",
    );
    const audit = join(dir, 'audit.jsonl');
    const log = run('audit-log.ts', {
      AUDIT_TABLES: 'public.accounts',
      AUDIT_FILE: audit,
      OFFSETS_FILE: join(dir, 'audit-offsets.json'),
    });
    const lines = async () => (await readFile(audit, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    try {
      await waitFor(async () => (await lines()).length === 1, 60_000, 'the snapshot line');
      await pgs.sql("UPDATE accounts SET owner = 'Ada L.' WHERE id = 1; DELETE FROM accounts WHERE id = 1");
      await waitFor(async () => (await lines()).length === 3, 60_000, 'the update and delete lines');
      expect(await log.stop()).toBe(0);
    } finally {
      log.proc.kill('SIGKILL');
    }
    const all = await lines();
    const parsed = all.map(
      (l) => JSON.parse(l) as { table: string; position: Record<string, unknown>; event: { op: string } },
    );
    expect(parsed.map((p) => [p.table, p.event.op])).toEqual([
      ['audit.public.accounts', 'r'],
      ['audit.public.accounts', 'u'],
      ['audit.public.accounts', 'd'],
    ]);
    expect(parsed[1].position).toHaveProperty('lsn');
    // int64 with all its digits, as the CLI writes it (the decimal is Connect's base64 bytes)
    expect(all[1]).toContain('"limit_cents":9223372036854775807');
  });
});
