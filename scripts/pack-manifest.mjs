#!/usr/bin/env node
/**
 * `npm pack` and `npm publish` (prepack, postpack): the packed package.json declares the `sluice` command, which the
 * checkout's own package.json must not — with a bin of its own name, `npx sluice` in the checkout installs the whole
 * checkout into npx's cache and builds it again (bin/package.json, the workspace that links the command there).
 *   node scripts/pack-manifest.mjs add       before packing: package.json saved, the bin added
 *   node scripts/pack-manifest.mjs restore   after packing: the saved package.json back
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const MANIFEST = 'package.json';
const SAVED = 'package.json.unpacked';

const [command] = process.argv.slice(2);
if (command === 'add') {
  // A pack that died between its prepack and postpack left the saved manifest: start from it.
  if (existsSync(SAVED)) renameSync(SAVED, MANIFEST);
  const text = readFileSync(MANIFEST, 'utf8');
  writeFileSync(SAVED, text);
  const pkg = JSON.parse(text);
  pkg.bin = { sluice: 'bin/sluice.js' };
  // The checkout's workspace (bin/) is not in the package; bin/sluice.js is, as the command itself.
  delete pkg.workspaces;
  writeFileSync(MANIFEST, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (command === 'restore') {
  if (existsSync(SAVED)) renameSync(SAVED, MANIFEST);
} else {
  process.stderr.write('usage: node scripts/pack-manifest.mjs add|restore\n');
  process.exitCode = 2;
}
