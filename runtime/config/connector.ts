import { type Config, type ConfigIssue, type ConfigSpec, type ConnectorPlugin, ConnectError } from '../api/index.js';
import { buildChain } from '../transforms/chain.js';
import type { PluginRegistry } from '../worker/registry.js';
import { connectorCommonSpec, openConnectorPrefixes, sinkCommonSpec, sourceCommonSpec } from './common.js';
import { nearest, parseConfig } from './parse.js';
import { resolveProviders } from './providers.js';

export interface ValidatedConnector {
  plugin: ConnectorPlugin;
  /** parsed against common + connector spec, providers resolved: never show its values */
  config: Config;
  spec: ConfigSpec;
}

export interface ConnectorValidation {
  issues: ConfigIssue[];
  result?: ValidatedConnector;
  /** the plugin, when connector.class resolved (REST validate needs its spec even when there are issues) */
  plugin?: ConnectorPlugin;
  spec?: ConfigSpec;
}

export function specFor(plugin: ConnectorPlugin): ConfigSpec {
  return [
    ...connectorCommonSpec,
    ...(plugin.type === 'source' ? sourceCommonSpec : sinkCommonSpec),
    ...plugin.configSpec,
  ];
}

/**
 * Validates a connector config completely before anything starts: provider references, connector.class,
 * every key of the spec, typos of known keys, the transform chain, and the connector's own checks.
 */
export async function validateConnectorConfig(
  registry: PluginRegistry,
  raw: Readonly<Record<string, string>>,
  options: { deep?: boolean } = {},
): Promise<ConnectorValidation> {
  const issues: ConfigIssue[] = [];
  let resolved: ReturnType<typeof resolveProviders>;
  try {
    resolved = resolveProviders(raw);
  } catch (err) {
    const m = /Config key (\S+)/.exec((err as Error).message);
    return { issues: [{ key: m?.[1] ?? 'config', message: (err as Error).message }] };
  }

  const className = raw['connector.class'];
  const plugin = className ? registry.connector(className) : undefined;
  if (!className) {
    issues.push({
      key: 'connector.class',
      message: 'Missing required configuration "connector.class" which has no default value.',
    });
  } else if (!plugin) {
    const hint = nearest(className, [...registry.names('source'), ...registry.names('sink')]);
    issues.push({
      key: 'connector.class',
      message: `Failed to find any class that implements Connector and which name matches ${className}${hint ? `; did you mean ${hint}?` : ''}`,
    });
  }
  const spec = plugin ? specFor(plugin) : connectorCommonSpec;
  const parsed = parseConfig(spec, resolved.values, {
    reportTypos: plugin !== undefined,
    openPrefixes: openConnectorPrefixes,
    secretKeys: resolved.secretKeys,
  });
  issues.push(...parsed.issues.filter((i) => i.key !== 'connector.class'));
  issues.push(...buildChain(registry, resolved.values).issues);

  if (plugin?.type === 'sink') {
    const topics = parsed.config.list('topics');
    const regex = parsed.config.optionalString('topics.regex');
    if (topics.length === 0 && !regex) {
      issues.push({ key: 'topics', message: 'Must configure one of topics or topics.regex' });
    } else if (topics.length > 0 && regex) {
      issues.push({ key: 'topics.regex', message: 'topics and topics.regex are mutually exclusive' });
    }
  }

  if (plugin && issues.length === 0 && options.deep !== false && plugin.validate) {
    try {
      issues.push(...(await plugin.validate(parsed.config)));
    } catch (err) {
      issues.push({ key: 'connector.class', message: err instanceof ConnectError ? err.describe() : String(err) });
    }
  }
  if (!plugin) return { issues };
  if (issues.length) return { issues, plugin, spec };
  return { issues, plugin, spec, result: { plugin, config: parsed.config, spec } };
}
