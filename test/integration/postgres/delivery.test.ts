import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventTail, fileSink } from '../../harness/file-sink.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';
import { type Event, pgConnector } from './pg-e2e.js';

let pg: PostgresServer;
let dir: string;
beforeAll(async () => {
  pg = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'sluice-delivery-'));
});
afterAll(async () => {
  await pg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A line of JsonConverter output with schemas.enable=true, the converter's default. */
type Enveloped = { schema: unknown; payload: Event };

/** Milliseconds from `since` until the file holds `count` events (checked every 5 ms), or the deadline's error. */
async function msUntil(tail: EventTail<Enveloped>, count: number, since: number, deadlineMs: number): Promise<number> {
  for (;;) {
    if (tail.read().length >= count) return Date.now() - since;
    if (Date.now() - since > deadlineMs) throw new Error(`fewer than ${count} events after ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('direct mode delivery (issue 22)', () => {
  it('a committed change reaches the FileStreamSink file within 2 s at offset.flush.interval.ms=60000, before any offset commit', async () => {
    await pg.sql('CREATE TABLE prompt (id int PRIMARY KEY, v text)');
    const out = join(dir, 'out.jsonl');
    const w: WorkerProcess = await startWorker({
      dir,
      worker: { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '60000' },
      connectors: [
        pgConnector(pg, 'prompt', { 'table.include.list': 'public\\.prompt', 'snapshot.mode': 'no_data' }),
        fileSink('sink', out, ['srv.public.prompt'], true),
      ],
    });
    try {
      await waitFor(
        async () =>
          (
            await pg.sql(
              "SELECT 1 FROM pg_stat_replication WHERE application_name = 'sluice-prompt' AND state = 'streaming'",
            )
          ).length > 0,
        30_000,
        'streaming',
      );
      const [{ lsn: slotBefore }] = await pg.sql<{ lsn: string }>(
        "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'prompt_slot'",
      );
      const tail = new EventTail<Enveloped>(out);
      // Three separate commits, a second apart: each must show up on its own, not with the next flush.
      const latencies: number[] = [];
      for (let i = 1; i <= 3; i++) {
        const committed = Date.now();
        await pg.sql('INSERT INTO prompt VALUES ($1, $2)', [i, `change ${i}`]);
        latencies.push(await msUntil(tail, i, committed, 2000));
        await new Promise((r) => setTimeout(r, 1000));
      }
      console.log(`commit → line in the file: ${latencies.join(', ')} ms`);
      expect(latencies.every((ms) => ms < 2000)).toBe(true);
      expect(tail.read().map((e) => e.payload.after?.id)).toEqual([1, 2, 3]);
      // Durability follows its own interval: nothing was committed, so the slot has not moved.
      const [{ lsn: slotAfter }] = await pg.sql<{ lsn: string }>(
        "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'prompt_slot'",
      );
      expect(slotAfter).toBe(slotBefore);
    } finally {
      await w.stop();
    }
  });
});
