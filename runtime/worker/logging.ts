import pino from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from '../api/index.js';

export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * Structured JSON logs (pino) bound to connector and task names; a human-readable form on a terminal.
 * Logs go to stderr so that stdout stays free for a connector that prints records (the console sink).
 */
export function createLogger(level = 'info', format: LogFormat = 'auto'): Logger & pino.Logger {
  const usePretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true);
  const options: pino.LoggerOptions = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (usePretty) {
    return pino(
      options,
      pretty({ destination: 2, colorize: process.stderr.isTTY === true, sync: true, ignore: 'pid,hostname' }),
    );
  }
  return pino(options, pino.destination({ fd: 2, sync: false }));
}
