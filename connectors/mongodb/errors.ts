import { historyLostMessage } from './oplog.js';
import { ConnectError, type ErrorContext } from '../../runtime/api/index.js';

/** MongoDB server error codes the connector treats specially (from the server's error_codes.yml). */
export const Codes = {
  Unauthorized: 13,
  AuthenticationFailed: 18,
  NoReplicationEnabled: 76,
  ChangeStreamFatalError: 280,
  ChangeStreamHistoryLost: 286,
  /** "The $changeStream stage is only supported on replica sets" */
  ChangeStreamNotOnReplicaSet: 40573,
  CommandNotFound: 59,
} as const;

interface DriverError {
  name?: string;
  code?: number | string;
  codeName?: string;
  message?: string;
}

/**
 * Turns a driver error into a ConnectError that says what is wrong and what to do. Unknown network and
 * server-selection failures are retriable; configuration and permission problems are not.
 */
export function classifyMongoError(err: unknown, context: ErrorContext = {}, hosts = ''): ConnectError {
  if (err instanceof ConnectError) return err;
  const e = (err ?? {}) as DriverError;
  const msg = e.message ?? String(err);
  const code = typeof e.code === 'number' ? e.code : undefined;
  if (code === Codes.ChangeStreamHistoryLost || (code === Codes.ChangeStreamFatalError && /oplog|history/i.test(msg))) {
    return new ConnectError(
      historyLostMessage(context.position ?? 'of the offset', undefined, context.connector ?? '<name>', '{…}'),
      {
        retriable: false,
        context,
        cause: err,
      },
    );
  }
  if (code === Codes.ChangeStreamNotOnReplicaSet || /only supported on replica sets/i.test(msg)) {
    return standaloneError(context, err);
  }
  if (code === Codes.Unauthorized) {
    return new ConnectError(
      `MongoDB refused an operation for lack of privileges (${msg}). The connector's user needs find, ` +
        'listCollections and changeStream on the captured databases (the built-in role "read" on each, or ' +
        '"readAnyDatabase" for capture.scope=deployment), and listDatabases for capture.scope=deployment.',
      { retriable: false, context, cause: err },
    );
  }
  if (code === Codes.AuthenticationFailed || e.name === 'MongoMissingCredentialsError') {
    return new ConnectError(
      `MongoDB authentication failed: ${msg}. Check the user and password in mongodb.connection.string.`,
      {
        retriable: false,
        context,
        cause: err,
      },
    );
  }
  if (
    e.name === 'MongoServerSelectionError' ||
    e.name === 'MongoNetworkError' ||
    e.name === 'MongoNetworkTimeoutError'
  ) {
    return new ConnectError(`Cannot reach MongoDB${hosts ? ` at ${hosts}` : ''}: ${msg}`, {
      retriable: true,
      context,
      cause: err,
    });
  }
  if (e.name === 'MongoParseError' || e.name === 'MongoAPIError' || e.name === 'MongoInvalidArgumentError') {
    return new ConnectError(`Invalid mongodb.connection.string or option: ${msg}`, {
      retriable: false,
      context,
      cause: err,
    });
  }
  return new ConnectError(`MongoDB error: ${msg}${e.codeName ? ` (${e.codeName})` : ''}`, {
    retriable: e.name !== 'MongoServerError',
    context,
    cause: err,
  });
}

export function standaloneError(context: ErrorContext, cause?: unknown): ConnectError {
  const said = cause instanceof Error && cause.message ? ` (server said: ${cause.message})` : '';
  return new ConnectError(
    'The MongoDB server cannot open a change stream: it is a standalone instance (change streams need a replica ' +
      'set or a sharded cluster; start mongod with --replSet and run rs.initiate(), one member is enough) or does ' +
      `not support change streams at this capture.scope${said}.`,
    { retriable: false, context, cause },
  );
}

/** The hosts of a connection string without credentials, for messages. */
export function hostsOf(connectionString: string): string {
  const m = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]*)/.exec(connectionString);
  return m ? m[1] : '(unparsable connection string)';
}
