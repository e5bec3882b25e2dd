import type { FastifyInstance } from 'fastify';
import type { Plugin } from '../api/index.js';
import type { Herder } from '../worker/herder.js';
import { configMap, queryFlag, requireObject } from './body.js';
import { configInfos, configKeyInfos } from './config-infos.js';
import { RestError } from './errors.js';

/** Connect's plugin type names. */
function typeName(p: Plugin): string {
  switch (p.type) {
    case 'source':
    case 'sink':
    case 'predicate':
      return p.type;
    case 'transform':
      return 'transformation';
    case 'converter':
      return p.className.endsWith('HeaderConverter') ? 'header_converter' : 'converter';
  }
}

/** By class name, short name or any alias Connect derives from a class name (see PluginRegistry). */
function findPlugin(herder: Herder, name: string): Plugin | undefined {
  return herder.registry.get(name);
}

/** `/connector-plugins…`: Connect's ConnectorPluginsResource. */
export function pluginRoutes(app: FastifyInstance, herder: Herder): void {
  app.get<{ Querystring: Record<string, unknown> }>('/connector-plugins', async (req) => {
    // connectorsOnly defaults to true, as in Connect.
    const all = req.query.connectorsOnly !== undefined && !queryFlag(req.query.connectorsOnly);
    const plugins = herder.plugins(all ? undefined : ['source', 'sink']);
    return (
      plugins
        .map((p) => ({ class: p.className, type: typeName(p), version: p.version }))
        // Java's String order (UTF-16 code units), as Connect's sorted plugin set.
        .sort((a, b) => (a.class < b.class ? -1 : a.class > b.class ? 1 : 0))
    );
  });

  app.get<{ Params: { plugin: string } }>('/connector-plugins/:plugin/config', async (req) => {
    const plugin = findPlugin(herder, req.params.plugin);
    if (!plugin) throw new RestError(404, `Unknown plugin ${req.params.plugin}.`);
    return configKeyInfos(plugin.configSpec);
  });

  app.put<{ Params: { plugin: string } }>('/connector-plugins/:plugin/config/validate', async (req) => {
    const requested = req.params.plugin;
    const plugin = herder.registry.connector(requested);
    if (!plugin)
      throw new RestError(
        404,
        `Failed to find any class that implements Connector and which name matches ${requested}`,
      );
    const config = configMap(requireObject(req.body, 'the connector config to validate'), 'config');
    const included = config['connector.class'];
    if (included !== undefined && herder.registry.connector(included) !== plugin) {
      throw new RestError(400, `Included connector type ${included} does not match request type ${requested}`);
    }
    const withClass = { ...config, 'connector.class': included ?? requested };
    const { issues, spec } = await herder.validate(withClass);
    return configInfos(plugin.className, spec ?? plugin.configSpec, withClass, issues);
  });
}
