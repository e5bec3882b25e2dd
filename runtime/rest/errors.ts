import { ConfigError, ConnectError } from '../api/index.js';
import { HerderError } from '../worker/errors.js';

/** Connect's error body, the same for every failed request. */
export interface ErrorBody {
  error_code: number;
  message: string;
}

/** A request the REST layer itself refuses (bad body, bad parameter), with its HTTP status. */
export class RestError extends ConnectError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const FASTIFY_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Request body length does not match Content-Length',
};

/** Status and body for anything a handler threw: herder errors keep their status, unknown errors are 500. */
export function errorBody(err: unknown, maxBodyBytes: number): ErrorBody {
  if (err instanceof HerderError || err instanceof RestError) return { error_code: err.status, message: err.message };
  if (err instanceof ConfigError) return { error_code: 400, message: err.message };
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 600) {
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return { error_code: 413, message: `Request body is larger than rest.max.body.bytes (${maxBodyBytes} bytes)` };
    }
    const message = (typeof e.code === 'string' && FASTIFY_MESSAGES[e.code]) || String(e.message ?? 'Request failed');
    return { error_code: e.statusCode, message };
  }
  return { error_code: 500, message: err instanceof Error ? err.message : String(err) };
}
