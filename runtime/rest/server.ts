import Fastify from 'fastify';
import type { Logger } from '../api/index.js';
import type { WorkerConfig } from '../config/worker.js';
import type { Herder } from '../worker/herder.js';
import { packageVersion } from '../version.js';

/** Starts the REST endpoint on the worker's first listener; empty `listeners` means none. */
export async function startRestServer(herder: Herder, worker: WorkerConfig, log: Logger): Promise<{ close(): Promise<void>; port: number } | undefined> {
  const listener = worker.config.list('listeners')[0];
  if (!listener) return undefined;
  const url = new URL(listener);
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ version: packageVersion(), commit: 'unknown', kafka_cluster_id: null }));
  app.get('/health', async () => ({ status: 'healthy', message: 'Worker has completed startup and is ready to handle requests.' }));
  app.get('/connectors', async () => herder.connectorNames());
  app.get<{ Params: { c: string } }>('/connectors/:c/status', async (req) => herder.status(req.params.c));
  await app.listen({ host: url.hostname, port: Number(url.port || 8083) });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : Number(url.port);
  log.info({ port }, 'REST endpoint listening');
  return { close: () => app.close(), port };
}
