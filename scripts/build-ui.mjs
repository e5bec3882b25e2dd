// Builds the dashboard's page (runtime/ui/app, Preact + uPlot) into dist/runtime/ui/assets: one script, one style
// sheet, the HTML and the icon. Part of `npm run build`; the npm package and the Docker image ship dist/runtime, so
// the page ships with them and nothing is loaded from elsewhere at run time.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(root, 'runtime/ui/app');
const out = join(root, 'dist/runtime/ui/assets');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { app: join(app, 'main.tsx') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome109', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // Preact's and uPlot's MIT notices stay with their code.
  legalComments: 'eof',
  logLevel: 'warning',
});
for (const file of ['index.html', 'favicon.svg']) copyFileSync(join(app, file), join(out, file));
