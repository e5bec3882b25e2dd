import { readFileSync } from 'node:fs';
import { ConnectError } from '../api/index.js';

/**
 * Kafka's config providers: `${env:VAR}` and `${file:/path/to.properties:key}` (FileConfigProvider reads a
 * properties file). Resolution happens when a task or connector starts; stored configs, status and REST keep the
 * `${…}` text, so a resolved secret is never shown.
 */
const PATTERN = /\$\{(env|file):([^}]*)\}/g;

export interface Resolved {
  values: Record<string, string>;
  /** keys whose value came (partly) from a provider */
  secretKeys: Set<string>;
}

export function hasProviderReference(value: string): boolean {
  PATTERN.lastIndex = 0;
  return PATTERN.test(value);
}

export function resolveProviders(
  raw: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv = process.env,
): Resolved {
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const files = new Map<string, Map<string, string>>();
  for (const [key, value] of Object.entries(raw)) {
    if (!value.includes('${')) {
      values[key] = value;
      continue;
    }
    values[key] = value.replace(PATTERN, (_m, provider: string, arg: string) => {
      secretKeys.add(key);
      if (provider === 'env') {
        const v = env[arg];
        if (v === undefined) {
          throw new ConnectError(`Config key ${key} refers to environment variable ${arg}, which is not set`);
        }
        return v;
      }
      const cut = arg.lastIndexOf(':');
      if (cut <= 0)
        throw new ConnectError(`Config key ${key}: \${file:…} needs a path and a key, as \${file:/path:key}`);
      const path = arg.slice(0, cut);
      const name = arg.slice(cut + 1);
      let props = files.get(path);
      if (!props) {
        try {
          props = parseProperties(readFileSync(path, 'utf8'));
        } catch (err) {
          throw new ConnectError(
            `Config key ${key} refers to file ${path}, which cannot be read: ${(err as Error).message}`,
          );
        }
        files.set(path, props);
      }
      const v = props.get(name);
      if (v === undefined)
        throw new ConnectError(`Config key ${key} refers to key ${name} in ${path}, which has no such key`);
      return v;
    });
  }
  return { values, secretKeys };
}

/** Java properties, the subset people write: `k=v`, `k: v`, comments, blank lines, `\` continuations. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i].trimStart();
    const m = /^((?:\\.|[^=:\s])+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out.set(m[1].replace(/\\(.)/g, '$1'), m[2]);
    else out.set(line, '');
  }
  return out;
}
