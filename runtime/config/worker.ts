import { type Config, ConfigError, type ConfigIssue, type ConfigSpec, ConnectError, key } from '../api/index.js';
import { validatePolicyValue } from './client-overrides.js';
import { parseConfig } from './parse.js';
import { attachProviders, ConfigProviders, parseProperties } from './providers/index.js';
import { ProviderError, ReadBudget, readRegularFile, realPath } from './providers/read-file.js';
import { readUsersFile } from './users-file.js';

export const JSON_CONVERTER = 'org.apache.kafka.connect.json.JsonConverter';

/** Worker settings, with Kafka Connect's names. */
export const workerSpec: ConfigSpec = [
  key(
    'bootstrap.servers',
    'list',
    'Kafka brokers. Set: records go to Kafka; unset: the embedded direct transport, no Kafka.',
    { default: [], importance: 'HIGH' },
  ),
  key(
    'group.id',
    'string',
    'Distributed mode: the cluster this worker joins (a Kafka consumer group of that name); workers with one group.id share connectors and tasks.',
    { default: null, importance: 'HIGH' },
  ),
  key('key.converter', 'class', 'Default converter for record keys.', { default: JSON_CONVERTER, importance: 'HIGH' }),
  key('value.converter', 'class', 'Default converter for record values.', {
    default: JSON_CONVERTER,
    importance: 'HIGH',
  }),
  key('header.converter', 'class', 'Default converter for headers.', {
    default: 'org.apache.kafka.connect.storage.SimpleHeaderConverter',
    importance: 'LOW',
  }),
  key(
    'offset.storage.file.filename',
    'string',
    'Standalone: the file that holds source offsets. Empty: offsets in memory only (lost at exit).',
    { default: '', importance: 'HIGH' },
  ),
  key(
    'config.storage.file.filename',
    'string',
    'Standalone: the file that holds connector configs and target states created at run time, so they survive a restart.',
    { default: '', importance: 'MEDIUM' },
  ),
  key('offset.storage.topic', 'string', 'Kafka topic for source offsets (Kafka offset store).', {
    default: '',
    importance: 'MEDIUM',
  }),
  key('config.storage.topic', 'string', 'Distributed mode: Kafka topic for connector configs.', {
    default: '',
    importance: 'MEDIUM',
  }),
  key('status.storage.topic', 'string', 'Distributed mode: Kafka topic for statuses.', {
    default: '',
    importance: 'MEDIUM',
  }),
  key(
    'config.storage.replication.factor',
    'int',
    'Distributed mode: replication factor of config.storage.topic when sluice creates it (one partition, compacted); -1 for the broker default.',
    { default: 3, min: -1, importance: 'LOW' },
  ),
  key(
    'status.storage.partitions',
    'int',
    'Distributed mode: partitions of status.storage.topic when sluice creates it (compacted).',
    { default: 5, min: 1, importance: 'LOW' },
  ),
  key(
    'status.storage.replication.factor',
    'int',
    'Distributed mode: replication factor of status.storage.topic when sluice creates it; -1 for the broker default.',
    { default: 3, min: -1, importance: 'LOW' },
  ),
  key(
    'session.timeout.ms',
    'int',
    'Distributed mode: how long the group coordinator waits for a silent worker before its tasks move to the others. Also a default for sink consumers unless consumer.session.timeout.ms is set.',
    { default: 10000, min: 1, importance: 'HIGH' },
  ),
  key(
    'heartbeat.interval.ms',
    'int',
    'Distributed mode: how often a worker tells the group coordinator it is alive (and learns of a rebalance). Also a default for sink consumers unless consumer.heartbeat.interval.ms is set.',
    { default: 3000, min: 1, importance: 'HIGH' },
  ),
  key(
    'rebalance.timeout.ms',
    'int',
    'Distributed mode: how long a worker may take to rejoin after a change in the group, and how long a task assigned to a worker waits for its previous worker to release it before it starts anyway.',
    { default: 60000, min: 1, importance: 'MEDIUM' },
  ),
  key(
    'offset.storage.partitions',
    'int',
    'Kafka offset store: partitions of offset.storage.topic when sluice creates it.',
    { default: 25, min: 1, importance: 'LOW' },
  ),
  key(
    'offset.storage.replication.factor',
    'int',
    'Kafka offset store: replication factor of offset.storage.topic when sluice creates it; -1 for the broker default.',
    { default: 3, min: -1, importance: 'LOW' },
  ),
  key(
    'topic.creation.enable',
    'boolean',
    "Kafka mode: create source topics by the connectors' topic.creation.* rules (KIP-158). Off: topics are left to the broker's auto-creation.",
    { default: true, importance: 'LOW' },
  ),
  key(
    'connector.client.config.override.policy',
    'string',
    "Which Kafka client settings a connector may override with `producer.override.*`, `consumer.override.*` and `admin.override.*` (KIP-458): All, None, Principal (only security.protocol, sasl.mechanism, sasl.jaas.config) or Allowlist (the keys in connector.client.config.override.allowlist). Connect's default since Kafka 3.0.",
    { default: 'All', importance: 'MEDIUM', validate: validatePolicyValue },
  ),
  key(
    'connector.client.config.override.allowlist',
    'list',
    'With the Allowlist policy: the client settings (without prefix, e.g. `linger.ms`) connectors may override.',
    { default: [], importance: 'LOW' },
  ),
  key(
    'security.protocol',
    'string',
    'Kafka mode: protocol to reach the brokers; `producer.`, `consumer.`, `admin.` prefixed keys override it per client.',
    { default: 'PLAINTEXT', validValues: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'], importance: 'MEDIUM' },
  ),
  key('sasl.mechanism', 'string', 'Kafka mode: SASL mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512).', {
    default: 'GSSAPI',
    importance: 'MEDIUM',
  }),
  key('sasl.jaas.config', 'password', 'Kafka mode: JAAS line giving username="…" password="…" for PLAIN and SCRAM.', {
    default: null,
    importance: 'MEDIUM',
  }),
  key(
    'ssl.truststore.type',
    'string',
    'Kafka mode: PEM (file or ssl.truststore.certificates). JKS cannot be read by Node.js: convert it to PEM.',
    { default: 'JKS', importance: 'MEDIUM' },
  ),
  key(
    'ssl.truststore.location',
    'string',
    "Kafka mode: CA certificates (PEM file) the brokers' certificates are checked against.",
    { default: null, importance: 'MEDIUM' },
  ),
  key('ssl.truststore.password', 'password', 'Accepted for compatibility; PEM trust stores have no password.', {
    default: null,
    importance: 'LOW',
  }),
  key(
    'ssl.keystore.type',
    'string',
    'Kafka mode: PEM or PKCS12 client key store (mutual TLS). JKS cannot be read by Node.js: convert it.',
    { default: 'JKS', importance: 'MEDIUM' },
  ),
  key(
    'ssl.keystore.location',
    'string',
    'Kafka mode: client key and certificate chain (PEM file with both, or PKCS12).',
    { default: null, importance: 'MEDIUM' },
  ),
  key('ssl.keystore.password', 'password', 'Kafka mode: password of a PKCS12 key store.', {
    default: null,
    importance: 'LOW',
  }),
  key('ssl.key.password', 'password', 'Kafka mode: password of the private key in a PEM key store.', {
    default: null,
    importance: 'LOW',
  }),
  key(
    'ssl.endpoint.identification.algorithm',
    'string',
    'Kafka mode: `https` checks the broker host name against its certificate; empty turns that check off (the chain is still verified).',
    { default: 'https', importance: 'LOW' },
  ),
  key('offset.flush.interval.ms', 'long', 'How often source offsets are committed.', {
    default: 60000,
    min: 1,
    importance: 'LOW',
  }),
  key(
    'offset.flush.timeout.ms',
    'long',
    'How long a commit waits for records to be acknowledged before it commits what is acknowledged.',
    { default: 5000, min: 1, importance: 'LOW' },
  ),
  key('task.shutdown.graceful.timeout.ms', 'long', 'How long a stopping task may take to flush and commit.', {
    default: 5000,
    min: 0,
    importance: 'LOW',
  }),
  key(
    'listeners',
    'list',
    'REST listener: http://host:port (the first entry; http only, put TLS in front). Empty: no REST endpoint.',
    {
      default: ['http://0.0.0.0:8083'],
      importance: 'LOW',
    },
  ),
  key('rest.advertised.host.name', 'string', 'Host name shown as worker_id.', { default: null, importance: 'LOW' }),
  key('rest.advertised.port', 'int', 'Port shown as worker_id.', { default: null, importance: 'LOW' }),
  key(
    'rest.auth.users.file',
    'string',
    'A properties file of `user=password` lines (re-read when it changes); when set, every REST call, /health and /metrics included, needs HTTP basic credentials (or the bearer token when that is set too).',
    { default: null, importance: 'MEDIUM' },
  ),
  key(
    'rest.auth.bearer.token',
    'password',
    'When set, every REST call, /health and /metrics included, needs `Authorization: Bearer <token>` (or basic credentials when rest.auth.users.file is set too).',
    {
      default: null,
      importance: 'MEDIUM',
    },
  ),
  key('rest.max.body.bytes', 'int', 'Largest accepted REST request body, in bytes; larger ones get 413.', {
    default: 1048576,
    min: 1024,
    importance: 'LOW',
  }),
  key(
    'ui.enable',
    'boolean',
    'Serve the operator dashboard at /ui on the REST listener, with the same credentials as REST (docs/ui.md). false: no /ui pages and no /ui/api endpoints.',
    { default: true, importance: 'LOW' },
  ),
  key(
    'ui.inspector.enable',
    'boolean',
    "The dashboard's event inspector: a sampled live tail of a connector's records (secret-named fields masked). false: the dashboard shows no record content.",
    { default: true, importance: 'LOW' },
  ),
  key(
    'ui.inspector.masked.fields',
    'list',
    'The event inspector shows `[hidden]` for every field, key or header whose name contains one of these words (case-insensitive), at any depth.',
    {
      default: ['password', 'passwd', 'secret', 'token', 'credential', 'api_key', 'apikey', 'api.key', 'private_key'],
      importance: 'LOW',
    },
  ),
  key('plugin.path', 'list', 'Accepted for compatibility; plugins are built in.', { default: [], importance: 'LOW' }),
  key(
    'config.providers',
    'list',
    "Names of the config providers worker and connector configs may refer to as `${name:path:key}`; each needs `config.providers.<name>.class` (FileConfigProvider, DirectoryConfigProvider or EnvVarConfigProvider, Kafka's class names) and takes `config.providers.<name>.param.*` (`allowed.paths`, `allowlist.pattern`). Empty: none, and every reference is refused. See docs/security.md.",
    { default: [], importance: 'LOW' },
  ),
  key('log.level', 'string', 'Log level.', {
    default: 'info',
    validValues: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
    importance: 'LOW',
  }),
  key('log.format', 'string', 'json, pretty, or auto (pretty on a terminal).', {
    default: 'auto',
    validValues: ['auto', 'json', 'pretty'],
    importance: 'LOW',
  }),
];

/** Prefixes whose worker keys are free-form (Kafka client settings, converters, providers). */
export const openWorkerPrefixes = [
  'producer.',
  'consumer.',
  'admin.',
  'ssl.',
  'sasl.',
  'security.',
  'key.converter.',
  'value.converter.',
  'header.converter.',
  'config.providers.',
  'topic.creation.',
  'offset.storage.',
  'config.storage.',
  'status.storage.',
];

export interface WorkerConfig {
  config: Config;
  /** raw (unresolved) values, for anything shown to a user */
  raw: Record<string, string>;
}

/**
 * Parses a worker config: the providers it declares (`config.providers*`, taken as written), then every other key
 * with their references resolved. Every problem is reported in one ConfigError: a declaration, a reference that
 * cannot be resolved, and each other key.
 */
export function parseWorkerConfig(raw: Record<string, string>): WorkerConfig {
  const declared = ConfigProviders.declare(raw);
  const resolved = declared.providers.resolve(raw, (k) => k === PROVIDERS || k.startsWith(`${PROVIDERS}.`));
  const { config, issues } = parseConfig(workerSpec, resolved.values, {
    reportTypos: true,
    openPrefixes: openWorkerPrefixes,
    secretKeys: resolved.secretKeys,
  });
  const all = [
    ...declared.issues,
    ...resolved.issues,
    ...issues.filter((i) => !resolved.unresolved.has(i.key)),
    ...usersFileIssues(config),
  ];
  if (all.length) throw new ConfigError(all, 'Invalid worker configuration');
  attachProviders(config, declared.providers);
  return { config, raw };
}

const PROVIDERS = 'config.providers';

/** An unreadable, empty or malformed users file is a config problem, found before anything starts. */
function usersFileIssues(config: Config): ConfigIssue[] {
  const path = config.optionalString('rest.auth.users.file');
  if (!path) return [];
  try {
    readUsersFile(path);
    return [];
  } catch (err) {
    return [{ key: 'rest.auth.users.file', message: (err as Error).message.replace(/^rest\.auth\.users\.file: /, '') }];
  }
}

/** Reads a worker file: JSON (`{…}`) or Java properties, as Connect's `connect-standalone.properties`. */
export function readWorkerFile(path: string): Record<string, string> {
  return parseConfigText(path, readConfigFile(path, 'worker config'), false);
}

/**
 * A worker or connector config file, read as providers read files: a regular file of at most a megabyte, so
 * `sluice standalone /dev/zero` is one clear line rather than a worker reading without end.
 */
export function readConfigFile(path: string, what: string): string {
  try {
    return readRegularFile(realPath(path), new ReadBudget());
  } catch (err) {
    throw new ConnectError(`Cannot read ${what}: ${err instanceof ProviderError ? err.message : String(err)}`);
  }
}

export function parseConfigText(path: string, text: string, connector: boolean): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(trimmed);
    } catch (err) {
      throw new ConnectError(`${path} is not valid JSON: ${(err as Error).message}`);
    }
    if (connector && isRecord(obj) && isRecord(obj.config)) {
      const cfg = stringifyValues(path, obj.config);
      if (typeof obj.name === 'string' && cfg.name === undefined) cfg.name = obj.name;
      return cfg;
    }
    if (!isRecord(obj)) throw new ConnectError(`${path} must hold a JSON object`);
    return stringifyValues(path, obj);
  }
  // Java properties, as Connect's own connector and worker .properties files.
  return Object.fromEntries(parseProperties(text));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Connect configs are string maps; JSON numbers and booleans are accepted and kept as their text. */
export function stringifyValues(where: string, obj: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = v.join(',');
    else throw new ConnectError(`${where}: value of "${k}" must be a string, number or boolean`);
  }
  return out;
}
