import { type Config, ConfigError, type ConfigIssue } from '../../api/index.js';
import { AllowedPaths } from './allowed-paths.js';
import { EnvVarConfigProvider } from './env-provider.js';
import { DirectoryConfigProvider, FileConfigProvider } from './file-providers.js';
import { ProviderError, ReadBudget } from './read-file.js';
import type { ConfigProvider } from './types.js';

export { MAX_PROVIDER_FILE_BYTES, MAX_PROVIDER_FILES, MAX_PROVIDER_TOTAL_BYTES } from './read-file.js';
export { parseProperties } from './properties.js';

/**
 * Config providers as Kafka Connect declares them in the worker config:
 *
 *     config.providers=file,env
 *     config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
 *     config.providers.file.param.allowed.paths=/run/secrets
 *     config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
 *     config.providers.env.param.allowlist.pattern=^PG_
 *
 * A value refers to one as `${name:[path:]key}` (Kafka's ConfigTransformer pattern). Only declared providers are
 * resolved. Unlike Kafka, which leaves a reference it cannot resolve as literal text, every such reference (an
 * undeclared provider, a refused path, a missing key) is a config problem naming the key: a password that silently
 * became the text `${env:PGPASSWORD}` helps nobody. Resolution happens when a config is validated and when a
 * connector or task starts; stored configs, status and REST keep the `${…}` text.
 */
const REFERENCE = /\$\{([\w.-]+):(?:([^}:]*):)?([^}]*)\}/g;

const PREFIX = 'config.providers';
const PACKAGE = 'org.apache.kafka.common.config.provider.';

type Factory = (name: string, params: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv) => ConfigProvider;

const CLASSES: ReadonlyMap<string, Factory> = new Map<string, Factory>([
  ['FileConfigProvider', (name, p) => new FileConfigProvider(name, allowedPaths(name, p))],
  ['DirectoryConfigProvider', (name, p) => new DirectoryConfigProvider(name, allowedPaths(name, p))],
  [
    'EnvVarConfigProvider',
    (name, p, env) => {
      const key = `${PREFIX}.${name}.param.allowlist.pattern`;
      const pattern = p['allowlist.pattern'];
      let re: RegExp | undefined;
      if (pattern !== undefined) {
        try {
          re = new RegExp(pattern);
        } catch (err) {
          throw new DeclareError(key, `not a regular expression: ${(err as Error).message}`);
        }
      }
      return new EnvVarConfigProvider(name, re, key, env);
    },
  ],
]);

function allowedPaths(name: string, params: Readonly<Record<string, string>>): AllowedPaths | undefined {
  const key = `${PREFIX}.${name}.param.allowed.paths`;
  try {
    return AllowedPaths.parse(params['allowed.paths'], key);
  } catch (err) {
    throw new DeclareError(key, (err as Error).message);
  }
}

/** A provider's parameter is wrong. */
class DeclareError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/** The result of resolving one config map. */
export interface Resolved {
  /** every key, references replaced; a key whose reference failed keeps its raw text */
  values: Record<string, string>;
  /** keys whose raw value holds a reference: their values are never shown */
  secretKeys: Set<string>;
  /** keys with a reference that could not be resolved (each has an issue) */
  unresolved: Set<string>;
  /** every value a reference was replaced with, longest first: cut out of anything shown */
  secrets: string[];
  /** one per key whose references could not all be resolved */
  issues: ConfigIssue[];
}

/** After this many unresolvable references, the rest are counted, not listed (a hostile body has thousands). */
const MAX_ISSUES = 100;

export class ConfigProviders {
  static readonly NONE = new ConfigProviders(new Map());

  private constructor(private readonly byName: ReadonlyMap<string, ConfigProvider>) {}

