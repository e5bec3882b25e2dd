import type { FastifyInstance } from 'fastify';
import type { Herder } from '../worker/herder.js';
import { packageVersion } from '../version.js';

/** `/`, `/health` and `/metrics`: what the worker is, whether it is up, and its Prometheus metrics. */
export function workerRoutes(app: FastifyInstance, herder: Herder): void {
  const version = packageVersion();
  app.get('/', async () => ({ version, commit: process.env.SLUICE_COMMIT ?? 'unknown', kafka_cluster_id: null }));

  // Connect's KIP-1017 answers: 200 once startup is complete, 503 while starting or shutting down.
  app.get('/health', async (_req, reply) => {
    switch (herder.phase) {
      case 'running':
        return { status: 'healthy', message: 'Worker has completed startup and is ready to handle requests.' };
      case 'starting':
        return reply.code(503).send({ status: 'starting', message: 'Worker is still starting up.' });
      case 'stopping':
        return reply.code(503).send({ status: 'unhealthy', message: 'Worker is shutting down.' });
    }
  });

  app.get('/metrics', async (_req, reply) => {
    const registry = herder.metrics.registry;
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(text);
  });
}
