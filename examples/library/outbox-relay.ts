/**
 * Outbox relay: every event your service writes to an `outbox` table, in the same transaction as its own data,
 * is POSTed to an HTTP endpoint — once the endpoint has taken it, and not before, PostgreSQL may drop it from its
 * WAL. A crash or a restart resends what was not confirmed (at least once: the receiver dedupes on the
 * `idempotency-key` header, the outbox row's id).
 *
 *   CREATE TABLE outbox (id uuid PRIMARY KEY, aggregatetype text NOT NULL, aggregateid text NOT NULL,
 *                        type text NOT NULL, payload jsonb);
 *
 * Run: PGHOST=localhost PGUSER=cdc PGPASSWORD=… PGDATABASE=shop OUTBOX_URL=http://localhost:8080/events \
 *        npx tsx examples/library/outbox-relay.ts
 */
import { capture } from 'sluice';

const env = process.env;
const target = env.OUTBOX_URL ?? 'http://localhost:8080/events';

// Ctrl-C or SIGTERM: finish the batch in hand, commit it, stop.
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

const changes = capture({
  connector: 'postgres',
  config: {
    'database.hostname': env.PGHOST ?? 'localhost',
    'database.port': Number(env.PGPORT ?? 5432),
    'database.user': env.PGUSER ?? 'postgres',
    'database.password': env.PGPASSWORD,
    'database.dbname': env.PGDATABASE ?? 'postgres',
    'topic.prefix': 'shop',
    'table.include.list': 'public.outbox',
    'slot.name': 'outbox_relay',
    'publication.name': 'outbox_relay',
    // Rows already in the outbox were relayed by whatever ran before; start with what is written from now on.
    'snapshot.mode': 'no_data',
  },
  // Debezium's outbox router: topic `outbox.event.<aggregatetype>`, key the aggregate id, value the payload,
  // the row's id as header `id`, its type as header `eventType`.
  transforms: [
    { type: 'io.debezium.transforms.outbox.EventRouter', 'table.fields.additional.placement': 'type:header:eventType' },
  ],
  offsets: { file: env.OFFSETS_FILE ?? 'outbox-relay-offsets.json' },
  signal: stop.signal,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const header = (headers: ReadonlyArray<{ key: string; value: unknown }>, key: string) =>
  String(headers.find((h) => h.key === key)?.value ?? '');

/** POSTs one event, retrying with backoff while the endpoint is down or busy; a 4xx answer is a bug: stop. */
async function deliver(
  topic: string,
  key: unknown,
  payload: unknown,
  headers: ReadonlyArray<{ key: string; value: unknown }>,
) {
  const id = header(headers, 'id');
  for (let delay = 200; ; delay = Math.min(delay * 2, 10_000)) {
    let status = 0;
    try {
      const res = await fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': id,
          'x-aggregate-type': topic.replace(/^outbox\.event\./, ''),
          'x-aggregate-id': String(key),
          'x-event-type': header(headers, 'eventType'),
        },
        body: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
      status = res.status;
      await res.arrayBuffer();
      if (res.ok) return;
    } catch (err) {
      console.error(`outbox relay: ${target} unreachable (${(err as Error).message}); retrying in ${delay} ms`);
    }
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      throw new Error(`${target} refused event ${id} with ${status}`);
    }
    await sleep(delay);
  }
}

for await (const batch of changes) {
  for (const event of batch.events) {
    if (event.value === null) continue; // a tombstone: nothing to relay
    await deliver(event.topic, event.key, event.value, event.headers);
  }
  // Everything in the batch was taken: PostgreSQL may now release it.
  await batch.commit();
}
console.error('outbox relay: stopped');
