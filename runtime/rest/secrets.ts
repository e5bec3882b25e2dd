import type { ConfigSpec } from '../api/index.js';
import { HIDDEN, scrubSecrets } from '../config/providers/index.js';
import type { Herder } from '../worker/herder.js';

export { HIDDEN };

/** Names that hold a secret even when a spec does not say so (typos, a transform's or a client's own keys). */
const SECRET_NAME = /(^|[._-])(password|passwd|pwd|secret|token|credentials?|jaas\.config|api\.key)($|[._-])/i;

export function isSecretKey(key: string, spec?: ConfigSpec): boolean {
  const def = spec?.find((k) => k.name === key);
  return def?.type === 'password' || SECRET_NAME.test(key);
}

/** The secret values of a config, to be cut out of any text shown to a user. Short values are kept: too common. */
export function secretValues(config: Readonly<Record<string, string>>, spec?: ConfigSpec): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    if (v.length >= 4 && !v.startsWith('${') && isSecretKey(k, spec)) out.push(v);
  }
  // Longest first, so a secret that contains another is cut whole.
  return out.sort((a, b) => b.length - a.length);
}

/**
 * Everything REST must not show of a connector: the values of its secret keys as written, and every value a config
 * provider reference resolved to, whatever the key (a `topic` read from a file is as hidden as a password) — in
 * any connector's config, even one since deleted: one connector's resolved value reaches another's answers (a
 * source's topic read from a file is the topic a `topics.regex` sink then lists).
 */
export function connectorSecrets(herder: Herder, name: string): string[] {
  if (!herder.has(name)) return [];
  const config = herder.connectorConfig(name);
  const plugin = herder.registry.connector(config['connector.class'] ?? '');
  const all = new Set([
    ...secretValues(config, plugin?.configSpec),
    ...herder.secretsOf(name),
    ...herder.resolvedSecrets(),
  ]);
  return [...all].sort((a, b) => b.length - a.length);
}

export function scrub(text: string, secrets: readonly string[]): string {
  return scrubSecrets(text, secrets);
}
