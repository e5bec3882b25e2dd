import { CliError, printable } from './io.js';

/** How `sluice connectors …` finds a worker: flags first, then the environment, then Connect's default port. */
export interface WorkerTargetOptions {
  url?: string;
  /** `user` or `user:password` (HTTP basic, the worker's rest.auth.users.file) */
  user?: string;
  /** a bearer token (the worker's rest.auth.bearer.token) */
  token?: string;
}

export const DEFAULT_URL = 'http://localhost:8083';
const TIMEOUT_MS = 30_000;
/** An answer larger than this is not one a worker gives; refuse it rather than hold it all. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export interface RestAnswer<T> {
  status: number;
  body: T | undefined;
}

/**
 * A client for one worker's REST API: Kafka Connect's paths, its `{"error_code","message"}` errors turned into one
 * line each, and credentials as the worker asks for them. The URL may carry `user:password@`; it is never
 * printed with them.
 */
export class RestClient {
  readonly url: string;
  private readonly authorization: string | undefined;
  private readonly sendsCredentials: boolean;

  constructor(o: WorkerTargetOptions, env: NodeJS.ProcessEnv) {
    const raw = o.url || env.SLUICE_URL || DEFAULT_URL;
    let u: URL;
    try {
      u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
    } catch {
      throw new CliError(`--url ${printable(raw)} is not a URL (e.g. http://localhost:8083)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new CliError(`--url must be an http:// or https:// URL, not ${printable(u.protocol)}`);
    const fromUrl = u.username ? basic(decodeURIComponent(u.username), decodeURIComponent(u.password)) : undefined;
    u.username = '';
    u.password = '';
    this.url = u.toString().replace(/\/+$/, '');

    const token = o.token ?? env.SLUICE_TOKEN;
    const user = o.user ?? env.SLUICE_USER;
    if (token) this.authorization = `Bearer ${token}`;
    else if (user) {
      const colon = user.indexOf(':');
      const password = colon >= 0 ? user.slice(colon + 1) : env.SLUICE_PASSWORD;
      const name = colon >= 0 ? user.slice(0, colon) : user;
      if (password === undefined)
        throw new CliError(`no password for user ${printable(name)}: set SLUICE_PASSWORD, or --user ${name}:PASSWORD`);
      this.authorization = basic(name, password);
    } else this.authorization = fromUrl;
    this.sendsCredentials = this.authorization !== undefined;
  }

  async get<T>(path: string): Promise<T> {
    return (await this.call<T>('GET', path)).body as T;
  }

  /** One request; a status of 400 or more becomes a CliError carrying the worker's message. */
  async call<T>(method: string, path: string, body?: unknown): Promise<RestAnswer<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.authorization) headers.authorization = this.authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (err) {
      throw new CliError(this.unreachable(err));
    }
    const text = await readText(res, this.url);
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new CliError(
          `unexpected answer from ${this.url}${path}: HTTP ${res.status}, ${printable(res.headers.get('content-type') ?? 'no content type')}, not JSON; is this a sluice or Kafka Connect worker?`,
        );
      }
    }
    if (res.status === 401)
      throw new CliError(
        this.sendsCredentials
          ? `the worker at ${this.url} refused these credentials (HTTP 401)`
          : `the worker at ${this.url} asks for credentials (HTTP 401): give --user NAME:PASSWORD (HTTP basic) or set SLUICE_TOKEN (bearer)`,
      );
    if (res.status >= 400) {
      const message = (parsed as { message?: unknown } | undefined)?.message;
      throw new CliError(`${typeof message === 'string' ? printable(message) : 'request failed'} (HTTP ${res.status})`);
    }
    return { status: res.status, body: parsed as T | undefined };
  }

  private unreachable(err: unknown): string {
    const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
    if (e.name === 'TimeoutError') return `no answer from the worker at ${this.url} within ${TIMEOUT_MS / 1000} s`;
    const code = e.cause?.code;
    const why =
      code === 'ECONNREFUSED'
        ? 'connection refused: is the worker running, and is this its listeners address?'
        : code === 'ENOTFOUND'
          ? 'unknown host'
          : printable(e.cause?.message ?? e.message ?? String(err));
    return `cannot reach the worker at ${this.url} (${why}); set --url or SLUICE_URL`;
  }
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

async function readText(res: Response, url: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_ANSWER_BYTES) {
    await res.body?.cancel();
    throw new CliError(`the answer from ${url} is ${declared} bytes; more than a worker sends`);
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await res.body.cancel().catch(() => undefined);
      throw new CliError(`the answer from ${url} is over ${MAX_ANSWER_BYTES} bytes; more than a worker sends`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A connector name as a path segment. */
export function connectorPath(name: string, rest = ''): string {
  return `/connectors/${encodeURIComponent(name)}${rest}`;
}
