import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEncodedValue, ByteBuilder, type ChangeRecord, dropEncodedValue } from '../../../runtime/api/index.js';
import { JsonConverter } from '../../../runtime/converters/json.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { waitFor } from '../../harness/worker.js';
import { TaskDriver } from './task-driver.js';
import { MATRIX_DDL, MATRIX_ROW } from './types-corpus.js';

let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
  await pg.sql(MATRIX_DDL);
  await pg.sql(MATRIX_ROW);
  // Every type's edge values on 3,000 rows (enough pages for page ranges), and a row of NULLs.
  await pg.sql(
    `INSERT INTO matrix SELECT (jsonb_populate_record(NULL::matrix, to_jsonb(m) || jsonb_build_object('id', g))).*
       FROM matrix m, generate_series(2, 3000) g;
     INSERT INTO matrix (id, c_bigint) VALUES (0, 0)`,
  );
});
afterAll(async () => {
  await pg?.stop();
});

type Env = { op: string; after: { id: number } | null; source: { snapshot: string } };

const config = (slot: string, extra: Record<string, string>) => ({
  ...pg.connectorConfig(),
  'topic.prefix': 'thr',
  'table.include.list': 'public\\.matrix',
  'slot.name': slot,
  'publication.name': `${slot}_pub`,
  'publication.autocreate.mode': 'filtered',
  'snapshot.mode': 'initial_only',
  'snapshot.fetch.size': '700',
  ...extra,
});

const snapshotDone = (records: ChangeRecord[]) =>
  records.some((r) => (r.value as Env | null)?.source.snapshot === 'last');

describe('postgres source: snapshot reader threads (snapshot.reader.threads)', () => {
  it('give the records one thread gives, and their pre-encoded values are byte for byte what the converter writes', async () => {
    const json = new JsonConverter({ schemasEnable: true, decimalFormat: 'BASE64' });
    const threaded = new TaskDriver(
      config('thr_four', { 'snapshot.max.threads': '4', 'snapshot.reader.threads': 'true' }),
      new Map(),
      'thr4',
      { valueEncoding: json.valueEncoding() },
    );
    const one = new TaskDriver(config('thr_one', {}), new Map(), 'thr1', { valueEncoding: json.valueEncoding() });
    await threaded.start();
    await one.start();
    try {
      await threaded.pollUntil(snapshotDone, 120_000);
      await one.pollUntil(snapshotDone, 120_000);
    } finally {
      await threaded.stop();
      await one.stop();
    }
    const byId = (records: ChangeRecord[]) =>
      new Map(records.filter((r) => r.value !== null).map((r) => [(r.value as Env).after!.id, r]));
    const four = byId(threaded.records);
    const single = byId(one.records);
    expect(four.size).toBe(3001);
    expect([...four.keys()].sort()).toEqual([...single.keys()].sort());
    // Same keys and row values (exact: int64, numeric, bytes, times, json) as the one-thread path's.
    for (const [id, r] of four) {
      const s = single.get(id)!;
      expect(r.key).toEqual(s.key);
      expect((r.value as { after: unknown }).after).toEqual((s.value as { after: unknown }).after);
    }
    // The snapshot's ends are marked as with one thread: one `first`, one `last`.
    const markers = (m: Map<number, ChangeRecord>) =>
      [...m.values()]
        .map((r) => (r.value as Env).source.snapshot)
        .filter((x) => x !== 'true')
        .sort();
    expect(markers(four)).toEqual(markers(single));

    // The threads encoded the values (all but the few the marking gave another marker), and each one's bytes are
    // exactly what the converter writes for the record's value.
    const tag = json.valueEncoding().tag;
    const numeric = new JsonConverter({ schemasEnable: true, decimalFormat: 'NUMERIC' });
    let encoded = 0;
    for (const r of four.values()) {
      const attached = new ByteBuilder();
      if (!appendEncodedValue(attached, r.value, tag)) continue;
      encoded++;
      const viaBytes = json.fromRecord(r.topic, r.valueSchema, r.value)!.toString('utf8');
      expect(viaBytes).toBe(attached.view().toString('utf8'));
      // another converter setting never takes them
      const otherBefore = numeric.fromRecord(r.topic, r.valueSchema, r.value)!.toString('utf8');
      dropEncodedValue(r.value);
      expect(json.fromRecord(r.topic, r.valueSchema, r.value)!.toString('utf8')).toBe(viaBytes);
      expect(numeric.fromRecord(r.topic, r.valueSchema, r.value)!.toString('utf8')).toBe(otherBefore);
    }
    expect(encoded).toBeGreaterThanOrEqual(3001 - 8);
    // The one-thread path attaches nothing: its records are converted as always.
    expect([...single.values()].some((r) => appendEncodedValue(new ByteBuilder(), r.value, tag))).toBe(false);
  });

  it('a reader whose connection dies fails the task with the reason; nothing hangs', async () => {
    // A queue of 64 records and fetches of 50 rows: the readers stop on their credits long before the 3,001 rows
    // are read, so their connections are still needed when they are cut.
    const d = new TaskDriver(
      config('thr_cut', {
        'snapshot.max.threads': '2',
        'snapshot.reader.threads': 'true',
        'snapshot.fetch.size': '100',
        'max.queue.size': '64',
        'max.batch.size': '32',
      }),
      new Map(),
      'thrcut',
    );
    await d.start();
    const readers = "application_name LIKE 'sluice-thrcut-snapshot-%'";
    try {
      await waitFor(
        async () =>
          (await pg.sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE ${readers}`))[0].n >= 2 ||
          undefined,
        60_000,
        'both reader connections',
      );
      await pg.sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${readers}`);
      const failure = await d.pollUntil(snapshotDone, 60_000).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(failure?.message).toMatch(/snapshot failed/);
      expect(failure?.message).not.toMatch(/timed out/);
      expect(d.records.filter((r) => (r.value as Env | null)?.source.snapshot === 'last')).toHaveLength(0);
    } finally {
      await d.stop();
    }
  });
});
