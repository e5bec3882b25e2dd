import { type Config, type ConfigSpec, key } from '../../runtime/api/index.js';

const GROUP = 'HTTP';

export type HttpFormat = 'json' | 'ndjson';

/** The HTTP sink's keys (sluice's own: Debezium Server's HTTP sink is not a Kafka Connect connector). */
export const httpConfigSpec: ConfigSpec = [
  key('http.url', 'string', 'Where each batch goes (http:// or https://).', {
    importance: 'HIGH',
    group: GROUP,
    validate: (v) => {
      try {
        const u = new URL(String(v));
        if (u.protocol !== 'http:' && u.protocol !== 'https:')
          return `http.url must be http:// or https://, not ${u.protocol}`;
        if (u.username || u.password) return 'credentials inside http.url are not accepted: use http.auth.*';
        return undefined;
      } catch {
        return 'http.url is not a URL';
      }
    },
  }),
  key('http.method', 'string', 'POST or PUT.', { default: 'POST', validValues: ['POST', 'PUT'], group: GROUP }),
  key('http.format', 'string', 'json: each batch is a JSON array of records; ndjson: one record per line.', {
    default: 'json',
    validValues: ['json', 'ndjson'],
    group: GROUP,
  }),
  key(
    'http.record.format',
    'string',
    'value: each record is its converted value (as the file sink); record: {"topic","partition","key","value"}.',
    { default: 'value', validValues: ['value', 'record'], group: GROUP },
  ),
  key(
    'http.headers',
    'string',
    'Headers of every request, `Name: value` separated by http.headers.separator; values may be ${env:…} or ${file:…} references.',
    { default: '', group: GROUP },
  ),
  key('http.headers.separator', 'string', 'Separates the headers in http.headers.', { default: '|', group: GROUP }),
  key(
    'http.auth.type',
    'string',
    'none, basic (http.auth.username / http.auth.password) or bearer (http.auth.token).',
    {
      default: 'none',
      validValues: ['none', 'basic', 'bearer'],
      group: GROUP,
    },
  ),
  key('http.auth.username', 'string', 'User for basic authentication.', { default: '', group: GROUP }),
  key('http.auth.password', 'password', 'Password for basic authentication.', { default: '', group: GROUP }),
  key('http.auth.token', 'password', 'Token for bearer authentication.', { default: '', group: GROUP }),
  key('http.timeout.ms', 'long', 'Time a request may take, response included.', {
    default: 30_000,
    min: 1,
    group: GROUP,
  }),
  key('http.batch.size', 'int', 'Most records in one request.', { default: 500, min: 1, max: 1_000_000, group: GROUP }),
  key('http.batch.max.bytes', 'int', 'Most bytes of records in one request (a larger single record goes alone).', {
    default: 1_048_576,
    min: 1,
    group: GROUP,
  }),
  key(
    'http.max.in.flight',
    'int',
    'Requests in flight at once, for different topic-partitions (never two for one: per-key order holds).',
    { default: 4, min: 1, max: 256, group: GROUP },
  ),
  key(
    'http.retry.max',
    'int',
    'Immediate retries of a request that got a 5xx, 408, 429 or a network error, before the task retries with backoff (errors.retry.*).',
    { default: 5, min: 0, group: GROUP },
  ),
  key('http.retry.backoff.ms', 'long', 'First wait before a retry; it doubles each time.', {
    default: 200,
    min: 0,
    group: GROUP,
  }),
  key(
    'http.retry.backoff.max.ms',
    'long',
    'Longest wait between retries (a Retry-After header is honoured up to 10 minutes).',
    {
      default: 10_000,
      min: 0,
      group: GROUP,
    },
  ),
];

export interface HttpSettings {
  readonly url: string;
  readonly method: 'POST' | 'PUT';
  readonly format: HttpFormat;
  readonly recordFormat: 'value' | 'record';
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly batchSize: number;
  readonly batchBytes: number;
  readonly maxInFlight: number;
  readonly retryMax: number;
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
}

/** Parses http.headers and the auth keys into request headers; the message of an error names no value. */
export function requestHeaders(c: Config): Record<string, string> {
  const out: Record<string, string> = {};
  const sep = c.string('http.headers.separator') || '|';
  for (const part of c.string('http.headers').split(sep)) {
    if (part.trim() === '') continue;
    const colon = part.indexOf(':');
    const name = colon < 0 ? '' : part.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      throw new Error(`http.headers: "${colon < 0 ? '…' : name}" is not a header name (write Name: value)`);
    const value = part.slice(colon + 1).trim();
    if (/[\r\n\0]/.test(value)) throw new Error(`http.headers: the value of ${name} has a line break or NUL`);
    out[name] = value;
  }
  const type = c.string('http.auth.type');
  if (type === 'basic') {
    const user = c.string('http.auth.username');
    if (!user) throw new Error('http.auth.type=basic needs http.auth.username');
    out.Authorization = `Basic ${Buffer.from(`${user}:${c.string('http.auth.password')}`).toString('base64')}`;
  } else if (type === 'bearer') {
    const token = c.string('http.auth.token');
    if (!token) throw new Error('http.auth.type=bearer needs http.auth.token');
    if (/[\r\n\0]/.test(token)) throw new Error('http.auth.token has a line break or NUL');
    out.Authorization = `Bearer ${token}`;
  }
  return out;
}

export function readHttpSettings(c: Config): HttpSettings {
  const format = c.string('http.format') as HttpFormat;
  return {
    url: c.string('http.url'),
    method: c.string('http.method') as 'POST' | 'PUT',
    format,
    recordFormat: c.string('http.record.format') as 'value' | 'record',
    headers: {
      'Content-Type': format === 'ndjson' ? 'application/x-ndjson' : 'application/json',
      ...requestHeaders(c),
    },
    timeoutMs: c.int('http.timeout.ms'),
    batchSize: c.int('http.batch.size'),
    batchBytes: c.int('http.batch.max.bytes'),
    maxInFlight: c.int('http.max.in.flight'),
    retryMax: c.int('http.retry.max'),
    backoffMs: c.int('http.retry.backoff.ms'),
    backoffMaxMs: c.int('http.retry.backoff.max.ms'),
  };
}
