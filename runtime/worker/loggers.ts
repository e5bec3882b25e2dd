import { ConnectError, type Logger } from '../api/index.js';

/** Log4j's level names (what Connect's /admin/loggers speaks) and the pino level each maps to. */
const TO_PINO: Readonly<Record<string, string>> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'fatal',
  OFF: 'silent',
};
const FROM_PINO: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(TO_PINO).map(([k, v]) => [v, k]));

export interface LoggerLevel {
  level: string;
  /** ms since the epoch of the last change through the REST endpoint; null when never changed */
  last_modified: number | null;
}

interface Entry {
  logger: Logger;
  modified: number | null;
}

function levelOf(logger: Logger): string {
  const level = (logger as { level?: unknown }).level;
  return typeof level === 'string' ? (FROM_PINO[level] ?? level.toUpperCase()) : 'INFO';
}

function setLevelOf(logger: Logger, pinoLevel: string): void {
  if ('level' in logger) (logger as { level: string }).level = pinoLevel;
}

/**
 * Named loggers in a dotted hierarchy, as log4j's: `root`, `connector.<name>`, `connector.<name>.task.<id>`.
 * Setting a level on a name sets it on that logger and every descendant, each explicitly: all are children
 * of root (a pino child follows root's level only until its own is set), and loggers created later inherit it.
 */
export class LoggerTree {
  private readonly loggers = new Map<string, Entry>();
  /** levels set through setLevel, kept for loggers that do not exist yet */
  private readonly explicit = new Map<string, { level: string; modified: number }>();

  constructor(readonly root: Logger) {
    this.loggers.set('root', { logger: root, modified: null });
  }

  /** The logger of that name, made on first use as a child of root with the given bindings. */
  get(name: string, bindings: Record<string, unknown>): Logger {
    const known = this.loggers.get(name);
    if (known) return known.logger;
    const logger = this.root.child(bindings);
    const inherited = this.inherited(name);
    if (inherited) setLevelOf(logger, inherited.level);
    this.loggers.set(name, { logger, modified: inherited?.modified ?? null });
    return logger;
  }

  /** Drops a logger and its descendants (their explicit levels stay, as log4j's do). */
  forget(name: string): void {
    for (const n of [...this.loggers.keys()])
      if (n !== 'root' && (n === name || n.startsWith(`${name}.`))) this.loggers.delete(n);
  }

  levels(): Record<string, LoggerLevel> {
    const out: Record<string, LoggerLevel> = {};
    const names = new Set([...this.loggers.keys(), ...this.explicit.keys()]);
    for (const name of [...names].sort()) out[name] = this.level(name) as LoggerLevel;
    return out;
  }

  level(name: string): LoggerLevel | undefined {
    const e = this.loggers.get(name);
    if (e) return { level: levelOf(e.logger), last_modified: e.modified };
    const x = this.explicit.get(name);
    return x ? { level: FROM_PINO[x.level] ?? x.level, last_modified: x.modified } : undefined;
  }

  /** Sets a level (log4j name, any case); returns the names of the loggers it changed, sorted. */
  setLevel(name: string, level: string): string[] {
    const pinoLevel = TO_PINO[level.trim().toUpperCase()];
    if (!pinoLevel) throw new ConnectError(`Invalid log level '${level}'.`);
    const now = Date.now();
    const affected: string[] = [];
    for (const [n, e] of this.loggers) {
      if (name === 'root' || n === name || n.startsWith(`${name}.`)) {
        setLevelOf(e.logger, pinoLevel);
        e.modified = now;
        affected.push(n);
      }
    }
    if (name !== 'root') {
      for (const k of [...this.explicit.keys()]) if (k.startsWith(`${name}.`)) this.explicit.delete(k);
      this.explicit.set(name, { level: pinoLevel, modified: now });
      if (!affected.includes(name)) affected.push(name);
    } else {
      this.explicit.clear();
    }
    return affected.sort();
  }

  private inherited(name: string): { level: string; modified: number } | undefined {
    let n = name;
    for (;;) {
      const x = this.explicit.get(n);
      if (x) return x;
      const dot = n.lastIndexOf('.');
      if (dot < 0) return undefined;
      n = n.slice(0, dot);
    }
  }
}
