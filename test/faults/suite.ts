import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type CdcEvent,
  type Change,
  expectNoChangeMissing,
  expectPerKeyOrder,
  type Load,
  type LoadOptions,
  type ReplayOptions,
  randomPause,
  replay,
  startLoad,
  tableState,
  waitForReplay,
} from '../harness/cdc.js';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.js';
import { type ConnectorFile, startWorker, type WorkerProcess, waitFor } from '../harness/worker.js';
import {
  committedOffset,
  duplicates,
  expectDuplicatesOnlyAfterCommit,
  type RunSegment,
  report,
  timeToDelivery,
  waitDegraded,
  waitHealthy,
} from './kit.js';

/**
 * One database under every fault the suite knows, with a writer running throughout, against a real worker process
 * whose connector reaches the database through a TCP proxy. Each fault is a test; the last one replays the sink's
 * output by key against the database. The bounds below are what the suite proves (docs/faults.md).
 */

export const TABLES = ['fa', 'fb', 'fc'];
/** rows per table before the connector starts (its snapshot) */
export const INITIAL_ROWS = 200;

/** Recovery bounds, from the moment the server (or network) is back to the first new change delivered. */
export const BOUNDS = {
  /** a restart of a few seconds: the retry backoff is still short */
  restart: 20_000,
  /**
   * a 30 s outage: retries back off (300 ms doubling), so the attempt after the server returns comes at most one
   * delay later — 19.2 s is the delay in effect 18.9–38.1 s into the outage — plus the reconnection itself
   */
  outage: 30_000,
  /** the server ends the replication connection: the next poll reconnects */
  killed: 15_000,
  /** the network cut for 10 s, then restored */
  cut: 20_000,
  /** the network stalled, then restored */
  stall: 30_000,
};

export const KILLS = Number(process.env.FAULT_KILLS ?? 10);
/** Every KILL_PROBE-th restarted worker is given time to deliver: its recovery is measured, within KILL_BOUND. */
export const KILL_PROBE = 5;
/** from a restarted worker answering REST to the first change committed after it reaching the sink */
export const KILL_BOUND = 60_000;

export interface FaultTarget<E extends CdcEvent> {
  /** connector name */
  readonly connector: string;
  /** the tables (collections) written and captured; TABLES unless the source can capture only one */
  readonly tables?: readonly string[];
  /** starts the server and creates the tables with INITIAL_ROWS rows each (`id`, `v` = 0) */
  setup(dir: string): Promise<{ host: string; port: number }>;
  /** the writer's access: runs a transaction (or the ops) and settles one whose outcome a fault hid */
  load(): Pick<LoadOptions, 'exec' | 'execOps' | 'settle' | 'qualify' | 'maxStatements'>;
  /** the connector (pointed at `via`, the proxy) and the file sink writing to `out` */
  connectors(via: { host: string; port: number }, dir: string, out: string): ConnectorFile[];
  /** every event in the sink output so far (incremental) */
  events(out: string): E[];
  rows(table: string): Promise<{ id: number; v: number }[]>;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /**
   * ends the connector's replication connection from the server side; resolves once one was ended (`proxy`: for a
   * server that cannot end another client's connection, the proxy drops it)
   */
  killReplication(proxy: TcpProxy): Promise<void>;
  /** whether the connector notices a stalled connection by itself (server heartbeats); else the stall is held 10 s */
  readonly detectsStall: boolean;
  /** whether an event lies after a committed offset of this connector */
  after(e: E, offset: Record<string, unknown>, all: readonly E[]): boolean;
  replay?: ReplayOptions<E>;
  /**
   * What identifies one delivery of a change, for duplicates (default: key and version). A source whose update
   * events carry the document as read later (MongoDB's updateLookup) names its log position instead, and then
   * `updatesShowLaterVersions`: an update's own version may never show, so only inserts and deletes are looked
   * for one by one (the final replay still covers every update).
   */
  identity?: (e: E) => string;
  updatesShowLaterVersions?: boolean;
  teardown(): Promise<void>;
}

