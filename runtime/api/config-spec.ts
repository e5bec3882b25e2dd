/**
 * A config spec is a plugin's list of keys. It drives validation, the REST `config/validate` answer
 * (Connect's ConfigInfos), and the generated configuration reference in README: one source of truth.
 */

export type ConfigType = 'string' | 'int' | 'long' | 'double' | 'boolean' | 'list' | 'password' | 'class';
export type Importance = 'HIGH' | 'MEDIUM' | 'LOW';
export type ConfigScalar = string | number | bigint | boolean | readonly string[] | null;

export interface ConfigKey {
  readonly name: string;
  readonly type: ConfigType;
  readonly doc: string;
  /** Absent: the key is required. `null`: optional with no value. */
  readonly default?: ConfigScalar;
  readonly importance?: Importance;
  readonly group?: string;
  readonly displayName?: string;
  /** For enums; compared case-insensitively, as Debezium does. The parsed value is the spec's spelling. */
  readonly validValues?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Extra check on the parsed value; returns a message when the value is wrong. */
  readonly validate?: (value: ConfigScalar, all: ConfigValues) => string | undefined;
  /** Keys that this key's meaning depends on (Connect's `dependents`). */
  readonly dependents?: readonly string[];
  /** Older names of this key that are still accepted. */
  readonly deprecatedNames?: readonly string[];
}

export type ConfigSpec = readonly ConfigKey[];

export interface ConfigValues {
  get(key: string): ConfigScalar | undefined;
}

/** Spells a spec with less noise: `key('database.port', 'int', 'Port', { default: 5432 })`. */
export function key(
  name: string,
  type: ConfigType,
  doc: string,
  options: Omit<ConfigKey, 'name' | 'type' | 'doc'> = {},
): ConfigKey {
  return { name, type, doc, importance: 'MEDIUM', ...options };
}

/**
 * Parsed, typed view of a connector or task config. Values are resolved (config providers applied); never log
 * them. `raw` holds every key as given, resolved, including keys the spec does not name.
 */
export class Config implements ConfigValues {
  constructor(
    private readonly values: ReadonlyMap<string, ConfigScalar>,
    readonly raw: Readonly<Record<string, string>>,
  ) {}

  get(key: string): ConfigScalar | undefined {
    return this.values.has(key) ? this.values.get(key) : undefined;
  }

  has(key: string): boolean {
    return this.values.get(key) !== undefined && this.values.get(key) !== null;
  }

  string(key: string): string {
    const v = this.get(key);
    if (v === undefined || v === null) throw new Error(`config key ${key} has no value`);
    return Array.isArray(v) ? v.join(',') : String(v);
  }

  optionalString(key: string): string | undefined {
    const v = this.get(key);
    return v === undefined || v === null ? undefined : Array.isArray(v) ? v.join(',') : String(v);
  }

  int(key: string): number {
    const v = this.get(key);
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    throw new Error(`config key ${key} is not a number`);
  }

  bool(key: string): boolean {
    const v = this.get(key);
    if (typeof v === 'boolean') return v;
    throw new Error(`config key ${key} is not a boolean`);
  }

  list(key: string): string[] {
    const v = this.get(key);
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? [...v] : [String(v)];
  }

  /** Keys under a prefix with the prefix removed, e.g. `transforms.unwrap.` → `{ 'drop.tombstones': … }`. */
  withPrefix(prefix: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.raw)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
    return out;
  }
}
