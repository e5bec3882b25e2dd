import { hostname } from 'node:os';
import { ConfigError, type Logger } from '../api/index.js';
import { parseConfigText } from '../config/worker.js';
import type { WorkerConfig } from '../config/worker.js';
import { WorkerMetrics } from '../metrics/metrics.js';
import { FileOffsetStore } from '../offsets/file-store.js';
import { MemoryOffsetStore } from '../offsets/memory-store.js';
import type { OffsetStore } from '../offsets/store.js';
import { DirectTransport } from '../transport/direct.js';
import { createKafkaOffsetStore } from '../offsets/kafka-store.js';
import { createKafkaTransport } from '../transport/kafka/transport.js';
import type { Transport } from '../transport/transport.js';
import { type ConfigStore, FileConfigStore, MemoryConfigStore } from './config-store.js';
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
  const configs: ConfigStore = configsFile ? new FileConfigStore(configsFile) : new MemoryConfigStore();
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
  const name = config.name;
  if (!name) throw new ConfigError([{ key: 'name', message: `${path} has no connector name` }]);
  return { name, config };
}
