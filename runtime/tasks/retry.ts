import { asConnectError, type ConnectError, type ErrorContext } from '../api/index.js';

export interface RetryPolicy {
  /** ms; > 0 bounds the total time spent retrying, otherwise retriable errors retry without limit */
  readonly timeoutMs: number;
  readonly maxDelayMs: number;
}

export function isRetriable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}

/** Resolves after ms, or at once (false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `op`, retrying retriable errors with exponential backoff (300 ms doubling, capped at maxDelayMs) until
 * the policy's timeout. A non-retriable error, an expired timeout or an abort rethrows the last error as a
 * ConnectError with `context`.
 */
export async function withRetry<T>(
  op: () => Promise<T>,
  policy: RetryPolicy,
  context: ErrorContext,
  signal: AbortSignal | undefined,
  onRetry?: (err: ConnectError, attempt: number, delayMs: number) => void,
): Promise<T> {
  const started = Date.now();
  let delay = 300;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const e = asConnectError(err, context);
      if (!isRetriable(err) || signal?.aborted) throw e;
      const elapsed = Date.now() - started;
      if (policy.timeoutMs > 0 && elapsed + delay > policy.timeoutMs) throw e;
      onRetry?.(e, attempt, delay);
      if (!(await sleep(delay, signal))) throw e;
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}

/**
 * What an operator sees while a task retries a retriable error (the `retrying` field of a task's status): when
 * this run of failures began (epoch ms), how many attempts failed so far, and the last error. Connect's status
 * has no place for it: a task stays RUNNING while Connect's own runners retry.
 */
export interface RetryingStatus {
  readonly since: number;
  readonly attempt: number;
  readonly error: string;
}

/**
 * A task's retry state: set by each failed attempt of a retried operation, cleared when one succeeds (or when the
 * retries give up and the task fails, which FAILED and its trace then say).
 */
export class RetryTracker {
  private current: RetryingStatus | undefined;

  constructor(private readonly onChange: (status: RetryingStatus | undefined) => void) {}

  get status(): RetryingStatus | undefined {
    return this.current;
  }

  failed(err: ConnectError, attempt: number): void {
    this.current = { since: this.current?.since ?? Date.now(), attempt, error: err.describe() };
    this.onChange(this.current);
  }

  clear(): void {
    if (this.current === undefined) return;
    this.current = undefined;
    this.onChange(undefined);
  }

  /** withRetry that keeps this state: each failed attempt is recorded, success or giving up clears it. */
  async run<T>(
    op: () => Promise<T>,
    policy: RetryPolicy,
    context: ErrorContext,
    signal: AbortSignal | undefined,
    onRetry?: (err: ConnectError, attempt: number, delayMs: number) => void,
  ): Promise<T> {
    try {
      return await withRetry(op, policy, context, signal, (e, n, d) => {
        this.failed(e, n);
        onRetry?.(e, n, d);
      });
    } finally {
      this.clear();
    }
  }
}
