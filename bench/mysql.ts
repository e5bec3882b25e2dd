/**
 * MySQL/MariaDB source benchmark (issue 7), on MariaDB 10.11 from test/harness:
 * (a) snapshot: N rows read by a fresh connector into FileStreamSink, rows/s;
 * (b) binlog backlog drain: with the worker stopped, M changes (half inserts, half updates, 10,000 rows per
 *     statement, so large rows events) are committed; the worker restarts from its stored offset and the time
 *     until FileStreamSink holds every event gives events/s;
 * peak RSS of the worker process (VmHWM) in both. JSON values, schemas.enable=false.
 *
 * Run: `npm run build && node dist/bench/mysql.js [snapshotRows] [changes]` — writes bench/results/mysql.md.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb } from '../test/harness/mariadb.js';
import { type BenchWorker, machine, repoRoot, startBenchWorker, topFunctions } from './support/worker-process.js';

const SNAPSHOT_ROWS = Number(process.argv[2] ?? 200_000);
const CHANGES = Number(process.argv[3] ?? 1_000_000);
const CHUNK = 10_000;

/** Counts newlines of a growing file incrementally (the file reaches hundreds of MB). */
class LineCounter {
  private offset = 0;
  lines = 0;
  private readonly buf = Buffer.alloc(1 << 20);
  constructor(readonly path: string) {}
  update(): number {
    if (!existsSync(this.path)) return 0;
    const size = statSync(this.path).size;
    if (size <= this.offset) return this.lines;
    const fd = openSync(this.path, 'r');
    try {
      while (this.offset < size) {
        const n = readSync(fd, this.buf, 0, Math.min(this.buf.length, size - this.offset), this.offset);
        if (n <= 0) break;
        for (let i = 0; i < n; i++) if (this.buf[i] === 10) this.lines++;
        this.offset += n;
      }
    } finally {
      closeSync(fd);
    }
    return this.lines;
  }
}

