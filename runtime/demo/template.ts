import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './postgres-binaries.js';

/** Bump when the initdb recipe (embedded-postgres.ts) changes: templates of another recipe are then left unused. */
const RECIPE = 2;

/**
 * Where a freshly initdb'd cluster is kept for later runs: initdb is most of a cold start (2–4 s on a busy 2-core
 * machine), a copy of its result a fraction of that. `SLUICE_CACHE_DIR` chooses the cache (empty: none); by
 * default it is `node_modules/.cache/sluice` of the checkout. The template holds nothing but initdb's output (user
 * `postgres`, the demo's fixed password) and is never started itself.
 */
export function templateDir(postgresVersion: string): string | undefined {
  const env = process.env.SLUICE_CACHE_DIR;
  let root: string | undefined;
  if (env !== undefined) root = env || undefined;
  else {
    const pkg = packageRoot();
    if (pkg) root = join(pkg, 'node_modules', '.cache', 'sluice');
  }
  if (!root) return undefined;
  const uid = process.getuid?.() ?? 'any';
  return join(root, `demo-postgres-${postgresVersion}-r${RECIPE}-u${uid}`);
}

/** Copies the template to `dataDir` (`cp -a` keeps the `postgres` owner it has when made as root). */
export async function copyTemplate(template: string, dataDir: string, log: (line: string) => void): Promise<boolean> {
  if (!existsSync(join(template, 'PG_VERSION'))) return false;
  try {
    await run('cp', ['-a', template, dataDir]);
    return true;
  } catch (err) {
    log(`could not copy the template ${template}: ${String(err)}`);
    await rm(dataDir, { recursive: true, force: true });
    return false;
  }
}

/** Keeps a copy of a cluster initdb just made, put in place by a rename so concurrent demos never see half of one. */
export async function saveTemplate(dataDir: string, template: string, log: (line: string) => void): Promise<void> {
  const partial = `${template}.partial-${process.pid}`;
  try {
    await mkdir(dirname(template), { recursive: true });
    await run('cp', ['-a', dataDir, partial]);
    await rename(partial, template);
  } catch (err) {
    // Not writable, or another demo saved it first: either way this run goes on without.
    log(`template not saved in ${template}: ${String(err)}`);
    await rm(partial, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The directory of sluice's package.json, from the sources (runtime/demo) or the build (dist/runtime/demo). */
function packageRoot(): string | undefined {
  for (const rel of ['../../', '../../../']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'sluice') return dir;
    } catch {
      // not at this level
    }
  }
  return undefined;
}
