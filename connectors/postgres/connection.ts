import pg from 'pg';
import type { ErrorContext } from '../../runtime/api/index.js';
import type { PostgresSettings } from './config.js';
import { connectionOrder, refusedKind, tlsFailure, tlsOptions } from './tls.js';

/**
 * Session settings every connection of the connector uses. The text forms the decoders expect depend on them
 * (pgoutput formats values with the walsender session's settings), so they are fixed here, not inherited from
 * the server's or the role's defaults.
 */
export const SESSION_OPTIONS = [
  'DateStyle=ISO',
  'TimeZone=UTC',
  'IntervalStyle=iso_8601',
  'extra_float_digits=3',
  'bytea_output=hex',
  'lc_monetary=C',
]
  .map((o) => `-c ${o}`)
  .join(' ');

/** `tls`: whether this connection uses TLS; by default the first kind database.sslmode tries. */
export function clientConfig(
  s: PostgresSettings,
  applicationName: string,
  tls = connectionOrder(s.sslmode)[0],
  context: ErrorContext = {},
): pg.ClientConfig {
  const ssl = tls ? tlsOptions(s, context) : false;
  return {
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.password,
    database: s.database,
    ssl,
    connectionTimeoutMillis: s.connectTimeoutMs,
    application_name: applicationName,
    options: SESSION_OPTIONS,
  };
}

/**
 * A plain (non-replication) client with the connector's session settings; values stay text. With
 * database.sslmode prefer or allow it tries the other kind of connection when the server refuses the first;
 * `tls` says which kind it got. TLS failures are explained with their fix.
 */
export async function connectNegotiated(
  s: PostgresSettings,
  applicationName: string,
  context: ErrorContext = {},
): Promise<{ client: pg.Client; tls: boolean }> {
  const order = connectionOrder(s.sslmode);
  for (let i = 0; ; i++) {
    const client = new pg.Client(clientConfig(s, applicationName, order[i], context));
    try {
      await client.connect();
      return { client, tls: order[i] };
    } catch (err) {
      if (i + 1 < order.length && refusedKind(err, order[i])) continue;
      throw tlsFailure(err, s, context) ?? err;
    }
  }
}

export async function connectClient(
  s: PostgresSettings,
  applicationName: string,
  context: ErrorContext = {},
): Promise<pg.Client> {
  return (await connectNegotiated(s, applicationName, context)).client;
}