  /**
   * The providers a worker config declares, and every problem of their declaration. Only `config.providers*` keys
   * are read; their values are taken as written (never resolved).
   */
  static declare(
    raw: Readonly<Record<string, string>>,
    env: NodeJS.ProcessEnv = process.env,
  ): { providers: ConfigProviders; issues: ConfigIssue[] } {
    const issues: ConfigIssue[] = [];
    const byName = new Map<string, ConfigProvider>();
    const names = (raw[PREFIX] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const name of names) {
      if (!/^[\w.-]+$/.test(name)) {
        issues.push({ key: PREFIX, message: `"${name}" is not a provider name (letters, digits, _ . - only)` });
        continue;
      }
      const classKey = `${PREFIX}.${name}.class`;
      const className = raw[classKey]?.trim();
      if (!className) {
        issues.push({
          key: classKey,
          message: `config provider "${name}" is declared in ${PREFIX} but has no class; set it to ${PACKAGE}FileConfigProvider, DirectoryConfigProvider or EnvVarConfigProvider`,
        });
        continue;
      }
      const short = className.startsWith(PACKAGE) ? className.slice(PACKAGE.length) : className;
      const factory = CLASSES.get(short);
      if (!factory) {
        issues.push({
          key: classKey,
          message: `Class ${className} is not a config provider sluice has; it has ${[...CLASSES.keys()].map((c) => PACKAGE + c).join(', ')}`,
        });
        continue;
      }
      const paramPrefix = `${PREFIX}.${name}.param.`;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) if (k.startsWith(paramPrefix)) params[k.slice(paramPrefix.length)] = v;
      try {
        byName.set(name, factory(name, params, env));
      } catch (err) {
        if (!(err instanceof DeclareError)) throw err;
        issues.push({ key: err.key, message: err.message });
      }
    }
    return { providers: new ConfigProviders(byName), issues };
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** Resolves every reference in `raw` (keys for which `skip` is true are copied as they are). Never throws. */
  resolve(raw: Readonly<Record<string, string>>, skip?: (key: string) => boolean): Resolved {
    const out: Resolved = {
      values: {},
      secretKeys: new Set(),
      unresolved: new Set(),
      secrets: [],
      issues: [],
    };
    // First every reference, grouped by provider and path, so each file is read once (Kafka's transform does so).
    const wanted = new Map<string, Map<string, Set<string>>>();
    for (const [key, value] of Object.entries(raw)) {
      if (skip?.(key) || !value.includes('${')) continue;
      for (const m of value.matchAll(REFERENCE)) {
        out.secretKeys.add(key);
        const provider = this.byName.get(m[1]);
        if (!provider) continue;
        const byPath = wanted.get(m[1]) ?? new Map<string, Set<string>>();
        wanted.set(m[1], byPath);
        const keys = byPath.get(m[2] ?? '') ?? new Set<string>();
        byPath.set(m[2] ?? '', keys);
        keys.add(m[3]);
      }
    }
    const budget = new ReadBudget();
    const found = new Map<string, Map<string, Map<string, string> | ProviderError>>();
    for (const [name, byPath] of wanted) {
      const provider = this.byName.get(name) as ConfigProvider;
      const results = new Map<string, Map<string, string> | ProviderError>();
      found.set(name, results);
      for (const [path, keys] of byPath) {
        try {
          results.set(path, provider.get(path, keys, budget));
        } catch (err) {
          results.set(path, err instanceof ProviderError ? err : new ProviderError(String((err as Error)?.message)));
        }
      }
    }

    const secrets = new Set<string>();
    let dropped = 0;
    for (const [key, value] of Object.entries(raw)) {
      if (!out.secretKeys.has(key)) {
        out.values[key] = value;
        continue;
      }
      const problems: string[] = [];
      const replaced = value.replace(REFERENCE, (ref: string, name: string, path: string | undefined, k: string) => {
        const provider = this.byName.get(name);
        if (!provider) {
          problems.push(`${ref}: ${this.undeclared(name)}`);
          return ref;
        }
        const result = found.get(name)?.get(path ?? '');
        if (result instanceof ProviderError) {
          problems.push(`${ref}: ${result.message}`);
          return ref;
        }
        const v = result?.get(k);
        if (v === undefined) {
          problems.push(`${ref}: ${provider.missing(path ?? '', k)}`);
          return ref;
        }
        if (v !== '') secrets.add(v);
        return v;
      });
      if (problems.length === 0) {
        out.values[key] = replaced;
        continue;
      }
      out.values[key] = value;
      out.unresolved.add(key);
      if (out.issues.length < MAX_ISSUES) out.issues.push({ key, message: problems.join('; ') });
      else dropped++;
    }
    if (dropped > 0)
      out.issues.push({ key: PREFIX, message: `${dropped} more keys refer to values that cannot be resolved` });
    out.secrets = [...secrets].sort((a, b) => b.length - a.length);
    return out;
  }

