import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { repoRoot, waitFor } from '../../harness/worker.js';

/** `sluice demo` as a user runs it: a real process, its stdout parsed, Ctrl-C (SIGINT) at the end. */

interface Line {
  topic: string;
  key: { id: number } | null;
  value: {
    op: string;
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
    source: { snapshot: string };
  } | null;
}

interface DemoProcess {
  proc: ChildProcess;
  lines: () => Line[];
  stderr: () => string;
  exited: Promise<number | null>;
}

function runDemo(args: string[], env: NodeJS.ProcessEnv): DemoProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'runtime/cli.ts'), 'demo', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return {
    proc,
    lines: () =>
      out
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Line),
    stderr: () => err,
    exited,
  };
}

/** Waits until the three scripted changes (insert, update of 1, delete of 2 and its tombstone) have been printed. */
async function waitForChanges(d: DemoProcess): Promise<Line[]> {
  return waitFor(
    () => {
      if (d.proc.exitCode !== null) throw new Error(`demo exited with ${d.proc.exitCode}:\n${d.stderr()}`);
      const lines = d.lines();
      return lines.some((l) => l.value === null) ? lines : undefined;
    },
    120_000,
    `the demo's live changes; stderr so far:\n${d.stderr()}`,
  ).catch((e: Error) => {
    throw new Error(`${e.message}\nstderr:\n${d.stderr()}`);
  });
}

/** The snapshot, printed with --verbose: every row once, in key order, the last one marked `last`. */
function checkSnapshot(lines: Line[], rows: number): void {
  const snapshot = lines.filter((l) => l.value?.op === 'r');
  expect(snapshot.map((l) => l.key?.id)).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
  expect(snapshot[4].value?.after).toMatchObject({ id: 5, name: 'customer 5', email: 'customer5@example.com' });
  expect(snapshot.at(-1)?.value?.source.snapshot).toBe('last');
}

