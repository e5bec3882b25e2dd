import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plugin } from '../../../runtime/api/index.js';
import { validateConnectorConfig } from '../../../runtime/config/connector.js';
import { workerProviders } from '../../../runtime/config/providers/index.js';
import { parseWorkerConfig, readWorkerFile } from '../../../runtime/config/worker.js';
import { builtinRegistry } from '../../../runtime/worker/plugins.js';
import { readConnectorFile } from '../../../runtime/worker/standalone.js';
import { repoRoot } from '../../harness/worker.js';

/** Every config in examples/ must be accepted by the same validation the worker runs before it starts. */

const dir = join(repoRoot, 'examples');

function jsonFiles(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsonFiles(join(d, e.name)) : e.name.endsWith('.json') ? [join(d, e.name)] : [],
  );
}

const files = jsonFiles(dir);
const workers = files.filter((f) => /(^|\/)worker[^/]*\.json$/.test(f));
const connectors = files.filter((f) => !workers.includes(f));

// Compose-oriented examples read passwords from the environment (`${env:…}`); the provider must find them.
const envNames = [
  ...new Set(
    files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\$\{env:([A-Za-z0-9_]+)\}/g)].map((m) => m[1])),
  ),
];
const saved = new Map(envNames.map((n) => [n, process.env[n]]));
beforeAll(() => {
  for (const n of envNames) process.env[n] = `example-${n.toLowerCase()}`;
});
afterAll(() => {
  for (const [n, v] of saved) {
    if (v === undefined) delete process.env[n];
    else process.env[n] = v;
  }
});

describe('examples/', () => {
  it('has worker configs for both transports and a connector config for every source and sink', () => {
    expect(workers.length).toBeGreaterThanOrEqual(2);
    const modes = workers.map((f) => parseWorkerConfig(readWorkerFile(f)).config.list('bootstrap.servers').length > 0);
    expect(new Set(modes)).toEqual(new Set([true, false]));
    const registry = builtinRegistry();
    const used = new Set<Plugin | undefined>(
      connectors.map((f) =>
        registry.connector(readConnectorFile(f, readFileSync(f, 'utf8')).config['connector.class']),
      ),
    );
    const all = registry.list(['source', 'sink']);
    expect(all.filter((p) => !used.has(p)).map((p) => p.className)).toEqual([]);
  });

  it.each(workers.map((f) => [relative(repoRoot, f), f]))('worker %s is valid', (_name, file) => {
    expect(() => parseWorkerConfig(readWorkerFile(file))).not.toThrow();
  });

  // Every standalone worker example declares the config providers the connector examples use.
  it.each(connectors.map((f) => [relative(repoRoot, f), f]))('connector %s is valid', async (_name, file) => {
    const { name, config } = readConnectorFile(file, readFileSync(file, 'utf8'));
    expect(name).toBeTruthy();
    for (const w of workers) {
      const providers = workerProviders(parseWorkerConfig(readWorkerFile(w)).config);
      const { issues } = await validateConnectorConfig(builtinRegistry(), config, { deep: false, providers });
      expect(issues, relative(repoRoot, w)).toEqual([]);
    }
  });

  it('keeps passwords out of the files: every password key is a config provider reference', async () => {
    for (const file of connectors) {
      const { config } = readConnectorFile(file, readFileSync(file, 'utf8'));
      const plugin = builtinRegistry().connector(config['connector.class']);
      const secrets = plugin?.configSpec.filter((k) => k.type === 'password').map((k) => k.name) ?? [];
      for (const k of secrets)
        if (config[k] !== undefined) expect(config[k], `${file}: ${k}`).toMatch(/^\$\{(env|file):/);
    }
  });
});