  private undeclared(name: string): string {
    const declared = this.names;
    const example =
      name === 'env' ? 'EnvVarConfigProvider' : name === 'dir' ? 'DirectoryConfigProvider' : 'FileConfigProvider';
    const how = `add "${name}" to ${PREFIX} in the worker config and set ${PREFIX}.${name}.class (e.g. ${PACKAGE}${example})`;
    return declared.length === 0
      ? `this worker declares no config providers; ${how}`
      : `config provider "${name}" is not declared (this worker declares ${declared.join(', ')}); ${how}`;
  }
}

/** Resolves and throws a ConfigError naming every key that could not be resolved. */
export function resolveOrThrow(
  providers: ConfigProviders,
  raw: Readonly<Record<string, string>>,
  what = 'Cannot resolve config provider references',
): Resolved {
  const r = providers.resolve(raw);
  if (r.issues.length) throw new ConfigError(r.issues, what);
  return r;
}

export function hasProviderReference(value: string): boolean {
  REFERENCE.lastIndex = 0;
  const found = REFERENCE.test(value);
  REFERENCE.lastIndex = 0;
  return found;
}

/**
 * A task config as shown and stored: where the connector config refers to a provider and the task holds that
 * reference's resolved value, the reference is put back (Connect's reverse transformation), so the secret stays out
 * of task configs; the task's start resolves it again.
 */
export function reverseTransform(
  task: Readonly<Record<string, string>>,
  connectorRaw: Readonly<Record<string, string>>,
  connectorResolved: Readonly<Record<string, string>>,
): Record<string, string> {
  const out = { ...task };
  for (const [k, v] of Object.entries(connectorRaw)) {
    if (out[k] !== undefined && hasProviderReference(v) && out[k] === connectorResolved[k]) out[k] = v;
  }
  return out;
}

/** Free text: secrets shorter than this are not cut out (they are in every word); whole values are hidden. */
export const MIN_SCRUBBED_LENGTH = 4;
export const HIDDEN = '[hidden]';

/** `text` with every secret of at least MIN_SCRUBBED_LENGTH characters replaced by `[hidden]`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= MIN_SCRUBBED_LENGTH && out.includes(s)) out = out.split(s).join(HIDDEN);
  return out;
}

/** A value shown on its own (a topic, a config value): hidden whole when it is a secret, else scrubbed. */
export function scrubValue(value: string, secrets: readonly string[]): string {
  return secrets.includes(value) ? HIDDEN : scrubSecrets(value, secrets);
}

/** Every string in a JSON value scrubbed (offsets, partitions). */
export function scrubJson<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrubValue(v, secrets);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [scrubValue(k, secrets), walk(x)]));
    return v;
  };
  return walk(value) as T;
}

const byConfig = new WeakMap<Config, ConfigProviders>();

/** Remembers the providers a parsed worker config declares. */
export function attachProviders(config: Config, providers: ConfigProviders): void {
  byConfig.set(config, providers);
}

/** The providers a worker config declares (as parseWorkerConfig made them; else declared from its raw keys). */
export function workerProviders(config: Config): ConfigProviders {
  let p = byConfig.get(config);
  if (!p) {
    p = ConfigProviders.declare(config.raw).providers;
    byConfig.set(config, p);
  }
  return p;
}
