import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { propertiesText } from '../../test/harness/debezium.js';
import type { KafkaCluster } from '../../test/harness/kafka.js';
import { freePort } from '../../test/harness/ports.js';
import type { PostgresServer } from '../../test/harness/postgres.js';
import { repoRoot, startBenchWorker } from '../support/worker-process.js';
import type { Contender, Running } from './measure.js';
import { dropSlot, PUBLICATION } from './postgres.js';

/** The Kafka Connect that Debezium 3.6.1.Final is built against (bench/vs-debezium/install.sh fetches it). */
export const CONNECT_VERSION = '4.3.0';
export const connectHome = join(repoRoot, '.cache', `kafka-connect-${CONNECT_VERSION}`);

/**
 * The JVM options Kafka's bin/connect-standalone.sh starts a worker with (KAFKA_HEAP_OPTS from the script,
 * KAFKA_JVM_PERFORMANCE_OPTS from kafka-run-class.sh): a Connect worker as its users run it.
 */
export const CONNECT_JVM = [
  '-Xms256M',
  '-Xmx2G',
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxInlineLevel=15',
  '-Djava.awt.headless=true',
];

export interface KafkaRunSettings {
  dir: string;
  schemas: boolean;
  flushMs: number;
  kafka: KafkaCluster;
  pg: PostgresServer;
  table: string;
  /** the slot of each run (all created before the backlog) */
  slots: { sluice: string[]; dbz: string[]; prof: string[] };
}

/** Records in a topic (the sum of its partitions' end offsets), asked at most every 200 ms. */
function topicCount(admin: Admin, topic: string): () => Promise<number> {
  let last = 0;
  let at = 0;
  return async () => {
    if (Date.now() - at < 200) return last;
    at = Date.now();
    const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
    last = offsets.reduce((sum, p) => sum + Number(p.high), 0);
    return last;
  };
}

/** Each run writes to a topic of its own, created (one partition) before the clock starts, deleted after. */
function topicOf(side: string, schemas: boolean, run: number, table: string): { prefix: string; topic: string } {
  const prefix = `k${side}${schemas ? 's' : 'p'}${run}`;
  return { prefix, topic: `${prefix}.public.${table}` };
}

export function kafkaAdmin(kafka: KafkaCluster): Admin {
  return new Kafka({ clientId: 'vs-debezium', brokers: [...kafka.brokers], logLevel: logLevel.NOTHING }).admin();
}

function topicLifecycle(admin: Admin, s: KafkaRunSettings, side: string) {
  return {
    async prepare(run: number) {
      const { topic } = topicOf(side, s.schemas, run, s.table);
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    },
    async remove(run: number) {
      const { topic } = topicOf(side, s.schemas, run, s.table);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    },
  };
}

/**
 * sluice standalone in Kafka mode: the PostgreSQL source producing to the broker (file offsets, as Connect's).
 * `profileDir`: the profiled run (slot `slots.prof`), its V8 CPU profile written there.
 */
