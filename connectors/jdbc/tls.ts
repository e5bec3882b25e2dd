import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { type JdbcUrl, param } from './url.js';

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    // The path is the user's own setting; its content is never shown.
    throw new Error(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/**
 * TLS from the JDBC URL's parameters, as the drivers read them. PostgreSQL (`sslmode`, `sslrootcert`, `sslcert`,
 * `sslkey`): disable, prefer and allow connect without TLS (no fallback negotiation), require encrypts without
 * checking the certificate, verify-ca checks the chain, verify-full the host name too. MySQL/MariaDB (`sslMode`
 * DISABLED/PREFERRED/REQUIRED/VERIFY_CA/VERIFY_IDENTITY, or `useSSL=true`; `serverSslCert` / `sslrootcert` for the
 * CA file): the same three levels.
 */
export function tlsFor(url: JdbcUrl): false | ConnectionOptions {
  let level: 'off' | 'require' | 'verify-ca' | 'verify-full';
  let ca: string | undefined;
  if (url.dialect === 'postgresql') {
    const mode = (param(url, 'sslmode') ?? (param(url, 'ssl') === 'true' ? 'verify-full' : 'prefer')).toLowerCase();
    level =
      mode === 'require'
        ? 'require'
        : mode === 'verify-ca'
          ? 'verify-ca'
          : mode === 'verify-full'
            ? 'verify-full'
            : 'off';
    ca = param(url, 'sslrootcert');
  } else {
    const mode = (
      param(url, 'sslMode', 'sslmode') ?? (param(url, 'useSSL') === 'true' ? 'REQUIRED' : 'DISABLED')
    ).toUpperCase();
    level =
      mode === 'REQUIRED' || mode === 'TRUST'
        ? 'require'
        : mode === 'VERIFY_CA'
          ? 'verify-ca'
          : mode === 'VERIFY_IDENTITY' || mode === 'VERIFY-FULL'
            ? 'verify-full'
            : 'off';
    ca = param(url, 'serverSslCert', 'sslrootcert', 'sslCA');
  }
  if (level === 'off') return false;
  const options: ConnectionOptions = { rejectUnauthorized: level !== 'require' };
  if (ca) options.ca = read(ca, 'the CA certificate file');
  const cert = param(url, 'sslcert');
  const key = param(url, 'sslkey');
  if (cert) options.cert = read(cert, 'the client certificate file');
  if (key) options.key = read(key, 'the client key file');
  if (level === 'verify-ca') options.checkServerIdentity = () => undefined;
  return options;
}
