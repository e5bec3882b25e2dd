import type { ReadBudget } from './read-file.js';

/** One declared config provider, as Kafka's ConfigProvider.get(path, keys). */
export interface ConfigProvider {
  /** the name it is declared under in `config.providers` */
  readonly name: string;
  /** the values of those of `keys` found at `path`; throws ProviderError when the path itself is refused */
  get(path: string, keys: ReadonlySet<string>, budget: ReadBudget): Map<string, string>;
  /** why a key was not found at a path, for the error */
  missing(path: string, key: string): string;
}
