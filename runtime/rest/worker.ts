import type { FastifyInstance } from 'fastify';
import type { Herder } from '../worker/herder.js';
import { packageVersion } from '../version.js';

/** `/`, `/health` and `/metrics`: what the worker is, whether it is up, and its Prometheus metrics. */
export function workerRoutes(app: FastifyInstance, herder: Herder): void {
  const version = packageVersion();
  app.get('/', async () => ({ version, commit: process.env.SLUICE_COMMIT ?? 'unknown', kafka_cluster_id: null }));

  // The REST endpoint starts after the herder, so answering at all means startup is complete (Connect's KIP-1017).
  app.get('/health', async () => ({
    status: 'healthy',
    message: 'Worker has completed startup and is ready to handle requests.',
  }));

  app.get('/metrics', async (_req, reply) => {
    const registry = herder.metrics.registry;
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(text);
  });
}
