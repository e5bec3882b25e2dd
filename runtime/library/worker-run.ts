import { ConfigError, type ConfigIssue } from '../api/errors.js';
import { connectorNameProblem } from '../config/connector.js';
import { parseWorkerConfig, type WorkerConfig } from '../config/worker.js';
import type { LogFormat } from '../worker/logging.js';
import { builtinRegistry } from '../worker/plugins.js';
import { connectorIssues, createStandaloneHerder } from '../worker/standalone.js';
import { toRawConfig } from './config-input.js';
import { loggerFor } from './logger.js';
import { offsetStoreFor } from './offsets.js';
import type { Worker, WorkerOptions, WorkerSettings } from './worker.js';

/** createWorker(): checks everything, then starts the standalone herder (and REST when `listeners` is set). */
export async function runWorker(settings: WorkerSettings, options: WorkerOptions): Promise<Worker> {
  // No listener unless asked: an application embedding a worker does not expect a port opened for it.
  const raw = toRawConfig({ listeners: '', ...settings } as Readonly<Record<string, unknown>>);
  const issues: ConfigIssue[] = [];
  let worker: WorkerConfig | undefined;
  try {
    worker = parseWorkerConfig(raw);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.push(...err.issues);
  }
  const registry = builtinRegistry();
  const connectors: Array<{ name: string; config: Record<string, string> }> = [];
  for (const c of options.connectors ?? []) {
    const problem = connectorNameProblem(String(c.name ?? ''));
    const config = toRawConfig(c.config);
    if (problem) issues.push({ key: 'name', message: problem });
    else if (connectors.some((o) => o.name === c.name))
      issues.push({ key: 'name', message: `a second connector named ${c.name}` });
    else connectors.push({ name: c.name, config: { ...config, name: c.name } });
  }
  for (const c of await connectorIssues(registry, worker, raw, connectors)) {
    issues.push(...c.issues.map((i) => ({ key: i.key, message: `connector ${c.name}: ${i.message}` })));
  }
  if (issues.length || !worker) throw new ConfigError(issues);
  const cfg = worker.config;
  const log = loggerFor(options.logger, cfg.string('log.level'), cfg.string('log.format') as LogFormat);
  // kafkajs's patched internals must be in the module cache before kafkajs loads (runtime/cli.ts does the same).
  if (cfg.list('bootstrap.servers').length) await import('../transport/kafka/kafkajs-patches.js');
  const herder = createStandaloneHerder({
    worker,
    log,
    registry,
    connectors,
    offsets: options.offsets ? offsetStoreFor(options.offsets) : undefined,
  });
  let rest: { close(): Promise<void>; port: number } | undefined;
  if (cfg.list('listeners').length)
    rest = await (await import('../rest/server.js')).startRestServer(herder, worker, log);
  try {
    await herder.start();
  } catch (err) {
    await rest?.close();
    await herder.stop().catch(() => undefined);
    throw err;
  }
  const listener = cfg.list('listeners')[0];
  let url: string | undefined;
  if (listener && rest) {
    const u = new URL(listener);
    const host = u.hostname === '0.0.0.0' || u.hostname === '' ? '127.0.0.1' : u.hostname;
    url = `${u.protocol}//${host}:${rest.port}`;
  }
  const rawOf = (name: string, config: Readonly<Record<string, unknown>>) => ({ ...toRawConfig(config), name });
  let stopping: Promise<void> | undefined;
  return {
    url,
    connectors: () => herder.connectorNames(),
    status: (name) => herder.status(name),
    info: (name) => herder.connectorInfo(name),
    createConnector: (name, config, initial) => herder.createConnector(name, rawOf(name, config), initial),
    putConnectorConfig: (name, config) => herder.putConnectorConfig(name, rawOf(name, config)),
    deleteConnector: (name) => herder.deleteConnector(name),
    pause: (name) => herder.pause(name),
    resume: (name) => herder.resume(name),
    stopConnector: (name) => herder.stopConnector(name),
    restart: (name, o) => herder.restartConnector(name, o),
    restartTask: (name, task) => herder.restartTask(name, task),
    offsets: (name) => herder.offsets(name),
    alterOffsets: (name, body) => herder.alterOffsets(name, body),
    resetOffsets: (name) => herder.resetOffsets(name),
    metrics: () => herder.metrics.registry.metrics(),
    stop() {
      stopping ??= (async () => {
        await rest?.close();
        await herder.stop();
      })();
      return stopping;
    },
  };
}
