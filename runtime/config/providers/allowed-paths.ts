import { isAbsolute, normalize, resolve } from 'node:path';
import { isInside, ProviderError, realPath } from './read-file.js';

/**
 * KIP-993's `allowed.paths` of FileConfigProvider and DirectoryConfigProvider: a comma-separated list of absolute,
 * existing paths; a provider reads only below one of them. Unlike Kafka before KAFKA-20700, symbolic links are
 * resolved before the check, so a link inside an allowed directory cannot lead outside it. A path outside is refused
 * before the file system is asked anything about it, so a refusal tells nothing about what exists there.
 */
export class AllowedPaths {
  private constructor(
    /** the entries as written (normalized) and as resolved: a path must be inside one of each */
    private readonly given: readonly string[],
    private readonly real: readonly string[],
    readonly configKey: string,
  ) {}

  /** Parses the setting; undefined or empty: every path is allowed (Kafka's default). Throws a message. */
  static parse(value: string | undefined, configKey: string): AllowedPaths | undefined {
    if (value === undefined || value.trim() === '') return undefined;
    const given: string[] = [];
    const real: string[] = [];
    for (const entry of value.split(',')) {
      const p = normalize(entry.trim());
      if (!isAbsolute(p)) throw new Error(`Path ${entry.trim()} is not valid: the path should be absolute and exist`);
      let r: string;
      try {
        r = realPath(p);
      } catch {
        throw new Error(`Path ${p} is not valid: the path should be absolute and exist`);
      }
      given.push(p);
      real.push(r);
    }
    return new AllowedPaths(given, real, configKey);
  }

  /** The real path to read for `path` (relative paths are taken from the working directory), or a refusal. */
  check(path: string): string {
    const absolute = resolve(path);
    const refuse = () => new ProviderError(`${path} is outside ${this.configKey} (${this.given.join(',')})`);
    if (!this.given.some((d) => isInside(absolute, d)) && !this.real.some((d) => isInside(absolute, d))) throw refuse();
    const real = realPath(absolute);
    if (!this.real.some((d) => isInside(real, d))) throw refuse();
    return real;
  }
}

/** The real path to read when no allowed.paths is set. */
export function anyPath(path: string): string {
  return realPath(resolve(path));
}
