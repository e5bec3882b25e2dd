/**
 * sluice beside Debezium on the same machine, in one run (issue 22): PostgreSQL snapshot and backlog drain, the
 * same for MariaDB, PostgreSQL → Kafka beside Kafka Connect + Debezium on the same broker, pg_recvlogical's rate on
 * the same backlog, and commit-to-file latency at a steady 5,000 changes/s. ABBA order, three runs each, JSON with
 * schemas enabled and disabled; writes bench/results/vs-debezium.md.
 *
 *   npm run bench:vs-debezium                      the whole run (installs what it needs first)
 *   npm run bench:vs-debezium -- --quick           100,000 rows, one run each: a smoke test while developing
 *   node dist/bench/vs-debezium/run.js [--quick] [--only=pg,mariadb,kafka,latency] [--rows=N] [--runs=N]
 *        [--schemas=both|on|off] [--flush-ms=N] [--profile|--no-profile] [--out=FILE]
 *        [--latency-modes=direct,kafka]
 *   VS_DEBEZIUM_PROFILES=DIR keeps the V8 CPU profiles of the profiled sluice runs
 *   VS_DEBEZIUM_SLUICE_SOURCE='{"key":"value"}' adds keys to sluice's direct-mode source connectors (development A/B)
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBEZIUM_VERSION } from '../../test/harness/debezium.js';
import { startMariaDb } from '../../test/harness/mariadb.js';
import { KAFKA_VERSION, type KafkaCluster, startKafka } from '../../test/harness/kafka.js';
import { type PostgresServer, startPostgres } from '../../test/harness/postgres.js';
import { topFunctions } from '../support/worker-process.js';
import type { FileRunSettings } from './contenders.js';
import { type LatencyResult, latencyRuns } from './latency.js';
import { CONNECT_VERSION, connectToKafka, kafkaAdmin, sluiceToKafka } from './kafka.js';
import { createTables, loadBacklog as loadMariaBacklog, mariaContenders, mariaRowBytes } from './mariadb.js';
import { abba, measureRun, type RunResult } from './measure.js';
import {
  drainContenders,
  drainSlots,
  loadBacklog,
  loadSnapshotTable,
  pgRowBytes,
  snapshotContenders,
} from './postgres.js';
import { type Environment, environment, report, type Scenario } from './report.js';

interface Options {
  quick: boolean;
  only: Set<string>;
  rows: number;
  runs: number;
  schemas: boolean[];
  flushMs: number;
  out: string;
  profile: boolean;
  latencyModes: Array<'direct' | 'kafka'>;
}

function options(argv: string[]): Options {
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const quick = argv.includes('--quick');
  const schemas = get('schemas') ?? 'both';
  return {
    quick,
    only: new Set((get('only') ?? 'pg,mariadb,kafka,latency').split(',')),
    rows: Number(get('rows') ?? (quick ? 100_000 : 500_000)),
    runs: Number(get('runs') ?? (quick ? 1 : 3)),
    schemas: schemas === 'on' ? [true] : schemas === 'off' ? [false] : [true, false],
    // The side-by-side setting: both sides commit offsets every second.
    flushMs: Number(get('flush-ms') ?? 1000),
    out: get('out') ?? (quick ? '' : 'bench/results/vs-debezium.md'),
    profile: argv.includes('--profile') || (!quick && !argv.includes('--no-profile')),
    latencyModes: (get('latency-modes') ?? 'direct,kafka')
      .split(',')
      .filter((m): m is 'direct' | 'kafka' => m === 'direct' || m === 'kafka'),
  };
}

/** Writes the report so far (set by main when there is an output file): a stopped run keeps what it measured. */
let checkpoint: () => void = () => {};
function record(scenarios: Scenario[], s: Scenario): void {
  scenarios.push(s);
  checkpoint();
}

/** Issue 22's steady load for the latency runs, changes/s. */
const LATENCY_RATE = 5000;
const latency: LatencyResult[] = [];
const logLatency = (r: LatencyResult) =>
  console.log(
    `  ${r.contender} (${r.mode}) run ${r.run + 1}: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms over ${r.changes.toLocaleString('en')} changes, load ${r.load.toFixed(1)}`,
  );

const log = (r: RunResult) =>
  console.log(
    `  ${r.contender} run ${r.run + 1}: ${Math.round(r.perSecond).toLocaleString('en')}/s in ${r.seconds.toFixed(2)} s, CPU ${r.cpuSeconds.toFixed(2)} s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB, load ${r.load.toFixed(1)}`,
  );

