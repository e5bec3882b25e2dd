import type pg from 'pg';

/** The demo's own schema: everything it creates lives here, so cleaning up is one DROP SCHEMA. */
export const DEMO_SCHEMA = 'sluice_demo';
export const DEMO_TABLE = 'customers';
export const DEMO_SLOT = 'sluice_demo';
export const DEMO_PUBLICATION = 'sluice_demo';
/** Debezium's signal table: an INSERT into it starts an incremental snapshot (docs/signals.md) */
export const DEMO_SIGNAL_TABLE = 'dbz_signal';

/** Creates the sample table with `rows` rows; refuses to touch a schema the demo did not create. */
export async function createSample(c: pg.Client, rows: number): Promise<void> {
  const exists = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [DEMO_SCHEMA]);
  if (exists.rowCount)
    throw new Error(
      `schema ${DEMO_SCHEMA} already exists (left by an interrupted demo?): drop it with DROP SCHEMA ${DEMO_SCHEMA} CASCADE, and the slot with SELECT pg_drop_replication_slot('${DEMO_SLOT}')`,
    );
  await c.query(`CREATE SCHEMA ${DEMO_SCHEMA}`);
  await c.query(`CREATE TABLE ${DEMO_SCHEMA}.${DEMO_TABLE} (
    id serial PRIMARY KEY,
    name text NOT NULL,
    email text,
    balance numeric(12, 2) NOT NULL DEFAULT 0,
    joined date NOT NULL DEFAULT current_date
  )`);
  await c.query(
    `CREATE TABLE ${DEMO_SCHEMA}.${DEMO_SIGNAL_TABLE} (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))`,
  );
  // Updates and deletes then carry the whole old row in `before`, not just the key.
  await c.query(`ALTER TABLE ${DEMO_SCHEMA}.${DEMO_TABLE} REPLICA IDENTITY FULL`);
  await c.query(
    `INSERT INTO ${DEMO_SCHEMA}.${DEMO_TABLE} (name, email, balance, joined)
     SELECT 'customer ' || i, 'customer' || i || '@example.com', (i * 7.25) % 1000, DATE '2024-01-01' + (i % 365)
     FROM generate_series(1, $1::int) AS i`,
    [rows],
  );
}

export interface DemoChange {
  describe: string;
  sql: string;
  params: unknown[];
}

/** One insert, one update and one delete: each kind of live change event once. */
export function sampleChanges(rows: number): DemoChange[] {
  const t = `${DEMO_SCHEMA}.${DEMO_TABLE}`;
  const changes: DemoChange[] = [
    {
      describe: `INSERT a new customer into ${t}`,
      sql: `INSERT INTO ${t} (name, email, balance) VALUES ($1, $2, $3)`,
      params: ['Ada Lovelace', 'ada@example.com', '1815.12'],
    },
  ];
  if (rows >= 1)
    changes.push({
      describe: `UPDATE the balance of customer 1`,
      sql: `UPDATE ${t} SET balance = balance + 100.50 WHERE id = $1`,
      params: [1],
    });
  if (rows >= 2) changes.push({ describe: `DELETE customer 2`, sql: `DELETE FROM ${t} WHERE id = $1`, params: [2] });
  return changes;
}

/** Drops what the demo created on a server it does not own. */
export async function dropSample(c: pg.Client): Promise<void> {
  await c.query(`DROP PUBLICATION IF EXISTS ${DEMO_PUBLICATION}`);
  await c.query(
    'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
    [DEMO_SLOT],
  );
  await c.query(`DROP SCHEMA IF EXISTS ${DEMO_SCHEMA} CASCADE`);
}
