import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PostgresServer } from '../../test/harness/postgres.js';
import { debeziumToFile, type FileRunSettings, sluiceToFile } from './contenders.js';
import type { Contender, Running } from './measure.js';

/**
 * The PostgreSQL workload of issue 22: a table of rows of about 208 bytes (`pg_column_size`), read by a snapshot,
 * or changed while the connectors are away (half inserts, half updates of those rows, 100 rows a transaction) and
 * then drained from the replication slot.
 */
export const PG_TABLE = `CREATE TABLE IF NOT EXISTS %s (
  id bigserial PRIMARY KEY, customer_id int, status text, amount numeric(12,2), payload jsonb,
  created_at timestamptz, updated_at timestamptz)`;

const ROW_SELECT = `SELECT (g % 10000)::int, 'created', (g % 100000) / 100.0,
  jsonb_build_object('sku', 'SKU-' || g, 'qty', g % 7, 'note', repeat('n', 60), 'tags', jsonb_build_array('a', 'b')),
  now(), now()`;

/** Both sides read this one publication (created before any slot, so every slot can decode with it). */
export const PUBLICATION = 'bench_pub';

export async function pgRowBytes(pg: PostgresServer): Promise<number> {
  const rows = await pg.sql<{ b: string }>(
    `SELECT avg(pg_column_size(t.*))::int::text AS b FROM (${ROW_SELECT.replace('SELECT', 'SELECT 1::bigint,')} FROM generate_series(1, 1000) g) t`,
  );
  return Number(rows[0].b);
}

/** A table of `rows` rows for the snapshot phase, in the publication (created here) both sides read. */
export async function loadSnapshotTable(pg: PostgresServer, table: string, rows: number): Promise<void> {
  await pg.sql(PG_TABLE.replace('%s', table));
  await pg.sql(`CREATE PUBLICATION ${PUBLICATION} FOR TABLE ${table}`);
  await pg.sql(
    `INSERT INTO ${table} (customer_id, status, amount, payload, created_at, updated_at) ${ROW_SELECT} FROM generate_series(1, ${rows}) g`,
  );
  await pg.sql(`VACUUM ANALYZE ${table}`);
}

/**
 * The drain backlog: `slots` logical slots are created first (one per run: each drains the same changes), then
 * `changes` changes are committed. Returns the WAL position after the last one (pg_recvlogical's end).
 */
export async function loadBacklog(
  pg: PostgresServer,
  table: string,
  changes: number,
  slots: string[],
): Promise<string> {
  await pg.sql(PG_TABLE.replace('%s', table));
  await pg.sql(`ALTER PUBLICATION ${PUBLICATION} ADD TABLE ${table}`);
  for (const slot of slots) await pg.sql(`SELECT pg_create_logical_replication_slot('${slot}', 'pgoutput')`);
  await pg.sql(`CREATE OR REPLACE PROCEDURE bench_load(n int) LANGUAGE plpgsql AS $$
    DECLARE base bigint;
    BEGIN
      FOR i IN 0 .. n / 200 - 1 LOOP
        INSERT INTO ${table} (customer_id, status, amount, payload, created_at, updated_at) ${ROW_SELECT} FROM generate_series(1, 100) g;
        COMMIT;
        base := i * 100;
        UPDATE ${table} SET status = 'paid', amount = amount + 1, updated_at = now() WHERE id > base AND id <= base + 100;
        COMMIT;
      END LOOP;
    END $$`);
  await pg.sql(`CALL bench_load(${changes})`);
  const [{ lsn }] = await pg.sql<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return lsn;
}

/** Drops a slot once nothing holds it any more (a stopped connector's walsender may take a moment to go). */
export async function dropSlot(pg: PostgresServer, slot: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const rows = await pg.sql<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [
      slot,
    ]);
    if (rows.length === 0) return;
    if (!rows[0].active) {
      await pg.sql('SELECT pg_drop_replication_slot($1)', [slot]);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`slot ${slot} stayed active`);
}

function sluiceConfig(pg: PostgresServer, table: string, slot: string, snapshotMode: string): Record<string, string> {
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    ...pg.connectorConfig(),
    'topic.prefix': 'bench',
    'plugin.name': 'pgoutput',
    'slot.name': slot,
    'publication.name': PUBLICATION,
    'publication.autocreate.mode': 'disabled',
    'table.include.list': `public\\.${table}`,
    'snapshot.mode': snapshotMode,
  };
}

/** Debezium's PostgreSQL connector reading `table` of the shared publication through `slot` (bench/snapshots-debezium.ts too). */
export function debeziumConfig(
  pg: PostgresServer,
  table: string,
  slot: string,
  snapshotMode: string,
): Record<string, string> {
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'database.hostname': pg.host,
    'database.port': String(pg.port),
    'database.user': pg.user,
    'database.password': pg.password,
    'database.dbname': pg.database,
    'topic.prefix': 'bench',
    'plugin.name': 'pgoutput',
    'slot.name': slot,
    'publication.name': PUBLICATION,
    'publication.autocreate.mode': 'disabled',
    'table.include.list': `public\\.${table}`,
    'snapshot.mode': snapshotMode,
  };
}

