import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { repoRoot } from './worker.js';

/**
 * Apache Kafka Connect 4.3.0 standalone (`ConnectStandalone`) with Debezium's JDBC sink 3.5.0.Final as a plugin:
 * the reference sluice's JDBC sink is compared with (test/integration/jdbc/vs-debezium.test.ts) and measured
 * against (bench/jdbc-vs-debezium.ts). One JVM; connectors are created through Connect's REST API. The jars come
 * from scripts/install-debezium-jdbc.sh.
 */

export const CONNECT_LIBS = join(repoRoot, '.cache/kafka-connect-4.3.0/libs');
export const DEBEZIUM_JDBC_PLUGINS = join(repoRoot, '.cache/debezium-jdbc-3.5.0.Final/plugins');

/** Why Kafka Connect with Debezium's JDBC sink cannot run here, or undefined when it can. */
export function kafkaConnectAvailable(): string | undefined {
  if (
    !existsSync(join(CONNECT_LIBS, '..', '.complete-2')) ||
    !existsSync(join(DEBEZIUM_JDBC_PLUGINS, '..', '.complete'))
  )
    return "Kafka Connect 4.3.0 with Debezium's JDBC sink is not installed: run scripts/install-debezium-jdbc.sh";
  return undefined;
}

export interface KafkaConnect {
  readonly proc: ChildProcess;
  readonly url: string;
  /** the last ~`logTail` characters Connect wrote to stderr (all of it is in DIR/connect.log) */
  logs(): string;
  /** creates a connector (PUT /connectors/NAME/config) */
  addConnector(name: string, config: Record<string, string>): Promise<void>;
  /** connector and task states, e.g. { connector: 'RUNNING', tasks: ['RUNNING'], trace } (undefined until known) */
  status(name: string): Promise<{ connector: string; tasks: string[]; trace?: string } | undefined>;
  stop(): Promise<void>;
}

export interface KafkaConnectOptions {
  bootstrap: string;
  /** a directory of the caller's own: properties, offsets */
  dir: string;
  /** more worker keys (JsonConverter with schemas for keys and values by default) */
  worker?: Record<string, string>;
  /** JVM options (default: a 512 MB heap, C1 only, serial GC, as the CI machine is shared); [] for the defaults */
  jvmArgs?: readonly string[];
  logTail?: number;
}

const props = (o: Record<string, string>) =>
  `${Object.entries(o)
    .map(([k, v]) => `${k}=${v.replace(/\\/g, '\\\\')}`)
    .join('\n')}\n`;

/** Starts the worker and waits until its REST API answers. */
export async function startKafkaConnect(o: KafkaConnectOptions): Promise<KafkaConnect> {
  const missing = kafkaConnectAvailable();
  if (missing) throw new Error(missing);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const file = join(o.dir, 'connect.properties');
  writeFileSync(
    file,
    props({
      'bootstrap.servers': o.bootstrap,
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'offset.storage.file.filename': join(o.dir, 'connect.offsets'),
      'offset.flush.interval.ms': '1000',
      'plugin.path': DEBEZIUM_JDBC_PLUGINS,
      listeners: url,
      ...o.worker,
    }),
  );
  const jvm = o.jvmArgs ?? ['-Xmx512m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];
  const proc = spawn(
    'java',
    [...jvm, '-cp', `${CONNECT_LIBS}/*`, 'org.apache.kafka.connect.cli.ConnectStandalone', file],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const tail = o.logTail ?? 20_000;
  let log = '';
  // The whole log in the caller's directory too, to read after a failure.
  proc.stderr?.pipe(createWriteStream(join(o.dir, 'connect.log')));
  proc.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-tail);
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const rest = async (path: string, init?: RequestInit) => {
    const r = await fetch(`${url}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
    return { status: r.status, body: (await r.json().catch(() => undefined)) as Record<string, unknown> | undefined };
  };
  const connect: KafkaConnect = {
    proc,
    url,
    logs: () => log,
    async addConnector(name, config) {
      const r = await rest(`/connectors/${name}/config`, { method: 'PUT', body: JSON.stringify(config) });
      if (r.status >= 300) throw new Error(`Kafka Connect refused connector ${name}: ${JSON.stringify(r.body)}`);
    },
    async status(name) {
      const r = await rest(`/connectors/${name}/status`).catch(() => undefined);
      if (r?.status !== 200 || !r.body) return undefined;
      const b = r.body as { connector: { state: string; trace?: string }; tasks: { state: string; trace?: string }[] };
      return {
        connector: b.connector.state,
        tasks: b.tasks.map((t) => t.state),
        trace: [b.connector.trace, ...b.tasks.map((t) => t.trace)].filter(Boolean).join('\n') || undefined,
      };
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`Kafka Connect exited with ${proc.exitCode}:\n${log.slice(-4000)}`);
    const r = await fetch(`${url}/connectors`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (r?.ok) break;
    if (Date.now() > deadline) {
      await connect.stop();
      throw new Error(`Kafka Connect did not answer on ${url} within 120 s:\n${log.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return connect;
}
