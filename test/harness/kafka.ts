import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { run } from './run.js';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './ports.js';

/**
 * Apache Kafka in KRaft mode from the Maven Central jars that scripts/install-kafka.sh caches in
 * `.cache/kafka-<version>/libs`. Every node is broker and controller at once (combined mode): one node by
 * default, three on request. Each node writes its log to `<dir>/node-<id>/broker.log`, which `logTail()` returns
 * so a failing test can print it.
 */
export const KAFKA_VERSION = process.env.KAFKA_VERSION ?? '3.9.1';

// From the sources (test/harness) or the build (dist/test/harness, for bench/): the repository root either way.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..').replace(/\/dist$/, '');
export const kafkaLibs = join(repoRoot, '.cache', `kafka-${KAFKA_VERSION}`, 'libs');

export interface KafkaNode {
  readonly id: number;
  readonly port: number;
  readonly running: boolean;
  /** SIGTERM and wait for exit (the broker's controlled shutdown). */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and data; resolves when the cluster answers metadata requests. */
  start(): Promise<void>;
}

export interface KafkaCluster {
  /** `host:port,host:port` for `bootstrap.servers` */
  readonly bootstrap: string;
  readonly brokers: readonly string[];
  readonly nodes: readonly KafkaNode[];
  readonly dir: string;
  /** milliseconds from spawning the JVMs to the first successful metadata answer */
  readonly startupMillis: number;
  /** the extra listeners when started with `secure: true` */
  readonly secure?: SecureListeners;
  /** the last lines of every node's log */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

export interface KafkaOptions {
  nodes?: 1 | 3;
  /** extra server.properties lines (`key=value`), applied to every node */
  properties?: Record<string, string>;
  /** JVM heap per node (default 512m; the machines have two shared cores and the broker idles small) */
  heap?: string;
  /**
   * Also listen with SASL_PLAINTEXT, SSL and SASL_SSL (one node only): SASL user `alice` / `alice-secret` for
   * PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512; TLS with a throwaway CA made by keytool (`secure.caPem`).
   */
  secure?: boolean;
}

export interface SecureListeners {
  readonly saslPlaintext: string;
  readonly ssl: string;
  readonly saslSsl: string;
  /** SSL that requires a client certificate signed by the same CA (ssl.client.auth=required) */
  readonly mtls: string;
  /** PEM file of the CA that signed the broker's certificate (SAN IP:127.0.0.1) */
  readonly caPem: string;
  /** the client's key and certificate chain: a PKCS12 store, and the same as one PEM file (key first) */
  readonly clientKeystore: { readonly pkcs12: string; readonly pem: string; readonly password: string };
  readonly user: string;
  readonly password: string;
}

/** Why a broker cannot be started here, or undefined when it can. */
export function kafkaAvailable(): string | undefined {
  if (!existsSync(join(kafkaLibs, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
    return `Kafka ${KAFKA_VERSION} jars not found in ${kafkaLibs}: run scripts/install-kafka.sh`;
  }
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.status !== 0) return 'java not found (Java 17 is needed to run the broker)';
  return undefined;
}

const classpath = () => `${kafkaLibs}/*`;

function javaArgs(heap: string): string[] {
  // SerialGC: one collector thread instead of one per core; the broker's allocation rate in tests is tiny.
  return [
    `-Xmx${heap}`,
    '-Xms64m',
    '-XX:+UseSerialGC',
    '-Djava.awt.headless=true',
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    '-cp',
    classpath(),
  ];
}

interface NodeLayout {
  id: number;
  port: number;
  controllerPort: number;
  dir: string;
  secure?: {
    saslPort: number;
    sslPort: number;
    saslSslPort: number;
    mtlsPort: number;
    keystore: string;
    truststore: string;
  };
}

const SASL_USER = 'alice';
const SASL_PASSWORD = 'alice-secret';
const STORE_PASSWORD = 'changeit';

interface Certificates {
  caPem: string;
  /** the broker's key store */
  keystore: string;
  /** the CA alone, for the broker to check client certificates */
  truststore: string;
  clientP12: string;
  clientPem: string;
}

/** A CA, and broker and client key stores signed by it, with keytool (Java is there wherever the broker runs). */
async function makeCertificates(dir: string): Promise<Certificates> {
  const ca = join(dir, 'ca.p12');
  const caPem = join(dir, 'ca.pem');
  const keytool = async (...args: string[]) => {
    const r = await run('keytool', args, { timeoutMs: 120_000 });
    if (r.status !== 0) throw new Error(`keytool ${args[0]} failed: ${r.stderr}${r.stdout}`);
  };
  const store = (path: string) => ['-keystore', path, '-storetype', 'PKCS12', '-storepass', STORE_PASSWORD];
  const san = 'SAN=IP:127.0.0.1,DNS:localhost';
  await keytool(
    '-genkeypair',
    '-alias',
    'ca',
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-dname',
    'CN=sluice-test-ca',
    '-ext',
    'bc:c',
    '-validity',
    '2',
    ...store(ca),
  );
  await keytool('-exportcert', '-rfc', '-alias', 'ca', '-file', caPem, ...store(ca));
  /** A key pair in its own store, signed by the CA, with the CA's certificate beside it. */
  const issue = async (alias: string, dname: string, ext: string[]): Promise<string> => {
    const path = join(dir, `${alias}.p12`);
    const csr = join(dir, `${alias}.csr`);
    const crt = join(dir, `${alias}.crt`);
    const keyArgs = ['-keyalg', 'RSA', '-keysize', '2048', '-dname', dname, ...ext, '-validity', '2'];
    await keytool('-genkeypair', '-alias', alias, ...keyArgs, ...store(path));
    await keytool('-certreq', '-alias', alias, '-file', csr, ...store(path));
    await keytool(
      '-gencert',
      '-rfc',
      '-alias',
      'ca',
      '-infile',
      csr,
      '-outfile',
      crt,
      ...ext,
      '-validity',
      '2',
      ...store(ca),
    );
    await keytool('-importcert', '-noprompt', '-alias', 'ca', '-file', caPem, ...store(path));
    await keytool('-importcert', '-noprompt', '-alias', alias, '-file', crt, ...store(path));
    return path;
  };
  const broker = await issue('broker', 'CN=localhost', ['-ext', san]);
  const truststore = join(dir, 'ca-trust.p12');
  await keytool('-importcert', '-noprompt', '-alias', 'ca', '-file', caPem, ...store(truststore));
  const client = await issue('client', 'CN=sluice-client', []);
  const pem = await run(
    'java',
    [join(repoRoot, 'test', 'harness', 'java', 'PemExport.java'), client, STORE_PASSWORD, 'client'],
    {
      timeoutMs: 120_000,
    },
  );
  if (pem.status !== 0) throw new Error(`PemExport failed: ${pem.stderr}`);
  const clientPem = join(dir, 'client.pem');
  writeFileSync(clientPem, pem.stdout);
  return { caPem, keystore: broker, truststore, clientP12: client, clientPem };
}

function serverProperties(node: NodeLayout, all: NodeLayout[], extra: Record<string, string>): string {
  const rf = Math.min(all.length, 3);
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(node.id),
    'controller.quorum.voters': all.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(','),
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}${secureListeners(node)}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}${secureListeners(node)}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map':
      'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL',
    'log.dirs': join(node.dir, 'data'),
    'num.partitions': '1',
    'default.replication.factor': String(rf),
    'min.insync.replicas': '1',
    // The group coordinator creates __consumer_offsets on first use: 50 partitions cost seconds on 2 cores.
    'offsets.topic.num.partitions': '3',
    'offsets.topic.replication.factor': String(rf),
    'transaction.state.log.num.partitions': '3',
    'transaction.state.log.replication.factor': String(rf),
    'transaction.state.log.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'num.network.threads': '2',
    'num.io.threads': '2',
    'num.recovery.threads.per.data.dir': '1',
    'log.cleaner.threads': '1',
    'log.cleaner.backoff.ms': '1000',
    ...(node.secure ? secureProperties(node.secure.keystore, node.secure.truststore) : {}),
    ...extra,
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

function secureListeners(node: NodeLayout): string {
  const s = node.secure;
  return s
    ? `,SASL_PLAINTEXT://127.0.0.1:${s.saslPort},SSL://127.0.0.1:${s.sslPort},SASL_SSL://127.0.0.1:${s.saslSslPort},MTLS://127.0.0.1:${s.mtlsPort}`
    : '';
}

function secureProperties(keystore: string, truststore: string): Record<string, string> {
  const plain = `org.apache.kafka.common.security.plain.PlainLoginModule required user_${SASL_USER}="${SASL_PASSWORD}";`;
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  const props: Record<string, string> = {
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': keystore,
    'ssl.keystore.password': STORE_PASSWORD,
    'ssl.key.password': STORE_PASSWORD,
    'listener.name.mtls.ssl.client.auth': 'required',
    'listener.name.mtls.ssl.truststore.type': 'PKCS12',
    'listener.name.mtls.ssl.truststore.location': truststore,
    'listener.name.mtls.ssl.truststore.password': STORE_PASSWORD,
  };
  for (const l of ['sasl_plaintext', 'sasl_ssl']) {
    props[`listener.name.${l}.plain.sasl.jaas.config`] = plain;
    props[`listener.name.${l}.scram-sha-256.sasl.jaas.config`] = scram;
    props[`listener.name.${l}.scram-sha-512.sasl.jaas.config`] = scram;
  }
  return props;
}

export async function startKafka(options: KafkaOptions = {}): Promise<KafkaCluster> {
  const missing = kafkaAvailable();
  if (missing) throw new Error(missing);
  const count = options.nodes ?? 1;
  const heap = options.heap ?? '512m';
  const dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-'));
  const layouts: NodeLayout[] = [];
  for (let i = 1; i <= count; i++) {
    layouts.push({ id: i, port: await freePort(), controllerPort: await freePort(), dir: join(dir, `node-${i}`) });
  }
  let certs: Certificates | undefined;
  if (options.secure) {
    if (count !== 1) throw new Error('secure listeners are set up for a single node only');
    certs = await makeCertificates(dir);
    layouts[0].secure = {
      saslPort: await freePort(),
      sslPort: await freePort(),
      saslSslPort: await freePort(),
      mtlsPort: await freePort(),
      keystore: certs.keystore,
      truststore: certs.truststore,
    };
  }
  const clusterId = formatClusterId();
  for (const n of layouts) {
    mkdirSync(n.dir, { recursive: true });
    writeFileSync(join(n.dir, 'server.properties'), serverProperties(n, layouts, options.properties ?? {}));
    const fmt = await run(
      'java',
      [
        ...javaArgs('256m'),
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        join(n.dir, 'server.properties'),
        // SCRAM credentials live in the KRaft metadata log; format writes them (KIP-900).
        ...(n.secure
          ? [
              '--add-scram',
              `SCRAM-SHA-256=[name=${SASL_USER},password=${SASL_PASSWORD}]`,
              '--add-scram',
              `SCRAM-SHA-512=[name=${SASL_USER},password=${SASL_PASSWORD}]`,
            ]
          : []),
      ],
      { timeoutMs: 180_000 },
    );
    if (fmt.status !== 0)
      throw new Error(
        `kafka StorageTool format failed (${fmt.status}): ${fmt.stderr.slice(-3000)}${fmt.stdout.slice(-2000)}`,
      );
  }
  const brokers = layouts.map((n) => `127.0.0.1:${n.port}`);
  const processes = new Map<number, ChildProcess>();

  const spawnNode = (n: NodeLayout) => {
    const logFd = openSync(join(n.dir, 'broker.log'), 'a');
    const child = spawn('java', [...javaArgs(heap), 'kafka.Kafka', join(n.dir, 'server.properties')], {
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    processes.set(n.id, child);
  };

  const waitReady = async (expectedBrokers: number) => {
    const deadline = Date.now() + 120_000;
    const admin = new Kafka({
      clientId: 'sluice-harness',
      brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 1000,
    }).admin();
    try {
      for (;;) {
        for (const n of layouts) {
          const p = processes.get(n.id);
          if (p && p.exitCode !== null)
            throw new Error(`Kafka node ${n.id} exited with ${p.exitCode}:\n${tail(n, 60)}`);
        }
        try {
          await admin.connect();
          const desc = await admin.describeCluster();
          if (desc.brokers.length >= expectedBrokers && desc.controller !== null && desc.controller >= 0) return;
        } catch {
          // not up yet
        }
        if (Date.now() > deadline) throw new Error(`Kafka did not answer a metadata request in 120 s:\n${logTail(80)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };

  const tail = (n: NodeLayout, lines: number) => {
    try {
      return readFileSync(join(n.dir, 'broker.log'), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const logTail = (lines = 80) =>
    layouts.map((n) => `----- kafka node ${n.id} (${n.dir}/broker.log) -----\n${tail(n, lines)}`).join('\n');

  const stopProcess = async (id: number, signal: NodeJS.Signals) => {
    const child = processes.get(id);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };

  const t0 = Date.now();
  for (const n of layouts) spawnNode(n);
  try {
    await waitReady(count);
  } catch (err) {
    for (const n of layouts) await stopProcess(n.id, 'SIGKILL');
    throw err;
  }
  const startupMillis = Date.now() - t0;

  const nodes: KafkaNode[] = layouts.map((n) => ({
    id: n.id,
    port: n.port,
    get running() {
      const p = processes.get(n.id);
      return p !== undefined && p.exitCode === null && p.signalCode === null;
    },
    stop: () => stopProcess(n.id, 'SIGTERM'),
    kill: () => stopProcess(n.id, 'SIGKILL'),
    async start() {
      if (this.running) return;
      spawnNode(n);
      await waitReady(count);
    },
  }));

  return {
    bootstrap: brokers.join(','),
    brokers,
    nodes,
    dir,
    startupMillis,
    secure:
      certs && layouts[0].secure
        ? {
            saslPlaintext: `127.0.0.1:${layouts[0].secure.saslPort}`,
            ssl: `127.0.0.1:${layouts[0].secure.sslPort}`,
            saslSsl: `127.0.0.1:${layouts[0].secure.saslSslPort}`,
            mtls: `127.0.0.1:${layouts[0].secure.mtlsPort}`,
            caPem: certs.caPem,
            clientKeystore: { pkcs12: certs.clientP12, pem: certs.clientPem, password: STORE_PASSWORD },
            user: SASL_USER,
            password: SASL_PASSWORD,
          }
        : undefined,
    logTail,
    async stop() {
      await Promise.all(layouts.map((n) => stopProcess(n.id, 'SIGTERM')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (what StorageTool random-uuid prints). One that
 * starts with "-" is drawn again: StorageTool's argument parser takes it for an option and fails.
 */
function formatClusterId(): string {
  for (;;) {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    const id = Buffer.from(bytes).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** For `afterEach`: prints the brokers' log tails when the test that just ran failed. */
export function printKafkaLogOnFailure(cluster: KafkaCluster | undefined, state: string | undefined): void {
  if (cluster && state === 'fail') console.error(cluster.logTail(120));
}

/** Fails the suite in CI and explains why when no broker can be started; elsewhere too (no silent skip). */
export function requireKafka(): void {
  const missing = kafkaAvailable();
  if (missing) {
    console.error(
      `Kafka tests cannot run: ${missing}${process.env.CI ? '' : ' (set up with: sudo bash scripts/install-kafka.sh)'}`,
    );
    throw new Error(missing);
  }
}

/**
 * The producers the broker tracks for a partition (idempotent or transactional ones only), asked with Java's
 * AdminClient: kafkajs has no DescribeProducers.
 */
export async function describeProducers(
  bootstrap: string,
  topic: string,
  partition: number,
): Promise<Array<{ producerId: string; epoch: number; lastSequence: number }>> {
  const r = await run(
    'java',
    [
      ...javaArgs('128m'),
      join(repoRoot, 'test', 'harness', 'java', 'DescribeProducers.java'),
      bootstrap,
      topic,
      String(partition),
    ],
    { timeoutMs: 120_000 },
  );
  if (r.status !== 0) throw new Error(`DescribeProducers failed: ${r.stderr.slice(-2000)}`);
  return r.stdout
    .split('\n')
    .filter((l) => /^\d+ /.test(l))
    .map((l) => {
      const [producerId, epoch, lastSequence] = l.trim().split(' ');
      return { producerId, epoch: Number(epoch), lastSequence: Number(lastSequence) };
    });
}

/**
 * Runs test/harness/java/ConnectOffsets.java (Kafka Connect's JsonConverter and Java clients, from
 * `.cache/kafka-<version>/connect-libs`) and returns its output lines.
 */
export async function connectOffsets(args: readonly string[]): Promise<string[]> {
  const libs = join(kafkaLibs, '..', 'connect-libs');
  if (!existsSync(join(libs, '.complete')))
    throw new Error(`Kafka Connect jars not found in ${libs}: run scripts/install-kafka.sh`);
  const r = await run(
    'java',
    [
      '-Xmx128m',
      '-XX:+UseSerialGC',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp',
      `${libs}/*`,
      join(repoRoot, 'test', 'harness', 'java', 'ConnectOffsets.java'),
      ...args,
    ],
    { timeoutMs: 120_000 },
  );
  if (r.status !== 0) throw new Error(`ConnectOffsets ${args[0]} failed: ${r.stderr.slice(-3000)}`);
  return r.stdout.split('\n').filter(Boolean);
}

/** The latest value of every key of a compacted-style topic, read from the beginning with kafkajs (20 s at most). */
export async function readTopicLatest(cluster: KafkaCluster, topic: string): Promise<Map<string, string | null>> {
  const latest = new Map<string, string | null>();
  for (const m of await readTopic(cluster, topic)) latest.set(m.key ?? '', m.value);
  return latest;
}

export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  /** header values as text (the last of a repeated key) */
  headers: Record<string, string>;
}

/** Every record of a topic, in order per partition, read from the beginning with kafkajs (20 s at most). */
export async function readTopic(cluster: KafkaCluster, topic: string): Promise<TopicRecord[]> {
  const client = new Kafka({ clientId: 'test', brokers: [...cluster.brokers], logLevel: logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  // After compaction a partition's first offsets may be gone: count what is left up to the high watermark.
  const remaining = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
  const out: TopicRecord[] = [];
  const consumer = client.consumer({ groupId: `reader-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    const check = () => {
      if ([...remaining.values()].every((high) => high <= 0n)) resolve();
    };
    check();
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push({
          partition,
          offset: message.offset,
          key: message.key ? message.key.toString() : null,
          value: message.value ? message.value.toString() : null,
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([k, v]) => [k, v === undefined ? '' : String(v)]),
          ),
        });
        const high = ends.find((e) => e.partition === partition)?.high ?? '0';
        // Done with a partition once the record before its high watermark is read.
        remaining.set(partition, BigInt(high) - BigInt(message.offset) - 1n);
        check();
      },
    });
  });
  await Promise.race([done, new Promise((r) => setTimeout(r, 20_000))]);
  await consumer.disconnect();
  return out;
}
