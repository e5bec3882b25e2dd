/**
 * Where a command writes, and what it reads from its environment: the process's own streams and env in the
 * `sluice` command, buffers in tests. Commands return an exit code rather than exiting, so a test can run them
 * in its own process.
 */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  readonly env: NodeJS.ProcessEnv;
}

export function processIO(): CliIO {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
  };
}

/** A failure the user can act on: printed as `sluice: <message>`, without a stack, and the command exits 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Text from a worker or a file, made safe to print on a terminal: control characters (escape sequences among
 * them) become `?`, so a hostile name or trace cannot move the cursor or retitle the window.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to replace control characters
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

/** `--output`: a table for people (the default) or the worker's JSON for scripts. */
export type OutputFormat = 'table' | 'json';

export function outputFormat(value: string | undefined): OutputFormat {
  const v = value ?? 'table';
  if (v === 'table' || v === 'json') return v;
  throw new CliError(`--output must be table or json, not ${printable(v)}`);
}

/** JSON as scripts read it: indented, one document, a newline at the end. */
export function printJson(io: CliIO, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}
