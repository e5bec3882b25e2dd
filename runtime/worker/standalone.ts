import { hostname } from 'node:os';
import { ConfigError, type ConfigIssue, type Logger } from '../api/index.js';
import { connectorNameProblem, validateConnectorConfig, validateForWorker } from '../config/connector.js';
import { ConfigProviders } from '../config/providers/index.js';
import {
  parseConfigText,
  parseWorkerConfig,
  readConfigFile,
  readWorkerFile,
  type WorkerConfig,
} from '../config/worker.js';
import { WorkerMetrics } from '../metrics/metrics.js';
import { FileOffsetStore } from '../offsets/file-store.js';
import { MemoryOffsetStore } from '../offsets/memory-store.js';
import type { OffsetStore } from '../offsets/store.js';
import { DirectTransport } from '../transport/direct.js';
import { createKafkaOffsetStore } from '../offsets/kafka-store.js';
import { createKafkaTransport } from '../transport/kafka/transport.js';
import type { Transport } from '../transport/transport.js';
import { CommandLineConnectors, type ConfigStore, FileConfigStore, MemoryConfigStore } from './config-store.js';
import { Herder } from './herder.js';
import { builtinRegistry } from './plugins.js';
import type { PluginRegistry } from './registry.js';

export interface StandaloneOptions {
  worker: WorkerConfig;
  log: Logger;
  registry?: PluginRegistry;
  /** override the transport and offset store (Kafka mode plugs in here) */
  transport?: Transport;
  offsets?: OffsetStore;
  /** connectors named on the command line: each updates the stored connector of its name (never a second copy) */
  connectors?: ReadonlyArray<{ name: string; config: Record<string, string> }>;
}

/** Builds a standalone worker: file (or memory) stores, direct transport unless told otherwise. */
export function createStandaloneHerder(o: StandaloneOptions): Herder {
  const cfg = o.worker.config;
  const offsetsFile = cfg.string('offset.storage.file.filename');
  const configsFile = cfg.string('config.storage.file.filename');
  // Kafka mode (DESIGN §2): bootstrap.servers switches the transport; offset.storage.topic, when also set, moves
  // offsets to Kafka (else the file, as Connect's standalone). The transport reads connector configs lazily
  // (topic creation, errors.*, DLQ, consumer.override.*) from the herder built below.
  const kafkaMode = cfg.list('bootstrap.servers').length > 0;
  let herder: Herder | undefined;
  const transport =
    o.transport ??
    (kafkaMode
      ? createKafkaTransport(cfg, o.log, (name) => (herder?.has(name) ? herder.connectorConfig(name) : undefined))
      : new DirectTransport(o.log));
  const offsets: OffsetStore =
    o.offsets ??
    (kafkaMode && cfg.string('offset.storage.topic')
      ? createKafkaOffsetStore(cfg, o.log)
      : offsetsFile
        ? new FileOffsetStore(offsetsFile)
        : new MemoryOffsetStore());
  const stored: ConfigStore = configsFile ? new FileConfigStore(configsFile) : new MemoryConfigStore();
  const configs = o.connectors?.length ? new CommandLineConnectors(stored, o.connectors) : stored;
  const listener = cfg.list('listeners')[0];
  const port = cfg.optionalString('rest.advertised.port') ?? (listener ? new URL(listener).port || '8083' : '8083');
  const host = cfg.optionalString('rest.advertised.host.name') ?? hostname();
  herder = new Herder({
    workerId: `${host}:${port}`,
    worker: cfg,
    registry: o.registry ?? builtinRegistry(),
    offsets,
    configs,
    transport,
    log: o.log,
    metrics: new WorkerMetrics(),
  });
  return herder;
}

/** Reads a connector file (`{"name","config"}` JSON, flat JSON, or .properties) into name and config. */
export function readConnectorFile(path: string, text: string): { name: string; config: Record<string, string> } {
  const config = parseConfigText(path, text, true);
  const name = config.name?.trim();
  if (!name) throw new ConfigError([{ key: 'name', message: `${path} has no connector name` }]);
  const problem = connectorNameProblem(name);
  if (problem) throw new ConfigError([{ key: 'name', message: problem }]);
  return { name, config: { ...config, name } };
}

export interface StandaloneSetup {
  worker?: WorkerConfig;
  connectors: Array<{ name: string; config: Record<string, string> }>;
  /** every problem of the worker file and of every connector file, each one line */
  problems: string[];
}

/**
 * Reads and checks a standalone worker's files before anything starts, and reports every problem at once: the
 * worker config's (a provider reference that cannot be resolved among them), and each connector's, checked against
 * the worker's providers and policies even when the worker config itself has problems.
 */
export async function loadStandalone(
  workerPath: string,
  connectorPaths: readonly string[],
  registry: PluginRegistry,
): Promise<StandaloneSetup> {
  const problems: string[] = [];
  let worker: WorkerConfig | undefined;
  let workerRaw: Record<string, string> = {};
  try {
    workerRaw = readWorkerFile(workerPath);
    worker = parseWorkerConfig(workerRaw);
  } catch (err) {
    problems.push(`${workerPath}: ${(err as Error).message}`);
  }
  const connectors: StandaloneSetup['connectors'] = [];
  for (const path of connectorPaths) {
    try {
      const c = readConnectorFile(path, readConfigFile(path, 'connector config'));
      if (connectors.some((o) => o.name === c.name)) problems.push(`${path}: a second connector named ${c.name}`);
      else connectors.push(c);
    } catch (err) {
      problems.push(`${path}: ${(err as Error).message}`);
    }
  }
  for (const c of await connectorIssues(registry, worker, workerRaw, connectors)) {
    problems.push(`connector ${c.name}: ${new ConfigError(c.issues).message}`);
  }
  return { worker, connectors, problems };
}

/**
 * The problems of each connector config, checked against the worker's providers and policies; when the worker
 * config itself is wrong (`worker` undefined), against the providers its raw settings declare.
 */
export async function connectorIssues(
  registry: PluginRegistry,
  worker: WorkerConfig | undefined,
  workerRaw: Record<string, string>,
  connectors: ReadonlyArray<{ name: string; config: Record<string, string> }>,
): Promise<Array<{ name: string; issues: ConfigIssue[] }>> {
  const out: Array<{ name: string; issues: ConfigIssue[] }> = [];
  for (const c of connectors) {
    const { issues } = worker
      ? await validateForWorker(registry, worker.config, c.config)
      : await validateConnectorConfig(registry, c.config, { providers: ConfigProviders.declare(workerRaw).providers });
    if (issues.length) out.push({ name: c.name, issues });
  }
  return out;
}
