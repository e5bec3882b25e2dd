/**
 * Cache invalidation: a small HTTP service answers `GET /customers/:id` from an in-memory cache filled from
 * PostgreSQL, and drops a customer from the cache the moment its row changes — whoever changed it (another
 * service, a migration, psql). No TTL, no stale reads after a write has committed and been captured.
 *
 *   CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, balance numeric(12, 2) NOT NULL);
 *
 * Run: PGHOST=localhost PGUSER=cdc PGPASSWORD=… PGDATABASE=shop PORT=3000 npx tsx examples/library/cache-invalidation.ts
 *      curl localhost:3000/customers/1
 */
import { createServer } from 'node:http';
import pg from 'pg';
import { capture } from 'sluice';

const env = process.env;
const database = {
  host: env.PGHOST ?? 'localhost',
  port: Number(env.PGPORT ?? 5432),
  user: env.PGUSER ?? 'postgres',
  password: env.PGPASSWORD,
  database: env.PGDATABASE ?? 'postgres',
};

interface Customer {
  id: number;
  name: string;
  balance: string;
}

const cache = new Map<number, Customer>();
const db = new pg.Pool(database);

async function customer(id: number): Promise<Customer | undefined> {
  const hit = cache.get(id);
  if (hit) return hit;
  const { rows } = await db.query<Customer>('SELECT id, name, balance::text AS balance FROM customers WHERE id = $1', [
    id,
  ]);
  if (rows[0]) cache.set(id, rows[0]);
  return rows[0];
}

const server = createServer((req, res) => {
  const m = /^\/customers\/(\d+)$/.exec(req.url ?? '');
  if (req.method !== 'GET' || !m) return void res.writeHead(404).end();
  customer(Number(m[1])).then(
    (c) =>
      c ? res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(c)) : res.writeHead(404).end(),
    (err) => res.writeHead(500).end(String(err)),
  );
});
server.listen(Number(env.PORT ?? 3000), () => console.error(`cache: listening on ${env.PORT ?? 3000}`));

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

const changes = capture({
  connector: 'postgres',
  config: {
    'database.hostname': database.host,
    'database.port': database.port,
    'database.user': database.user,
    'database.password': database.password,
    'database.dbname': database.database,
    'topic.prefix': 'shop',
    'table.include.list': 'public.customers',
    'slot.name': 'customer_cache',
    'publication.name': 'customer_cache',
    // The cache starts empty: there is nothing to invalidate for rows as they were before.
    'snapshot.mode': 'no_data',
  },
  // Invalidation is idempotent and the cache starts empty on every start: offsets need not survive the process.
  offsets: { memory: true },
  signal: stop.signal,
});

for await (const batch of changes) {
  for (const event of batch.events) {
    if (event.kind !== 'change') continue;
    if (event.value.op === 't') {
      cache.clear(); // TRUNCATE
      console.error('cache: cleared (truncate)');
      continue;
    }
    const id = Number(event.key?.id);
    if (cache.delete(id)) console.error(`cache: invalidated customer ${id} (${event.value.op})`);
  }
  await batch.commit();
}
server.close();
await db.end();
