import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConnectError, type ErrorContext } from '../../runtime/api/index.js';
import type { PostgresSettings } from './config.js';

/**
 * database.sslmode as libpq and the JDBC driver (hence Debezium) read it: which kind of connection to try first,
 * and the one to fall back to when the server refuses it. prefer and allow settle on one kind with the first
 * connection; the connector's other connections then use that kind.
 */
export function connectionOrder(mode: string): boolean[] {
  if (mode === 'prefer') return [true, false];
  if (mode === 'allow') return [false, true];
  return [mode !== 'disable'];
}

/** Whether the server refused this kind of connection in a way the other kind may get past (prefer, allow). */
export function refusedKind(err: unknown, triedTls: boolean): boolean {
  const e = err as { code?: string; message?: string };
  const msg = e?.message ?? '';
  if (triedTls)
    return /server does not support SSL/i.test(msg) || (e.code === '28000' && /SSL (encryption|on)/.test(msg));
  return e.code === '28000' && /no encryption|SSL off/.test(msg);
}

function readSetting(key: string, path: string, context: ErrorContext): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConnectError(
      `cannot read ${key} "${path}": ${(err as Error).message}. Fix: set ${key} to a file this worker can read.`,
      {
        context,
        cause: err,
      },
    );
  }
}

const isPem = (b: Buffer) => b.subarray(0, 64).toString('latin1').includes('-----BEGIN');

/**
 * Node TLS options for a TLS connection under `s.sslmode`. require (and prefer/allow) encrypt without checking
 * the server certificate, as the JDBC driver does; verify-ca checks it against database.sslrootcert (Node's CA
 * list when unset); verify-full also checks that it names database.hostname. The client certificate and key
 * are sent whenever set: PEM or DER, and the key also as PKCS#8 DER (the JDBC driver's .pk8) or PKCS#12.
 */
export function tlsOptions(s: PostgresSettings, context: ErrorContext): ConnectionOptions {
  const verify = s.sslmode === 'verify-ca' || s.sslmode === 'verify-full';
  const opts: ConnectionOptions = { rejectUnauthorized: verify };
  if (verify && s.sslrootcert) opts.ca = readSetting('database.sslrootcert', s.sslrootcert, context);
  // libpq's verify-ca checks the chain only, not the name.
  if (s.sslmode === 'verify-ca') opts.checkServerIdentity = () => undefined;
  if (s.sslkey && /\.(p12|pfx)$/i.test(s.sslkey)) {
    opts.pfx = readSetting('database.sslkey', s.sslkey, context);
    opts.passphrase = s.sslpassword;
  } else if (s.sslkey) {
    const key = readSetting('database.sslkey', s.sslkey, context);
    try {
      opts.key = isPem(key)
        ? key
        : (createPrivateKey({ key, format: 'der', type: 'pkcs8', passphrase: s.sslpassword }).export({
            format: 'pem',
            type: 'pkcs8',
          }) as string);
    } catch (err) {
      throw new ConnectError(
        `cannot read the private key in database.sslkey "${s.sslkey}": ${(err as Error).message}. Fix: give a PEM, PKCS#8 DER (.pk8) or PKCS#12 (.p12) key, and its password in database.sslpassword when it is encrypted.`,
        { context, cause: err },
      );
    }
    if (isPem(key)) opts.passphrase = s.sslpassword;
  }
  if (s.sslcert) {
    const cert = readSetting('database.sslcert', s.sslcert, context);
    opts.cert = isPem(cert) ? cert : new X509Certificate(cert).toString();
  }
  return opts;
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** A TLS failure, explained with its fix; undefined for anything else. */
export function tlsFailure(err: unknown, s: PostgresSettings, context: ErrorContext): ConnectError | undefined {
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? '';
  const msg = e?.message ?? String(err);
  const where = `TLS connection to ${s.host}:${s.port} (database.sslmode=${s.sslmode})`;
  const make = (text: string) => new ConnectError(`${where}: ${text}`, { context, cause: err });
  if (/server does not support SSL/i.test(msg)) {
    return make(
      'the server does not accept TLS connections. Fix: turn TLS on in postgresql.conf (ssl = on, with ssl_cert_file and ssl_key_file), or set database.sslmode to prefer (TLS when offered) or disable.',
    );
  }
  if (UNTRUSTED.has(code)) {
    return make(
      `the server's certificate is not trusted (${code}: ${msg}). Fix: set database.sslrootcert to the PEM file of the CA that signed it${s.sslrootcert ? ' (the one given did not)' : ''}, or database.sslmode=require to encrypt without verifying.`,
    );
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return make(`the server's certificate is not valid now (${code}). Fix: renew the server certificate.`);
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return make(
      `the server's certificate does not name "${s.host}" (${msg}). Fix: set database.hostname to a name the certificate carries, or use database.sslmode=verify-ca to check the CA only.`,
    );
  }
  if (code.startsWith('ERR_OSSL') || /PEM|key values mismatch|bad decrypt/i.test(msg)) {
    return make(
      `the client certificate or key cannot be used (${msg}). Fix: check database.sslcert, database.sslkey and database.sslpassword (the key must match the certificate).`,
    );
  }
  return undefined;
}
