import { type ConfigIssue, ConfigError } from '../api/index.js';
import { validateConnectorConfig, validateForWorker } from '../config/connector.js';
import { ConfigProviders } from '../config/providers/index.js';
import { parseConfigText, parseWorkerConfig, readConfigFile, type WorkerConfig } from '../config/worker.js';
import { builtinRegistry } from '../worker/plugins.js';
import { type CliIO, type OutputFormat, printable, printJson } from './io.js';

/**
 * `sluice validate [worker.json] connector.json…`: checks config files offline, as a worker would before starting
 * them — keys, types, values, typos, transforms and predicates against the plugin specs — and reports every
 * problem with the messages REST gives (`key: message`). It does not connect to any database (the connectors'
 * own reachability checks run when the worker starts them). A worker config among the files is checked too, and
 * its config providers resolve the connectors' `${…}` references here, from this machine's environment and
 * files; without one, references are left for the worker and listed as not checked.
 */

interface FileReport {
  file: string;
  kind: 'worker' | 'connector';
  name?: string;
  class?: string;
  valid: boolean;
  errors: ConfigIssue[];
  /** keys whose `${…}` references were not resolved here */
  unchecked: string[];
}

export async function validateFiles(paths: readonly string[], output: OutputFormat, io: CliIO): Promise<number> {
  const registry = builtinRegistry();
  const files: Array<{ path: string; raw?: Record<string, string>; kind: FileReport['kind']; error?: string }> = [];
  for (const path of paths) {
    try {
      const text = readConfigFile(path, 'config file');
      const raw = parseConfigText(path, text, true);
      files.push({ path, raw, kind: 'connector.class' in raw || hasConfigObject(text) ? 'connector' : 'worker' });
    } catch (err) {
      files.push({ path, kind: 'connector', error: (err as Error).message });
    }
  }
  const reports: FileReport[] = [];
  const workers = files.filter((f) => f.kind === 'worker');
  let worker: WorkerConfig | undefined;
  for (const f of workers) {
    const report: FileReport = { file: f.path, kind: 'worker', valid: true, errors: [], unchecked: [] };
    try {
      worker = parseWorkerConfig(f.raw ?? {});
    } catch (err) {
      report.errors = err instanceof ConfigError ? [...err.issues] : [{ key: '', message: (err as Error).message }];
    }
    if (workers.length > 1)
      report.errors.push({ key: '', message: 'more than one worker config given; a worker takes one' });
    report.valid = report.errors.length === 0;
    reports.push(report);
  }
  for (const f of files) {
    if (f.kind !== 'connector') continue;
    if (f.error || !f.raw) {
      reports.push({
        file: f.path,
        kind: 'connector',
        valid: false,
        errors: [{ key: '', message: f.error ?? '' }],
        unchecked: [],
      });
      continue;
    }
    reports.push(await validateConnector(f.path, f.raw, worker, registry));
  }

  if (output === 'json') printJson(io, reports);
  else for (const r of reports) io.out(describe(r));
  return reports.every((r) => r.valid) ? 0 : 1;
}

/** A file holding `{"name", "config": {…}}` is a connector even when connector.class is missing from it. */
function hasConfigObject(text: string): boolean {
  try {
    const obj = JSON.parse(text) as unknown;
    return typeof obj === 'object' && obj !== null && typeof (obj as { config?: unknown }).config === 'object';
  } catch {
    return false;
  }
}

async function validateConnector(
  file: string,
  raw: Record<string, string>,
  worker: WorkerConfig | undefined,
  registry: ReturnType<typeof builtinRegistry>,
): Promise<FileReport> {
  const name = raw.name;
  // deep: false — no connection to the database; that check belongs to the worker that runs it.
  const v = worker
    ? await validateForWorker(registry, worker.config, raw, { deep: false })
    : await validateConnectorConfig(registry, raw, { deep: false, providers: ConfigProviders.NONE });
  const referring = new Set(Object.keys(raw).filter((k) => raw[k].includes('${')));
  // Without a worker config, a reference's only "problem" is that no provider is declared here: not an error.
  const unresolvedHere = (i: ConfigIssue) => !worker && referring.has(i.key) && i.message.startsWith('${');
  const errors = v.issues.filter((i) => !unresolvedHere(i));
  if (!name) errors.unshift({ key: 'name', message: `${file} has no connector name` });
  return {
    file,
    kind: 'connector',
    name,
    class: v.plugin?.className,
    valid: errors.length === 0,
    errors,
    unchecked: worker ? [] : [...referring].sort(),
  };
}

function describe(r: FileReport): string {
  const what =
    r.kind === 'worker'
      ? 'worker config'
      : `connector ${r.name ? printable(r.name) : '(no name)'}${r.class ? ` (${r.class})` : ''}`;
  const lines = [
    `${printable(r.file)}: ${what}: ${r.valid ? 'valid' : `${r.errors.length} error${r.errors.length === 1 ? '' : 's'}`}`,
  ];
  for (const e of r.errors) lines.push(`  ${printable(e.key ? `${e.key}: ${e.message}` : e.message)}`);
  if (r.unchecked.length)
    lines.push(
      `  not checked: ${r.unchecked.map(printable).join(', ')} (\${…} references; give the worker config too, to resolve them here)`,
    );
  return `${lines.join('\n')}\n`;
}
