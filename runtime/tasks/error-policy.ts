import { type ChangeRecord, type Config, type ConnectError, type Logger, traceOf } from '../api/index.js';
import type { RetryPolicy } from './retry.js';

/** A connector's error settings (errors.*), read once. */
export interface ErrorPolicy {
  readonly retry: RetryPolicy;
  readonly tolerateAll: boolean;
  readonly logErrors: boolean;
  readonly logRecords: boolean;
}

export function errorPolicy(config: Config): ErrorPolicy {
  return {
    retry: { timeoutMs: config.int('errors.retry.timeout'), maxDelayMs: config.int('errors.retry.delay.max.ms') },
    tolerateAll: config.string('errors.tolerance') === 'all',
    logErrors: config.bool('errors.log.enable'),
    logRecords: config.bool('errors.log.include.messages'),
  };
}

/** Logs a tolerated error as Connect does: never the record's values, at most where it came from. */
export function logTolerated(policy: ErrorPolicy, log: Logger, err: ConnectError, record: ChangeRecord): void {
  if (!policy.logErrors) return;
  const where = policy.logRecords
    ? { topic: record.topic, sourcePartition: record.sourcePartition, sourceOffset: record.sourceOffset }
    : {};
  log.warn(
    { ...where, stage: err.context.stage, err: traceOf(err) },
    'Error tolerated (errors.tolerance=all); record skipped',
  );
}