async function waitLines(
  counter: LineCounter,
  target: number,
  w: BenchWorker,
  timeoutMs: number,
): Promise<{ ms: number; peak: number }> {
  const started = Date.now();
  let peak = 0;
  while (counter.update() < target) {
    peak = Math.max(peak, w.peakRss());
    if (Date.now() - started > timeoutMs) throw new Error(`timed out with ${counter.lines} of ${target} lines`);
    if (w.proc.exitCode !== null) throw new Error(`worker exited with ${w.proc.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  peak = Math.max(peak, w.peakRss());
  return { ms: Date.now() - started, peak };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-mysql-'));
  const db = await startMariaDb({ args: ['--innodb-buffer-pool-size=256M', '--max-binlog-size=256M'] });
  try {
    await db.exec(
      'CREATE DATABASE bench; CREATE TABLE bench.orders (id BIGINT PRIMARY KEY, customer INT NOT NULL, amount DECIMAL(12,2) NOT NULL, status VARCHAR(16) NOT NULL, updated DATETIME(6) NOT NULL)',
    );
    for (let from = 1; from <= SNAPSHOT_ROWS; from += CHUNK) {
      const to = Math.min(SNAPSHOT_ROWS, from + CHUNK - 1);
      await db.exec(
        `INSERT INTO bench.orders SELECT seq, seq % 1000, seq / 100, 'new', '2024-01-01 00:00:00.000001' FROM bench.seq_${from}_to_${to}`,
      );
    }
    const out = join(dir, 'out.jsonl');
    const worker = { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '1000' };
    const connectors = [
      {
        name: 'my',
        config: {
          'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
          'database.hostname': db.host,
          'database.port': String(db.port),
          'database.user': db.user,
          'database.password': db.password,
          'database.server.id': '9001',
          'topic.prefix': 'bench',
          'table.include.list': 'bench\\.orders',
          'include.schema.changes': 'false',
          'schema.history.internal.file.filename': join(dir, 'history.jsonl'),
        },
      },
      {
        name: 'out',
        config: {
          'connector.class': 'FileStreamSink',
          file: out,
          topics: 'bench.bench.orders',
          'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'value.converter.schemas.enable': 'false',
        },
      },
    ];
    const counter = new LineCounter(out);
    const load1 = loadavg()[0];
    let w = startBenchWorker(dir, worker, connectors);
    const snap = await waitLines(counter, SNAPSHOT_ROWS, w, 900_000);
    // Let the completed snapshot offset be committed before stopping.
    await new Promise((r) => setTimeout(r, 2500));
    await w.stop();

    let done = 0;
    while (done < CHANGES) {
      const n = Math.min(CHUNK, CHANGES - done);
      if ((done / CHUNK) % 2 === 0) {
        const base = 10_000_000 + done;
        await db.exec(
          `INSERT INTO bench.orders SELECT ${base} + seq, seq % 1000, seq / 7, 'backlog', NOW(6) FROM bench.seq_1_to_${n}`,
        );
      } else {
        const start = 1 + (((done / CHUNK) * CHUNK) % Math.max(CHUNK, SNAPSHOT_ROWS - CHUNK));
        await db.exec(
          `UPDATE bench.orders SET amount = amount + 1, status = 'updated', updated = NOW(6) WHERE id BETWEEN ${start} AND ${start + n - 1}`,
        );
      }
      done += n;
    }
    const before = counter.update();
    const load2 = loadavg()[0];
    // BENCH_PROFILE=0 measures without the CPU profiler, whose sample buffers and code map add tens of MiB of RSS.
    const profileDir = process.env.BENCH_PROFILE === '0' ? undefined : join(dir, 'profile');
    if (profileDir) mkdirSync(profileDir);
    w = startBenchWorker(dir, worker, connectors, profileDir);
    const drain = await waitLines(counter, before + CHANGES, w, 1_800_000);
    await w.stop();
    const top = profileDir ? topFunctions(profileDir, 15) : [];

    const rowsPerSec = Math.round(SNAPSHOT_ROWS / (snap.ms / 1000));
    const eventsPerSec = Math.round(CHANGES / (drain.ms / 1000));
    const mb = (b: number) => `${Math.round(b / 1048576)} MiB`;
    const report = `# MySQL/MariaDB source benchmark

\`bench/mysql.ts\` (\`npm run build && node dist/bench/mysql.js ${SNAPSHOT_ROWS} ${CHANGES}\`), run ${new Date().toISOString()}.

Server: MariaDB 10.11 (Debian 12 package) started by \`test/harness/mariadb.ts\` on the same machine; worker:
\`sluice standalone\` with the MariaDB source → FileStreamSink (JSON, \`schemas.enable=false\`), file offsets.
Table \`bench.orders\` (BIGINT key, INT, DECIMAL(12,2), VARCHAR(16), DATETIME(6)). Backlog: ${CHANGES} changes
committed while the worker was stopped, half inserts and half updates, ${CHUNK} rows per statement; the time runs
from the worker's start to the last line in the sink file (so it includes start-up and the sink's writes).

Machine: ${machine()}. Load average when the runs started: ${load1.toFixed(1)} (snapshot), ${load2.toFixed(1)} (drain).
MariaDB and this benchmark's driver share the two cores with the worker (a load average above ~2.5 means other work
was running too, and the rates are lower bounds).

| measure | result | target |
|---|---|---|
| snapshot, ${SNAPSHOT_ROWS} rows | ${(snap.ms / 1000).toFixed(1)} s, **${rowsPerSec} rows/s** | ≥ 60,000 rows/s |
| snapshot, worker peak RSS | ${mb(snap.peak)} | ≤ 250 MB |
| binlog backlog drain, ${CHANGES} changes | ${(drain.ms / 1000).toFixed(1)} s, **${eventsPerSec} events/s** | ≥ 40,000 events/s |
| drain, worker peak RSS | ${mb(drain.peak)} | ≤ 250 MB |

Where the worker's CPU went during the drain (V8 CPU profile, self time, top ${top.length}):

| self % | function |
|---|---|
${top.map((t) => `| ${t.selfPct.toFixed(1)} | \`${t.fn}\` |`).join('\n')}
`;
    mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench/results/mysql.md'), report);
    console.log(report);
  } finally {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