export function sluiceToKafka(s: KafkaRunSettings, admin: Admin, profileDir?: string): Contender {
  const side = profileDir ? 'p' : 's';
  const slotOf = (run: number) => (profileDir ? s.slots.prof[run] : s.slots.sluice[run]);
  const topics = topicLifecycle(admin, s, side);
  return {
    name: 'sluice',
    prepare: topics.prepare,
    async start(run): Promise<Running> {
      const dir = join(s.dir, `kafka-sluice-${side}-${s.schemas}-${run}`);
      mkdirSync(dir, { recursive: true });
      const { prefix, topic } = topicOf(side, s.schemas, run, s.table);
      const w = startBenchWorker(
        dir,
        {
          'bootstrap.servers': s.kafka.bootstrap,
          'offset.storage.file.filename': join(dir, 'offsets.json'),
          'offset.flush.interval.ms': String(s.flushMs),
          'key.converter.schemas.enable': String(s.schemas),
          'value.converter.schemas.enable': String(s.schemas),
        },
        [
          {
            name: 'src',
            config: {
              'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
              ...s.pg.connectorConfig(),
              'topic.prefix': prefix,
              'plugin.name': 'pgoutput',
              'slot.name': slotOf(run),
              'publication.name': PUBLICATION,
              'publication.autocreate.mode': 'disabled',
              'table.include.list': `public\\.${s.table}`,
              'snapshot.mode': 'no_data',
            },
          },
        ],
        profileDir,
      );
      const count = topicCount(admin, topic);
      return {
        pid: w.proc.pid ?? -1,
        progress: count,
        failure: () => (w.proc.exitCode !== null ? `the worker exited with ${w.proc.exitCode}` : undefined),
        stop: async () => {
          await w.stop();
        },
      };
    },
    async cleanup(run) {
      await topics.remove(run);
      await dropSlot(s.pg, slotOf(run));
      rmSync(join(s.dir, `kafka-sluice-${side}-${s.schemas}-${run}`), { recursive: true, force: true });
    },
  };
}

/** Kafka Connect standalone (connect-runtime 4.3.0) with Debezium's PostgreSQL connector from plugin.path. */
export function connectToKafka(s: KafkaRunSettings, admin: Admin): Contender {
  const topics = topicLifecycle(admin, s, 'c');
  return {
    name: 'Kafka Connect + Debezium',
    prepare: topics.prepare,
    async start(run): Promise<Running> {
      const dir = join(s.dir, `kafka-connect-${s.schemas}-${run}`);
      mkdirSync(dir, { recursive: true });
      const { prefix, topic } = topicOf('c', s.schemas, run, s.table);
      const worker = join(dir, 'worker.properties');
      const connector = join(dir, 'connector.properties');
      writeFileSync(
        worker,
        propertiesText({
          'bootstrap.servers': s.kafka.bootstrap,
          'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'key.converter.schemas.enable': String(s.schemas),
          'value.converter.schemas.enable': String(s.schemas),
          'offset.storage.file.filename': join(dir, 'connect.offsets'),
          'offset.flush.interval.ms': String(s.flushMs),
          'plugin.path': join(connectHome, 'plugins'),
          listeners: `http://127.0.0.1:${await freePort()}`,
        }),
      );
      writeFileSync(
        connector,
        propertiesText({
          name: 'pg',
          'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
          'tasks.max': '1',
          'database.hostname': s.pg.host,
          'database.port': String(s.pg.port),
          'database.user': s.pg.user,
          'database.password': s.pg.password,
          'database.dbname': s.pg.database,
          'topic.prefix': prefix,
          'plugin.name': 'pgoutput',
          'slot.name': s.slots.dbz[run],
          'publication.name': PUBLICATION,
          'publication.autocreate.mode': 'disabled',
          'table.include.list': `public\\.${s.table}`,
          'snapshot.mode': 'no_data',
        }),
      );
      const proc: ChildProcess = spawn(
        'java',
        [
          ...CONNECT_JVM,
          '-cp',
          `${join(connectHome, 'libs')}/*`,
          'org.apache.kafka.connect.cli.ConnectStandalone',
          worker,
          connector,
        ],
        { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      proc.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-8000);
      });
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      const count = topicCount(admin, topic);
      return {
        pid: proc.pid ?? -1,
        progress: count,
        failure: () =>
          proc.exitCode !== null ? `Kafka Connect exited with ${proc.exitCode}: ${stderr.slice(-3000)}` : undefined,
        async stop() {
          if (proc.exitCode === null) proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
          await exited;
          clearTimeout(timer);
        },
      };
    },
    async cleanup(run) {
      await topics.remove(run);
      await dropSlot(s.pg, s.slots.dbz[run]);
      rmSync(join(s.dir, `kafka-connect-${s.schemas}-${run}`), { recursive: true, force: true });
    },
  };
}
