import { type Logger, RetriableError } from '../../runtime/api/index.js';
import type { HttpSettings } from './config.js';

/** What the server said to a batch it did not take, when trying again cannot help (a 4xx other than 408 and 429). */
export interface Rejection {
  readonly status: number;
  readonly message: string;
}

const RETRY_AFTER_CAP_MS = 600_000;

/** Retry-After as seconds or an HTTP date, in ms (capped at 10 minutes); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const t = header.trim();
  if (/^\d+$/.test(t)) return Math.min(Number(t) * 1000, RETRY_AFTER_CAP_MS);
  const at = Date.parse(t);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), RETRY_AFTER_CAP_MS);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Sends request bodies with Node's fetch (undici). 2xx: delivered. 408, 429, 5xx and network errors or timeouts:
 * retried http.retry.max times with exponential backoff (a Retry-After header says how long to wait), then a
 * RetriableError for the task runner's backoff. Any other status: a Rejection for the caller to isolate.
 */
export class HttpClient {
  constructor(
    private readonly s: HttpSettings,
    private readonly signal: AbortSignal,
    private readonly log: Logger,
  ) {}

  async send(payload: Buffer, records: number): Promise<Rejection | undefined> {
    let delay = this.s.backoffMs;
    for (let attempt = 0; ; attempt++) {
      let problem: string;
      let wait: number | undefined;
      try {
        const res = await fetch(this.s.url, {
          method: this.s.method,
          headers: this.s.headers,
          body: payload,
          redirect: 'manual',
          signal: AbortSignal.any([this.signal, AbortSignal.timeout(this.s.timeoutMs)]),
        });
        const text = await res.text().catch(() => '');
        if (res.status >= 200 && res.status < 300) return undefined;
        const detail = text.length > 300 ? `${text.slice(0, 300)}…` : text;
        if (res.status >= 300 && res.status < 400) {
          return {
            status: res.status,
            message: `HTTP ${res.status}: http.url redirects (${res.headers.get('location') ?? 'no location'}); point it at the final URL`,
          };
        }
        if (res.status !== 408 && res.status !== 429 && res.status < 500) {
          return { status: res.status, message: `HTTP ${res.status}${detail ? `: ${detail}` : ''}` };
        }
        problem = `HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
        wait = retryAfterMs(res.headers.get('retry-after'));
      } catch (err) {
        if (this.signal.aborted) throw new RetriableError('HTTP sink stopped while sending', { cause: err });
        const e = err as Error & { cause?: { code?: string } };
        problem =
          e.name === 'TimeoutError'
            ? `no answer within http.timeout.ms (${this.s.timeoutMs} ms)`
            : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
      }
      if (attempt >= this.s.retryMax) {
        throw new RetriableError(`HTTP sink: ${records} record(s) not delivered to the endpoint: ${problem}`);
      }
      const ms = wait ?? delay;
      this.log.warn(
        { attempt: attempt + 1, of: this.s.retryMax, waitMs: ms, problem },
        'HTTP request failed; trying again',
      );
      await sleep(ms, this.signal);
      if (this.signal.aborted) throw new RetriableError('HTTP sink stopped while waiting to retry');
      delay = Math.min(delay * 2, this.s.backoffMaxMs);
    }
  }
}
