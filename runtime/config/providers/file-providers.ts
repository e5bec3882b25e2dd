import { join } from 'node:path';
import { type AllowedPaths, anyPath } from './allowed-paths.js';
import { parseProperties } from './properties.js';
import { ProviderError, type ReadBudget, readRegularFile, realPath } from './read-file.js';
import type { ConfigProvider } from './types.js';

/** Kafka's FileConfigProvider: `${file:/path/to/file.properties:key}` reads a key of a properties file. */
export class FileConfigProvider implements ConfigProvider {
  constructor(
    readonly name: string,
    private readonly allowed: AllowedPaths | undefined,
  ) {}

  get(path: string, keys: ReadonlySet<string>, budget: ReadBudget): Map<string, string> {
    if (path === '')
      throw new ProviderError(`needs a path and a key, as \${${this.name}:/path/to/file.properties:key}`);
    const real = this.allowed ? this.allowed.check(path) : anyPath(path);
    const props = parseProperties(readRegularFile(real, budget));
    const out = new Map<string, string>();
    for (const k of keys) {
      const v = props.get(k);
      if (v !== undefined) out.set(k, v);
    }
    return out;
  }

  missing(path: string, key: string): string {
    return `${path} has no key ${key}`;
  }
}

/**
 * Kafka's DirectoryConfigProvider: `${dir:/run/secrets:db-password}` is the whole content of the regular file
 * `db-password` in that directory (as Kafka, not trimmed: a trailing newline stays).
 */
export class DirectoryConfigProvider implements ConfigProvider {
  constructor(
    readonly name: string,
    private readonly allowed: AllowedPaths | undefined,
  ) {}

  get(path: string, keys: ReadonlySet<string>, budget: ReadBudget): Map<string, string> {
    if (path === '')
      throw new ProviderError(`needs a directory and a file name, as \${${this.name}:/run/secrets:name}`);
    const dir = this.allowed ? this.allowed.check(path) : anyPath(path);
    const out = new Map<string, string>();
    for (const k of keys) {
      // A key is a file name in the directory, as Kafka lists it: never a path.
      if (k === '' || k === '.' || k === '..' || k.includes('/') || k.includes('\u0000')) continue;
      let file: string;
      try {
        file = realPath(join(dir, k));
      } catch {
        continue; // no such file: reported as a missing key
      }
      // A symbolic link in the directory is followed (as Files.isRegularFile does), but only to an allowed place.
      if (this.allowed) this.allowed.check(file);
      out.set(k, readRegularFile(file, budget));
    }
    return out;
  }

  missing(path: string, key: string): string {
    return `${path} has no regular file named ${key}`;
  }
}
