import type { ConfigIssue, ConfigKey, ConfigScalar, ConfigSpec, ConfigType } from '../api/index.js';
import { HIDDEN, isSecretKey, scrub, secretValues } from './secrets.js';

/** Connect's ConfigKeyInfo: one key's definition, as `GET /connector-plugins/{p}/config` and validate show it. */
export interface ConfigKeyInfo {
  name: string;
  type: string;
  required: boolean;
  default_value: string | null;
  importance: string;
  documentation: string;
  group: string | null;
  width: string;
  display_name: string;
  dependents: string[];
  order: number;
}

export interface ConfigValueInfo {
  name: string;
  value: string | null;
  recommended_values: string[];
  errors: string[];
  visible: boolean;
}

/** Connect's ConfigInfos, the answer of `PUT /connector-plugins/{p}/config/validate`. */
export interface ConfigInfos {
  name: string;
  error_count: number;
  groups: string[];
  configs: Array<{ definition: ConfigKeyInfo; value: ConfigValueInfo }>;
}

const TYPE_NAMES: Readonly<Record<ConfigType, string>> = {
  string: 'STRING',
  int: 'INT',
  long: 'LONG',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  list: 'LIST',
  password: 'PASSWORD',
  class: 'CLASS',
};

/** ConfigDef.convertToString: lists comma-joined, null stays null. */
function asText(v: ConfigScalar | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** Definitions of a spec's keys; `order` counts within each group from 1, as Connect's orderInGroup. */
export function configKeyInfos(spec: ConfigSpec): ConfigKeyInfo[] {
  const inGroup = new Map<string | null, number>();
  return spec.map((k: ConfigKey) => {
    const group = k.group ?? null;
    const order = (inGroup.get(group) ?? 0) + 1;
    inGroup.set(group, order);
    const secret = k.type === 'password';
    const def = k.default === undefined ? null : asText(k.default);
    return {
      name: k.name,
      type: TYPE_NAMES[k.type],
      required: k.default === undefined,
      default_value: secret && def !== null && def !== '' ? HIDDEN : def,
      importance: k.importance ?? 'MEDIUM',
      documentation: k.doc,
      group,
      width: 'NONE',
      display_name: k.displayName ?? k.name,
      dependents: [...(k.dependents ?? [])],
      order,
    };
  });
}

/**
 * Builds ConfigInfos for a config checked against a spec: one entry per spec key with the given (or default)
 * value and its errors, then one per other key that has errors (a transform's key, a typo). Secret values
 * show as `[hidden]` and are cut out of every message.
 */
export function configInfos(
  className: string,
  spec: ConfigSpec,
  raw: Readonly<Record<string, string>>,
  issues: readonly ConfigIssue[],
): ConfigInfos {
  const secrets = secretValues(raw, spec);
  const errorsOf = new Map<string, string[]>();
  for (const i of issues) {
    const list = errorsOf.get(i.key) ?? [];
    list.push(scrub(i.message, secrets));
    errorsOf.set(i.key, list);
  }
  const shown = (key: string, v: string | null) => (v !== null && v !== '' && isSecretKey(key, spec) ? HIDDEN : v);
  const configs: ConfigInfos['configs'] = [];
  const defs = configKeyInfos(spec);
  spec.forEach((k, idx) => {
    const given = raw[k.name];
    const value = given !== undefined ? given : asText(k.default);
    configs.push({
      definition: defs[idx],
      value: {
        name: k.name,
        value: shown(k.name, value),
        recommended_values: [...(k.validValues ?? [])],
        errors: errorsOf.get(k.name) ?? [],
        visible: true,
      },
    });
  });
  const inSpec = new Set(spec.map((k) => k.name));
  for (const [key, errors] of errorsOf) {
    if (inSpec.has(key)) continue;
    const group = key.startsWith('transforms.') ? 'Transforms' : key.startsWith('predicates.') ? 'Predicates' : null;
    configs.push({
      definition: {
        name: key,
        type: 'STRING',
        required: false,
        default_value: null,
        importance: 'LOW',
        documentation: '',
        group,
        width: 'NONE',
        display_name: key,
        dependents: [],
        order: -1,
      },
      value: { name: key, value: shown(key, raw[key] ?? null), recommended_values: [], errors, visible: true },
    });
  }
  const groups: string[] = [];
  for (const c of configs)
    if (c.definition.group !== null && !groups.includes(c.definition.group)) groups.push(c.definition.group);
  return { name: className, error_count: issues.length, groups, configs };
}
