import { ConnectError } from '../../api/index.js';
import type { IncomingMessage, OutgoingMessage } from './client.js';

/** The stage names Kafka Connect writes in `__connect.errors.stage`. */
export type ErrorStage = 'KEY_CONVERTER' | 'VALUE_CONVERTER' | 'HEADER_CONVERTER' | 'TRANSFORMATION' | 'TASK_PUT';

export interface DeadLetterContext {
  readonly connector: string;
  readonly taskId: number;
  readonly stage: ErrorStage;
  /** the class that failed (Connect: the converter's class name) */
  readonly className: string;
  readonly error: unknown;
}

const PREFIX = '__connect.errors.';

/**
 * The dead-lettered copy of a consumed message: original key, value and headers, plus (when
 * `errors.deadletterqueue.context.headers.enable`) Connect's error context headers, every value UTF-8 text as
 * Connect's DeadLetterQueueReporter writes them, so tooling built for Connect's DLQ reads ours.
 */
export function deadLetterMessage(
  m: IncomingMessage,
  ctx: DeadLetterContext,
  contextHeaders: boolean,
): OutgoingMessage {
  const headers: Array<readonly [string, Buffer | null]> = m.headers.map((h) => [h.key, h.value] as const);
  if (contextHeaders) {
    const err = ctx.error;
    const add = (name: string, value: string | undefined) => {
      if (value !== undefined) headers.push([PREFIX + name, Buffer.from(value, 'utf8')]);
    };
    add('topic', m.topic);
    add('partition', String(m.partition));
    add('offset', m.offset);
    add('connector.name', ctx.connector);
    add('task.id', String(ctx.taskId));
    add('stage', ctx.stage);
    add('class.name', ctx.className);
    add('exception.class.name', exceptionClass(err));
    add('exception.message', err instanceof Error ? err.message : String(err));
    add('exception.stacktrace', err instanceof Error ? (err.stack ?? err.message) : String(err));
  }
  return { key: m.key, value: m.value, headers, timestamp: m.timestamp };
}

/**
 * Connect reports converter failures as `org.apache.kafka.connect.errors.DataException`; consumers of the DLQ
 * filter on that name, so a conversion error carries it here too. Anything else keeps its JavaScript name.
 */
function exceptionClass(err: unknown): string {
  if (err instanceof ConnectError && (err.context.stage?.endsWith('CONVERTER') ?? false))
    return 'org.apache.kafka.connect.errors.DataException';
  return err instanceof Error ? err.name : typeof err;
}
