import { ConnectError } from '../../api/index.js';

/**
 * A client of Confluent's Schema Registry REST API (Confluent's own registry, Apicurio's `/apis/ccompat/v7`, …)
 * with the behaviour of Confluent's RestService/CachedSchemaRegistryClient that users rely on:
 *  - several URLs (`schema.registry.url=a,b`): a request that fails on one with a network error or a retriable
 *    status (408, 429, 500, 502, 503, 504) is retried there (`max.retries`, backoff `retries.wait.ms` doubling up to
 *    `retries.max.wait.ms`), then goes to the next URL; the one that answered is used first from then on;
 *  - basic auth (`basic.auth.credentials.source` URL or USER_INFO) or a static bearer token;
 *  - caches: schema text → id per subject, id → schema text, so a record never costs a round trip once its schema is
 *    known (the registry's ids are immutable).
 * Errors name the subject and carry the registry's own message: 409 (incompatible), 401/403 (credentials), 422
 * (invalid schema) are final; network errors and 5xx after the retries are retriable, so the task waits for the
 * registry to come back instead of failing.
 */
export interface RegistryOptions {
  readonly urls: readonly string[];
  readonly maxRetries: number;
  readonly retriesWaitMs: number;
  readonly retriesMaxWaitMs: number;
  readonly requestTimeoutMs: number;
  /** `Authorization` header value, if any */
  readonly authorization?: string;
  /** extra headers (target-sr-cluster, Confluent-Identity-Pool-Id) */
  readonly headers?: Readonly<Record<string, string>>;
  /** distinct schemas kept per subject (`max.schemas.per.subject`) */
  readonly maxSchemasPerSubject: number;
}

export interface RegisteredSchema {
  readonly id: number;
  readonly version?: number;
  readonly schema: string;
}

const RETRIABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export class RegistryError extends ConnectError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly errorCode: number | undefined,
    retriable: boolean,
    cause?: unknown,
  ) {
    super(message, { retriable, cause });
  }
}

export class SchemaRegistryClient {
  /** index into urls of the one to try first */
  private current = 0;
  private readonly idsBySubject = new Map<string, Map<string, number>>();
  private readonly schemasById = new Map<number, string>();
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(readonly o: RegistryOptions) {
    if (o.urls.length === 0) throw new ConnectError('schema.registry.url: at least one URL is required');
  }

  /** The id of `schema` under `subject`, registering it when `register` (auto.register.schemas), else looking it up. */
  async idFor(subject: string, schema: string, register: boolean, normalize = false): Promise<number> {
    const cached = this.idsBySubject.get(subject)?.get(schema);
    if (cached !== undefined) return cached;
    return this.once(`id:${register}:${subject}:${schema}`, async () => {
      const body = JSON.stringify({ schema });
      const q = normalize ? '?normalize=true' : '';
      let id: number;
      if (register) {
        const res = (await this.request('POST', `/subjects/${enc(subject)}/versions${q}`, body, subject)) as {
          id: number;
        };
        id = res.id;
      } else {
        const res = (await this.request('POST', `/subjects/${enc(subject)}${q}`, body, subject)) as RegisteredSchema;
        id = res.id;
      }
      if (!Number.isInteger(id))
        throw new RegistryError(`Schema registry answered without an id for subject ${subject}`, 200, undefined, false);
      this.remember(subject, schema, id);
      return id;
    });
  }

  /** The latest version registered under `subject` (use.latest.version). Not cached longer than ttlMs. */
  async latest(subject: string): Promise<RegisteredSchema> {
    return this.once(`latest:${subject}`, async () => {
      const res = (await this.request(
        'GET',
        `/subjects/${enc(subject)}/versions/latest`,
        undefined,
        subject,
      )) as RegisteredSchema;
      this.schemasById.set(res.id, res.schema);
      return res;
    });
  }

  /** The schema text registered with `id` (immutable: cached for good). */
  async schemaById(id: number, subject?: string): Promise<string> {
    const cached = this.schemasById.get(id);
    if (cached !== undefined) return cached;
    return this.once(`schema:${id}`, async () => {
      const res = (await this.request('GET', `/schemas/ids/${id}`, undefined, subject ?? `schema id ${id}`)) as {
        schema: string;
        schemaType?: string;
      };
      if (res.schemaType && res.schemaType !== 'AVRO') {
        throw new RegistryError(`Schema id ${id} is a ${res.schemaType} schema, not Avro`, 200, undefined, false);
      }
      this.schemasById.set(id, res.schema);
      return res.schema;
    });
  }

