import { Config, type ConfigIssue, type ConfigKey, type ConfigScalar, type ConfigSpec } from '../api/index.js';

export interface ParseOptions {
  /** Report unknown keys that look like typos of known ones (on for user configs, off for task configs). */
  reportTypos?: boolean;
  /** Key prefixes that are open-ended (e.g. `transforms.`), never reported as typos. */
  openPrefixes?: readonly string[];
  /** Keys whose raw value came from a config provider; their values never appear in messages. */
  secretKeys?: ReadonlySet<string>;
}

export interface ParseResult {
  config: Config;
  issues: ConfigIssue[];
}

/** Parses raw string values against a spec; collects every problem instead of stopping at the first. */
export function parseConfig(
  spec: ConfigSpec,
  raw: Readonly<Record<string, string>>,
  options: ParseOptions = {},
): ParseResult {
  const issues: ConfigIssue[] = [];
  const values = new Map<string, ConfigScalar>();
  const known = new Set<string>();
  const view = { get: (k: string) => values.get(k) };

  for (const def of spec) {
    known.add(def.name);
    let given = raw[def.name];
    for (const old of def.deprecatedNames ?? []) {
      known.add(old);
      if (given === undefined && raw[old] !== undefined) given = raw[old];
    }
    // An empty number or boolean means "not given"; an empty list is a list with nothing in it.
    if (given === undefined || (given === '' && !['string', 'password', 'list'].includes(def.type))) {
      if (def.default === undefined) {
        issues.push({
          key: def.name,
          message: 'Missing required configuration "' + def.name + '" which has no default value.',
        });
      } else {
        values.set(def.name, def.default);
      }
      continue;
    }
    const secret = def.type === 'password' || options.secretKeys?.has(def.name) === true;
    const parsed = parseValue(def, given, secret);
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
      issues.push({ key: def.name, message: parsed.error });
      continue;
    }
    values.set(def.name, parsed as ConfigScalar);
  }

  for (const def of spec) {
    const v = values.get(def.name);
    if (v === undefined || v === null || !def.validate) continue;
    const problem = def.validate(v, view);
    if (problem) issues.push({ key: def.name, message: problem });
  }

  if (options.reportTypos) {
    const open = options.openPrefixes ?? [];
    for (const k of Object.keys(raw)) {
      if (known.has(k) || open.some((p) => k.startsWith(p))) continue;
      const near = nearest(k, known);
      if (near) issues.push({ key: k, message: `Unknown configuration key "${k}"; did you mean "${near}"?` });
    }
  }
  return { config: new Config(values, raw), issues };
}

type Parsed = ConfigScalar | { error: string };

function parseValue(def: ConfigKey, given: string, secret: boolean): Parsed {
  const shown = secret ? '[hidden]' : JSON.stringify(given);
  const text = def.type === 'password' || def.type === 'string' ? given : given.trim();
  switch (def.type) {
    case 'string':
    case 'password':
    case 'class': {
      if (def.validValues) {
        const match = def.validValues.find((v) => v.toLowerCase() === text.trim().toLowerCase());
        if (match === undefined) {
          return {
            error: `Invalid value ${shown} for configuration ${def.name}: must be one of ${def.validValues.join(', ')}`,
          };
        }
        return match;
      }
      return text;
    }
    case 'int':
    case 'long': {
      if (!/^[+-]?\d+$/.test(text))
        return { error: `Invalid value ${shown} for configuration ${def.name}: not a whole number` };
      const big = BigInt(text);
      if (def.type === 'int' && (big > 2147483647n || big < -2147483648n)) {
        return { error: `Invalid value ${shown} for configuration ${def.name}: out of range for an int` };
      }
      const n = Number(big);
      if (def.min !== undefined && n < def.min)
        return { error: `Invalid value ${shown} for configuration ${def.name}: must be at least ${def.min}` };
      if (def.max !== undefined && n > def.max)
        return { error: `Invalid value ${shown} for configuration ${def.name}: must be at most ${def.max}` };
      return Number.isSafeInteger(n) ? n : big;
    }
    case 'double': {
      const n = Number(text);
      if (text === '' || Number.isNaN(n))
        return { error: `Invalid value ${shown} for configuration ${def.name}: not a number` };
      if (def.min !== undefined && n < def.min)
        return { error: `Invalid value ${shown} for configuration ${def.name}: must be at least ${def.min}` };
      return n;
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (t === 'true') return true;
      if (t === 'false') return false;
      return { error: `Invalid value ${shown} for configuration ${def.name}: expected true or false` };
    }
    case 'list': {
      const items =
        text === ''
          ? []
          : text
              .split(',')
              .map((s) => s.trim())
              .filter((s) => s !== '');
      if (def.validValues) {
        const bad = items.filter((i) => !def.validValues!.some((v) => v.toLowerCase() === i.toLowerCase()));
        if (bad.length)
          return {
            error: `Invalid value ${shown} for configuration ${def.name}: ${bad.join(', ')} not in ${def.validValues.join(', ')}`,
          };
      }
      return items;
    }
  }
}

/** The known key closest to `k` when it is close enough to be a typo. */
export function nearest(k: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const cand of known) {
    const d = editDistance(k, cand);
    if (d < bestD) {
      bestD = d;
      best = cand;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(k.length / 5)));
  return bestD > 0 && bestD <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
