import { ConnectError, type Logger, traceOf } from '../api/index.js';
import { parseWorkerConfig, readWorkerFile, type WorkerConfig } from '../config/worker.js';
import type { Herder } from '../worker/herder.js';
import { createLogger, type LogFormat } from '../worker/logging.js';
import { builtinRegistry } from '../worker/plugins.js';
import { createStandaloneHerder, loadStandalone } from '../worker/standalone.js';

/** `sluice standalone` and `sluice distributed`: run a worker until SIGTERM/SIGINT. */

function fail(message: string): never {
  process.stderr.write(`sluice: ${message}\n`);
  process.exit(1);
}

/** SIGTERM/SIGINT: graceful stop (flush sinks, commit offsets) within the timeout; a second signal exits now. */
function stopOnSignals(log: Logger, stop: () => Promise<void>, timeoutMs: number): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'Second signal: exiting without waiting');
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'Stopping: flushing sinks and committing offsets');
    const force = setTimeout(() => {
      log.error('Graceful stop took too long; exiting');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    stop().then(
      () => {
        log.info('Stopped');
        process.exit(0);
      },
      (err) => {
        log.error({ err: traceOf(err) }, 'Stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/** Reads and validates worker.json (exits with the problems when it is wrong) and makes the worker's logger. */
function loadWorker(workerPath: string): { worker: WorkerConfig; log: Logger } {
  let worker: WorkerConfig;
  try {
    worker = parseWorkerConfig(readWorkerFile(workerPath));
  } catch (err) {
    fail(err instanceof ConnectError ? err.message : String(err));
  }
  const cfg = worker.config;
  return { worker, log: createLogger(cfg.string('log.level'), cfg.string('log.format') as LogFormat) };
}

/**
 * The REST server, loaded only when a listener is configured: its modules (fastify) cost ~17 MB of RSS, as
 * kafkajs does for a worker without Kafka, so the CLI imports each part only when the worker uses it.
 */
async function startRest(
  herder: Herder,
  worker: WorkerConfig,
  log: Logger,
): Promise<{ close(): Promise<void> } | undefined> {
  if (worker.config.list('listeners').length === 0) return undefined;
  const { startRestServer } = await import('../rest/server.js');
  return startRestServer(herder, worker, log);
}

export async function standalone(workerPath: string, connectorPaths: string[]): Promise<void> {
  // The worker file and every connector file are checked before anything starts; all problems are reported together.
  const registry = builtinRegistry();
  const setup = await loadStandalone(workerPath, connectorPaths, registry);
  if (!setup.worker || setup.problems.length) fail(`invalid configuration:\n  ${setup.problems.join('\n  ')}`);
  const worker = setup.worker;
  const cfg = worker.config;
  const log = createLogger(cfg.string('log.level'), cfg.string('log.format') as LogFormat);

  let herder: Herder;
  try {
    // Command-line connectors update the stored ones of their names: each connector starts once (herder.start).
    herder = createStandaloneHerder({ worker, log, registry, connectors: setup.connectors });
  } catch (err) {
    fail((err as Error).message);
  }

  const graceful = cfg.int('task.shutdown.graceful.timeout.ms');
  let rest: { close(): Promise<void> } | undefined;
  stopOnSignals(
    log,
    async () => {
      await rest?.close();
      await herder.stop();
    },
    graceful + 10_000,
  );
  try {
    // REST first, as Connect does: the endpoint answers (and /health tells) while connectors start.
    rest = await startRest(herder, worker, log);
    // Sinks start first (the herder orders them): with the direct transport a source's records reach only the sinks
    // that exist.
    await herder.start();
  } catch (err) {
    log.error({ err: traceOf(err) }, 'Worker failed to start');
    process.stderr.write(`sluice: ${err instanceof ConnectError ? err.describe() : String(err)}\n`);
    process.exit(1);
  }
  log.info({ worker: herder.workerId, connectors: herder.connectorNames() }, 'Worker started');
}

export async function distributed(workerPath: string): Promise<void> {
  const { worker, log } = loadWorker(workerPath);
  const cfg = worker.config;
  const { DistributedWorker } = await import('../worker/distributed/worker.js');
  let node: InstanceType<typeof DistributedWorker>;
  try {
    node = new DistributedWorker({ worker, log });
  } catch (err) {
    fail(err instanceof ConnectError ? err.message : String(err));
  }
  let rest: { close(): Promise<void> } | undefined;
  stopOnSignals(
    log,
    async () => {
      await rest?.close();
      await node.stop();
    },
    cfg.int('task.shutdown.graceful.timeout.ms') + 20_000,
  );
  try {
    rest = await startRest(node.herder, worker, log);
    await node.start();
  } catch (err) {
    log.error({ err: traceOf(err) }, 'Worker failed to start');
    process.stderr.write(`sluice: ${err instanceof ConnectError ? err.describe() : String(err)}\n`);
    process.exit(1);
  }
  log.info({ worker: node.workerId, group: cfg.string('group.id') }, 'Distributed worker started');
}
