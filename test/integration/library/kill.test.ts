import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CdcEvent,
  eventId,
  expectNoChangeMissing,
  expectPerKeyOrder,
  type Load,
  randomPause,
  replay,
  startLoad,
  tableState,
  waitForReplay,
} from '../../harness/cdc.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { repoRoot, waitFor } from '../../harness/worker.js';
import { sinkLines } from './collect.js';

const TABLES = ['ka', 'kb'];
const KILLS = 10;

let pgs: PostgresServer;
let dir: string;

beforeAll(async () => {
  pgs = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'sluice-lib-kill-'));
});
afterAll(async () => {
  await pgs?.stop();
  if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
});

type Event = CdcEvent<{ snapshot: string }>;

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/** The consumer's file as runs (one per process start): each event, and whether a `#C` line followed it in its run. */
function runsOf(lines: readonly string[]): Array<Array<{ event: Event; committed: boolean }>> {
  const runs: Array<Array<{ event: Event; committed: boolean }>> = [];
  for (const [i, line] of lines.entries()) {
    if (line === '#S') runs.push([]);
    else if (line === '#C') for (const e of runs[runs.length - 1]) e.committed = true;
    // A line cut by a SIGKILL in the middle of its write (the consumer ends it before its next '#S'): never
    // committed, so the next run receives its events again.
    else if (lines[i + 1] === '#S' && !isJson(line)) continue;
    else if (line !== 'null') runs[runs.length - 1].push({ event: JSON.parse(line) as Event, committed: false });
  }
  return runs;
}

describe('capture() under SIGKILL between receiving and commit()', () => {
  it(`after ${KILLS} kills under load, every committed change arrived and only uncommitted ones came again`, async () => {
    for (const t of TABLES) {
      await pgs.sql(
        `CREATE TABLE ${t} (id int PRIMARY KEY, v int NOT NULL); INSERT INTO ${t} SELECT g, 0 FROM generate_series(1, 300) g`,
      );
    }
    const c = pgs.connectorConfig();
    const configPath = join(dir, 'config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        ...c,
        'topic.prefix': 'srv',
        'slot.name': 'killed_slot',
        'table.include.list': 'public\\.k[ab]',
        'snapshot.fetch.size': '100',
      }),
    );
    const out = join(dir, 'events.jsonl');
    const offsets = join(dir, 'offsets.json');
    let child: ChildProcess | undefined;
    let logs = '';
    const start = () => {
      child = spawn(
        process.execPath,
        [join(repoRoot, 'test/integration/library/fixtures/consumer.mjs'), configPath, out, offsets],
        {
          cwd: repoRoot,
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      child.stderr?.on('data', (d: Buffer) => {
        logs = (logs + d.toString()).slice(-20_000);
      });
    };
    const kill = async () => {
      const p = child as ChildProcess;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    };
    const events = () => runsOf(sinkLines(out)).flatMap((r) => r.map((e) => e.event));
    const client = await pgs.client();
    let load: Load | undefined;
    try {
      start();
      // The snapshot committed before the first kill: a snapshot cut short is taken again whole (docs/postgres.md),
      // which is the connector's rule, not the library's.
      await waitFor(
        () => runsOf(sinkLines(out))[0]?.some((e) => e.committed && e.event.source.snapshot === 'last'),
        90_000,
        'the snapshot, committed',
      );
      load = startLoad({
        tables: TABLES,
        exec: (sql) => client.query(sql),
        existingRows: 300,
        firstId: 10_000,
        insertBelow: 0.4,
        updateBelow: 0.85,
        minLive: 5,
      });
      for (let k = 0; k < KILLS; k++) {
        // Each run receives something before it dies.
        const before = events().length;
        await waitFor(() => events().length > before, 60_000, `events in run ${k + 1}`);
        await randomPause(50, 600);
        await kill();
        start();
      }
      const log = await (load as Load).stop();
      const expected = await tableState(TABLES, (t) => pgs.sql<{ id: number; v: number }>(`SELECT id, v FROM ${t}`));
      await waitForReplay({ read: events, expected, timeoutMs: 90_000, diagnose: () => [logs.slice(-3000)] });
      const all = events();
      expect(replay(all)).toEqual(expected);
      expectNoChangeMissing(all, log);
      expectPerKeyOrder(all, 'increasing');
      expect(log.length).toBeGreaterThan(50);

      // Duplicates only after the last commit: no run receives an event a previous run committed.
      const runs = runsOf(sinkLines(out));
      expect(runs.length).toBe(KILLS + 1);
      const committed = new Set<string>();
      let uncommittedSeen = 0;
      for (const run of runs) {
        const again = run.filter((e) => committed.has(eventId(e.event))).map((e) => eventId(e.event));
        expect(again).toEqual([]);
        for (const e of run) if (e.committed) committed.add(eventId(e.event));
        uncommittedSeen += run.filter((e) => !e.committed).length;
      }
      // Kills did land between receiving and commit() (the redelivered tails).
      expect(uncommittedSeen).toBeGreaterThan(0);
    } finally {
      await load?.stop().catch(() => undefined);
      await client.end();
      if (child && child.exitCode === null) await kill();
    }
  }, 300_000);
});
