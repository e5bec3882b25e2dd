import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { call, create, lines, metricValue, parsePrometheus, sleep, waitState } from './support.js';

const NAME = 'pgstop';
const SLOT = 'pgstop_slot';

/** Pause keeps the connector's database resources; stop releases them (checked on the server); the slot stays. */
describe('REST pause/stop of the PostgreSQL source, seen from PostgreSQL', () => {
  let pgs: PostgresServer;
  let dir: string;
  let w: WorkerProcess;
  let output: string;

  /** Sessions the connector holds, as PostgreSQL lists them (application_name sluice-<connector>-…). */
  const sessions = async () =>
    Number(
      (
        await pgs.sql<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'sluice-${NAME}-%'`,
        )
      )[0].n,
    );
  const slot = async () =>
    (await pgs.sql<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [SLOT]))[0];
  /** ids of snapshot reads (op r), in arrival order */
  const reads = () =>
    lines(output)
      .filter((l) => l !== 'null')
      .map((l) => JSON.parse(l) as { op: string; after: { id: number } | null })
      .filter((e) => e.op === 'r')
      .map((e) => e.after?.id);
  const ids = () =>
    lines(output)
      .filter((l) => l !== 'null')
      .map((l) => (JSON.parse(l) as { after: { id: number } | null }).after?.id);

  beforeAll(async () => {
    pgs = await startPostgres();
    await pgs.sql('CREATE TABLE items (id int PRIMARY KEY, v text); INSERT INTO items VALUES (1, $$a$$), (2, $$b$$)');
    dir = mkdtempSync(join(tmpdir(), 'sluice-rest-pg-'));
    output = join(dir, 'out.txt');
    w = await startWorker({
      dir,
      worker: { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '300' },
    });
    await create(w, {
      name: 'sink',
      config: {
        'connector.class': 'FileStreamSink',
        file: output,
        topics: 'srv.public.items',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter.schemas.enable': 'false',
      },
    });
    await create(w, {
      name: NAME,
      config: {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        ...pgs.connectorConfig(),
        'topic.prefix': 'srv',
        'slot.name': SLOT,
        'publication.name': 'pgstop_pub',
      },
    });
    await waitFor(() => ids().length >= 2, 60_000, 'the snapshot rows');
  }, 180_000);

  afterAll(async () => {
    await w?.stop();
    await pgs?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs with a session and an active slot; pause keeps both', async () => {
    expect(await sessions()).toBeGreaterThan(0);
    expect((await slot())?.active).toBe(true);
    expect((await call(w, 'PUT', `/connectors/${NAME}/pause`)).status).toBe(202);
    await waitState(w, NAME, 'PAUSED');
    await sleep(1000);
    expect(await sessions()).toBeGreaterThan(0);
    expect((await slot())?.active).toBe(true);
    await pgs.sql(`INSERT INTO items VALUES (3, 'c')`);
    await sleep(1500);
    expect(ids()).not.toContain(3);
    expect((await call(w, 'PUT', `/connectors/${NAME}/resume`)).status).toBe(202);
    await waitFor(() => ids().includes(3), 30_000, 'row 3 after resume');
  });

  it('stop closes every connection on the server side and keeps the slot; resume loses nothing', async () => {
    expect((await call(w, 'PUT', `/connectors/${NAME}/stop`)).status).toBe(204);
    await waitState(w, NAME, 'STOPPED');
    await waitFor(async () => (await sessions()) === 0, 30_000, 'the connector sessions to end');
    const s = await slot();
    expect(s).toBeDefined();
    expect(s?.active).toBe(false);

    await pgs.sql(`INSERT INTO items VALUES (4, 'd')`);
    await sleep(1000);
    expect(ids()).not.toContain(4);
    expect((await call(w, 'PUT', `/connectors/${NAME}/resume`)).status).toBe(202);
    await waitFor(() => ids().includes(4), 60_000, 'row 4 after resume');
    expect(await sessions()).toBeGreaterThan(0);
    expect(new Set(ids())).toEqual(new Set([1, 2, 3, 4]));
  });

  it('a Debezium-shaped offset PATCHed while STOPPED (an lsn) is where streaming resumes', async () => {
    expect((await call(w, 'PUT', `/connectors/${NAME}/stop`)).status).toBe(204);
    await waitState(w, NAME, 'STOPPED');
    const before = await call<{
      offsets: Array<{ partition: Record<string, unknown>; offset: Record<string, unknown> }>;
    }>(w, 'GET', `/connectors/${NAME}/offsets`);
    expect(before.body.offsets).toHaveLength(1);
    expect(before.body.offsets[0].partition).toEqual({ server: 'srv' });
    expect(before.body.offsets[0].offset).toMatchObject({ lsn: expect.any(Number), lsn_proc: expect.any(Number) });

    // Row 5 commits before the patched position, row 6 after it: only row 6 may arrive.
    await pgs.sql(`INSERT INTO items VALUES (5, 'skipped')`);
    const [{ lsn }] = await pgs.sql<{ lsn: string }>(`SELECT (pg_current_wal_lsn() - '0/0')::bigint AS lsn`);
    await pgs.sql(`INSERT INTO items VALUES (6, 'kept')`);
    const at = Number(lsn);
    const patched = { ...before.body.offsets[0].offset, lsn: at, lsn_proc: at, lsn_commit: at };
    const r = await call(w, 'PATCH', `/connectors/${NAME}/offsets`, {
      body: { offsets: [{ partition: { server: 'srv' }, offset: patched }] },
    });
    expect(r.status).toBe(200);
    expect((await call(w, 'PUT', `/connectors/${NAME}/resume`)).status).toBe(202);
    await waitFor(() => ids().includes(6), 60_000, 'row 6 after resume');
    await sleep(1000);
    expect(ids()).not.toContain(5);
  });

  it('PATCH offsets: the connector checks them — 400 naming the field for a bad LSN, one from the future, a foreign partition; {"lsn": N} alone is a start point', async () => {
    expect((await call(w, 'PUT', `/connectors/${NAME}/stop`)).status).toBe(204);
    await waitState(w, NAME, 'STOPPED');
    const patch = (offset: unknown, partition: unknown = { server: 'srv' }) =>
      call<{ error_code: number; message: string }>(w, 'PATCH', `/connectors/${NAME}/offsets`, {
        body: { offsets: [{ partition, offset }] },
      });
    const bad = await patch({ lsn: 'NAN/NAN' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/offset\.lsn: "NAN\/NAN" is not an LSN/);
    const missing = await patch({ lsn_proc: 5 });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/offset\.lsn: missing/);
    const typo = await patch({ lsn: 5, lsn_prc: 5 });
    expect(typo.status).toBe(400);
    expect(typo.body.message).toMatch(/offset\.lsn_prc: unknown field/);
    const foreign = await patch({ lsn: 5 }, { server: 'other' });
    expect(foreign.status).toBe(400);
    expect(foreign.body.message).toMatch(/partition\.server: this connector's only partition is \{"server":"srv"\}/);
    const [{ now }] = await pgs.sql<{ now: string }>(`SELECT (pg_current_wal_lsn() - '0/0')::text AS now`);
    const future = await patch({ lsn: Number(now) + 2 ** 36 });
    expect(future.status).toBe(400);
    expect(future.body.message).toMatch(
      /offset\.lsn: 10\/[0-9A-F]+ is beyond the server's current WAL position 0\/[0-9A-F]+/,
    );
    const [{ flushed }] = await pgs.sql<{ flushed: string }>(
      `SELECT (confirmed_flush_lsn - '0/0')::text AS flushed FROM pg_replication_slots WHERE slot_name = '${SLOT}'`,
    );
    const behind = await patch({ lsn: Number(flushed) - 1 });
    expect(behind.status).toBe(400);
    expect(behind.body.message).toMatch(/is before the confirmed position .* of replication slot/);
    // Nothing was written by the refused requests.
    const kept = await call<{ offsets: Array<{ offset: Record<string, unknown> }> }>(
      w,
      'GET',
      `/connectors/${NAME}/offsets`,
    );
    expect(kept.body.offsets[0].offset.lsn).not.toBe('NAN/NAN');

    // Row 7 commits before the start point, row 8 after it: {"lsn": N} alone (Debezium's minimal offset) is enough.
    await pgs.sql(`INSERT INTO items VALUES (7, 'skipped')`);
    const [{ lsn }] = await pgs.sql<{ lsn: string }>(`SELECT (pg_current_wal_lsn() - '0/0')::text AS lsn`);
    await pgs.sql(`INSERT INTO items VALUES (8, 'kept')`);
    const ok = await patch({ lsn: Number(lsn) });
    expect(ok.status).toBe(200);
    const stored = await call<{ offsets: Array<{ offset: Record<string, unknown> }> }>(
      w,
      'GET',
      `/connectors/${NAME}/offsets`,
    );
    expect(stored.body.offsets[0].offset).toMatchObject({
      lsn: Number(lsn),
      lsn_proc: Number(lsn),
      lsn_commit: Number(lsn),
      operator: true,
    });
    expect((await call(w, 'PUT', `/connectors/${NAME}/resume`)).status).toBe(202);
    await waitFor(() => ids().includes(8), 60_000, 'row 8 after resume');
    await sleep(1000);
    expect(ids()).not.toContain(7);
  });

  it('DELETE offsets while STOPPED: the next start snapshots again (snapshot.mode=initial), with its progress in /metrics', async () => {
    expect((await call(w, 'PUT', `/connectors/${NAME}/stop`)).status).toBe(204);
    await waitState(w, NAME, 'STOPPED');
    expect((await call(w, 'DELETE', `/connectors/${NAME}/offsets`)).status).toBe(200);
    expect((await call(w, 'GET', `/connectors/${NAME}/offsets`)).body).toEqual({ offsets: [] });
    const readsBefore = reads().length;
    expect((await call(w, 'PUT', `/connectors/${NAME}/resume`)).status).toBe(202);
    // rows now in the table: 1 to 8
    await waitFor(() => reads().length - readsBefore >= 8, 60_000, 'a second snapshot');
    expect(new Set(reads().slice(readsBefore))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
    const families = parsePrometheus((await call(w, 'GET', '/metrics')).text);
    const progress = (measure: string) =>
      metricValue(families, 'sluice_snapshot_progress', { connector: NAME, measure });
    expect(progress('tables_total')).toBe(1);
    expect(progress('tables_remaining')).toBe(0);
    expect(progress('rows_scanned')).toBe(8);
    expect(progress('running')).toBe(0);
  });
});
