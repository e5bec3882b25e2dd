import { type Config, type ConfigIssue, type ConfigSpec, type ConnectorPlugin, ConnectError } from '../api/index.js';
import { buildChain } from '../transforms/chain.js';
import type { PluginRegistry } from '../worker/registry.js';
import { connectorCommonSpec, openConnectorPrefixes, sinkCommonSpec, sourceCommonSpec } from './common.js';
import { nearest, parseConfig } from './parse.js';
import { ConfigProviders, type Resolved, scrubSecrets, workerProviders } from './providers/index.js';
import { clientOverrideIssues, overridePolicy } from './client-overrides.js';

export interface ValidatedConnector {
  plugin: ConnectorPlugin;
  /** parsed against common + connector spec, providers resolved: never show its values */
  config: Config;
  spec: ConfigSpec;
  /** the raw config with its provider references resolved */
  resolved: Resolved;
}

/**
 * The longest connector name accepted. Connect's own rule is only "non-empty, no ISO control characters", but its
 * REST endpoint (Jetty, 8 KiB request headers) cannot address a name much longer than a few kilobytes; sluice caps
 * names where every place a name goes (URLs, metric labels, Kafka client ids and group ids, log lines) still works.
 */
export const MAX_CONNECTOR_NAME_LENGTH = 255;

/** Why a connector name is refused, or undefined. Connect's rules, plus the length cap. */
export function connectorNameProblem(name: string): string | undefined {
  if (name === '') return 'Connector name is required';
  if (name.length > MAX_CONNECTOR_NAME_LENGTH)
    return `Connector name is ${name.length} characters long; a name may have at most ${MAX_CONNECTOR_NAME_LENGTH}`;
  if (name.includes('/')) return "Connector name should not contain '/'";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse control characters
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'Connector name should not contain ISO control characters';
  // A lone UTF-16 surrogate has no UTF-8 form: such a name could be neither put in a URL nor written to a file.
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(name))
    return 'Connector name is not valid Unicode (it holds a lone surrogate)';
  return undefined;
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
  options: { deep?: boolean; providers?: ConfigProviders } = {},
): Promise<ConnectorValidation> {
  // A reference that cannot be resolved is one problem among the others: its key is left out of the checks that
  // would only repeat it, every other key is still checked.
  const resolved = (options.providers ?? ConfigProviders.NONE).resolve(raw);
  const issues: ConfigIssue[] = [...resolved.issues];
  const own = (i: ConfigIssue) => !resolved.unresolved.has(i.key);

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
  issues.push(...parsed.issues.filter((i) => i.key !== 'connector.class' && own(i)));
  issues.push(...buildChain(registry, resolved.values).issues.filter(own));

  if (plugin?.type === 'sink' && !resolved.unresolved.has('topics') && !resolved.unresolved.has('topics.regex')) {
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
  // A message may quote a value (a host name the connector could not reach), and a key may be made of one (a
  // transform alias): none that came from a provider is shown.
  const shown = issues.map((i) => ({
    key: scrubSecrets(i.key, resolved.secrets),
    message: scrubSecrets(i.message, resolved.secrets),
  }));
  if (!plugin) return { issues: shown };
  if (shown.length) return { issues: shown, plugin, spec };
  return { issues: shown, plugin, spec, result: { plugin, config: parsed.config, spec, resolved } };
}

/**
 * A connector config checked as a worker runs it: everything validateConnectorConfig checks, with the worker's
 * config providers, plus converter classes and the worker's client override policy (KIP-458).
 */
export async function validateForWorker(
  registry: PluginRegistry,
  worker: Config,
  raw: Readonly<Record<string, string>>,
  options: { deep?: boolean } = {},
): Promise<ConnectorValidation> {
  const v = await validateConnectorConfig(registry, raw, { ...options, providers: workerProviders(worker) });
  const more: ConfigIssue[] = [];
  for (const kind of ['key', 'value', 'header'] as const) {
    const cls = raw[`${kind}.converter`];
    if (cls && !registry.find('converter', cls))
      more.push({ key: `${kind}.converter`, message: `Class ${cls} could not be found.` });
  }
  if (v.plugin) more.push(...clientOverrideIssues(overridePolicy(worker.raw), v.plugin.type, raw));
  if (more.length === 0) return v;
  return { issues: [...v.issues, ...more], plugin: v.plugin, spec: v.spec };
}
