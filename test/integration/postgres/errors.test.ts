import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectError } from '../../../runtime/api/index.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { TaskDriver } from './task-driver.js';

let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
  await pg.sql('CREATE TABLE ok1 (id int PRIMARY KEY)');
});
afterAll(async () => {
  await pg?.stop();
});

function config(extra: Record<string, string>, server = pg): Record<string, string> {
  return { ...server.connectorConfig(), 'topic.prefix': 'srv', ...extra };
}

/** The error start() (or, for what fails while streaming, the first poll) ends with. */
function failure(d: TaskDriver): Promise<ConnectError> {
  return d.failure(15_000);
}

describe('postgres source: clear errors', () => {
  it('wrong password: names the user and the key to fix, not retriable', async () => {
    const err = await failure(
      new TaskDriver(config({ 'database.password': 'nope', 'table.include.list': 'public\\.ok1' })),
    );
    expect(err.message).toMatch(/password authentication failed for user "postgres"/);
    expect(err.message).toMatch(/Fix: set database.password/);
    expect(err.retriable).toBe(false);
    expect(err.context.connector).toBe('pg');
  });

  it('wal_level not logical', async () => {
    const replica = await startPostgres({ settings: { wal_level: 'replica' } });
    try {
      const err = await failure(new TaskDriver(config({}, replica)));
      expect(err.message).toMatch(/wal_level is "replica"/);
      expect(err.message).toMatch(/wal_level = logical/);
    } finally {
      await replica.stop();
    }
  });

  it('missing publication with publication.autocreate.mode=disabled', async () => {
    const err = await failure(
      new TaskDriver(
        config({ 'publication.name': 'absent', 'publication.autocreate.mode': 'disabled', 'slot.name': 'e_pub' }),
      ),
    );
    expect(err.message).toMatch(/publication "absent" does not exist/);
    expect(err.message).toMatch(/CREATE PUBLICATION "absent"/);
  });

  it('a captured table without replica identity', async () => {
    await pg.sql('CREATE TABLE nopk (a int)');
    try {
      const err = await failure(
        new TaskDriver(config({ 'table.include.list': 'public\\.nopk', 'slot.name': 'e_nopk' })),
      );
      expect(err.message).toMatch(/public\.nopk has no replica identity/);
      expect(err.message).toMatch(/REPLICA IDENTITY FULL/);
      expect(err.context.table).toBe('public.nopk');
    } finally {
      await pg.sql('DROP TABLE nopk');
    }
  });

  it('a user without the REPLICATION attribute', async () => {
    await pg.sql(
      "CREATE ROLE norep LOGIN PASSWORD 'pw'; GRANT SELECT ON ok1 TO norep; CREATE PUBLICATION norep_pub FOR TABLE ok1",
    );
    const err = await failure(
      new TaskDriver(
        config({
          'database.user': 'norep',
          'database.password': 'pw',
          'publication.name': 'norep_pub',
          'publication.autocreate.mode': 'disabled',
          'table.include.list': 'public\\.ok1',
          'slot.name': 'e_norep',
        }),
      ),
    );
    expect(err.message).toMatch(/user "norep" may not open a replication connection/);
    expect(err.message).toMatch(/ALTER ROLE norep REPLICATION/);
    expect(err.retriable).toBe(false);
  });

  it('a slot in use by another client', async () => {
    const base = {
      'table.include.list': 'public\\.ok1',
      'slot.name': 'e_busy',
      'publication.name': 'e_busy',
      'snapshot.mode': 'never',
    };
    const first = new TaskDriver(config(base));
    await first.start();
    try {
      await first.pollOnce();
      // Another connector: a slot has one reader, so it fails at once, naming the holder and the fix.
      const other = await failure(new TaskDriver(config(base), new Map(), 'second'));
      expect(other.message).toMatch(/replication slot "e_busy" is in use by connector "pg"/);
      expect(other.message).toMatch(/set slot\.name/);
      expect(other.retriable).toBe(false);
      // The same connector (a previous run still shutting down): retried.
      const same = await failure(new TaskDriver(config(base)));
      expect(same.message).toMatch(/still held by an earlier connection of this connector/);
      expect(same.retriable).toBe(true);
    } finally {
      await first.stop();
    }
  });
});
