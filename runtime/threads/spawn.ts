import { type ResourceLimits, Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on `entry`, a module next to the caller (`new URL('./x.js', import.meta.url)`). Built, the
 * module is dist's .js; run from the TypeScript sources (vitest), the caller's URL is a .ts file's and the thread
 * loads the .ts sibling through tsx (a dev dependency), so tests run the same thread code as production.
 */
export function startThread(entry: URL, workerData: unknown, name: string, resourceLimits?: ResourceLimits): Worker {
  // Per-thread `--import` flags are not honoured by Node 20's workers: the thread registers tsx's hooks itself,
  // then imports the .ts entry.
  const fromSources = entry.pathname.endsWith('.ts');
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(fromSources ? boot : entry, { workerData, name, eval: fromSources, resourceLimits });
}

/** The sibling module of `callerUrl` named `base` (no extension), as .ts or .js like the caller. */
export function siblingModule(callerUrl: string, base: string): URL {
  const ext = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${base}${ext}`, callerUrl);
}
