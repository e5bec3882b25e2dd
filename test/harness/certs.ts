import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Certificates {
  /** PEM file of the throwaway CA that signed the others */
  caFile: string;
  ca: string;
  /** server certificate and key (PEM); the certificate names only `serverName` */
  serverCert: string;
  serverKey: string;
  /** client certificate (PEM file) and its key as PEM and as encrypted PKCS#8 DER (`clientKeyPassword`) */
  clientCertFile: string;
  clientKeyFile: string;
  clientKeyDerFile: string;
  clientKeyPassword: string;
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`openssl not runnable (scripts/install-openssl.sh installs it): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}${r.stdout}`);
}

/**
 * A CA, a server certificate for `serverName` (a DNS name only, so verify-full against an IP address fails) and
 * a client certificate whose common name is `clientName`, all made with the openssl command in `dir`.
 */
export function makeCertificates(dir: string, serverName: string, clientName: string): Certificates {
  const f = (name: string) => join(dir, name);
  const days = ['-days', '2'];
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    ...days,
    '-subj',
    '/CN=sluice test CA',
  ]);
  const sign = (name: string, subject: string, ext?: string) => {
    openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
      '-subj',
      subject,
    ]);
    const extArgs: string[] = [];
    if (ext) {
      writeFileSync(f(`${name}.ext`), ext);
      extArgs.push('-extfile', f(`${name}.ext`));
    }
    openssl([
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.crt`),
      ...days,
      ...extArgs,
    ]);
  };
  sign('server', `/CN=${serverName}`, `subjectAltName=DNS:${serverName}\n`);
  sign('client', `/CN=${clientName}`);
  const clientKeyPassword = 'key-secret';
  openssl([
    'pkcs8',
    '-topk8',
    '-inform',
    'PEM',
    '-outform',
    'DER',
    '-in',
    f('client.key'),
    '-out',
    f('client.pk8'),
    '-v2',
    'aes-256-cbc',
    '-passout',
    `pass:${clientKeyPassword}`,
  ]);
  return {
    caFile: f('ca.crt'),
    ca: readFileSync(f('ca.crt'), 'utf8'),
    serverCert: readFileSync(f('server.crt'), 'utf8'),
    serverKey: readFileSync(f('server.key'), 'utf8'),
    clientCertFile: f('client.crt'),
    clientKeyFile: f('client.key'),
    clientKeyDerFile: f('client.pk8'),
    clientKeyPassword,
  };
}
