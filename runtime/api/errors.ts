/** Where an error happened; every field optional, filled in as the error travels up. */
export interface ErrorContext {
  connector?: string;
  task?: number;
  table?: string;
  /** a source position: LSN, binlog file:pos, resume token, byte offset… */
  position?: string;
  /** the transform, converter or stage that failed */
  stage?: string;
}

/**
 * The one error class of sluice. `retriable` says whether trying the same thing again can help
 * (a dropped connection: yes; a wrong password: no).
 */
export class ConnectError extends Error {
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(message: string, options: { retriable?: boolean; context?: ErrorContext; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    this.context = { ...(options.context ?? {}) };
  }

  /** Message with its context, e.g. `… (connector=pg, task=0, table=public.t, position=0/16B3748)`. */
  describe(): string {
    const parts = Object.entries(this.context)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${k}=${v}`);
    return parts.length ? `${this.message} (${parts.join(', ')})` : this.message;
  }
}

export class RetriableError extends ConnectError {
  constructor(message: string, options: { context?: ErrorContext; cause?: unknown } = {}) {
    super(message, { ...options, retriable: true });
  }
}

export interface ConfigIssue {
  /** the config key, e.g. `database.port` or `transforms.unwrap.drop.tombstones` */
  readonly key: string;
  readonly message: string;
}

export class ConfigError extends ConnectError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], prefix = 'Invalid configuration') {
    const lines = issues.map((i) => `${i.key}: ${i.message}`);
    super(`${prefix}: ${issues.length} problem${issues.length === 1 ? '' : 's'}: ${lines.join('; ')}`);
    this.issues = issues;
  }
}

/** Wraps anything thrown into a ConnectError, keeping a ConnectError's own flag and adding context. */
export function asConnectError(err: unknown, context: ErrorContext = {}): ConnectError {
  if (err instanceof ConnectError) {
    for (const [k, v] of Object.entries(context) as [keyof ErrorContext, never][]) {
      if (err.context[k] === undefined) err.context[k] = v;
    }
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectError(message, { context, cause: err });
}

/** Connect-style trace text for FAILED status: the error with context, its stack, and its causes. */
export function traceOf(err: unknown): string {
  const out: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof ConnectError) out.push(`${e.name}: ${e.describe()}`);
    else if (e instanceof Error) out.push(`${e.name}: ${e.message}`);
    else out.push(String(e));
    if (e instanceof Error && e.stack) out.push(e.stack.split('\n').slice(1).join('\n'));
    e = e instanceof Error ? e.cause : undefined;
    if (e !== undefined) out.push('Caused by:');
  }
  return out.join('\n');
}
