import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectError } from '../../../runtime/api/index.js';
import { type Certificates, makeCertificates } from '../../harness/certs.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { TaskDriver } from './task-driver.js';

let dir: string;
let certs: Certificates;
/** TLS on, certificate for "localhost" only; certuser must log in with a client certificate, tlsonly over TLS */
let secure: PostgresServer;
let plain: PostgresServer;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-pgtls-'));
  certs = makeCertificates(dir, 'localhost', 'certuser');
  const hba = ['all', 'replication'].flatMap((db) => [
    `hostssl ${db} certuser all cert`,
    `hostnossl ${db} tlsonly all reject`,
  ]);
  [secure, plain] = await Promise.all([
    startPostgres({ tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca }, hba }),
    startPostgres(),
  ]);
  for (const pg of [secure, plain]) {
    await pg.sql(`CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1); CREATE PUBLICATION tls_pub FOR TABLE t;
      CREATE ROLE certuser LOGIN REPLICATION; CREATE ROLE tlsonly LOGIN REPLICATION PASSWORD 'pw';
      GRANT SELECT ON t TO certuser, tlsonly`);
  }
});
afterAll(async () => {
  await Promise.all([secure?.stop(), plain?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

function config(pg: PostgresServer, extra: Record<string, string>): Record<string, string> {
  n++;
  return {
    ...pg.connectorConfig(),
    'topic.prefix': 'srv',
    'table.include.list': 'public\\.t',
    'publication.name': 'tls_pub',
    'publication.autocreate.mode': 'disabled',
    'slot.name': `tls_${n}`,
    ...extra,
  };
}

/** Snapshot and one streamed change through the connector; which of its connections used TLS. */
async function capture(pg: PostgresServer, extra: Record<string, string>): Promise<Record<string, boolean>> {
  const d = new TaskDriver(config(pg, extra));
  await d.start();
  try {
    await d.pollUntil((r) => r.length >= 1, 20_000);
    const id = 100 + n;
    await pg.sql(`INSERT INTO t VALUES (${id})`);
    await d.pollUntil((r) => r.some((x) => (x.key as { id: number }).id === id), 20_000);
    expect((d.records[0].value as { op: string }).op).toBe('r');
    const rows = await pg.sql<{ app: string; ssl: boolean }>(
      "SELECT a.application_name AS app, s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name LIKE 'sluice-pg%'",
    );
    return Object.fromEntries(rows.map((r) => [r.app, r.ssl]));
  } finally {
    await d.stop();
  }
}

function failure(pg: PostgresServer, extra: Record<string, string>): Promise<ConnectError> {
  return new TaskDriver(config(pg, extra)).failure(10_000);
}

const BOTH_TLS = { 'sluice-pg': true, 'sluice-pg-meta': true };

describe('postgres source: database.sslmode', () => {
  it('require encrypts every connection without checking the certificate', async () => {
    expect(await capture(secure, { 'database.sslmode': 'require' })).toEqual(BOTH_TLS);
  });

  it('verify-ca checks the chain against database.sslrootcert; verify-full also the host name', async () => {
    const root = { 'database.sslrootcert': certs.caFile };
    // The certificate names "localhost" only: verify-ca accepts it at 127.0.0.1, verify-full does not.
    expect(await capture(secure, { ...root, 'database.sslmode': 'verify-ca' })).toEqual(BOTH_TLS);
    expect(
      await capture(secure, { ...root, 'database.sslmode': 'verify-full', 'database.hostname': 'localhost' }),
    ).toEqual(BOTH_TLS);
    const wrongHost = await failure(secure, { ...root, 'database.sslmode': 'verify-full' });
    expect(wrongHost.message).toMatch(/certificate does not name "127\.0\.0\.1"/);
    expect(wrongHost.message).toMatch(/database.sslmode=verify-ca/);
    const noRoot = await failure(secure, { 'database.sslmode': 'verify-ca' });
    expect(noRoot.message).toMatch(/server's certificate is not trusted/);
    expect(noRoot.message).toMatch(/Fix: set database.sslrootcert/);
    expect(noRoot.retriable).toBe(false);
  });

  it('prefer (the default) uses TLS when the server offers it, plain TCP when not', async () => {
    expect(await capture(secure, {})).toEqual(BOTH_TLS);
    expect(await capture(plain, {})).toEqual({ 'sluice-pg': false, 'sluice-pg-meta': false });
  });

  it('require against a server without TLS fails, naming both fixes', async () => {
    const err = await failure(plain, { 'database.sslmode': 'require' });
    expect(err.message).toMatch(/the server does not accept TLS connections/);
    expect(err.message).toMatch(/ssl = on/);
    expect(err.message).toMatch(/database.sslmode to prefer/);
  });

  it('disable where the server wants TLS fails with the fix; allow then falls back to TLS', async () => {
    const user = { 'database.user': 'tlsonly', 'database.password': 'pw' };
    const err = await failure(secure, { ...user, 'database.sslmode': 'disable' });
    expect(err.message).toMatch(/accepts this connection only over TLS/);
    expect(await capture(secure, { ...user, 'database.sslmode': 'allow' })).toEqual(BOTH_TLS);
  });

  it('client certificates: PEM, and an encrypted PKCS#8 DER key with database.sslpassword', async () => {
    const cert = {
      'database.user': 'certuser',
      'database.password': '',
      'database.sslmode': 'verify-ca',
      'database.sslrootcert': certs.caFile,
      'database.sslcert': certs.clientCertFile,
    };
    expect(await capture(secure, { ...cert, 'database.sslkey': certs.clientKeyFile })).toEqual(BOTH_TLS);
    expect(
      await capture(secure, {
        ...cert,
        'database.sslkey': certs.clientKeyDerFile,
        'database.sslpassword': certs.clientKeyPassword,
      }),
    ).toEqual(BOTH_TLS);
    const wrongPassword = await failure(secure, {
      ...cert,
      'database.sslkey': certs.clientKeyDerFile,
      'database.sslpassword': 'nope',
    });
    expect(wrongPassword.message).toMatch(/cannot read the private key in database.sslkey/);
    const without = await failure(secure, { ...cert, 'database.sslcert': '' });
    expect(without.message).toMatch(/requires a valid client certificate/);
    expect(without.message).toMatch(/Fix: set database.sslcert and database.sslkey/);
  });
});
