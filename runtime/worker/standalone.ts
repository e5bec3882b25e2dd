import { hostname } from 'node:os';
import { ConfigError, type Logger } from '../api/index.js';
import { parseConfigText } from '../config/worker.js';
import type { WorkerConfig } from '../config/worker.js';
import { WorkerMetrics } from '../metrics/metrics.js';
import { FileOffsetStore } from '../offsets/file-store.js';
import { MemoryOffsetStore } from '../offsets/memory-store.js';
import type { OffsetStore } from '../offsets/store.js';
import { DirectTransport } from '../transport/direct.js';
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
  const offsets: OffsetStore = o.offsets ?? (offsetsFile ? new FileOffsetStore(offsetsFile) : new MemoryOffsetStore());
  const configs: ConfigStore = configsFile ? new FileConfigStore(configsFile) : new MemoryConfigStore();
  const listener = cfg.list('listeners')[0];
  const port = cfg.optionalString('rest.advertised.port') ?? (listener ? new URL(listener).port || '8083' : '8083');
  const host = cfg.optionalString('rest.advertised.host.name') ?? hostname();
  return new Herder({
    workerId: `${host}:${port}`,
    worker: cfg,
    registry: o.registry ?? builtinRegistry(),
    offsets,
    configs,
    transport: o.transport ?? new DirectTransport(o.log),
    log: o.log,
    metrics: new WorkerMetrics(),
  });
}

/** Reads a connector file (`{"name","config"}` JSON, flat JSON, or .properties) into name and config. */
export function readConnectorFile(path: string, text: string): { name: string; config: Record<string, string> } {
  const config = parseConfigText(path, text, true);
  const name = config.name;
  if (!name) throw new ConfigError([{ key: 'name', message: `${path} has no connector name` }]);
  return { name, config };
}
