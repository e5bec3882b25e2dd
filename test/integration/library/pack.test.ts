import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlocks } from '../../harness/markdown.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { repoRoot, waitFor } from '../../harness/worker.js';

const run = promisify(execFile);

let pgs: PostgresServer;
let dir: string;

beforeAll(async () => {
  pgs = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'sluice-lib-pack-'));
});
afterAll(async () => {
  await pgs?.stop();
  if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
});

/** README's library example: the js block after the `library-example` marker in "Use as a library". */
function readmeExample(): string {
  const blocks = codeBlocks(join(repoRoot, 'README.md'), 'js');
  const example = blocks.find((b) => b.includes("from 'sluice'"));
  if (!example) throw new Error("README.md has no ```js block importing 'sluice'");
  return example;
}

describe('the packed package', () => {
  it('installs in a fresh project, runs the README example unchanged, type-checks it, and has the sluice command', async () => {
    // `npm pack` as a maintainer runs it (prepack, postpack and all), on a copy of what it packs: the files
    // package.json lists, its pack script, and package.json without `prepare` (the tests run on the build as it is).
    const listed = JSON.parse(
      (await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot })).stdout,
    ) as Array<{ files: Array<{ path: string }> }>;
    const stage = join(dir, 'stage');
    for (const f of [...listed[0].files.map((x) => x.path), 'scripts/pack-manifest.mjs']) {
      await cp(join(repoRoot, f), join(stage, f));
    }
    const manifest = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8'));
    expect(
      manifest.bin,
      "the checkout's package.json declares no bin (npx sluice would install the checkout)",
    ).toBeUndefined();
    delete manifest.scripts.prepare;
    await writeFile(join(stage, 'package.json'), JSON.stringify(manifest, null, 2));
    const unpacked = await readFile(join(stage, 'package.json'), 'utf8');
    await run('npm', ['pack', '--pack-destination', dir], { cwd: stage });
    // postpack put package.json back as it was
    expect(await readFile(join(stage, 'package.json'), 'utf8')).toBe(unpacked);
    expect(existsSync(join(stage, 'package.json.unpacked'))).toBe(false);
    const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const app = join(dir, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball as string)], {
      cwd: app,
      timeout: 240_000,
    });

    // The command users get, and the package's own manifest.
    const installed = JSON.parse(await readFile(join(app, 'node_modules/sluice/package.json'), 'utf8'));
    expect(installed.bin).toEqual({ sluice: 'bin/sluice.js' });
    expect(installed.exports['.']).toEqual({
      types: './dist/runtime/library/index.d.ts',
      import: './dist/runtime/library/index.js',
    });
    const bin = join(app, 'node_modules/.bin/sluice');
    expect((await run(bin, ['--version'], { cwd: app })).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect((await run(bin, ['plugins', '--type', 'source'], { cwd: app })).stdout).toContain(
      'io.debezium.connector.postgresql.PostgresConnector',
    );

    // The README example, unchanged, as JavaScript against a real PostgreSQL.
    const example = readmeExample();
    await writeFile(join(app, 'example.mjs'), example);
    await pgs.sql("CREATE TABLE customers (id int PRIMARY KEY, name text); INSERT INTO customers VALUES (1, 'Ada')");
    const proc = spawn(process.execPath, ['example.mjs'], {
      cwd: app,
      env: {
        ...process.env,
        PGHOST: pgs.host,
        PGPORT: String(pgs.port),
        PGUSER: pgs.user,
        PGPASSWORD: pgs.password,
        PGDATABASE: pgs.database,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d));
    proc.stderr.on('data', (d: Buffer) => (out += d));
    try {
      await waitFor(() => out.includes("r { id: 1, name: 'Ada' }"), 60_000, 'the snapshot row printed');
      await pgs.sql("UPDATE customers SET name = 'Ada L.' WHERE id = 1");
      await waitFor(() => out.includes("u { id: 1, name: 'Ada L.' }"), 60_000, 'the update printed');
    } finally {
      proc.kill('SIGKILL');
    }

    // The same text is TypeScript that compiles against the package's declarations, resolved from the install.
    await writeFile(join(app, 'example.ts'), example);
    const program = ts.createProgram([join(app, 'example.ts')], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2023.d.ts'],
      typeRoots: [join(repoRoot, 'node_modules/@types')],
      types: ['node'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
    });
    const resolved = program
      .getSourceFiles()
      .find((f) => f.fileName.includes('node_modules/sluice/dist/runtime/library/index.d.ts'));
    expect(resolved, 'sluice resolved from the installed package').toBeDefined();
    expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '))).toEqual(
      [],
    );
  }, 400_000);
});