export function defineFaultSuite<E extends CdcEvent>(target: FaultTarget<E>): void {
  let dir: string;
  let out: string;
  let offsetsFile: string;
  let proxy: TcpProxy;
  let load: Load;
  let w: WorkerProcess;
  let connectors: ConnectorFile[];
  let workerCfg: Record<string, string>;
  const segments: RunSegment[] = [];
  /** sink events when the in-process faults ended (the kills begin) */
  let beforeKills = 0;
  const measured: Record<string, number> = {};
  const killRecoveries: number[] = [];
  const tables = target.tables ?? TABLES;
  const events = () => target.events(out);
  const recovery = async (what: string, bound: number) => {
    try {
      return await timeToDelivery(load.changes, events, bound, what);
    } catch (err) {
      console.error(`${target.connector}: ${what}: worker log tail\n${w.logs().slice(-6000)}`);
      throw err;
    }
  };

  const began = Date.now();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `sluice-faults-${target.connector}-`));
    out = join(dir, 'out.jsonl');
    offsetsFile = join(dir, 'offsets.json');
    const server = await target.setup(dir);
    proxy = await startTcpProxy(server);
    connectors = target.connectors({ host: proxy.host, port: proxy.port }, dir, out);
    workerCfg = { 'offset.storage.file.filename': offsetsFile, 'offset.flush.interval.ms': '700' };
    w = await startWorker({ dir, worker: workerCfg, connectors, preferBuild: true });
  });

  afterAll(async () => {
    await load?.stop().catch(() => undefined);
    await w?.stop();
    await proxy?.close();
    await target.teardown();
    console.log(`${target.connector}: recovery times (ms)`, measured);
    if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
  });

  it('snapshots, then streams while a writer runs; the task is healthy', async () => {
    await waitFor(
      () => events().filter((e) => e.op === 'r').length >= tables.length * INITIAL_ROWS,
      120_000,
      'the snapshot',
    );
    await waitHealthy(w, target.connector, 30_000);
    load = startLoad({
      tables,
      ...target.load(),
      existingRows: INITIAL_ROWS,
      firstId: 100_000,
      insertBelow: 0.45,
      updateBelow: 0.85,
      minLive: 20,
    });
    measured.firstDelivery = await recovery('the writer started', 60_000);
  });

  it(`recovers from a fast server restart within ${BOUNDS.restart / 1000} s, no REST call`, async () => {
    await target.stopServer();
    await target.startServer();
    measured.restart = await recovery('server restart', BOUNDS.restart);
    await waitHealthy(w, target.connector, 30_000);
  });

  it(`shows the outage while the server is down 30 s, and recovers within ${BOUNDS.outage / 1000} s of its return`, async () => {
    const down = Date.now();
    await target.stopServer();
    try {
      const seen = await waitDegraded(w, target.connector, 29_000);
      expect(seen.retrying?.attempt).toBeGreaterThan(0);
      expect(seen.retrying?.since).toBeGreaterThanOrEqual(down - 1000);
      // The outage lasts 30 s whatever the test saw meanwhile.
      await new Promise((r) => setTimeout(r, Math.max(0, down + 30_000 - Date.now())));
    } finally {
      await target.startServer();
    }
    measured.outage = await recovery('30 s outage', BOUNDS.outage);
    await waitHealthy(w, target.connector, 30_000);
  });

  it(`recovers within ${BOUNDS.killed / 1000} s when the server kills the replication connection`, async () => {
    await target.killReplication(proxy);
    measured.killed = await recovery('replication connection killed', BOUNDS.killed);
    await waitHealthy(w, target.connector, 30_000);
  });

  it(`shows a network cut and recovers within ${BOUNDS.cut / 1000} s of the network's return`, async () => {
    const cut = Date.now();
    proxy.cut();
    try {
      await waitDegraded(w, target.connector, 60_000);
      await new Promise((r) => setTimeout(r, Math.max(0, cut + 10_000 - Date.now())));
    } finally {
      proxy.restore();
    }
    measured.cut = await recovery('network cut', BOUNDS.cut);
    await waitHealthy(w, target.connector, 30_000);
  });

  it(`survives a stalled network and recovers within ${BOUNDS.stall / 1000} s of its return`, async () => {
    const stalled = Date.now();
    proxy.stall();
    try {
      if (target.detectsStall) await waitDegraded(w, target.connector, 60_000);
      else await new Promise((r) => setTimeout(r, Math.max(0, stalled + 10_000 - Date.now())));
    } finally {
      proxy.restore();
    }
    measured.stall = await recovery('network stall', BOUNDS.stall);
    await waitHealthy(w, target.connector, 60_000);
    // No fault so far restarted the worker: the reconnections resumed after what was handed out, so nothing twice.
    beforeKills = events().length;
    expect(duplicates(events(), target.identity)).toEqual([]);
  });

  it(`survives ${KILLS} SIGKILLs of the worker under load`, { timeout: 60_000 + KILLS * 30_000 }, async () => {
    const started = Date.now();
    for (let k = 0; k < KILLS; k++) {
      await randomPause(500, 2000);
      await w.kill();
      segments.push({ from: events().length, committed: committedOffset(offsetsFile, target.connector) });
      w = await startWorker({ dir, worker: workerCfg, connectors, preferBuild: true });
      // The other restarts are killed again at a random moment, often before they deliver anything.
      if (k % KILL_PROBE === KILL_PROBE - 1) killRecoveries.push(await recovery(`restart ${k + 1}`, KILL_BOUND));
    }
    measured.killCycleAvg = Math.round((Date.now() - started) / KILLS);
    measured.afterKills = await recovery('the last restart', 60_000);
  });

  it('lost nothing: replay by key equals the database, per-key order held, duplicates only after the last commit', async () => {
    const log: Change[] = await load.stop();
    const expected = await tableState(tables, (t) => target.rows(t));
    const running = w;
    await waitForReplay({
      read: events,
      expected,
      timeoutMs: 120_000,
      replay: target.replay,
      diagnose: () => [running.logs().slice(-4000)],
    });
    const all = events();
    expect(replay(all, target.replay)).toEqual(expected);
    expectNoChangeMissing(all, target.updatesShowLaterVersions ? log.filter((c) => c.op !== 'u') : log);
    expectPerKeyOrder(all, 'non-decreasing');
    expect(duplicates(all.slice(0, beforeKills), target.identity)).toEqual([]);
    const perRun = expectDuplicatesOnlyAfterCommit(all, segments, target.after, target.identity);
    console.log(
      `${target.connector}: ${log.length} changes, ${all.length} events, duplicates per restarted run`,
      perRun,
    );
    expect(log.length).toBeGreaterThan(500);
    // Reached only when every check above held: nothing lost, order kept.
    report({
      suite: target.connector,
      kills: KILLS,
      changes: log.length,
      events: all.length,
      duplicatesPerRun: perRun,
      recoveryMs: measured,
      killRecoveryMs: killRecoveries,
      lost: 0,
      orderViolations: 0,
      seconds: Math.round((Date.now() - began) / 1000),
    });
  });
}
