import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { PostgresSettings } from './config.js';

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

export function clientConfig(s: PostgresSettings, applicationName: string): pg.ClientConfig {
  let ssl: pg.ClientConfig['ssl'];
  if (s.sslmode === 'require') ssl = { rejectUnauthorized: false };
  else if (s.sslmode === 'verify-ca' || s.sslmode === 'verify-full') {
    ssl = {
      rejectUnauthorized: true,
      ca: s.sslrootcert ? readFileSync(s.sslrootcert, 'utf8') : undefined,
      // verify-ca checks the chain only, as libpq does.
      checkServerIdentity: s.sslmode === 'verify-ca' ? () => undefined : undefined,
    };
  }
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

/** A plain (non-replication) client with the connector's session settings; values stay text. */
export async function connectClient(s: PostgresSettings, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(s, applicationName));
  await client.connect();
  return client;
}