  cachedId(subject: string, schema: string): number | undefined {
    return this.idsBySubject.get(subject)?.get(schema);
  }

  cachedSchema(id: number): string | undefined {
    return this.schemasById.get(id);
  }

  private remember(subject: string, schema: string, id: number): void {
    let ids = this.idsBySubject.get(subject);
    if (!ids) {
      ids = new Map();
      this.idsBySubject.set(subject, ids);
    }
    if (ids.size >= this.o.maxSchemasPerSubject) {
      throw new RegistryError(
        `Too many schema objects created for ${subject}: more than max.schemas.per.subject=${this.o.maxSchemasPerSubject}`,
        undefined,
        undefined,
        false,
      );
    }
    ids.set(schema, id);
    this.schemasById.set(id, schema);
  }

  /** One request per key at a time: a batch of records with a new schema registers it once. */
  private once<T>(key: string, f: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const p = f().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** A request with retries on one URL, then failover to the next (Confluent's RestService.httpRequest). */
  async request(method: string, path: string, body: string | undefined, subject: string): Promise<unknown> {
    const n = this.o.urls.length;
    let last: unknown;
    for (let i = 0; i < n; i++) {
      const index = (this.current + i) % n;
      const base = this.o.urls[index];
      try {
        const res = await this.withRetries(() => this.send(method, base, path, body, subject));
        this.current = index;
        return res;
      } catch (err) {
        if (err instanceof RegistryError && !err.retriable) throw err;
        last = err;
      }
    }
    throw last;
  }

  private async withRetries<T>(f: () => Promise<T>): Promise<T> {
    let wait = this.o.retriesWaitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await f();
      } catch (err) {
        if (!(err instanceof RegistryError) || !err.retriable || attempt >= this.o.maxRetries) throw err;
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, this.o.retriesMaxWaitMs);
      }
    }
  }

  private async send(
    method: string,
    base: string,
    path: string,
    body: string | undefined,
    subject: string,
  ): Promise<unknown> {
    const url = base.replace(/\/+$/, '') + path;
    const headers: Record<string, string> = { ...this.o.headers, Accept: `${CONTENT_TYPE}, application/json` };
    if (body !== undefined) headers['Content-Type'] = CONTENT_TYPE;
    if (this.o.authorization) headers.Authorization = this.o.authorization;
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.o.requestTimeoutMs) });
    } catch (err) {
      const reason = (err as { cause?: { code?: string; message?: string } }).cause?.code ?? (err as Error).message;
      throw new RegistryError(
        `Schema registry at ${redact(base)} is unreachable (${reason}) for subject ${subject}`,
        undefined,
        undefined,
        true,
        err,
      );
    }
    const text = await res.text().catch(() => '');
    if (res.ok) {
      if (res.status === 204 || text === '') return null;
      try {
        return JSON.parse(text);
      } catch {
        throw new RegistryError(
          `Schema registry at ${redact(base)} answered ${res.status} with a body that is not JSON`,
          res.status,
          undefined,
          true,
        );
      }
    }
    let message = text.slice(0, 500);
    let code: number | undefined;
    try {
      const e = JSON.parse(text) as { message?: unknown; error_code?: unknown };
      if (typeof e.message === 'string') message = e.message;
      if (typeof e.error_code === 'number') code = e.error_code;
    } catch {
      // not JSON: the text itself
    }
    const what =
      res.status === 409
        ? `Schema being registered is incompatible with an earlier schema for subject "${subject}"`
        : res.status === 401 || res.status === 403
          ? `Schema registry refused the credentials (${res.status}) for subject "${subject}"`
          : res.status === 404
            ? `Not found in the schema registry for subject "${subject}"`
            : `Schema registry answered ${res.status} for subject "${subject}"`;
    throw new RegistryError(
      `${what}: ${message} (error code ${code ?? res.status}; ${method} ${redact(base)}${path.split('?')[0]})`,
      res.status,
      code,
      RETRIABLE_STATUS.has(res.status),
    );
  }
}

function enc(subject: string): string {
  return encodeURIComponent(subject);
}

/** A URL without the user info it may carry (basic.auth.credentials.source=URL). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}
