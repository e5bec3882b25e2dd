import { type Config, ConfigError, type ConfigIssue, defineConverter, key } from '../../api/index.js';
import { AvroConverter, type SubjectNameStrategy } from './converter.js';
import { redact, SchemaRegistryClient } from './registry.js';

const STRATEGIES: Record<string, SubjectNameStrategy> = {
  'io.confluent.kafka.serializers.subject.TopicNameStrategy': 'TopicNameStrategy',
  'io.confluent.kafka.serializers.subject.RecordNameStrategy': 'RecordNameStrategy',
  'io.confluent.kafka.serializers.subject.TopicRecordNameStrategy': 'TopicRecordNameStrategy',
  TopicNameStrategy: 'TopicNameStrategy',
  RecordNameStrategy: 'RecordNameStrategy',
  TopicRecordNameStrategy: 'TopicRecordNameStrategy',
};

const strategyKey = (name: string) =>
  key(
    name,
    'class',
    "How the subject is named: TopicNameStrategy (<topic>-key / <topic>-value), RecordNameStrategy (the record's full name) or TopicRecordNameStrategy (<topic>-<record full name>); Confluent's class names or the short ones.",
    {
      default: 'io.confluent.kafka.serializers.subject.TopicNameStrategy',
      validate: (v) =>
        typeof v === 'string' && STRATEGIES[v] === undefined ? `unknown subject name strategy ${v}` : undefined,
    },
  );

const configSpec = [
  key(
    'schema.registry.url',
    'list',
    "Comma-separated URLs of the schema registry (Confluent's API; Apicurio: http://host:8080/apis/ccompat/v7). A request failing on one is retried on the next.",
    {
      default: null,
      importance: 'HIGH',
    },
  ),
  key(
    'apicurio.registry.url',
    'string',
    "Apicurio's converter key: the registry's base or v2/v3 API URL; sluice talks to its Confluent-compatible API (/apis/ccompat/v7) and writes Confluent's wire format.",
    {
      default: null,
    },
  ),
  key(
    'basic.auth.credentials.source',
    'string',
    'Where basic auth credentials come from: URL (user info in schema.registry.url) or USER_INFO (basic.auth.user.info).',
    {
      default: 'URL',
      validValues: ['URL', 'USER_INFO', 'SASL_INHERIT'],
    },
  ),
  key('basic.auth.user.info', 'password', 'user:password for the registry (basic.auth.credentials.source=USER_INFO).', {
    default: null,
    deprecatedNames: ['schema.registry.basic.auth.user.info'],
  }),
  key('bearer.auth.credentials.source', 'string', 'STATIC_TOKEN: send bearer.auth.token as `Authorization: Bearer`.', {
    default: null,
    validValues: ['STATIC_TOKEN', 'OAUTHBEARER', 'SASL_OAUTHBEARER_INHERIT', 'CUSTOM'],
  }),
  key('bearer.auth.token', 'password', 'The bearer token (bearer.auth.credentials.source=STATIC_TOKEN).', {
    default: null,
  }),
  key('bearer.auth.logical.cluster', 'string', "Sent as the target-sr-cluster header (Confluent Cloud's registry).", {
    default: null,
  }),
  key('bearer.auth.identity.pool.id', 'string', 'Sent as the Confluent-Identity-Pool-Id header.', { default: null }),
  key(
    'auto.register.schemas',
    'boolean',
    'Register a schema the subject does not have yet; false: look it up and fail if it is not registered.',
    {
      default: true,
    },
  ),
  key(
    'use.latest.version',
    'boolean',
    "Write with the subject's latest registered schema (records are resolved into it), instead of the connector's own.",
    {
      default: false,
    },
  ),
  key(
    'latest.cache.ttl.sec',
    'long',
    'How long the latest version of a subject is trusted before it is fetched again (use.latest.version).',
    {
      default: 60,
    },
  ),
  key('normalize.schemas', 'boolean', 'Ask the registry to normalize schemas when registering or looking up.', {
    default: false,
  }),
  strategyKey('key.subject.name.strategy'),
  strategyKey('value.subject.name.strategy'),
  key(
    'schemas.cache.config',
    'int',
    'Accepted for compatibility: conversions are cached per Connect schema for as long as the schema is in use.',
    {
      default: 1000,
      min: 0,
    },
  ),
  key(
    'enhanced.avro.schema.support',
    'boolean',
    'Connect strings with io.confluent.connect.avro.Enum parameters are written as Avro enums, and Avro enums read back with their names.',
    {
      default: false,
    },
  ),
  key(
    'connect.meta.data',
    'boolean',
    'Write connect.name, connect.version, connect.parameters, connect.doc and connect.default into the Avro schema.',
    {
      default: true,
    },
  ),
  key(
    'scrub.invalid.names',
    'boolean',
    'Rewrite record and field names Avro does not accept (as Confluent does), instead of failing the record.',
    {
      default: false,
    },
  ),
  key('max.schemas.per.subject', 'int', 'Most distinct schemas one subject may take from this converter.', {
    default: 1000,
    min: 1,
  }),
  key('max.retries', 'int', 'Retries of a registry request on one URL after a network error or a 408/429/5xx answer.', {
    default: 3,
    min: 0,
  }),
  key('retries.wait.ms', 'int', 'First wait between retries (doubles each time).', { default: 1000, min: 0 }),
  key('retries.max.wait.ms', 'int', 'Longest wait between retries.', { default: 20000, min: 0 }),
  key('http.read.timeout.ms', 'int', 'How long one registry request may take.', { default: 60000, min: 1 }),
  key('http.connect.timeout.ms', 'int', 'Accepted for compatibility (http.read.timeout.ms bounds the whole request).', {
    default: 60000,
    min: 1,
  }),
];

