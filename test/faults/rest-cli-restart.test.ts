import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectNoChangeMissing,
  expectPerKeyOrder,
  type Load,
  replay,
  startLoad,
  tableState,
  waitForReplay,
} from '../harness/cdc.js';
import { fileSink, readEvents } from '../harness/file-sink.js';
import { type PostgresServer, startPostgres } from '../harness/postgres.js';
import { type ConnectorFile, startWorker, type WorkerProcess, waitFor } from '../harness/worker.js';
import { type Event, pgConnector } from '../integration/postgres/pg-e2e.js';
import { call, lines } from '../integration/rest/support.js';

/**
 * Issue #21 point 6: a standalone worker restarted with the connector files it was first started with (systemd,
 * compose) while `config.storage.file.filename` also keeps them. Each is one connector, its config updated from the
 * file, started once — never a second copy (which, during a PostgreSQL snapshot, collided on the temporary slot).
 */

/** How many times a worker process logged that a connector started. */
function starts(w: WorkerProcess, connector: string): number {
  let n = 0;
  for (const line of w.logs().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const l = JSON.parse(line) as { connector?: string; msg?: string };
      if (l.connector === connector && l.msg === 'Connector started') n++;
    } catch {
      // a line cut by the harness's log cap
    }
  }
  return n;
}

