import type { FastifyInstance } from 'fastify';
import type { TargetState } from '../tasks/state.js';
import type { ConnectorStatus, Herder, OffsetsBody, StateInfo } from '../worker/herder.js';
import { configMap, type JsonObject, isObject, queryFlag, queryList, requireObject } from './body.js';
import { RestError } from './errors.js';
import { connectorNameProblem } from '../config/connector.js';
import { hasProviderReference, scrubJson, scrubValue } from '../config/providers/index.js';
import { connectorSecrets, HIDDEN, isSecretKey, scrub } from './secrets.js';

type C = { Params: { c: string } };
type CT = { Params: { c: string; t: string } };

/** Connect's `initial_state` of a create request, to the herder's target state. */
function initialState(v: unknown): TargetState {
  if (v === undefined || v === null) return 'STARTED';
  const s = typeof v === 'string' ? v.toUpperCase() : '';
  if (s === 'RUNNING') return 'STARTED';
  if (s === 'PAUSED' || s === 'STOPPED') return s;
  throw new RestError(400, `Invalid initial_state ${JSON.stringify(v)}: must be one of RUNNING, PAUSED, STOPPED`);
}

/** A name in the URL (or body) and `name` in the config must agree; a missing config name is filled in. */
function checkName(name: string, config: Record<string, string | null>): void {
  const included = config.name;
  if (included !== undefined && included !== null && included !== name) {
    throw new RestError(
      400,
      `Connector name configuration (${included}) doesn't match connector name in the URL (${name})`,
    );
  }
}

function validName(name: string): void {
  const problem = connectorNameProblem(name);
  if (problem) throw new RestError(400, problem);
}

function taskId(c: string, t: string): number {
  if (!/^\d+$/.test(t)) throw new RestError(404, `Task ${c}-${t} not found`);
  return Number(t);
}

/** Status with secrets of the connector's own config cut out of failure traces. */
function safeStatus(herder: Herder, name: string): ConnectorStatus {
  return scrubStatus(herder, name, herder.status(name));
}

function scrubStatus(herder: Herder, name: string, status: ConnectorStatus): ConnectorStatus {
  const secrets = connectorSecrets(herder, name);
  if (secrets.length === 0) return status;
  const clean = <T extends StateInfo>(s: T): T => ({
    ...s,
    ...(s.trace ? { trace: scrub(s.trace, secrets) } : {}),
    ...(s.retrying ? { retrying: { ...s.retrying, error: scrub(s.retrying.error, secrets) } } : {}),
  });
  return { ...status, connector: clean(status.connector), tasks: status.tasks.map(clean) };
}

function offsetsBody(body: unknown): OffsetsBody {
  const obj = requireObject(body, '{"offsets": [{"partition": {…}, "offset": {…}}]}');
  const list = obj.offsets;
  if (!Array.isArray(list) || list.length === 0)
    throw new RestError(400, 'Partitions / offsets need to be provided for an alter offsets request');
  for (const o of list) {
    if (!isObject(o) || !isObject(o.partition))
      throw new RestError(400, 'Every entry of "offsets" needs a "partition" object');
    if (o.offset !== null && o.offset !== undefined && !isObject(o.offset))
      throw new RestError(400, 'An "offset" must be an object or null');
  }
  return {
    offsets: list.map((o: JsonObject) => ({ partition: o.partition, offset: o.offset ?? null })),
  } as OffsetsBody;
}

const ALTERED =
  'The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses.';
const RESET =
  'The Connect framework-managed offsets for this connector have been reset successfully. However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses.';

