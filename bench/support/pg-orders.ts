import type { PostgresServer } from '../../test/harness/postgres.js';

/**
 * The PostgreSQL benchmarks' workload (issue 3): an orders table of about 200-byte rows, and a backlog of changes,
 * half inserts and half updates of the inserted rows, 100 rows a transaction, committed server-side.
 */

export const ORDERS_TABLE = `CREATE TABLE IF NOT EXISTS %s (
  id bigserial PRIMARY KEY, customer_id int, status text, amount numeric(12,2), payload jsonb,
  created_at timestamptz, updated_at timestamptz)`;

/** About 200 bytes a row: a small JSON document and a few scalars. */
export const ORDER_ROW_SELECT = `SELECT (g % 10000)::int, 'created', (g % 100000) / 100.0,
  jsonb_build_object('sku', 'SKU-' || g, 'qty', g % 7, 'note', repeat('n', 60), 'tags', jsonb_build_array('a', 'b')),
  now(), now()`;

/** Average `pg_column_size` of a workload row. */
export async function orderRowBytes(pg: PostgresServer): Promise<string> {
  const rows = await pg.sql<{ b: string }>(
    `SELECT avg(pg_column_size(t.*))::int::text AS b FROM (${ORDER_ROW_SELECT.replace('SELECT', 'SELECT 1::bigint,')} FROM generate_series(1, 1000) g) t`,
  );
  return rows[0].b;
}

/** Commits `changes` changes to `table` (created before): inserts of 100 rows, each followed by an update of them. */
export async function commitOrderChanges(pg: PostgresServer, table: string, changes: number): Promise<void> {
  await pg.sql(`CREATE OR REPLACE PROCEDURE bench_load_${table}(n int) LANGUAGE plpgsql AS $$
    DECLARE base bigint;
    BEGIN
      FOR i IN 0 .. n / 200 - 1 LOOP
        INSERT INTO ${table} (customer_id, status, amount, payload, created_at, updated_at) ${ORDER_ROW_SELECT} FROM generate_series(1, 100) g;
        COMMIT;
        base := i * 100;
        UPDATE ${table} SET status = 'paid', amount = amount + 1, updated_at = now() WHERE id > base AND id <= base + 100;
        COMMIT;
      END LOOP;
    END $$`);
  await pg.sql(`CALL bench_load_${table}(${changes})`);
}