/** The sluice run with the V8 profiler on (not counted): where its time went. */
async function profiled(c: Parameters<typeof measureRun>[0], dir: string, events: number) {
  const r = await measureRun(c, 0, events, 1_800_000);
  const top = topFunctions(dir, 15);
  // VS_DEBEZIUM_PROFILES=DIR keeps the whole profiles (for chrome://inspect or speedscope).
  const keep = process.env.VS_DEBEZIUM_PROFILES;
  if (keep) {
    mkdirSync(keep, { recursive: true });
    for (const f of readdirSync(dir)) copyFileSync(join(dir, f), join(keep, `${Date.now()}-${f}`));
  }
  rmSync(dir, { recursive: true, force: true });
  return { run: r, top };
}

/** PostgreSQL direct mode, and Kafka mode on the same database and backlog (one load serves every drain). */
async function postgres(o: Options, env: Environment, scenarios: Scenario[]): Promise<void> {
  const direct = o.only.has('pg');
  const viaKafka = o.only.has('kafka');
  const pg = await startPostgres({
    settings: { max_wal_size: '4GB', checkpoint_timeout: '30min', max_replication_slots: '64', max_wal_senders: '64' },
  });
  const dir = mkdtempSync(join(tmpdir(), 'sluice-vs-dbz-pg-'));
  try {
    env.versions.PostgreSQL = (await pg.sql<{ v: string }>("SELECT current_setting('server_version') AS v"))[0].v;
    env.rowBytes.PostgreSQL = await pgRowBytes(pg);
    console.log(`PostgreSQL ${env.versions.PostgreSQL}: loading ${o.rows.toLocaleString('en')} rows`);
    await loadSnapshotTable(pg, 'snap', o.rows);
    // Every drain run has a slot of its own, all made before the backlog: each run drains the same changes.
    const slots = o.schemas.map((schemas) => drainSlots(schemas, o.runs));
    const kafkaSlots = o.schemas.map((schemas) => drainSlots(schemas, o.runs, 'kafka'));
    const endLsn = await loadBacklog(pg, 'orders', o.rows, [
      ...(direct ? slots.flatMap((s) => [...s.sluice, ...s.dbz, ...s.recv, ...(o.profile ? s.prof : [])]) : []),
      ...(viaKafka ? kafkaSlots.flatMap((s) => [...s.sluice, ...s.dbz, ...(o.profile ? s.prof : [])]) : []),
    ]);
    const profileDir = join(dir, 'profile');
    for (const [i, schemas] of o.schemas.entries()) {
      if (!direct) break;
      const s: FileRunSettings = { dir, schemas, flushMs: o.flushMs };
      console.log(`PostgreSQL snapshot, schemas.enable=${schemas}`);
      const snap = snapshotContenders(pg, s, 'snap', profileDir);
      const snapRuns = await abba(snap.sluice, snap.debezium, o.runs, o.rows, 1_800_000, [], log);
      record(scenarios, {
        id: `pg-snapshot-${schemas}`,
        title: 'PostgreSQL snapshot',
        unit: 'rows/s',
        schemas,
        reference: 'Debezium',
        results: snapRuns,
        top: o.profile ? (await profiled(snap.profiled, profileDir, o.rows)).top : [],
      });

      console.log(`PostgreSQL backlog drain, schemas.enable=${schemas}`);
      const drain = drainContenders(pg, s, 'orders', slots[i], endLsn, o.rows, profileDir);
      const drainRuns = await abba(drain.sluice, drain.debezium, o.runs, o.rows, 1_800_000, [drain.recvlogical], log);
      record(scenarios, {
        id: `pg-drain-${schemas}`,
        title: 'PostgreSQL backlog drain',
        unit: 'events/s',
        schemas,
        reference: 'Debezium',
        results: drainRuns,
        top: o.profile ? (await profiled(drain.profiled, profileDir, o.rows)).top : [],
      });
    }
    const kafka = viaKafka || o.only.has('latency') ? await startKafka() : undefined;
    try {
      if (kafka) {
        env.versions['Kafka broker'] = KAFKA_VERSION;
        env.versions['Kafka Connect'] = CONNECT_VERSION;
      }
      if (viaKafka && kafka) await kafkaMode(o, scenarios, pg, kafka, dir, kafkaSlots);
      if (o.only.has('latency')) {
        console.log(`Latency at ${LATENCY_RATE.toLocaleString('en')} changes/s, default settings`);
        const seconds = o.quick ? 15 : 30;
        latency.push(
          ...(await latencyRuns(
            { pg, dir, kafka, seconds, rate: LATENCY_RATE, modes: o.latencyModes },
            o.runs > 1 ? 2 : 1,
            logLatency,
          )),
        );
        checkpoint();
      }
    } finally {
      await kafka?.stop();
    }
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** PostgreSQL → Kafka: sluice in Kafka mode beside Kafka Connect + Debezium, on one broker. */
async function kafkaMode(
  o: Options,
  scenarios: Scenario[],
  pg: PostgresServer,
  kafka: KafkaCluster,
  dir: string,
  slots: ReturnType<typeof drainSlots>[],
): Promise<void> {
  const admin = kafkaAdmin(kafka);
  await admin.connect();
  try {
    for (const [i, schemas] of o.schemas.entries()) {
      console.log(`PostgreSQL → Kafka backlog drain, schemas.enable=${schemas}`);
      const s = { dir, schemas, flushMs: o.flushMs, kafka, pg, table: 'orders', slots: slots[i] };
      const results = await abba(sluiceToKafka(s, admin), connectToKafka(s, admin), o.runs, o.rows, 1_800_000, [], log);
      const profileDir = join(dir, 'profile');
      record(scenarios, {
        id: `kafka-drain-${schemas}`,
        title: 'PostgreSQL → Kafka backlog drain',
        unit: 'events/s',
        schemas,
        reference: 'Kafka Connect + Debezium',
        results,
        top: o.profile ? (await profiled(sluiceToKafka(s, admin, profileDir), profileDir, o.rows)).top : [],
      });
    }
  } finally {
    await admin.disconnect();
  }
}

async function mariadb(o: Options, env: Environment, scenarios: Scenario[]): Promise<void> {
  const db = await startMariaDb({ args: ['--innodb-buffer-pool-size=512M', '--max-binlog-size=256M'] });
  const dir = mkdtempSync(join(tmpdir(), 'sluice-vs-dbz-maria-'));
  try {
    const conn = await db.connect();
    const [ver] = await conn.query('SELECT VERSION() AS v');
    await conn.end();
    env.versions.MariaDB = String((ver as Array<{ v: string }>)[0].v);
    console.log(`MariaDB ${env.versions.MariaDB}: loading ${o.rows.toLocaleString('en')} rows`);
    await createTables(db, o.rows);
    env.rowBytes.MariaDB = await mariaRowBytes(db);
    const profileDir = join(dir, 'profile');
    const settings = o.schemas.map((schemas): FileRunSettings => ({ dir, schemas, flushMs: o.flushMs }));
    // Every snapshot run first (each leaves the offsets its drain run resumes from), then the backlog, then the drains.
    for (const s of settings) {
      console.log(`MariaDB snapshot, schemas.enable=${s.schemas}`);
      const c = mariaContenders(db, s, 'snapshot', profileDir);
      const results = await abba(c.sluice, c.debezium, o.runs, o.rows, 1_800_000, [], log);
      const top = o.profile ? (await profiled(c.profiled, profileDir, o.rows)).top : [];
      record(scenarios, {
        id: `maria-snapshot-${s.schemas}`,
        title: 'MariaDB snapshot',
        unit: 'rows/s',
        schemas: s.schemas,
        reference: 'Debezium',
        results,
        top,
      });
    }
    console.log(`MariaDB: committing ${o.rows.toLocaleString('en')} changes`);
    await loadMariaBacklog(db, o.rows);
    for (const s of settings) {
      console.log(`MariaDB binlog backlog drain, schemas.enable=${s.schemas}`);
      const c = mariaContenders(db, s, 'drain', profileDir);
      const results = await abba(c.sluice, c.debezium, o.runs, o.rows, 1_800_000, [], log);
      const top = o.profile ? (await profiled(c.profiled, profileDir, o.rows)).top : [];
      record(scenarios, {
        id: `maria-drain-${s.schemas}`,
        title: 'MariaDB binlog backlog drain',
        unit: 'events/s',
        schemas: s.schemas,
        reference: 'Debezium',
        results,
        top,
      });
    }
  } finally {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const env = environment(o);
  env.versions['Debezium (PostgreSQL, MySQL)'] = DEBEZIUM_VERSION.debezium;
  env.versions['Debezium (MariaDB)'] = DEBEZIUM_VERSION.mariadb;
  const scenarios: Scenario[] = [];
  const started = Date.now();
  const write = (md: string) => {
    mkdirSync(join(process.cwd(), 'bench/results'), { recursive: true });
    writeFileSync(o.out, md);
  };
  if (o.out)
    checkpoint = () => {
      env.minutes = (Date.now() - started) / 60_000;
      write(report(env, scenarios, latency, true));
    };
  if (o.only.has('pg') || o.only.has('kafka') || o.only.has('latency')) await postgres(o, env, scenarios);
  if (o.only.has('mariadb')) await mariadb(o, env, scenarios);
  env.minutes = (Date.now() - started) / 60_000;
  const md = report(env, scenarios, latency);
  console.log(md);
  if (o.out) {
    write(md);
    console.log(`written to ${o.out}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
