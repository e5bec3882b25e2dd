import type { Logger } from '../api/plugins.js';
import { createLogger, type LogFormat } from '../worker/logging.js';

/** A logger that drops everything (`logger: false`). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

/** The logger a capture or worker uses: the application's, none, or pino's JSON lines on stderr. */
export function loggerFor(option: Logger | false | undefined, level: string, format: LogFormat = 'auto'): Logger {
  if (option === false) return silentLogger;
  return option ?? createLogger(level, format);
}
