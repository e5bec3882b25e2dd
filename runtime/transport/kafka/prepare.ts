import type { ChangeRecord, Logger } from '../../api/index.js';
import { type RetryPolicy, withRetry } from '../../tasks/retry.js';
import type { RecordConverters } from '../transport.js';
import type { IncomingMessage } from './client.js';

/**
 * Converters backed by a service (AvroConverter's schema registry) get ready for a record before the synchronous
 * conversion: a new schema is registered, an unknown schema id fetched. A registry that is down is a retriable
 * error: retried with the connector's errors.retry.* (timeout 0: until it is back, as for a poll), so the task waits
 * instead of failing and nothing is lost. Non-retriable errors (409 incompatible schema, 401/403) fail at once.
 */
export function retryPolicy(raw: Readonly<Record<string, string>>): RetryPolicy {
  const num = (k: string, d: number) => {
    const n = Number(raw[k]);
    return raw[k] !== undefined && Number.isFinite(n) ? n : d;
  };
  return { timeoutMs: num('errors.retry.timeout', 0), maxDelayMs: num('errors.retry.delay.max.ms', 60000) };
}

export interface PrepareContext {
  readonly policy: RetryPolicy;
  readonly where: { connector: string; task: number };
  readonly signal?: AbortSignal;
  readonly log: Logger;
}

/** Whether any of the converters needs preparing at all (JsonConverter and friends do not). */
export function needsPrepare(c: RecordConverters, side: 'from' | 'to'): boolean {
  return side === 'from'
    ? c.key.prepareFromRecord !== undefined || c.value.prepareFromRecord !== undefined
    : c.key.prepareToRecord !== undefined || c.value.prepareToRecord !== undefined;
}

/** Readies key and value converters for writing `r`; the stage of a failure is in the error's context. */
export async function prepareFromRecord(c: RecordConverters, r: ChangeRecord, ctx: PrepareContext): Promise<void> {
  await step(() => c.key.prepareFromRecord?.(r.topic, r.keySchema, r.key), 'KEY_CONVERTER', ctx);
  await step(() => c.value.prepareFromRecord?.(r.topic, r.valueSchema, r.value), 'VALUE_CONVERTER', ctx);
}

/** Readies key and value converters for reading `m`. */
export async function prepareToRecord(c: RecordConverters, m: IncomingMessage, ctx: PrepareContext): Promise<void> {
  await step(() => c.key.prepareToRecord?.(m.topic, m.key), 'KEY_CONVERTER', ctx);
  await step(() => c.value.prepareToRecord?.(m.topic, m.value), 'VALUE_CONVERTER', ctx);
}

async function step(f: () => Promise<void> | undefined, stage: string, ctx: PrepareContext): Promise<void> {
  const first = f();
  if (first === undefined) return;
  let pending: Promise<void> | undefined = first;
  await withRetry(
    async () => {
      const p = pending ?? f();
      pending = undefined;
      await p;
    },
    ctx.policy,
    { ...ctx.where, stage },
    ctx.signal,
    (e, n, d) =>
      ctx.log.warn(
        { ...ctx.where, stage, err: e.describe(), attempt: n, delayMs: d },
        'Converter not ready (schema registry); retrying',
      ),
  );
}
