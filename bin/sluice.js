#!/usr/bin/env node
// `npx sluice` and node_modules/.bin/sluice in a checkout: runs the built CLI (dist/, built by `npm install`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/runtime/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('sluice: dist/ is not built here: run `npm install` (or `npm run build`) first\n');
  process.exit(1);
}
await import(cli.href);
