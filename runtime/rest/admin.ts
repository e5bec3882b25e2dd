import type { FastifyInstance } from 'fastify';
import type { Herder } from '../worker/herder.js';
import { requireObject } from './body.js';
import { RestError } from './errors.js';

/** `/admin/loggers…`: Connect's LoggingResource, over the worker's named pino loggers. */
export function adminRoutes(app: FastifyInstance, herder: Herder): void {
  app.get('/admin/loggers', async () => herder.loggerLevels());

  app.get<{ Params: { name: string } }>('/admin/loggers/:name', async (req) => herder.loggerLevel(req.params.name));

  app.put<{ Params: { name: string }; Querystring: { scope?: string } }>('/admin/loggers/:name', async (req, reply) => {
    const body = requireObject(req.body, '{"level": "DEBUG"}');
    if (typeof body.level !== 'string')
      throw new RestError(400, "Desired 'level' parameter was not specified in request.");
    const affected = herder.setLoggerLevel(req.params.name, body.level);
    // A standalone worker is the whole cluster; Connect answers the cluster scope with 204 and no body.
    if (req.query.scope?.toLowerCase() === 'cluster') return reply.code(204).send();
    return affected;
  });
}
