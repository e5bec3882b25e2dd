import type { FastifyInstance } from 'fastify';
import type { Config } from '../api/index.js';
import { RestError } from '../rest/errors.js';
import { connectorSecrets } from '../rest/secrets.js';
import { packageVersion } from '../version.js';
import type { Herder } from '../worker/herder.js';
import type { InspectStage, MetricsView } from './api-types.js';
import { PAGE_HEADERS, readAsset } from './assets.js';
import { configView, patchOf, validatePatch } from './config-view.js';
import type { Inspector } from './inspector/hub.js';
import { inOut, MetricsHistory, processMetrics, taskMetrics } from './metrics-view.js';

type C = { Params: { c: string } };
const STAGES: readonly InspectStage[] = ['read', 'transformed', 'converted'];

/**
 * The dashboard (issue 20, docs/ui.md): the page at `/ui`, and the few endpoints it needs beyond Kafka Connect's REST
 * API, which it uses as it is for everything else (status, tasks, offsets, topics, actions, config changes).
 * Registered on the REST server, so the same listener, limits and credentials apply.
 */
export function uiRoutes(app: FastifyInstance, herder: Herder, cfg: Config): void {
  const version = packageVersion();
  const inspectorOn = cfg.bool('ui.inspector.enable');
  const masked = cfg.list('ui.inspector.masked.fields');
  const history = new MetricsHistory(herder.metrics.registry);
  history.start();
  // The inspector's code is loaded by the first watcher, not by every worker.
  let inspector: Promise<Inspector> | undefined;
  const getInspector = () => {
    inspector ??= Promise.all([import('./inspector/hub.js'), import('./inspector/render.js')]).then(
      ([hub, render]) => new hub.Inspector(herder, render.nameMatcher(masked)),
    );
    return inspector;
  };
  app.addHook('preClose', async () => {
    history.stop();
    if (inspector) (await inspector).closeAll();
  });

  const page = async (name: string, reply: import('fastify').FastifyReply) => {
    const asset = await readAsset(name);
    if (!asset) throw new RestError(404, 'HTTP 404 Not Found');
    return reply.headers(PAGE_HEADERS).type(asset.type).send(asset.body);
  };
  app.get('/ui', async (req, reply) => {
    // The page's files are named relative to it: `/ui` must become `/ui/` (relative, so a proxy's prefix stays).
    if (req.url.split('?')[0] === '/ui') return reply.redirect('ui/', 301);
    return page('index.html', reply);
  });
  app.get<{ Params: { file: string } }>('/ui/:file', async (req, reply) => page(req.params.file, reply));

  app.get('/ui/api/metrics', async (): Promise<MetricsView> => {
    const registry = herder.metrics.registry;
    const now = Date.now();
    const tasks = await taskMetrics(registry);
    return {
      now,
      worker: { id: herder.workerId, version, ...(await processMetrics(registry)) },
      tasks,
      history: { intervalMs: history.intervalMs, points: history.samples, current: { t: now, c: inOut(tasks) } },
      inspector: inspectorOn,
    };
  });

  app.get<C>('/ui/api/connectors/:c/config', async (req) => configView(herder, req.params.c));

  app.put<C>('/ui/api/connectors/:c/config/validate', async (req) =>
    validatePatch(herder, req.params.c, patchOf(req.body)),
  );

  app.get<C & { Querystring: Record<string, unknown> }>('/ui/api/connectors/:c/inspect', async (req, reply) => {
    if (!inspectorOn) throw new RestError(404, 'The event inspector is off on this worker (ui.inspector.enable=false)');
    const name = req.params.c;
    herder.connectorInfo(name); // 404 for an unknown connector
    const q = req.query;
    const stage = (q.stage ?? 'transformed') as InspectStage;
    if (!STAGES.includes(stage)) throw new RestError(400, `stage must be one of ${STAGES.join(', ')}`);
    const hub = await getInspector();
    const { INSPECTOR_LIMITS: L } = await import('./inspector/hub.js');
    const rate = q.rate === undefined ? L.defaultRate : Number(q.rate);
    if (!Number.isInteger(rate) || rate < 1 || rate > L.maxRate)
      throw new RestError(400, `rate must be a whole number of records per second from 1 to ${L.maxRate}`);
    const task = q.task === undefined || q.task === '' ? undefined : Number(q.task);
    if (task !== undefined && (!Number.isInteger(task) || task < 0))
      throw new RestError(400, 'task must be a task number');
    if (hub.watching >= L.maxWatchers)
      throw new RestError(429, `The event inspector already has ${L.maxWatchers} streams open on this worker`);
    reply.hijack();
    hub.watch({ connector: name, stage, rate, task }, reply.raw, connectorSecrets(herder, name));
  });
}