/**
 * The snapshot contenders: each run takes a fresh snapshot (`snapshot.mode=initial_only`) through a slot of its
 * own, created by the connector as on a first start, and dropped after the run.
 */
export function snapshotContenders(
  pg: PostgresServer,
  s: FileRunSettings,
  table: string,
  profileDir?: string,
): { sluice: Contender; debezium: Contender; profiled: Contender } {
  const slot = (who: string, run: number) => `snap_${who}_${s.schemas ? 's' : 'p'}_${run}`;
  const withDrop = (c: Contender, who: string): Contender => ({
    ...c,
    async cleanup(run) {
      await c.cleanup?.(run);
      await dropSlot(pg, slot(who, run));
    },
  });
  return {
    sluice: withDrop(
      sluiceToFile(
        s,
        { phase: 'snapshot' },
        (run) => sluiceConfig(pg, table, slot('sluice', run), 'initial_only'),
        `bench.public.${table}`,
      ),
      'sluice',
    ),
    debezium: withDrop(
      debeziumToFile(s, { phase: 'snapshot' }, 'debezium', (run) =>
        debeziumConfig(pg, table, slot('dbz', run), 'initial_only'),
      ),
      'dbz',
    ),
    profiled: withDrop(
      sluiceToFile(
        s,
        { phase: 'snapshot-profiled' },
        (run) => sluiceConfig(pg, table, slot('prof', run), 'initial_only'),
        `bench.public.${table}`,
        profileDir,
      ),
      'prof',
    ),
  };
}

/** Slot names of the drain runs: one per run and contender, all created before the backlog. */
export function drainSlots(
  schemas: boolean,
  runs: number,
  mode = 'drain',
): Record<'sluice' | 'dbz' | 'recv' | 'prof', string[]> {
  const names = (who: string, n: number) =>
    Array.from({ length: n }, (_, i) => `${mode}_${who}_${schemas ? 's' : 'p'}_${i}`);
  return { sluice: names('sluice', runs), dbz: names('dbz', runs), recv: names('recv', runs), prof: names('prof', 1) };
}

/** The drain contenders: each run streams the whole backlog from a slot of its own (`snapshot.mode=no_data`). */
export function drainContenders(
  pg: PostgresServer,
  s: FileRunSettings,
  table: string,
  slots: ReturnType<typeof drainSlots>,
  endLsn: string,
  changes: number,
  profileDir?: string,
): { sluice: Contender; debezium: Contender; recvlogical: Contender; profiled: Contender } {
  const withDrop = (c: Contender, names: string[]): Contender => ({
    ...c,
    async cleanup(run) {
      await c.cleanup?.(run);
      await dropSlot(pg, names[run]);
    },
  });
  return {
    sluice: withDrop(
      sluiceToFile(
        s,
        { phase: 'drain' },
        (run) => sluiceConfig(pg, table, slots.sluice[run], 'no_data'),
        `bench.public.${table}`,
      ),
      slots.sluice,
    ),
    debezium: withDrop(
      debeziumToFile(s, { phase: 'drain' }, 'debezium', (run) => debeziumConfig(pg, table, slots.dbz[run], 'no_data')),
      slots.dbz,
    ),
    recvlogical: withDrop(recvlogical(pg, s.dir, slots.recv, endLsn, changes), slots.recv),
    profiled: withDrop(
      sluiceToFile(
        s,
        { phase: 'drain-profiled' },
        (run) => sluiceConfig(pg, table, slots.prof[run], 'no_data'),
        `bench.public.${table}`,
        profileDir,
      ),
      slots.prof,
    ),
  };
}

/**
 * PostgreSQL's own client draining the same backlog through pgoutput (`pg_recvlogical --endpos`): what one slot can
 * deliver on this machine, with nothing decoded on the client side. Its progress is all or nothing: the events once it
 * has exited at the end position.
 */
function recvlogical(pg: PostgresServer, dir: string, slots: string[], endLsn: string, changes: number): Contender {
  return {
    name: 'pg_recvlogical',
    async start(run): Promise<Running> {
      const out = join(dir, `recvlogical-${run}.bin`);
      const proc: ChildProcess = spawn(
        'pg_recvlogical',
        [
          '-h',
          pg.host,
          '-p',
          String(pg.port),
          '-U',
          pg.user,
          '-d',
          pg.database,
          `--slot=${slots[run]}`,
          '--start',
          `--endpos=${endLsn}`,
          '--no-loop',
          '-o',
          'proto_version=1',
          '-o',
          `publication_names=${PUBLICATION}`,
          '-f',
          out,
        ],
        { env: { ...process.env, PGPASSWORD: pg.password }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      proc.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      return {
        pid: proc.pid ?? -1,
        progress: () => (proc.exitCode === 0 ? changes : 0),
        failure: () =>
          proc.exitCode !== null && proc.exitCode !== 0
            ? `pg_recvlogical exited with ${proc.exitCode}: ${stderr}`
            : undefined,
        async stop() {
          if (proc.exitCode === null) proc.kill('SIGTERM');
          await exited;
          rmSync(out, { force: true });
        },
      };
    },
  };
}
