import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { env, TaskDriver } from './task-driver.js';

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

/** A throwaway CA and a server certificate for `sluice-test.invalid` (not the address the tests connect to). */
function makeCerts(dir: string): { ca: string; otherCa: string; cert: string; key: string } {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const name of ['ca', 'other']) {
    run(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name} test CA`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    );
  }
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:sluice-test.invalid\n');
  run(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=sluice-test.invalid',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  );
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.pem',
  );
  for (const f of ['ca.pem', 'other.pem', 'server.pem', 'server.key']) chmodSync(join(dir, f), 0o644);
  return {
    ca: join(dir, 'ca.pem'),
    otherCa: join(dir, 'other.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
  };
}

describe.runIf(!missing)('mysql source over TLS: database.ssl.mode (MariaDB 10.11)', () => {
  let db: MariaDb;
  let dir: string;
  let certs: ReturnType<typeof makeCerts>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-mytls-'));
    chmodSync(dir, 0o755);
    certs = makeCerts(dir);
    db = await startMariaDb({ args: [`--ssl-ca=${certs.ca}`, `--ssl-cert=${certs.cert}`, `--ssl-key=${certs.key}`] });
    // A user that may only connect over TLS: every connection the connector opens (snapshot, binlog) must use it.
    await db.exec(
      "CREATE DATABASE tl; CREATE TABLE tl.t (id INT PRIMARY KEY); INSERT INTO tl.t VALUES (1); CREATE USER 'tls'@'%' IDENTIFIED BY 'pw' REQUIRE SSL; GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'tls'@'%'",
    );
  });
  afterAll(async () => {
    await db?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let serverId = 6400;
  async function capture(mode: string, ca?: string): Promise<string> {
    const d = new TaskDriver(db, {
      'database.user': 'tls',
      'database.password': 'pw',
      'database.server.id': String(++serverId),
      'database.ssl.mode': mode,
      ...(ca ? { 'database.ssl.ca': ca } : {}),
      'table.include.list': 'tl\\.t',
      'include.schema.changes': 'false',
    });
    try {
      await d.start();
      await d.pollUntil((all) => all.some((r) => r.topic === 'srv.tl.t'), 15_000);
      // A change through the binlog connection too.
      await db.exec(`INSERT INTO tl.t VALUES (${serverId})`);
      await d.pollUntil((all) => all.some((r) => r.topic === 'srv.tl.t' && env(r).after?.id === serverId), 15_000);
      return 'captured';
    } catch (err) {
      return (err as Error).message;
    } finally {
      await d.stop();
    }
  }

  it('preferred and required encrypt without checking the certificate; disabled is refused by a REQUIRE SSL user', async () => {
    expect(await capture('preferred')).toBe('captured');
    expect(await capture('required', certs.otherCa)).toBe('captured');
    expect(await capture('disabled')).toMatch(/Access denied/);
  });

  it('verify_ca checks the chain but not the host name; verify_identity checks both', async () => {
    expect(await capture('verify_ca', certs.ca)).toBe('captured');
    expect(await capture('verify_ca', certs.otherCa)).toMatch(/certificate/i);
    expect(await capture('verify_identity', certs.ca)).toMatch(/sluice-test\.invalid|altnames|host/i);
  });
});
