/**
 * The library side of bench/library.ts: drains a PostgreSQL slot with capture() in a `for await` loop, committing
 * every batch, and prints `drained` once it has `expected` change events (0: as soon as the capture runs, to create
 * the slot).
 * `no-v8-flags` runs it with `v8Flags: false` (V8's defaults, as before capture() set the CLI's heap flags).
 *   node dist/bench/library-consumer.js <config.json> <offsets file> <expected> [no-v8-flags]
 */
import { readFileSync } from 'node:fs';
import { capture } from '../runtime/library/index.js';

const [configPath, offsets, expectedText, mode] = process.argv.slice(2);
const expected = Number(expectedText);
const changes = capture({
  connector: 'postgres',
  config: JSON.parse(readFileSync(configPath, 'utf8')),
  offsets: { file: offsets },
  name: 'bench',
  v8Flags: mode !== 'no-v8-flags',
});

let seen = 0;
if (expected === 0) {
  // Start, which creates the slot, then stop: waiting for a first batch would wait forever on an idle table.
  const first = changes[Symbol.asyncIterator]().next();
  const pg = await import('pg');
  const c = JSON.parse(readFileSync(configPath, 'utf8'));
  const client = new pg.default.Client({
    host: c['database.hostname'],
    port: Number(c['database.port']),
    user: c['database.user'],
    password: c['database.password'],
    database: c['database.dbname'],
  });
  await client.connect();
  while (!(await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [c['slot.name']])).rowCount) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await client.end();
  await changes.close();
  await first;
} else {
  // The consumer, and the README's: a `for await` loop. A hand-written `await iterator.next()` loop (as this
  // was) kept the previous batch alive in its frame through the next batch's commit, one batch more than `for await`
  // holds (docs/FACTS.md).
  for await (const batch of changes) {
    for (const e of batch.events) if (e.kind === 'change') seen++;
    await batch.commit();
    if (seen >= expected) {
      // before the break, which closes the capture (commits, stops the task): the drain is what is timed
      process.stdout.write('drained\n');
      break;
    }
  }
  await changes.close();
}
