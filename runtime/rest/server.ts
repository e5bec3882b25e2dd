import Fastify from 'fastify';
import { ConnectError, type Logger, traceOf } from '../api/index.js';
import { MAX_CONNECTOR_NAME_LENGTH } from '../config/connector.js';
import type { WorkerConfig } from '../config/worker.js';
import { isPublicAsset } from '../ui/assets.js';
import type { Herder } from '../worker/herder.js';
import { adminRoutes } from './admin.js';
import { restAuth } from './auth.js';
import { parseJsonBody } from './body.js';
import { connectorRoutes } from './connectors.js';
import { errorBody } from './errors.js';
import { pluginRoutes } from './plugins.js';
import { connectorSecrets, scrub } from './secrets.js';
import { workerRoutes } from './worker.js';

/**
 * Starts Kafka Connect's REST API on the worker's first listener (empty `listeners`: none). Handlers are thin:
 * they check the request and call the herder (DESIGN §3).
 */
export async function startRestServer(
  herder: Herder,
  worker: WorkerConfig,
  log: Logger,
): Promise<{ close(): Promise<void>; port: number } | undefined> {
  const cfg = worker.config;
  const listener = cfg.list('listeners')[0];
  if (!listener) return undefined;
  let url: URL;
  try {
    url = new URL(listener);
  } catch {
    throw new ConnectError(`listeners: ${listener} is not a URL such as http://0.0.0.0:8083`);
  }
  if (url.protocol !== 'http:')
    throw new ConnectError(`listeners: ${url.protocol}// is not supported; use http:// (put TLS in front)`);
  const auth = restAuth(cfg);
  const ui = cfg.bool('ui.enable');
  const maxBody = cfg.int('rest.max.body.bytes');
  const restLog = herder.logger('rest', { component: 'rest' });

  // A connector name may have 255 characters (MAX_CONNECTOR_NAME_LENGTH); percent-encoded, each may take up to 12.
  const app = Fastify({
    logger: false,
    bodyLimit: maxBody,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_CONNECTOR_NAME_LENGTH * 12 },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // onRequest runs before the body is read: without credentials nothing else happens, not even a 413.
  if (auth) {
    app.addHook('onRequest', async (req, reply) => {
      // The dashboard's page and scripts hold no data; what they show comes through endpoints that need credentials.
      if (ui && isPublicAsset(req.method, req.url)) return;
      if (auth.check(req.headers.authorization)) return;
      restLog.warn(
        { method: req.method, url: req.url, ip: req.ip },
        'REST request refused: missing or wrong credentials',
      );
      return reply
        .code(401)
        .header('www-authenticate', auth.challenge)
        .send({ error_code: 401, message: 'Unauthorized: valid credentials are required' });
    });
  }

  // Until every stored connector is loaded, answers about connectors would be wrong (an empty list) and changes
  // would race the loading: only what describes the worker itself answers.
  app.addHook('onRequest', async (req, reply) => {
    if (herder.phase !== 'starting') return;
    const path = req.url.split('?')[0].replace(/\/$/, '');
    if (path === '' || path === '/health' || path === '/metrics') return;
    if (ui && isPublicAsset(req.method, req.url)) return;
    return reply.code(503).send({ error_code: 503, message: 'Worker is still starting up; try again shortly.' });
  });

  // A browser that holds credentials for the worker (the dashboard's users) would send them with a request another
  // site makes it send: changes must come from a page of the worker itself. Browsers say where a request comes from
  // (Sec-Fetch-Site; Origin in older ones); tools such as curl send neither and are not affected.
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    let crossSite: boolean;
    if (typeof site === 'string') crossSite = site !== 'same-origin' && site !== 'none';
    else if (typeof origin === 'string' && origin !== '') crossSite = originHost(origin) !== req.headers.host;
    else crossSite = false;
    if (!crossSite) return;
    restLog.warn({ method: req.method, url: req.url, origin }, 'REST request refused: sent by another site');
    return reply.code(403).send({ error_code: 403, message: 'Forbidden: a change requested by another site' });
  });

  app.setErrorHandler(async (err, req, reply) => {
    const body = errorBody(err, maxBody);
    // A connector's failure may quote a value its config provider references resolved to.
    const name = (req.params as { c?: unknown } | undefined)?.c;
    if (typeof name === 'string') body.message = scrub(body.message, connectorSecrets(herder, name));
    if (body.error_code >= 500)
      restLog.error({ method: req.method, url: req.url, err: traceOf(err) }, 'REST request failed');
    return reply.code(body.error_code).send(body);
  });
  // Jersey's answers, which Connect clients see: 405 for a known path with another method, else 404.
  app.setNotFoundHandler(async (req, reply) => {
    const url = req.url.split('?')[0];
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
    if (methods.some((method) => app.findRoute({ method, url }))) {
      return reply.code(405).send({ error_code: 405, message: 'HTTP 405 Method Not Allowed' });
    }
    return reply.code(404).send({ error_code: 404, message: 'HTTP 404 Not Found' });
  });
  // Method, path and status only: bodies hold connector configs, and so passwords.
  app.addHook('onResponse', async (req, reply) => {
    restLog.debug(
      { method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'REST request',
    );
  });

  workerRoutes(app, herder);
  connectorRoutes(app, herder);
  pluginRoutes(app, herder);
  adminRoutes(app, herder);
  if (ui) {
    const { uiRoutes } = await import('../ui/routes.js');
    uiRoutes(app, herder, cfg);
  }
  herder.metrics.observeStatus(() =>
    herder.connectorNames().flatMap((n) => {
      try {
        return [herder.status(n)];
      } catch {
        return [];
      }
    }),
  );

  await app.listen({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 8083) });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : Number(url.port);
  log.info({ port, auth: auth ? 'on' : 'off' }, 'REST endpoint listening');
  return { close: () => app.close(), port };
}

/** The host:port of an Origin header, or null when it is not a URL (`null`, from a sandboxed page or a file). */
function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
