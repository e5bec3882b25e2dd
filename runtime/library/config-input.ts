import { ConfigError, type ConfigIssue } from '../api/errors.js';

/**
 * What a config value may be when given from code rather than from a JSON file. Connect's configs are strings;
 * from TypeScript a number, boolean or list is clearer, and `` `${number}` `` still takes the strings a config file
 * would hold while refusing `'abc'` for a number at compile time.
 */
export type IntInput = number | `${number}`;
export type LongInput = number | bigint | `${number}`;
export type DoubleInput = number | `${number}`;
export type BoolInput = boolean | 'true' | 'false';
/** a comma-separated string, as in a config file, or the items */
export type ListInput = string | readonly string[];
/** any config value (keys under open prefixes such as `transforms.<alias>.`) */
export type ConfigInput = string | number | bigint | boolean | readonly string[];

/**
 * A typed config back to Connect's strings: lists joined with commas, numbers, bigints and booleans spelled as a
 * config file spells them; undefined and null leave the key out (its default applies). Anything else is refused
 * here, naming its key, rather than turned into `[object Object]`.
 */
export function toRawConfig(config: Readonly<Record<string, unknown>>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  const bad: ConfigIssue[] = [];
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') out[prefix + k] = v;
    else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') out[prefix + k] = String(v);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number'))
      out[prefix + k] = v.join(',');
    else bad.push({ key: prefix + k, message: 'must be a string, number, bigint, boolean or list of strings' });
  }
  if (bad.length) throw new ConfigError(bad);
  return out;
}
