/**
 * The JDBC sink beside Debezium's, both fed from Kafka (issue 17): 1,000,000 PostgreSQL change events (the issue 3
 * orders workload, produced into Kafka by sluice's PostgreSQL source, JSON with schemas) drained into PostgreSQL by
 * (a) sluice's JDBC sink in a Kafka-mode worker and (b) Debezium's JdbcSinkConnector 3.5.0.Final on Kafka Connect
 * 4.3.0 standalone, with the same connector keys. Rows/s until the target holds the final state, peak RSS and
 * CPU time of each process.
 *
 * Prerequisites: `bash scripts/install-debezium-jdbc.sh`. Run: `npm run build && node dist/bench/jdbc-vs-debezium.js
 * [changes]` — appends its table to bench/results/jdbc.md (replacing an earlier one).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../test/harness/kafka.js';
import { kafkaConnectAvailable, startKafkaConnect } from '../test/harness/kafka-connect.js';
import { type PostgresServer, startPostgres } from '../test/harness/postgres.js';
import { commitOrderChanges, ORDERS_TABLE } from './support/pg-orders.js';
import { repoRoot, startBenchWorker } from './support/worker-process.js';

const CHANGES = Number(process.argv[2] ?? 1_000_000);
const TOPIC = 'bench.public.orders';
const RESULTS = join(repoRoot, 'bench/results/jdbc.md');

/** The sink keys both contenders get. */
function sinkKeys(target: PostgresServer, database: string): Record<string, string> {
  return {
    topics: TOPIC,
    'connection.url': `jdbc:postgresql://${target.host}:${target.port}/${database}`,
    'connection.username': target.user,
    'connection.password': target.password,
    'insert.mode': 'upsert',
    'primary.key.mode': 'record_key',
    'delete.enabled': 'true',
    'schema.evolution': 'basic',
    'collection.name.format': '${source.table}',
  };
}

/** VmHWM and CPU seconds of a process, from /proc. */
function procStats(pid: number): { rss: number; cpu: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return {
      rss: Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024,
      cpu: (Number(stat[11]) + Number(stat[12])) / 100,
    };
  } catch {
    return { rss: 0, cpu: 0 };
  }
}

interface Run {
  seconds: number;
  perSecond: number;
  peakRssMiB: number;
  cpuSeconds: number;
  load: string;
}

