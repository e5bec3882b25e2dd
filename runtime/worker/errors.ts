import { type ConfigIssue, ConnectError } from '../api/index.js';

/** An error a control request (REST or CLI) can get, with the HTTP status Kafka Connect uses for it. */
export class HerderError extends ConnectError {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: readonly ConfigIssue[] = [],
  ) {
    super(message);
  }
}

export const notFound = (name: string) => new HerderError(404, `Connector ${name} not found`);
export const taskNotFound = (name: string, id: number) => new HerderError(404, `Task ${name}-${id} not found`);
export const conflict = (message: string) => new HerderError(409, message);
export const badRequest = (message: string, issues: readonly ConfigIssue[] = []) =>
  new HerderError(400, message, issues);

/**
 * A FAILED status `trace` keeps Connect's shape (the error line, then where it happened) with what to do added to
 * its first line: a task or connector stays FAILED until someone restarts it.
 */
export function withAdvice(trace: string, advice: string): string {
  const nl = trace.indexOf('\n');
  return nl < 0 ? `${trace}. ${advice}` : `${trace.slice(0, nl)}. ${advice}${trace.slice(nl)}`;
}

const path = (name: string) => `/connectors/${encodeURIComponent(name)}`;

export const taskAdvice = (name: string, task: number) =>
  `The task stays FAILED until it is restarted: fix the cause, then POST ${path(name)}/tasks/${task}/restart`;

export const connectorAdvice = (name: string) =>
  `The connector stays FAILED until it is restarted: fix the cause (a config change restarts it: PUT ${path(name)}/config), or POST ${path(name)}/restart?includeTasks=true`;