/** Confluent's and Apicurio's keys to a registry client and a converter. */
export function createAvroConverter(config: Config, isKey: boolean): AvroConverter {
  const issues: ConfigIssue[] = [];
  let urls = config
    .list('schema.registry.url')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  const apicurio = config.optionalString('apicurio.registry.url');
  if (urls.length === 0 && apicurio) urls = [ccompatUrl(apicurio)];
  if (urls.length === 0)
    issues.push({
      key: 'schema.registry.url',
      message: 'Missing required configuration "schema.registry.url" which has no default value.',
    });
  let userInfo: string | undefined;
  const plain: string[] = [];
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      issues.push({ key: 'schema.registry.url', message: `Invalid URL ${redact(u)}` });
      continue;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      issues.push({ key: 'schema.registry.url', message: `Invalid URL ${redact(u)}: http or https only` });
      continue;
    }
    if (parsed.username) userInfo ??= `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
    plain.push(redact(u));
  }
  let authorization: string | undefined;
  const basicSource = config.string('basic.auth.credentials.source');
  const bearerSource = config.optionalString('bearer.auth.credentials.source');
  if (bearerSource) {
    if (bearerSource !== 'STATIC_TOKEN') {
      issues.push({
        key: 'bearer.auth.credentials.source',
        message: `${bearerSource} is not supported by sluice; use STATIC_TOKEN with bearer.auth.token`,
      });
    }
    const token = config.optionalString('bearer.auth.token');
    if (!token)
      issues.push({ key: 'bearer.auth.token', message: 'required with bearer.auth.credentials.source=STATIC_TOKEN' });
    else authorization = `Bearer ${token}`;
  } else if (basicSource === 'USER_INFO') {
    const info = config.optionalString('basic.auth.user.info');
    if (!info)
      issues.push({ key: 'basic.auth.user.info', message: 'required with basic.auth.credentials.source=USER_INFO' });
    else authorization = `Basic ${Buffer.from(info, 'utf8').toString('base64')}`;
  } else if (basicSource === 'SASL_INHERIT') {
    issues.push({
      key: 'basic.auth.credentials.source',
      message: 'SASL_INHERIT is not supported by sluice; use USER_INFO',
    });
  } else if (userInfo !== undefined) authorization = `Basic ${Buffer.from(userInfo, 'utf8').toString('base64')}`;
  const strategyName = config.string(isKey ? 'key.subject.name.strategy' : 'value.subject.name.strategy');
  if (issues.length > 0) throw new ConfigError(issues, 'Invalid AvroConverter configuration');
  const headers: Record<string, string> = {};
  const cluster = config.optionalString('bearer.auth.logical.cluster');
  const pool = config.optionalString('bearer.auth.identity.pool.id');
  if (cluster) headers['target-sr-cluster'] = cluster;
  if (pool) headers['Confluent-Identity-Pool-Id'] = pool;
  const registry = new SchemaRegistryClient({
    urls: plain,
    maxRetries: config.int('max.retries'),
    retriesWaitMs: config.int('retries.wait.ms'),
    retriesMaxWaitMs: config.int('retries.max.wait.ms'),
    requestTimeoutMs: config.int('http.read.timeout.ms'),
    authorization,
    headers,
    maxSchemasPerSubject: config.int('max.schemas.per.subject'),
  });
  return new AvroConverter(registry, {
    isKey,
    autoRegister: config.bool('auto.register.schemas'),
    useLatestVersion: config.bool('use.latest.version'),
    normalize: config.bool('normalize.schemas'),
    subjectStrategy: STRATEGIES[strategyName],
    latestTtlMs: config.int('latest.cache.ttl.sec') * 1000,
    connectMetaData: config.bool('connect.meta.data'),
    enhancedSchemaSupport: config.bool('enhanced.avro.schema.support'),
    scrubInvalidNames: config.bool('scrub.invalid.names'),
  });
}

/** Apicurio's registry URL (…/apis/registry/v2, …/apis/registry/v3 or the bare host) to its Confluent-compatible API. */
export function ccompatUrl(url: string): string {
  const base = url.replace(/\/+$/, '');
  if (/\/apis\/ccompat\/v\d+$/.test(base)) return base;
  const host = base.replace(/\/apis\/registry\/v\d+$/, '').replace(/\/apis$/, '');
  return `${host}/apis/ccompat/v7`;
}

export const avroConverterPlugin = defineConverter({
  name: 'avro',
  className: 'io.confluent.connect.avro.AvroConverter',
  version: '1.0.0',
  doc: "Confluent's AvroConverter: Avro in Confluent's wire format with a schema registry (Confluent's API).",
  configSpec,
  create: (config, isKey) => createAvroConverter(config, isKey),
});

/**
 * Apicurio's converter class name, as an alias: the same converter (Confluent's wire format through Apicurio's
 * Confluent-compatible API), reading `apicurio.registry.url` when `schema.registry.url` is not set.
 */
export const apicurioAvroConverterPlugin = defineConverter({
  name: 'apicurio-avro',
  className: 'io.apicurio.registry.utils.converter.AvroConverter',
  version: '1.0.0',
  doc: "Apicurio's AvroConverter name for the same converter: Confluent's wire format through Apicurio's /apis/ccompat/v7.",
  configSpec,
  create: (config, isKey) => createAvroConverter(config, isKey),
});