/** Waits until every row of the target has its update; samples the process meanwhile. */
async function measure(target: PostgresServer, database: string, proc: ChildProcess, started: bigint): Promise<Run> {
  let peak = 0;
  let cpu = 0;
  const c = await target.client(database);
  try {
    for (;;) {
      const s = procStats(proc.pid as number);
      peak = Math.max(peak, s.rss);
      cpu = Math.max(cpu, s.cpu);
      if (proc.exitCode !== null) throw new Error(`the sink process exited with ${proc.exitCode}`);
      const paid = await c
        .query("SELECT count(*)::int AS n FROM orders WHERE status = 'paid'")
        .then((r) => r.rows[0].n as number)
        .catch(() => 0);
      if (paid >= CHANGES / 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await c.end();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    seconds: Math.round(seconds * 10) / 10,
    perSecond: Math.round(CHANGES / seconds),
    peakRssMiB: Math.round((peak / 1048576) * 10) / 10,
    cpuSeconds: Math.round(cpu * 10) / 10,
    load: loadavg()
      .map((l) => l.toFixed(1))
      .join(' / '),
  };
}

async function topicSize(bootstrap: string): Promise<number> {
  const admin = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(TOPIC);
    return offsets.reduce((a, o) => a + Number(o.high), 0);
  } catch {
    return 0;
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const missing = kafkaConnectAvailable();
  if (missing) throw new Error(missing);
  const settings = { max_wal_size: '4GB', checkpoint_timeout: '30min' };
  const [kafka, source, target] = await Promise.all([
    startKafka(),
    startPostgres({ settings }),
    startPostgres({ settings }),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-jdbcvs-'));
  try {
    await target.sql('CREATE DATABASE sluice_target');
    await target.sql('CREATE DATABASE debezium_target');
    await source.sql(ORDERS_TABLE.replace('%s', 'orders'));
    const kafkaWorker = {
      'bootstrap.servers': kafka.bootstrap,
      'offset.storage.file.filename': join(dir, 'offsets.json'),
      'offset.flush.interval.ms': '1000',
      'topic.creation.default.partitions': '1',
      'topic.creation.default.replication.factor': '1',
    };
    const sourceConnector = {
      name: 'orders-source',
      config: {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        ...source.connectorConfig(),
        'topic.prefix': 'bench',
        'slot.name': 'jdbcvs',
        'publication.name': 'jdbcvs',
        'publication.autocreate.mode': 'filtered',
        'table.include.list': 'public\\.orders',
        'snapshot.mode': 'no_data',
      },
    };
    // 1. The events, into Kafka once, for both sinks.
    const producer = startBenchWorker(dir, kafkaWorker, [sourceConnector]);
    for (;;) {
      if ((await source.sql("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'jdbcvs'")).length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await commitOrderChanges(source, 'orders', CHANGES);
    for (;;) {
      if ((await topicSize(kafka.bootstrap)) >= CHANGES) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await producer.stop();
    console.log(`${CHANGES} events in ${TOPIC}`);

    // 2. sluice's JDBC sink in a Kafka-mode worker.
    const sluiceStarted = process.hrtime.bigint();
    const w = startBenchWorker(
      join(dir),
      { ...kafkaWorker, 'offset.storage.file.filename': join(dir, 'sink-offsets.json') },
      [
        {
          name: 'orders-sink',
          config: {
            'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
            ...sinkKeys(target, 'sluice_target'),
          },
        },
      ],
    );
    const sluice = await measure(target, 'sluice_target', w.proc, sluiceStarted);
    await w.stop();
    console.log('sluice', sluice);

    // 3. Debezium's JDBC sink on Kafka Connect standalone (the JVM at its defaults, as deployments run it).
    const dbzStarted = process.hrtime.bigint();
    const connect = await startKafkaConnect({ bootstrap: kafka.bootstrap, dir, jvmArgs: [] });
    let debezium: Run;
    try {
      await connect.addConnector('dbz-orders-sink', {
        'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
        'tasks.max': '1',
        ...sinkKeys(target, 'debezium_target'),
      });
      debezium = await measure(target, 'debezium_target', connect.proc, dbzStarted);
    } catch (err) {
      console.error(connect.logs().slice(-5000));
      throw err;
    } finally {
      await connect.stop();
    }
    console.log('debezium', debezium);

    const table = `## sluice beside Debezium's JDBC sink, both fed from Kafka

${CHANGES.toLocaleString('en')} events of the workload above, produced into \`${TOPIC}\` (1 partition) by sluice's
PostgreSQL source, JSON with schemas; then drained into an empty database of the second PostgreSQL by each sink
in turn, with the same keys (\`insert.mode=upsert\`, \`primary.key.mode=record_key\`, \`schema.evolution=basic\`,
\`delete.enabled=true\`, \`collection.name.format=\${source.table}\`). sluice: a Kafka-mode worker (\`node
dist/runtime/cli.js standalone\`); Debezium: \`io.debezium:debezium-connector-jdbc:3.5.0.Final\` as a plugin of
Kafka Connect 4.3.0 standalone (\`ConnectStandalone\`, default JVM heap, Java 17), installed by
\`scripts/install-debezium-jdbc.sh\`. Time from process start until every row has its update. Measured
${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`node dist/bench/jdbc-vs-debezium.js\`.

| | sluice | Debezium JDBC sink on Kafka Connect |
|---|---|---|
| rows/s | ${sluice.perSecond.toLocaleString('en')} (${sluice.seconds} s) | ${debezium.perSecond.toLocaleString('en')} (${debezium.seconds} s) |
| peak RSS | ${sluice.peakRssMiB} MiB | ${debezium.peakRssMiB} MiB |
| process CPU | ${sluice.cpuSeconds} s | ${debezium.cpuSeconds} s |
| load average at the end | ${sluice.load} | ${debezium.load} |
`;
    const current = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
    const at = current.indexOf('## sluice beside Debezium');
    const kept = at >= 0 ? current.slice(0, at) : current;
    const next = kept.indexOf("## Debezium's JDBC sink");
    const base = next >= 0 ? kept.slice(0, next) + kept.slice(kept.indexOf('## Where the time goes')) : kept;
    writeFileSync(RESULTS, `${base.trimEnd()}\n\n${table}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([source.stop(), target.stop(), kafka.stop()]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
