import type { ConfigSpec } from '../api/index.js';

export const HIDDEN = '[hidden]';

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

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(HIDDEN);
  return out;
}
