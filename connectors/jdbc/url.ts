/**
 * `connection.url` as Debezium's JDBC sink takes it (a JDBC URL), read into what `pg` and `mysql2` need.
 * Supported: `jdbc:postgresql://host[:port]/database[?params]`, `jdbc:mysql://…`, `jdbc:mariadb://…`.
 */

export type DialectName = 'postgresql' | 'mysql';

export interface JdbcUrl {
  readonly dialect: DialectName;
  /** `mariadb` or `mysql` for the MySQL dialect (the scheme the user wrote) */
  readonly scheme: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** URL parameters, names as written */
  readonly params: Readonly<Record<string, string>>;
}

const SCHEMES: Record<string, { dialect: DialectName; port: number }> = {
  postgresql: { dialect: 'postgresql', port: 5432 },
  mysql: { dialect: 'mysql', port: 3306 },
  mariadb: { dialect: 'mysql', port: 3306 },
};

/** The URL with any `password=` parameter masked, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/([?&;]password=)[^&;]*/gi, '$1[hidden]');
}

/** Parses a JDBC URL; throws an Error whose message is safe to show (no password). */
export function parseJdbcUrl(url: string): JdbcUrl {
  const m = /^jdbc:([a-z]+):\/\/([^/?]*)(?:\/([^?]*))?(?:\?(.*))?$/i.exec(url.trim());
  if (!m) {
    throw new Error(
      `"${redactUrl(url)}" is not a JDBC URL this sink supports: expected jdbc:postgresql://host:port/database, jdbc:mysql://… or jdbc:mariadb://…`,
    );
  }
  const scheme = m[1].toLowerCase();
  const known = SCHEMES[scheme];
  if (!known) {
    throw new Error(
      `unsupported JDBC URL scheme "jdbc:${scheme}": supported are jdbc:postgresql, jdbc:mysql, jdbc:mariadb`,
    );
  }
  const hostPart = m[2];
  if (hostPart.includes(',')) {
    throw new Error('several hosts in connection.url are not supported: give one host');
  }
  if (hostPart.includes('@'))
    throw new Error(
      'credentials inside connection.url are not supported: use connection.username and connection.password',
    );
  let host = hostPart;
  let port = known.port;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPart);
  const plain = /^([^:]*)(?::(\d*))?$/.exec(hostPart);
  if (v6) {
    host = v6[1];
    if (v6[2]) port = Number(v6[2]);
  } else if (plain) {
    host = plain[1];
    if (plain[2]) port = Number(plain[2]);
  }
  if (!host) host = 'localhost';
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port in connection.url: ${port}`);
  const params: Record<string, string> = {};
  for (const pair of (m[4] ?? '').split(/[&;]/)) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const k = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    params[k] = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
  }
  const database = decodeURIComponent(m[3] ?? '');
  if (known.dialect === 'postgresql' && !database)
    throw new Error('connection.url names no database (jdbc:postgresql://host:port/database)');
  return { dialect: known.dialect, scheme, host, port, database, params };
}

/** A URL parameter, case-insensitively (JDBC drivers differ in case: `sslmode`, `sslMode`). */
export function param(url: JdbcUrl, ...names: string[]): string | undefined {
  for (const [k, v] of Object.entries(url.params)) if (names.some((n) => n.toLowerCase() === k.toLowerCase())) return v;
  return undefined;
}
