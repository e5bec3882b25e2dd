import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConnectError } from '../../api/index.js';

/**
 * Kafka client settings in Java client terms (`bootstrap.servers`, `security.protocol`, `ssl.*`, `sasl.*`, …),
 * resolved for one role. A worker config holds the shared keys; `producer.`, `consumer.` and `admin.` prefixed
 * keys override them for that role, as in Kafka Connect.
 */
export type ClientRole = 'producer' | 'consumer' | 'admin';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface ConnectionSettings {
  brokers: string[];
  clientId: string;
  ssl?: ConnectionOptions;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
}

export interface ProducerSettings {
  idempotent: boolean;
  /** -1 (all) or 1; 0 is refused: nothing could be acknowledged */
  acks: -1 | 1;
  /** upper bound of one produce request's payload; the sender splits larger batches */
  maxRequestBytes: number;
  lingerMs: number;
  /** records waiting for the broker beyond this make `send` wait (Java's buffer.memory) */
  bufferMemoryBytes: number;
  deliveryTimeoutMs: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  compression: Compression;
}

/** What sluice can write (runtime/transport/kafka/codecs.ts); zstd batches it can only read. */
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4';
const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4'];

export interface ConsumerSettings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  fetchMinBytes: number;
  fetchMaxBytes: number;
  fetchMaxWaitMs: number;
  maxPartitionFetchBytes: number;
  fromBeginning: boolean;
}

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;

