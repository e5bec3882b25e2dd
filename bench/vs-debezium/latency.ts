import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  type FSWatcher,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { propertiesText, startDebezium } from '../../test/harness/debezium.js';
import type { KafkaCluster } from '../../test/harness/kafka.js';
import { freePort } from '../../test/harness/ports.js';
import type { PostgresServer } from '../../test/harness/postgres.js';
import { startBenchWorker } from '../support/worker-process.js';
import { engineClasses } from './contenders.js';
import { CONNECT_JVM, connectHome } from './kafka.js';
import { dropSlot, PUBLICATION } from './postgres.js';

/**
 * Commit in the database → line visible in the sink's file, at a steady 5,000 changes/s (issue 22), each side at
 * its default settings: offset.flush.interval.ms=60000, the JSON converter with schemas. The load is 25-row
 * transactions every 5 ms on four connections; a change's latency runs from its transaction's COMMIT returning to
 * the moment the driver reads the change's line in the file (inotify on the file, and a read at least every 10 ms).
 */
export const LATENCY_TABLE = 'latency';

export interface LatencyResult {
  contender: string;
  mode: 'direct' | 'kafka';
  run: number;
  changes: number;
  p50: number;
  p99: number;
  max: number;
  load: number;
}

/** A side of the latency run: where its lines appear and how a line names its row. */
interface Sink {
  file: string;
  /** the row id of a line, for the inserts of the latency table */
  idOf(line: string): number | undefined;
  failure(): string | undefined;
  stop(): Promise<void>;
}

