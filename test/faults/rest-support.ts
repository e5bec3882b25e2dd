import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../harness/worker.js';

const KAFKA = 'org.apache.kafka.common.config.provider.';

/**
 * A hostile-input playground: a directory the worker runs in, secrets its confined config providers may read
 * (allowed/), secrets they may not (outside/, the worker's environment beyond the allowlist; provider `any` is a
 * FileConfigProvider without allowed.paths, which reads them but must still never show them), and traps (a symbolic link out,
 * a link to /dev/zero, a FIFO, a file over the provider cap). Every secret is a random token, so a token found in
 * any answer can only have come from a provider or a file.
 */
export interface Playground {
  dir: string;
  allowed: string;
  outside: string;
  /** every secret value; none may ever appear in a REST answer */
  tokens: Record<string, string>;
  /** worker config keys declaring file, dir and env providers confined to the playground */
  workerProviders: Record<string, string>;
  /** environment for the worker process */
  env: NodeJS.ProcessEnv;
  /** provider references, good and hostile, for configs */
  references: string[];
}

export function playground(prefix: string): Playground {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const allowed = join(dir, 'allowed');
  const outside = join(dir, 'outside');
  mkdirSync(allowed);
  mkdirSync(outside);
  mkdirSync(join(dir, 'out'));
  const token = (name: string) => `${name}-${randomBytes(12).toString('hex')}`;
  const tokens = {
    password: token('pw'),
    topic: token('topic'),
    dirFile: token('dirfile'),
    outside: token('outside'),
    env: token('env'),
    hiddenEnv: token('hiddenenv'),
  };
  writeFileSync(join(allowed, 'db.properties'), `password=${tokens.password}\ntopic=${tokens.topic}\n`);
  writeFileSync(join(allowed, 'api-key'), tokens.dirFile);
  writeFileSync(join(outside, 'other.properties'), `token=${tokens.outside}\npassword=${tokens.outside}\n`);
  symlinkSync(join(outside, 'other.properties'), join(allowed, 'escape.properties'));
  symlinkSync(outside, join(allowed, 'escape-dir'));
  symlinkSync('/dev/zero', join(allowed, 'zero'));
  execFileSync('mkfifo', [join(allowed, 'fifo')]);
  writeFileSync(join(allowed, 'huge.properties'), `password=${'x'.repeat(2 * 1024 * 1024)}\n`);
  writeFileSync(join(dir, 'in.txt'), 'one\ntwo\nthree\n');
  const workerProviders = {
    'config.providers': 'file,dir,env,any',
    'config.providers.file.class': `${KAFKA}FileConfigProvider`,
    'config.providers.file.param.allowed.paths': allowed,
    'config.providers.dir.class': `${KAFKA}DirectoryConfigProvider`,
    'config.providers.dir.param.allowed.paths': allowed,
    'config.providers.env.class': `${KAFKA}EnvVarConfigProvider`,
    'config.providers.env.param.allowlist.pattern': '^SLUICE_FUZZ_ALLOWED$',
    // The worst case a worker may declare: a file provider with no allowed.paths.
    'config.providers.any.class': `${KAFKA}FileConfigProvider`,
  };
  const references = [
    `\${file:${allowed}/db.properties:password}`,
    `\${file:${allowed}/db.properties:topic}`,
    `\${file:${allowed}/db.properties:nokey}`,
    `\${dir:${allowed}:api-key}`,
    `\${dir:${allowed}:../outside/other.properties}`,
    `\${dir:${allowed}/escape-dir:other.properties}`,
    '${env:SLUICE_FUZZ_ALLOWED}',
    '${env:SLUICE_FUZZ_HIDDEN}',
    '${env:PATH}',
    '${env:NOT_SET_ANYWHERE}',
    '${file:/dev/zero:x}',
    '${file:/dev/urandom:x}',
    '${file:/proc/self/environ:SLUICE_FUZZ_HIDDEN}',
    '${file:/proc/self/cmdline:x}',
    '${file:/sys/kernel/mm/transparent_hugepage/enabled:x}',
    '${file:/etc/shadow:root}',
    '${file:/etc/passwd:root}',
    `\${file:${allowed}/zero:x}`,
    `\${file:${allowed}/fifo:x}`,
    `\${file:${allowed}/huge.properties:password}`,
    `\${file:${allowed}/escape.properties:token}`,
    `\${file:${allowed}/../outside/other.properties:token}`,
    `\${file:${allowed}/escape-dir/other.properties:password}`,
    `\${file:${outside}/other.properties:token}`,
    `\${file:${allowed}:x}`,
    '${file:relative/path.properties:x}',
    '${file::x}',
    '${vault:secret/db:password}',
    '${dir:/proc/self:environ}',
    '${dir:/dev:zero}',
    '${any:/dev/zero:x}',
    '${any:/proc/self/environ:SLUICE_FUZZ_HIDDEN}',
    `\${any:${allowed}/fifo:x}`,
    `\${any:${allowed}/zero:x}`,
    `\${any:${allowed}/huge.properties:password}`,
    `\${any:${outside}/other.properties:token}`,
    `\${any:${allowed}/escape.properties:password}`,
    '${any:/etc/passwd:root}',
  ];
  return {
    dir,
    allowed,
    outside,
    tokens,
    workerProviders,
    env: { SLUICE_FUZZ_ALLOWED: tokens.env, SLUICE_FUZZ_HIDDEN: tokens.hiddenEnv },
    references,
  };
}

/** The secret tokens found in a text. */
export function leaked(text: string, tokens: Record<string, string>): string[] {
  return Object.entries(tokens)
    .filter(([, t]) => text.includes(t))
    .map(([k]) => k);
}

/** Resident set size of a process, in bytes (Linux). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Runs the `sluice` CLI from the sources (as the harness's workers run) and waits for it to exit. */
export function runCli(
  args: string[],
  o: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  const root = repoRoot;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', tsx, join(root, 'runtime/cli.ts'), ...args], {
      cwd: o.cwd ?? root,
      env: { ...process.env, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.stdout.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`sluice ${args.join(' ')} did not exit within ${o.timeoutMs ?? 60_000} ms:\n${stderr}`));
    }, o.timeoutMs ?? 60_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ms: Date.now() - started });
    });
  });
}