/** The effective string map for a role: shared keys, then `<role>.` keys with the prefix removed. */
export function roleProperties(worker: Readonly<Record<string, string>>, role: ClientRole): Record<string, string> {
  const out: Record<string, string> = {};
  const roles = ['producer.', 'consumer.', 'admin.'];
  for (const [k, v] of Object.entries(worker)) if (!roles.some((r) => k.startsWith(r))) out[k] = v;
  const prefix = `${role}.`;
  for (const [k, v] of Object.entries(worker)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

function int(props: Record<string, string>, key: string, fallback: number): number {
  const raw = props[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new ConnectError(`Kafka client setting ${key}="${raw}" is not a number`);
  return n;
}

export function connectionSettings(props: Record<string, string>, role: ClientRole): ConnectionSettings {
  const brokers = (props['bootstrap.servers'] ?? '')
    .split(',')
    .map((s) => s.trim().replace(/^[A-Z_]+:\/\//, ''))
    .filter(Boolean);
  if (brokers.length === 0)
    throw new ConnectError('bootstrap.servers is empty: the Kafka transport needs at least one broker');
  const protocol = (props['security.protocol'] ?? 'PLAINTEXT').toUpperCase();
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new ConnectError(`security.protocol="${props['security.protocol']}" is not one of ${PROTOCOLS.join(', ')}`);
  }
  const settings: ConnectionSettings = {
    brokers,
    clientId: props['client.id'] || `sluice-${role}`,
    requestTimeoutMs: int(props, 'request.timeout.ms', 30000),
    connectionTimeoutMs: int(props, 'socket.connection.setup.timeout.ms', 10000),
  };
  if (protocol === 'SSL' || protocol === 'SASL_SSL') settings.ssl = tlsOptions(props);
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') settings.sasl = saslOptions(props);
  return settings;
}

function saslOptions(props: Record<string, string>): NonNullable<ConnectionSettings['sasl']> {
  const mech = (props['sasl.mechanism'] ?? 'GSSAPI').toUpperCase();
  const mechanisms: Record<string, SaslMechanism> = {
    PLAIN: 'plain',
    'SCRAM-SHA-256': 'scram-sha-256',
    'SCRAM-SHA-512': 'scram-sha-512',
  };
  const mechanism = mechanisms[mech];
  if (!mechanism) {
    throw new ConnectError(
      `sasl.mechanism=${mech} is not supported; use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (GSSAPI and OAUTHBEARER are not available)`,
    );
  }
  const jaas = props['sasl.jaas.config'];
  if (!jaas)
    throw new ConnectError(
      'sasl.jaas.config is required with a SASL security.protocol (…LoginModule required username="…" password="…";)',
    );
  const { username, password } = parseJaasConfig(jaas);
  return { mechanism, username, password };
}

/**
 * Reads `username` and `password` from a JAAS line as Kafka's PlainLoginModule / ScramLoginModule take it:
 * `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`
 */
export function parseJaasConfig(text: string): { username: string; password: string } {
  const options = new Map<string, string>();
  const re = /([A-Za-z_][\w.]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;"]+))/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    options.set(m[1], m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]);
  }
  const username = options.get('username');
  const password = options.get('password');
  if (username === undefined || password === undefined) {
    throw new ConnectError('sasl.jaas.config must set username="…" and password="…"');
  }
  return { username, password };
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConnectError(`Cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Maps Java's `ssl.*` keys onto Node's TLS options. Node reads PEM (and PKCS12 for a keystore); JKS is a Java
 * format it cannot read, so a JKS store is refused with the conversion to do.
 */
export function tlsOptions(props: Record<string, string>): ConnectionOptions {
  const tls: ConnectionOptions = {};
  const truststoreType = (props['ssl.truststore.type'] ?? 'JKS').toUpperCase();
  const truststoreInline = props['ssl.truststore.certificates'];
  const truststoreLocation = props['ssl.truststore.location'];
  if (truststoreInline) {
    tls.ca = truststoreInline;
  } else if (truststoreLocation) {
    if (truststoreType !== 'PEM') throw jksError('ssl.truststore', truststoreType, truststoreLocation);
    tls.ca = readPem(truststoreLocation, 'ssl.truststore.location');
  }
  const keystoreType = (props['ssl.keystore.type'] ?? 'JKS').toUpperCase();
  const keyPassword = props['ssl.key.password'] || props['ssl.keystore.password'] || undefined;
  if (props['ssl.keystore.certificate.chain'] && props['ssl.keystore.key']) {
    tls.cert = props['ssl.keystore.certificate.chain'];
    tls.key = props['ssl.keystore.key'];
    if (keyPassword) tls.passphrase = keyPassword;
  } else if (props['ssl.keystore.location']) {
    const location = props['ssl.keystore.location'];
    if (keystoreType === 'PEM') {
      // Kafka's PEM keystore file holds the private key and the certificate chain together.
      const pem = readPem(location, 'ssl.keystore.location');
      tls.cert = pem;
      tls.key = pem;
      if (keyPassword) tls.passphrase = keyPassword;
    } else if (keystoreType === 'PKCS12') {
      try {
        tls.pfx = readFileSync(location);
      } catch (err) {
        throw new ConnectError(`Cannot read ssl.keystore.location ${location}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (props['ssl.keystore.password']) tls.passphrase = props['ssl.keystore.password'];
    } else {
      throw jksError('ssl.keystore', keystoreType, location);
    }
  }
  // Java's empty ssl.endpoint.identification.algorithm turns host name checking off; the chain is still verified.
  if (props['ssl.endpoint.identification.algorithm'] === '') tls.checkServerIdentity = () => undefined;
  return tls;
}

function jksError(prefix: string, type: string, location: string): ConnectError {
  return new ConnectError(
    `${prefix}.type=${type} (${location}) cannot be read by Node.js: JKS is a Java-only format. Convert it to PEM ` +
      `(keytool -importkeystore -srckeystore ${location} -destkeystore store.p12 -deststoretype PKCS12, then ` +
      `openssl pkcs12 -in store.p12 -out store.pem -nodes) and set ${prefix}.type=PEM with ${prefix}.location pointing at the PEM file.`,
  );
}

export function producerSettings(props: Record<string, string>): ProducerSettings {
  const acksRaw = (props.acks ?? 'all').toLowerCase();
  if (acksRaw === '0')
    throw new ConnectError('acks=0 is not supported: sluice commits source offsets only for acknowledged records');
  const acks = acksRaw === 'all' || acksRaw === '-1' ? -1 : 1;
  const idempotent = (props['enable.idempotence'] ?? 'true').toLowerCase() !== 'false';
  if (idempotent && acks !== -1)
    throw new ConnectError(
      'enable.idempotence=true needs acks=all; set producer.enable.idempotence=false to use acks=1',
    );
  const compression = (props['compression.type'] ?? 'none').trim().toLowerCase() as Compression;
  if (!COMPRESSIONS.includes(compression)) {
    throw new ConnectError(
      `compression.type=${compression} is not available for producing: use none, gzip, snappy or lz4 (sluice reads zstd batches but has no zstd compressor)`,
    );
  }
  return {
    idempotent,
    acks,
    maxRequestBytes: int(props, 'max.request.size', 1048576),
    lingerMs: int(props, 'linger.ms', 0),
    bufferMemoryBytes: int(props, 'buffer.memory', 33554432),
    deliveryTimeoutMs: int(props, 'delivery.timeout.ms', 120000),
    retryBackoffMs: int(props, 'retry.backoff.ms', 100),
    retryBackoffMaxMs: int(props, 'retry.backoff.max.ms', 1000),
    compression,
  };
}

export function consumerSettings(props: Record<string, string>): ConsumerSettings {
  const reset = (props['auto.offset.reset'] ?? 'earliest').toLowerCase();
  if (reset !== 'earliest' && reset !== 'latest')
    throw new ConnectError(`auto.offset.reset=${reset} is not supported; use earliest or latest`);
  return {
    sessionTimeoutMs: int(props, 'session.timeout.ms', 45000),
    heartbeatIntervalMs: int(props, 'heartbeat.interval.ms', 3000),
    rebalanceTimeoutMs: int(props, 'max.poll.interval.ms', 300000),
    fetchMinBytes: int(props, 'fetch.min.bytes', 1),
    fetchMaxBytes: int(props, 'fetch.max.bytes', 52428800),
    fetchMaxWaitMs: int(props, 'fetch.max.wait.ms', 500),
    maxPartitionFetchBytes: int(props, 'max.partition.fetch.bytes', 1048576),
    fromBeginning: reset === 'earliest',
  };
}