/** JSON lines (sluice's FileStreamSink, Debezium's harness): the `after` image's id. */
const jsonId = (line: string) => {
  const m = /"after":\{"id":(\d+)/.exec(line);
  return m ? Number(m[1]) : undefined;
};
/** Connect's FileStreamSink prints the deserialized value: `Struct{after=Struct{id=5,…` or `{…after={id=5, …`. */
const connectId = (line: string) => {
  const m = /after=(?:Struct)?\{id=(\d+)/.exec(line);
  return m ? Number(m[1]) : undefined;
};

/** Follows a file as it grows and records when each id's line was first seen. */
class Tail {
  private pos = 0;
  private rest = '';
  private readonly buf = Buffer.alloc(1 << 20);
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly seen = new Map<number, number>();

  constructor(
    private readonly file: string,
    private readonly idOf: (line: string) => number | undefined,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.read(), 10);
  }

  read(): void {
    if (!this.watcher && existsSync(this.file)) this.watcher = watch(this.file, () => this.read());
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      for (;;) {
        const n = readSync(fd, this.buf, 0, this.buf.length, this.pos);
        if (n <= 0) break;
        this.pos += n;
        const now = performance.now();
        const text = this.rest + this.buf.toString('utf8', 0, n);
        const lines = text.split('\n');
        this.rest = lines.pop() ?? '';
        for (const line of lines) {
          const id = this.idOf(line);
          if (id !== undefined && !this.seen.has(id)) this.seen.set(id, now);
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.watcher?.close();
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Runs one side: waits until a probe row reaches its file (everything connected and streaming), then commits
 * `rate` changes/s for `seconds` and measures; the first fifth is warm-up and not counted.
 */
async function measure(
  pgs: PostgresServer,
  sink: Sink,
  contender: string,
  mode: 'direct' | 'kafka',
  run: number,
  seconds: number,
  rate: number,
  firstId: number,
): Promise<LatencyResult> {
  const tail = new Tail(sink.file, sink.idOf);
  tail.start();
  const clients: pg.Client[] = [];
  try {
    for (let i = 0; i < 4; i++) clients.push(await pgs.client());
    // Ready: a probe row shows up in the file.
    let probe = firstId;
    const readyBy = Date.now() + 300_000;
    while (!tail.seen.has(probe)) {
      const why = sink.failure();
      if (why) throw new Error(`${contender}: ${why}`);
      if (Date.now() > readyBy) throw new Error(`${contender}: not streaming after 300 s`);
      probe++;
      await clients[0].query(`INSERT INTO ${LATENCY_TABLE} VALUES ($1, 'probe')`, [probe]);
      await new Promise((r) => setTimeout(r, 300));
      tail.read();
    }
    // The steady load: a transaction of `per` rows every `every` ms, round-robin on the connections.
    const every = 5;
    const per = Math.round((rate * every) / 1000);
    const committed = new Map<number, number>();
    let next = probe + 1000;
    const start = performance.now();
    const end = start + seconds * 1000;
    // Connections free to take the next transaction: one transaction per connection at a time, so a slow database
    // slows the load instead of queueing it.
    const free = [...clients];
    const inflight = new Set<Promise<void>>();
    let k = 0;
    while (performance.now() < end) {
      const due = start + k * every;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      while (free.length === 0) await Promise.race(inflight);
      const client = free.pop() as pg.Client;
      const first = next;
      next += per;
      k++;
      const p = client
        .query(`INSERT INTO ${LATENCY_TABLE} SELECT g, 'steady' FROM generate_series(${first}, ${first + per - 1}) g`)
        .then(() => {
          const at = performance.now();
          for (let id = first; id < first + per; id++) committed.set(id, at);
        })
        .finally(() => {
          free.push(client);
          inflight.delete(p);
        });
      inflight.add(p);
    }
    await Promise.all(inflight);
    const total = committed.size;
    const deadline = Date.now() + 120_000;
    while ([...committed.keys()].some((id) => !tail.seen.has(id))) {
      const why = sink.failure();
      if (why) throw new Error(`${contender}: ${why}`);
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const warmup = start + (seconds * 1000) / 5;
    const latencies: number[] = [];
    let missing = 0;
    for (const [id, at] of committed) {
      if (at < warmup) continue;
      const seenAt = tail.seen.get(id);
      if (seenAt === undefined) missing++;
      else latencies.push(seenAt - at);
    }
    if (missing) throw new Error(`${contender}: ${missing} of ${total} changes never reached the file`);
    latencies.sort((a, b) => a - b);
    const { loadavg } = await import('node:os');
    return {
      contender,
      mode,
      run,
      changes: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1],
      load: loadavg()[0],
    };
  } finally {
    tail.stop();
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

export interface LatencySetup {
  pg: PostgresServer;
  dir: string;
  kafka?: KafkaCluster;
  seconds: number;
  rate: number;
  /** which of the two modes to run (default both; Kafka mode needs `kafka`) */
  modes?: Array<'direct' | 'kafka'>;
}

const pgSource = (pgs: PostgresServer, slot: string, prefix: string) => ({
  'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
  ...pgs.connectorConfig(),
  'topic.prefix': prefix,
  'plugin.name': 'pgoutput',
  'slot.name': slot,
  'publication.name': PUBLICATION,
  'publication.autocreate.mode': 'disabled',
  'table.include.list': `public\\.${LATENCY_TABLE}`,
  'snapshot.mode': 'no_data',
});

const debeziumSource = (pgs: PostgresServer, slot: string, prefix: string) => ({
  'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
  'database.hostname': pgs.host,
  'database.port': String(pgs.port),
  'database.user': pgs.user,
  'database.password': pgs.password,
  'database.dbname': pgs.database,
  'topic.prefix': prefix,
  'plugin.name': 'pgoutput',
  'slot.name': slot,
  'publication.name': PUBLICATION,
  'publication.autocreate.mode': 'disabled',
  'table.include.list': `public\\.${LATENCY_TABLE}`,
  'snapshot.mode': 'no_data',
});

/** sluice standalone at its defaults: direct mode (FileStreamSink in process), or Kafka mode (sink consumes Kafka). */
function sluiceSink(l: LatencySetup, mode: 'direct' | 'kafka', run: number): Sink {
  const dir = join(l.dir, `latency-sluice-${mode}-${run}`);
  mkdirSync(dir, { recursive: true });
  const prefix = `lat${mode[0]}${run}`;
  const file = join(dir, 'out.jsonl');
  const w = startBenchWorker(
    dir,
    {
      'offset.storage.file.filename': join(dir, 'offsets.json'),
      ...(mode === 'kafka' ? { 'bootstrap.servers': (l.kafka as KafkaCluster).bootstrap } : {}),
    },
    [
      { name: 'src', config: pgSource(l.pg, `lat_sluice_${mode}_${run}`, prefix) },
      {
        name: 'out',
        config: { 'connector.class': 'FileStreamSink', file, topics: `${prefix}.public.${LATENCY_TABLE}` },
      },
    ],
  );
  return {
    file,
    idOf: jsonId,
    failure: () => (w.proc.exitCode !== null ? `the worker exited with ${w.proc.exitCode}` : undefined),
    async stop() {
      await w.stop();
      await dropSlot(l.pg, `lat_sluice_${mode}_${run}`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debezium's embedded engine at its defaults, each value a line. */
async function debeziumSink(l: LatencySetup, run: number): Promise<Sink> {
  const dir = join(l.dir, `latency-debezium-${run}`);
  const slot = `lat_dbz_direct_${run}`;
  const d = await startDebezium({
    classpath: 'debezium',
    dir,
    jvmArgs: [],
    classes: engineClasses('debezium'),
    engines: [
      {
        ...debeziumSource(l.pg, slot, `latd${run}`),
        'offset.storage.file.filename': join(dir, 'offsets.dat'),
        'offset.flush.interval.ms': '60000',
        'harness.output': 'value',
      },
    ],
  });
  return {
    file: d.outputs[0],
    idOf: jsonId,
    failure: () => {
      try {
        d.check();
      } catch (err) {
        return (err as Error).message;
      }
      return d.failure(0);
    },
    async stop() {
      await d.stop();
      await dropSlot(l.pg, slot);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Kafka Connect standalone at its defaults: Debezium's source and Connect's FileStreamSink on the same worker. */
async function connectSink(l: LatencySetup, run: number): Promise<Sink> {
  const dir = join(l.dir, `latency-connect-${run}`);
  mkdirSync(dir, { recursive: true });
  const slot = `lat_dbz_kafka_${run}`;
  const prefix = `latk${run}`;
  const file = join(dir, 'out.txt');
  const props = (name: string, p: Record<string, string>) => {
    writeFileSync(join(dir, name), propertiesText(p));
    return join(dir, name);
  };
  const worker = props('worker.properties', {
    'bootstrap.servers': (l.kafka as KafkaCluster).bootstrap,
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'offset.storage.file.filename': join(dir, 'connect.offsets'),
    'plugin.path': join(connectHome, 'plugins'),
    listeners: `http://127.0.0.1:${await freePort()}`,
  });
  const source = props('source.properties', { name: 'pg', 'tasks.max': '1', ...debeziumSource(l.pg, slot, prefix) });
  const sinkProps = props('sink.properties', {
    name: 'out',
    'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
    'tasks.max': '1',
    file,
    topics: `${prefix}.public.${LATENCY_TABLE}`,
  });
  const proc: ChildProcess = spawn(
    'java',
    [
      ...CONNECT_JVM,
      '-cp',
      `${join(connectHome, 'libs')}/*`,
      'org.apache.kafka.connect.cli.ConnectStandalone',
      worker,
      source,
      sinkProps,
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    file,
    idOf: connectId,
    failure: () => (proc.exitCode !== null ? `Kafka Connect exited with ${proc.exitCode}: ${stderr}` : undefined),
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
      await dropSlot(l.pg, slot);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Slots are created by the connectors (snapshot.mode=no_data), as on a first start. */
export async function latencyRuns(
  l: LatencySetup,
  runs: number,
  log: (r: LatencyResult) => void,
): Promise<LatencyResult[]> {
  await l.pg.sql(`CREATE TABLE IF NOT EXISTS ${LATENCY_TABLE} (id bigint PRIMARY KEY, v text)`);
  await l.pg.sql(`ALTER PUBLICATION ${PUBLICATION} ADD TABLE ${LATENCY_TABLE}`);
  const out: LatencyResult[] = [];
  let firstId = 1;
  const one = async (name: string, mode: 'direct' | 'kafka', run: number, make: () => Sink | Promise<Sink>) => {
    const sink = await make();
    try {
      const r = await measure(l.pg, sink, name, mode, run, l.seconds, l.rate, firstId);
      log(r);
      out.push(r);
    } finally {
      await sink.stop();
      firstId += l.seconds * l.rate * 2 + 100_000;
    }
  };
  const modes = (l.modes ?? ['direct', 'kafka']).filter((m) => m === 'direct' || l.kafka);
  for (const mode of modes) {
    const sluice = (run: number) => () => sluiceSink(l, mode, run);
    const reference = (run: number) => () => (mode === 'direct' ? debeziumSink(l, run) : connectSink(l, run));
    const refName = mode === 'direct' ? 'Debezium' : 'Kafka Connect + Debezium';
    for (let run = 0; run < runs; run++) {
      if (run % 2 === 0) {
        await one('sluice', mode, run, sluice(run));
        await one(refName, mode, run, reference(run));
      } else {
        await one(refName, mode, run, reference(run));
        await one('sluice', mode, run, sluice(run));
      }
    }
  }
  return out;
}
