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
