import { ConnectError, type ErrorContext } from '../../runtime/api/index.js';

interface PgError {
  code?: string;
  message?: string;
  routine?: string;
}

function pgError(err: unknown): PgError {
  return typeof err === 'object' && err !== null ? (err as PgError) : { message: String(err) };
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);

/**
 * Turns what PostgreSQL or the network said into an error that names the cause and the fix, and says whether a
 * retry can help (a lost connection: yes; a wrong password: no).
 */
export function explain(err: unknown, what: string, context: ErrorContext, user?: string): ConnectError {
  if (err instanceof ConnectError) return err;
  const e = pgError(err);
  const msg = e.message ?? String(err);
  const code = e.code ?? '';
  const make = (text: string, retriable = false) =>
    new ConnectError(`${what}: ${text}`, { retriable, context, cause: err });
  if (code === '28P01' || /password authentication failed/i.test(msg)) {
    return make(
      `password authentication failed for user "${user ?? '?'}". Fix: set database.password to this user's password (or a config provider reference to it).`,
    );
  }
  if (code === '28000' && /requires a valid client certificate/i.test(msg)) {
    return make(
      `${msg}. Fix: set database.sslcert and database.sslkey to a client certificate signed by a CA the server trusts (its ssl_ca_file).`,
    );
  }
  if (code === '28000' && /certificate authentication failed/i.test(msg)) {
    return make(
      `${msg}. Fix: use a client certificate (database.sslcert) whose common name is database.user, or map the name in pg_ident.conf.`,
    );
  }
  if (code === '28000' && /no encryption/i.test(msg)) {
    return make(
      `the server accepts this connection only over TLS (${msg}). Fix: set database.sslmode to prefer, require, verify-ca or verify-full.`,
    );
  }
  if (code === '28000') {
    return make(
      `the server refused the connection (${msg}). Fix: allow this user and host in pg_hba.conf — for replication connections with a "replication" line — and check database.user.`,
    );
  }
  if (code === '3D000') return make(`${msg}. Fix: set database.dbname to an existing database.`);
  if (code === '42501' && /replication|WAL sender|walsender/i.test(msg)) {
    return make(
      `user "${user ?? '?'}" may not open a replication connection (${msg}). Fix: ALTER ROLE ${user ?? '<user>'} REPLICATION (or use a superuser).`,
    );
  }
  if (code === '55006' || /replication slot .* is active/i.test(msg)) {
    return make(
      `${msg}: another client is streaming this slot. Fix: stop the other consumer (see pg_stat_replication / pg_replication_slots.active_pid), or give this connector its own slot.name. Retried, in case the other client is a previous run of this task still shutting down.`,
      true,
    );
  }
  if (code === '55000' && /wal_level/i.test(msg)) {
    return make(`${msg}. Fix: set wal_level = logical in postgresql.conf and restart PostgreSQL.`);
  }
  if (code === '53400' || /all replication slots are in use/i.test(msg)) {
    return make(`${msg}. Fix: raise max_replication_slots or drop unused slots (pg_replication_slots).`);
  }
  if (
    NETWORK.has(code) ||
    /Connection terminated|ECONNRESET|server closed the connection/i.test(msg) ||
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P03'
  ) {
    return make(`connection lost or refused (${msg}); will be retried`, true);
  }
  return make(msg, false);
}
