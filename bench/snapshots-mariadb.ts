/**
 * Snapshots of issue 16, MariaDB part (bench/snapshots.ts measures PostgreSQL): the initial snapshot of a table of
 * ~200-byte rows into the FileStreamSink with `snapshot.max.threads` 1, 2 and 4, and an incremental snapshot of the
 * same table started by a REST signal. Rows/s, the worker's peak RSS and CPU time of each.
 *
 * Run: `npm run bench:snapshots:mariadb` (5,000,000 rows) or `npm run build && node dist/bench/snapshots-mariadb.js
 * --rows=200000` (a smoke run; `--chunk=N` sets incremental.snapshot.chunk.size, `--threads=1,2,4` the thread
 * counts, `--incremental=no` skips the incremental run). Writes bench/results/snapshots-mariadb.md
 * (`BENCH_SNAPSHOTS_MARIADB_RESULTS` to write elsewhere).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MariaDb, startMariaDb } from '../test/harness/mariadb.js';
import {
  benchArgs,
  fmt,
  incrementalRun,
  initialRun,
  resultTables,
  type SnapshotRun,
  type SnapshotSource,
} from './support/snapshot-bench.js';
import { machine, repoRoot } from './support/worker-process.js';

const { rows: ROWS, chunk: CHUNK, threads: THREADS, incremental: INCREMENTAL } = benchArgs();
const RESULTS = process.env.BENCH_SNAPSHOTS_MARIADB_RESULTS ?? 'bench/results/snapshots-mariadb.md';
/** rows per INSERT … SELECT of the load (the Sequence engine's seq_<from>_to_<to> tables) */
const LOAD_CHUNK = 500_000;

function source(db: MariaDb, dir: string): SnapshotSource {
  return {
    // each run replicates under a server id of its own
    connector: (name, index, extra) => ({
      name,
      config: {
        'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
        'database.hostname': db.host,
        'database.port': String(db.port),
        'database.user': db.user,
        'database.password': db.password,
        'database.server.id': String(7100 + index),
        'topic.prefix': name,
        'table.include.list': 'bench\\.snap',
        'include.schema.changes': 'false',
        'schema.history.internal.file.filename': join(dir, `${name}-history.jsonl`),
        ...extra,
      },
    }),
    topic: (name) => `${name}.bench.snap`,
    collection: 'bench.snap',
    signalTable: 'bench.dbz_signal',
  };
}

async function main() {
  const db = await startMariaDb({ args: ['--innodb-buffer-pool-size=512M', '--max-binlog-size=256M'] });
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-snapshots-mariadb-'));
  try {
    await db.exec(
      'CREATE DATABASE bench; CREATE TABLE bench.snap (id BIGINT PRIMARY KEY, customer_id INT NOT NULL, status VARCHAR(16) NOT NULL, amount DECIMAL(12,2) NOT NULL, payload TEXT NOT NULL, created_at DATETIME(6) NOT NULL, updated_at DATETIME(6) NOT NULL); CREATE TABLE bench.dbz_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))',
    );
    const t0 = Date.now();
    for (let from = 1; from <= ROWS; from += LOAD_CHUNK) {
      const to = Math.min(ROWS, from + LOAD_CHUNK - 1);
      await db.exec(
        `INSERT INTO bench.snap SELECT seq, seq % 10000, ELT(1 + seq % 3, 'new', 'paid', 'shipped'), (seq % 100000) / 100, CONCAT('{"sku":"', MD5(seq), '","note":"', MD5(seq + 1), MD5(seq + 2), '"}'), '2026-01-01 00:00:00.000001' + INTERVAL seq SECOND, '2026-06-01 12:00:00.5' + INTERVAL seq SECOND FROM bench.seq_${from}_to_${to}`,
      );
    }
    await db.exec('ANALYZE TABLE bench.snap');
    console.log(`loaded ${ROWS} rows in ${Date.now() - t0} ms`);
    const conn = await db.connect();
    const [stats] = await conn.query(
      "SELECT AVG_ROW_LENGTH AS avg FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'bench' AND TABLE_NAME = 'snap'",
    );
    await conn.end();
    const rowBytes = Number((stats as Array<{ avg: number }>)[0]?.avg ?? 0);
    const src = source(db, dir);
    const runs: SnapshotRun[] = [];
    for (const [i, t] of THREADS.entries()) {
      const r = await initialRun(src, dir, ROWS, t, i);
      console.log(r);
      runs.push(r);
    }
    const inc = INCREMENTAL ? await incrementalRun(src, dir, ROWS, CHUNK) : undefined;
    if (inc) console.log(inc);
    const command = `node dist/bench/snapshots-mariadb.js${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
    const md = `# Snapshot benchmark, MariaDB (issue 16)

Table \`bench.snap\` \`(id BIGINT PRIMARY KEY, customer_id INT, status VARCHAR(16), amount DECIMAL(12,2), payload
TEXT, created_at DATETIME(6), updated_at DATETIME(6))\`, ${fmt(ROWS)} rows of about ${rowBytes} bytes (InnoDB's
\`AVG_ROW_LENGTH\`), MariaDB (Debian package, \`test/harness/mariadb.ts\`, 512 MiB buffer pool) on the same machine →
direct transport → FileStreamSink (JSON, \`schemas.enable=false\`), offsets committed every second to a file. Each
run is a fresh worker with its own offsets and schema history:

- **initial snapshot**: \`snapshot.mode=initial_only\` with \`snapshot.max.threads\` = ${THREADS.join(', ')} (in that
  order; a count listed twice counts with its mean rate), \`snapshot.locking.mode=minimal\`: the extra connections
  start their consistent-snapshot transactions under the global read lock; the table's integer key is cut into
  \`snapshot.max.threads\` ranges. Time from worker start until the output holds every row.
- **incremental snapshot**: \`snapshot.mode=no_data\`, the task streaming; \`POST /connectors/incr/signals\` with
  \`execute-snapshot\` for the table; time from the signal until the output holds every row; watermark rows in
  \`bench.dbz_signal\`, \`incremental.snapshot.chunk.size=${CHUNK}\`.

Defaults otherwise (\`max.queue.size=8192\`, \`max.batch.size=2048\`, \`snapshot.fetch.size=2000\`,
\`snapshot.max.threads.multiplier=1\`). Peak RSS is the worker process's VmHWM, worker CPU its user + system time.
${
  ROWS < 5_000_000
    ? `
**Smoke run (${fmt(ROWS)} rows, not the issue's 5,000,000)**: at this size the worker's start-up is a large share of
each initial run's time; the committed figures come from \`npm run bench:snapshots:mariadb\` on a quiet machine.
`
    : ''
}
Machine: ${machine()}. Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`${command}\`.
MariaDB and the benchmark's driver share the cores with the worker. The load average at the end of each run is in the
table: above ~2.5 other work was running too, and the rates are lower bounds.

${resultTables(runs, inc, { fourThreadsTarget: "4 threads vs 1 thread's rows/s (the 1.6× target is PostgreSQL's)" })}`;
    mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(join(repoRoot, RESULTS), md);
    console.log(md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