/** `/connectors…`: Connect's ConnectorsResource, path for path, status for status. */
export function connectorRoutes(app: FastifyInstance, herder: Herder): void {
  app.get<{ Querystring: Record<string, unknown> }>('/connectors', async (req) => {
    if (!('expand' in req.query)) return herder.connectorNames();
    const expand = queryList(req.query.expand);
    const out: Record<string, Record<string, unknown>> = {};
    for (const name of herder.connectorNames()) {
      try {
        const one: Record<string, unknown> = {};
        if (expand.includes('status')) one.status = safeStatus(herder, name);
        if (expand.includes('info')) one.info = herder.connectorInfo(name);
        out[name] = one;
      } catch {
        // Deleted while we looked: left out, as Connect does.
      }
    }
    return out;
  });

  app.post('/connectors', async (req, reply) => {
    const body = requireObject(req.body, '{"name": …, "config": {…}}');
    if (body.name !== undefined && body.name !== null && typeof body.name !== 'string')
      throw new RestError(400, '"name" must be a string');
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (!isObject(body.config))
      throw new RestError(400, 'Connector config is required: the body must be {"name": …, "config": {…}}');
    const config = configMap(body.config, 'config');
    validName(name);
    checkName(name, config);
    const info = await herder.createConnector(name, config, initialState(body.initial_state));
    return reply
      .code(201)
      .header('location', `/connectors/${encodeURIComponent(name)}`)
      .send(info);
  });

  app.get<C>('/connectors/:c', async (req) => herder.connectorInfo(req.params.c));

  app.get<C>('/connectors/:c/config', async (req) => herder.connectorConfig(req.params.c));

  app.put<C>('/connectors/:c/config', async (req, reply) => {
    const name = req.params.c;
    const config = configMap(requireObject(req.body, 'the connector config'), 'config');
    validName(name);
    checkName(name, config);
    const { created, info } = await herder.putConnectorConfig(name, config);
    if (created) reply.code(201).header('location', `/connectors/${encodeURIComponent(name)}`);
    return reply.send(info);
  });

  app.patch<C>('/connectors/:c/config', async (req) => {
    const name = req.params.c;
    const patch = configMap(requireObject(req.body, 'the config keys to change'), 'config', true);
    checkName(name, patch);
    return herder.patchConnectorConfig(name, patch);
  });

  app.get<C>('/connectors/:c/status', async (req) => safeStatus(herder, req.params.c));

  app.post<C & { Querystring: Record<string, unknown> }>('/connectors/:c/restart', async (req, reply) => {
    const includeTasks = queryFlag(req.query.includeTasks);
    const onlyFailed = queryFlag(req.query.onlyFailed);
    const status = await herder.restartConnector(req.params.c, { includeTasks, onlyFailed });
    // The plain form keeps its old answer (no body); the KIP-745 form answers 202 with the status.
    if (!includeTasks && !onlyFailed) return reply.code(204).send();
    return reply.code(202).send(scrubStatus(herder, req.params.c, status));
  });

  // Ours, with Debezium's signal body ({"id", "type", "data"}): 202 once the connector's task took the signal.
  app.post<C>('/connectors/:c/signals', async (req, reply) => {
    const answer = await herder.signal(req.params.c, req.body);
    return reply.code(202).send({ id: answer.id, ...(answer.snapshotId ? { snapshot_id: answer.snapshotId } : {}) });
  });

  app.put<C>('/connectors/:c/pause', async (req, reply) => {
    await herder.pause(req.params.c);
    return reply.code(202).send();
  });

  app.put<C>('/connectors/:c/resume', async (req, reply) => {
    await herder.resume(req.params.c);
    return reply.code(202).send();
  });

  app.put<C>('/connectors/:c/stop', async (req, reply) => {
    await herder.stopConnector(req.params.c);
    return reply.code(204).send();
  });

  app.get<C>('/connectors/:c/tasks', async (req) => {
    const name = req.params.c;
    const tasks = herder.taskConfigs(name);
    // Task configs hold provider references, not their values (Connect's reverse transformation). Unlike Connect,
    // secret keys are masked too, and any value a reference resolved to is cut out of values the connector derived.
    const spec = herder.registry.connector(herder.connectorConfig(name)['connector.class'] ?? '')?.configSpec;
    const secrets = connectorSecrets(herder, name);
    const shown = (k: string, v: string) =>
      isSecretKey(k, spec) && v !== '' ? HIDDEN : hasProviderReference(v) ? v : scrubValue(v, secrets);
    return tasks.map((t) => ({
      id: t.id,
      config: Object.fromEntries(Object.entries(t.config).map(([k, v]) => [k, shown(k, v)])),
    }));
  });

  app.get<CT>('/connectors/:c/tasks/:t/status', async (req) => {
    const { c, t } = req.params;
    const id = taskId(c, t);
    return safeStatus(herder, c).tasks.find((x) => x.id === id) ?? herder.taskStatus(c, id);
  });

  app.post<CT>('/connectors/:c/tasks/:t/restart', async (req, reply) => {
    const { c, t } = req.params;
    await herder.restartTask(c, taskId(c, t));
    return reply.code(204).send();
  });

  app.delete<C>('/connectors/:c', async (req, reply) => {
    await herder.deleteConnector(req.params.c);
    return reply.code(204).send();
  });

  app.get<C>('/connectors/:c/topics', async (req) => {
    const name = req.params.c;
    const topics = herder.topics(name);
    const secrets = connectorSecrets(herder, name);
    return { [name]: { topics: topics.map((t) => scrubValue(t, secrets)) } };
  });

  app.put<C>('/connectors/:c/topics/reset', async (req, reply) => {
    herder.resetTopics(req.params.c);
    return reply.code(202).send();
  });

  app.get<C>('/connectors/:c/offsets', async (req) =>
    scrubJson(await herder.offsets(req.params.c), connectorSecrets(herder, req.params.c)),
  );

  app.patch<C>('/connectors/:c/offsets', async (req) => {
    const body = offsetsBody(req.body);
    await herder.alterOffsets(req.params.c, body);
    return { message: ALTERED };
  });

  app.delete<C>('/connectors/:c/offsets', async (req) => {
    await herder.resetOffsets(req.params.c);
    return { message: RESET };
  });
}
