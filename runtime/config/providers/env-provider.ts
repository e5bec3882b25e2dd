import { ProviderError } from './read-file.js';
import type { ConfigProvider } from './types.js';

/**
 * Kafka's EnvVarConfigProvider: `${env:NAME}`. `allowlist.pattern` limits which variables it hands out; as in Kafka
 * the pattern need only be found in the name (anchor it with ^…$ to match whole names).
 */
export class EnvVarConfigProvider implements ConfigProvider {
  constructor(
    readonly name: string,
    private readonly allowlist: RegExp | undefined,
    private readonly patternKey: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get(path: string, keys: ReadonlySet<string>): Map<string, string> {
    if (path !== '')
      throw new ProviderError(`a path is not supported by EnvVarConfigProvider: write \${${this.name}:NAME}`);
    const out = new Map<string, string>();
    for (const k of keys) {
      const v = this.env[k];
      if (v !== undefined && this.allowed(k)) out.set(k, v);
    }
    return out;
  }

  private allowed(k: string): boolean {
    if (!this.allowlist) return true;
    this.allowlist.lastIndex = 0;
    return this.allowlist.test(k);
  }

  missing(_path: string, key: string): string {
    if (this.env[key] !== undefined && !this.allowed(key))
      return `environment variable ${key} is not allowed by ${this.patternKey}`;
    return `environment variable ${key} is not set`;
  }
}