/** The scripted changes after the snapshot: an insert, an update of 1, a delete of 2 and its tombstone. */
function checkLive(live: Line[], rows: number): void {
  expect(live.map((l) => (l.value ? l.value.op : 'tombstone'))).toEqual(['c', 'u', 'd', 'tombstone']);
  const [insert, update, del, tombstone] = live;
  expect(insert.value?.after).toMatchObject({ id: rows + 1, name: 'Ada Lovelace', balance: 1815.12 });
  const before = update.value?.before as { balance: number };
  const after = update.value?.after as { balance: number };
  expect(update.key).toEqual({ id: 1 });
  expect(Math.round((after.balance - before.balance) * 100)).toBe(10050);
  expect(del.value?.before).toMatchObject({ id: 2, name: 'customer 2' });
  expect(del.value?.after).toBeNull();
  expect(tombstone.key).toEqual({ id: 2 });
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function demoTempDir(): Promise<string> {
  const tmp = await mkdtemp(join(tmpdir(), 'sluice-demo-test-'));
  await chmod(tmp, 0o755); // as root, initdb runs as `postgres` and must reach the data dir
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  return tmp;
}

/** The demo's debug line that says where its server runs and whether it came from the cached initdb. */
function serverLine(stderr: string): { dir: string; fromTemplate: boolean } | undefined {
  for (const l of stderr.split('\n')) {
    if (!l.includes('throwaway PostgreSQL started')) continue;
    return JSON.parse(l) as { dir: string; fromTemplate: boolean };
  }
  return undefined;
}

describe('sluice demo', () => {
  it('--verbose: the snapshot rows, then live changes; a progress line and a summary; Ctrl-C exits 0 and leaves nothing', async () => {
    // Its own TMPDIR (the demo then keeps its server there rather than in /dev/shm), so "nothing left behind" can
    // be checked exactly; its own template cache, so this run makes one.
    const tmp = await demoTempDir();
    const cache = join(tmp, 'cache');
    const rows = 40;
    const d = runDemo(['--format', 'json', '--rows', String(rows), '--verbose', '--log-level', 'debug'], {
      TMPDIR: tmp,
      SLUICE_CACHE_DIR: cache,
    });
    cleanups.push(async () => {
      d.proc.kill('SIGKILL');
    });
    const lines = await waitForChanges(d);
    // tsx keeps its cache in TMPDIR too; the demo's own dir is the server's data while it runs.
    const demoDirs = async () => (await readdir(tmp)).filter((n) => n.startsWith('sluice-demo-'));
    expect(await demoDirs()).toHaveLength(1);
    expect(serverLine(d.stderr())).toEqual(expect.objectContaining({ fromTemplate: false }));
    checkSnapshot(lines, rows);
    checkLive(lines.slice(rows), rows);
    // Not a terminal: a plain progress line (at most one a second), then the summary.
    expect(d.stderr()).toMatch(/^snapshot: \d+\/40 rows, \d+\.\d s$/m);
    expect(d.stderr()).toMatch(/^Snapshot of sluice_demo\.customers: 40 rows in \d+\.\d s \([\d,]+ rows\/s\)$/m);

    d.proc.kill('SIGINT');
    expect(await d.exited).toBe(0);
    expect(await demoDirs()).toEqual([]);
    // The cluster initdb made is kept for the next run, under its versions, and nothing half-written beside it.
    const kept = await readdir(cache);
    expect(kept).toEqual([expect.stringMatching(/^demo-postgres-17\.\d+\.\d+.*-r\d+-u\d+$/)]);
    expect(await readdir(join(cache, kept[0]))).toContain('PG_VERSION');

    // The next run starts from that copy, shows the snapshot only as its summary, and still cleans up.
    const again = runDemo(['--format', 'json', '--rows', String(rows), '--log-level', 'debug'], {
      TMPDIR: tmp,
      SLUICE_CACHE_DIR: cache,
    });
    cleanups.push(async () => {
      again.proc.kill('SIGKILL');
    });
    const live = await waitForChanges(again);
    expect(serverLine(again.stderr())).toEqual(expect.objectContaining({ fromTemplate: true }));
    checkLive(live, rows);
    expect(again.stderr()).toMatch(/^Snapshot of sluice_demo\.customers: 40 rows in .*; --verbose prints them\)$/m);
    again.proc.kill('SIGINT');
    expect(await again.exited).toBe(0);
    expect(await demoDirs()).toEqual([]);
  });

  it('with DATABASE_URL: uses that server and drops its schema, slot and publication at Ctrl-C', async () => {
    const pg: PostgresServer = await startPostgres();
    cleanups.push(() => pg.stop());
    const url = `postgresql://${pg.user}:${pg.password}@${pg.host}:${pg.port}/${pg.database}`;
    const d = runDemo(['--format', 'json', '--rows', '5'], { DATABASE_URL: url });
    cleanups.push(async () => {
      d.proc.kill('SIGKILL');
    });
    const lines = await waitForChanges(d);
    checkLive(lines, 5);
    expect(await pg.sql("SELECT slot_name FROM pg_replication_slots WHERE slot_name = 'sluice_demo'")).toHaveLength(1);
    // the backfill the demo suggests: an incremental snapshot from the signal table, shown as a summary line
    await waitFor(
      () =>
        d.stderr().includes("INSERT INTO sluice_demo.dbz_signal VALUES ('backfill-1', 'execute-snapshot'") || undefined,
      30_000,
      'the backfill hint',
    );
    await pg.sql(
      `INSERT INTO sluice_demo.dbz_signal VALUES ('backfill-1', 'execute-snapshot', '{"data-collections": ["sluice_demo.customers"]}')`,
    );
    await waitFor(
      () => /^Incremental snapshot backfill-1: 5 rows in \d+\.\d s \([\d,]+ rows\/s\)$/m.test(d.stderr()) || undefined,
      60_000,
      `the incremental snapshot's summary; stderr:\n${d.stderr()}`,
    );

    d.proc.kill('SIGINT');
    expect(await d.exited).toBe(0);
    expect(await pg.sql("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'sluice_demo'")).toEqual([]);
    expect(await pg.sql("SELECT 1 FROM pg_publication WHERE pubname = 'sluice_demo'")).toEqual([]);
    expect(await pg.sql("SELECT 1 FROM pg_namespace WHERE nspname = 'sluice_demo'")).toEqual([]);
  });
});