describe('connectors named on the command line and kept in the config store', () => {
  it('are one connector after a restart: config updated from the file, target state kept, started once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-restart-'));
    try {
      const input = join(dir, 'in.txt');
      const out = join(dir, 'out.txt');
      writeFileSync(input, 'one\ntwo\nthree\n');
      const worker = {
        'offset.storage.file.filename': join(dir, 'offsets.json'),
        'config.storage.file.filename': join(dir, 'connectors.json'),
        'offset.flush.interval.ms': '100',
      };
      const src: ConnectorFile = {
        name: 'src',
        config: { 'connector.class': 'FileStreamSource', file: input, topic: 'lines', 'poll.interval.ms': '100' },
      };
      const sink: ConnectorFile = {
        name: 'sink',
        config: {
          'connector.class': 'FileStreamSink',
          file: out,
          topics: 'lines',
          'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
        },
      };
      const first = await startWorker({ dir, worker, connectors: [src, sink] });
      await waitFor(() => lines(out).length === 3, 30_000, 'three lines');
      expect((await call(first, 'PUT', '/connectors/src/pause')).status).toBe(202);
      expect(await first.stop()).toBe(0);

      // The same files again, one of them edited, as after a deploy.
      const edited = { ...src, config: { ...src.config, 'batch.size': '7' } };
      const second = await startWorker({ dir, worker, connectors: [edited, sink] });
      try {
        expect((await call<string[]>(second, 'GET', '/connectors')).body.sort()).toEqual(['sink', 'src']);
        expect((await call<Record<string, string>>(second, 'GET', '/connectors/src/config')).body['batch.size']).toBe(
          '7',
        );
        const status = await call<{ connector: { state: string } }>(second, 'GET', '/connectors/src/status');
        expect(status.body.connector.state).toBe('PAUSED');
        expect(starts(second, 'src')).toBe(1);
        expect(starts(second, 'sink')).toBe(1);
        expect((await call(second, 'PUT', '/connectors/src/resume')).status).toBe(202);
        appendFileSync(input, 'four\n');
        await waitFor(() => lines(out).length >= 4, 30_000, 'the fourth line');
        // Give a second copy the chance it would have had to deliver again, then count.
        await waitFor(
          async () => (await call(second, 'GET', '/connectors/src/offsets')).text.includes('19'),
          30_000,
          'the offset of line four',
        );
        expect(lines(out)).toEqual(['one', 'two', 'three', 'four']);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('PostgreSQL, SIGKILLed again and again during its snapshot', () => {
    const KILLS = Number(process.env.SLUICE_RESTART_KILLS ?? 5);
    const TABLES = ['ra', 'rb'];
    let pgs: PostgresServer;
    let dir: string;

    beforeAll(async () => {
      pgs = await startPostgres();
      dir = mkdtempSync(join(tmpdir(), 'sluice-cli-restart-pg-'));
    });
    afterAll(async () => {
      await pgs?.stop();
      if (dir && !process.env.SLUICE_KEEP) rmSync(dir, { recursive: true, force: true });
    });

    it(`${KILLS} kills, same command line each time: no slot collision, task RUNNING, nothing lost`, async () => {
      for (const t of TABLES)
        await pgs.sql(
          `CREATE TABLE ${t} (id int PRIMARY KEY, v int NOT NULL); INSERT INTO ${t} SELECT g, 0 FROM generate_series(1, 40000) g`,
        );
      const out = join(dir, 'out.jsonl');
      const connectors = [
        pgConnector(pgs, 'restart', { 'table.include.list': 'public\\.r[ab]', 'snapshot.fetch.size': '500' }),
        fileSink(
          'sink',
          out,
          TABLES.map((t) => `srv.public.${t}`),
        ),
      ];
      const worker = {
        'offset.storage.file.filename': join(dir, 'offsets.json'),
        'config.storage.file.filename': join(dir, 'connectors.json'),
        'offset.flush.interval.ms': '500',
      };
      const client = await pgs.client();
      let load: Load | undefined;
      let w: WorkerProcess | undefined;
      const logs: string[] = [];
      let killedInSnapshot = 0;
      try {
        for (let k = 0; k < KILLS; k++) {
          w = await startWorker({ dir, worker, connectors });
          const current = w;
          // Killed while the snapshot runs: the worker reports it in /metrics.
          const snapshotting = async () =>
            (await call(current, 'GET', '/metrics')).text.includes(
              'sluice_snapshot_progress{connector="restart",task="0",measure="running"} 1',
            );
          await waitFor(snapshotting, 60_000, 'the snapshot running');
          if (!load) {
            load = startLoad({
              tables: TABLES,
              exec: (sql) => client.query(sql),
              firstId: 100_000,
              insertBelow: 0.5,
              updateBelow: 0.85,
              minLive: 5,
            });
          }
          // Killed at a random point of the snapshot, measured in rows, not time: on a quiet machine 80,000 rows
          // take about a second, and a pause in milliseconds could outlast the snapshot and its offset commit.
          const at = 0.1 + Math.random() * 0.5;
          const scanned = async () => {
            const text = (await call(current, 'GET', '/metrics')).text;
            const rows = /sluice_snapshot_progress\{connector="restart",task="0",measure="rows_scanned"\} (\d+)/.exec(
              text,
            );
            // The tables hold 40,000 rows each at the start (the load adds a few).
            return Number(rows?.[1] ?? 0) >= at * TABLES.length * 40_000;
          };
          await waitFor(async () => (await scanned()) || !(await snapshotting()), 60_000, 'the snapshot to get going');
          if (await snapshotting()) killedInSnapshot++;
          expect(starts(current, 'restart')).toBe(1);
          logs.push(current.logs());
          await w.kill();
        }
        const log = await (load as Load).stop();
        w = await startWorker({ dir, worker, connectors });
        const running = w;
        const finalRows = await tableState(TABLES, (t) => pgs.sql<{ id: number; v: number }>(`SELECT id, v FROM ${t}`));
        await waitForReplay({
          read: () => readEvents<Event>(out),
          expected: finalRows,
          timeoutMs: 120_000,
          diagnose: async () => [running.logs().slice(-3000)],
        });
        const status = await call<{ tasks: Array<{ state: string; trace?: string }> }>(
          running,
          'GET',
          '/connectors/restart/status',
        );
        expect(status.body.tasks.map((t) => t.state)).toEqual(['RUNNING']);
        expect(starts(running, 'restart')).toBe(1);
        logs.push(running.logs());
        for (const l of logs) expect(l).not.toMatch(/already exists|is active for PID/);
        expect(killedInSnapshot).toBeGreaterThanOrEqual(Math.ceil(KILLS / 2));
        const events = readEvents<Event>(out);
        expect(replay(events)).toEqual(finalRows);
        expectNoChangeMissing(events, log);
        expectPerKeyOrder(events, 'increasing');
      } finally {
        await load?.stop().catch(() => undefined);
        await client.end();
        if (w) await w.stop();
      }
    }, 400_000);
  });
});
