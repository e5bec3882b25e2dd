/**
 * How the page talks to its worker: Kafka Connect's REST API for everything it offers, `/ui/api/…` for the rest.
 * The page is served at `<base>/ui/`; every path is relative to `<base>`, so a reverse proxy's prefix is kept.
 * Credentials: with HTTP basic the browser asks and resends them itself; with a bearer token the page asks for it
 * and keeps it for the tab's session only.
 */

const base = new URL('..', window.location.href).pathname.replace(/\/$/, '');
const TOKEN_KEY = 'sluice.ui.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly challenge?: string,
  ) {
    super(message);
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(body: boolean): Record<string, string> {
  const h: Record<string, string> = {};
  const t = token();
  if (t) h.authorization = `Bearer ${t}`;
  if (body) h['content-type'] = 'application/json';
  return h;
}

/** Listeners told when a request needs credentials the page does not have (the bearer prompt). */
const authListeners = new Set<(challenge: string) => void>();
export function onAuthNeeded(fn: (challenge: string) => void): () => void {
  authListeners.add(fn);
  return () => authListeners.delete(fn);
}

export async function call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(base + path, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not Connect's error body: its text is the message
    }
    const challenge = res.headers.get('www-authenticate') ?? undefined;
    if (res.status === 401) for (const fn of authListeners) fn(challenge ?? '');
    throw new ApiError(res.status, message || `HTTP ${res.status}`, challenge);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string) => call<T>('GET', path);

/** `/connectors/{name}` with the name encoded as one path segment. */
export function cpath(name: string, rest = ''): string {
  return `/connectors/${encodeURIComponent(name)}${rest}`;
}

/**
 * Server-Sent Events read with fetch, not EventSource, so that a bearer token can go in a header. Calls `onEvent`
 * per event until the stream ends or `signal` aborts; resolves then.
 */
export async function streamEvents(
  path: string,
  signal: AbortSignal,
  onEvent: (event: string, data: unknown) => void,
): Promise<void> {
  const res = await fetch(base + path, { headers: headers(false), signal, credentials: 'same-origin' });
  if (!res.ok || !res.body) {
    let message = `HTTP ${res.status}`;
    try {
      message = ((await res.json()) as { message?: string }).message ?? message;
    } catch {
      // keep the status
    }
    if (res.status === 401) for (const fn of authListeners) fn(res.headers.get('www-authenticate') ?? '');
    throw new ApiError(res.status, message);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end < 0) break;
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length) onEvent(event, JSON.parse(data.join('\n')));
    }
  }
}
