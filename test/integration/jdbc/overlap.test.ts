import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';

/**
 * The JDBC sink commits batch N in the background while put() of N+1 is built (connectors/jdbc/writer.ts). The
 * contract that must survive it: offsets are committed only for records already in the target. Here the target
 * table is locked, so the sink's transaction for the changes is in flight (blocked) while put() has returned and
 * the source goes on; the worker is SIGKILLed then, restarted, and the target must equal the source.
 */

const TARGET_DB = 'overlap_target';
const ROWS = 3_000;

describe('JDBC sink with a commit in flight', () => {
  let server: PostgresServer;
  let dir: string;
  let locker: pg.Client | undefined;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-jdbc-overlap-'));
    server = await startPostgres();
    await server.sql(`CREATE DATABASE ${TARGET_DB}`);
    await server.sql('CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL)');
    await server.sql('CREATE PUBLICATION overlap FOR TABLE items');
  }, 120_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail')
      for (const w of workers) console.error(`----- worker log -----\n${w.logs().slice(-4000)}`);
    for (const w of workers.splice(0)) w.proc.kill('SIGKILL');
  });
  afterAll(async () => {
    await locker?.end().catch(() => undefined);
    await server?.stop();
    if (dir && !process.env.SLUICE_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  const target = async (sql: string) => {
    const c = await server.client(TARGET_DB);
    try {
      return (await c.query(sql)).rows as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  };
  const rows = async (read: (sql: string) => Promise<Record<string, unknown>[]>) =>
    JSON.stringify(await read('SELECT id, v FROM items ORDER BY id'));
  const start = async () => {
    const w = await startWorker({
      dir,
      worker: { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '200' },
      connectors: [
        {
          name: 'items-source',
          config: {
            'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
            ...server.connectorConfig(),
            'topic.prefix': 'ov',
            'slot.name': 'overlap',
            'publication.name': 'overlap',
            'publication.autocreate.mode': 'disabled',
            'table.include.list': 'public\\.items',
            'snapshot.mode': 'no_data',
          },
        },
        {
          name: 'items-sink',
          config: {
            'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
            topics: 'ov.public.items',
            'connection.url': `jdbc:postgresql://${server.host}:${server.port}/${TARGET_DB}`,
            'connection.username': server.user,
            'connection.password': server.password,
            'insert.mode': 'upsert',
            'primary.key.mode': 'record_key',
            'delete.enabled': 'true',
            'schema.evolution': 'basic',
            'collection.name.format': '${source.table}',
            'batch.size': '100',
          },
        },
      ],
    });
    workers.push(w);
    return w;
  };
  /** records the sink task's put() accepted (`sluice_records_written_total` of the sink connector) */
  const putCount = async (w: WorkerProcess) => {
    const text = await (await fetch(`${w.url}/metrics`)).text();
    const m = /^sluice_records_written_total\{[^}]*connector="items-sink"[^}]*\} (\d+)/m.exec(text);
    return m ? Number(m[1]) : 0;
  };
  /** the sink's connections of the target database that wait for a lock with a statement running */
  const blockedWrites = async () =>
    Number(
      (
        await server.sql(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = '${TARGET_DB}' AND application_name = 'sluice-jdbc-sink' AND state = 'active' AND wait_event_type = 'Lock'`,
        )
      )[0].n,
    );

  it('SIGKILL while the target commits a batch put() already returned: the target equals the source after a restart', async () => {
    let w = await start();
    // Changes before the slot exists are not streamed (snapshot.mode=no_data).
    const slot = "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'overlap'";
    await waitFor(async () => (await server.sql(slot)).length > 0, 120_000, 'the replication slot');
    await server.sql('INSERT INTO items VALUES (0, 0)');
    // The sink creates the target table from the first change (schema.evolution=basic).
    const created = async () => (await target("SELECT to_regclass('items') IS NOT NULL AS t"))[0].t === true;
    await waitFor(
      async () => (await created()) && (await rows(target)) === '[{"id":0,"v":0}]',
      120_000,
      'the first row',
    );

    // Hold the target table: the sink's next transaction stays in flight until the lock goes.
    locker = await server.client(TARGET_DB);
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
    const written = await putCount(w);
    for (let i = 1; i <= ROWS; i += 100) {
      const ids = Array.from({ length: 100 }, (_, k) => i + k);
      await server.sql(`INSERT INTO items VALUES ${ids.map((id) => `(${id}, ${id})`).join(', ')}`);
    }
    // put() returned for changes whose transaction is blocked in the target: the commit is in flight.
    await waitFor(async () => (await blockedWrites()) > 0, 120_000, 'a sink transaction waiting on the lock');
    await waitFor(async () => (await putCount(w)) > written, 120_000, 'put() to return with its commit in flight');
    expect(await blockedWrites()).toBeGreaterThan(0);
    await w.kill();
    await locker.query('ROLLBACK');
    await locker.end();
    locker = undefined;

    w = await start();
    await server.sql('UPDATE items SET v = v + 1 WHERE id % 7 = 0');
    await server.sql('DELETE FROM items WHERE id % 11 = 0');
    const expected = await rows((sql) => server.sql(sql));
    await waitFor(async () => (await rows(target)) === expected, 120_000, 'the target to equal the source');
    expect(JSON.parse(expected)).toHaveLength(ROWS + 1 - Math.floor(ROWS / 11) - 1);
    expect(w.proc.exitCode).toBeNull();
  }, 300_000);
});
