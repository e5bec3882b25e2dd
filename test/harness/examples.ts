import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConnectorFile, repoRoot, startWorker, type WorkerProcess } from './worker.js';

/** A file under examples/, parsed as JSON. */
export const example = <T>(name: string): T => JSON.parse(readFileSync(join(repoRoot, 'examples', name), 'utf8')) as T;

export interface ExampleWorker<E> {
  worker: WorkerProcess;
  /** every record the sink wrote so far; throws if the worker has exited */
  events(): E[];
}

/**
 * Starts a worker from examples/worker-direct.json with examples/file-sink.json writing to `dir`/changes.jsonl and
 * the given source, as docker-compose.yml would but with state files in `dir`. Only what cannot be the same here
 * (paths, host and port) is changed; the rest of the examples is used as it is.
 */
export async function startExampleWorker<E>(o: {
  dir: string;
  source: ConnectorFile;
  /** sink settings on top of examples/file-sink.json (its `file` is always set) */
  sink?: Record<string, string>;
  env: NodeJS.ProcessEnv;
}): Promise<ExampleWorker<E>> {
  const sink = example<ConnectorFile>('file-sink.json');
  const out = join(o.dir, 'changes.jsonl');
  const worker = await startWorker({
    dir: o.dir,
    worker: {
      ...example<Record<string, string>>('worker-direct.json'),
      'offset.storage.file.filename': join(o.dir, 'offsets.json'),
      'config.storage.file.filename': join(o.dir, 'connectors.json'),
      listeners: '',
    },
    connectors: [{ ...sink, config: { ...sink.config, file: out, ...o.sink } }, o.source],
    env: o.env,
    waitReady: false,
  });
  const events = (): E[] => {
    if (worker.proc.exitCode !== null) throw new Error(`the worker exited:\n${worker.logs().slice(-3000)}`);
    let text = '';
    try {
      text = readFileSync(out, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as E);
  };
  return { worker, events };
}
