import { parse } from 'dot-properties';

/**
 * A Java properties file as `java.util.Properties.load` reads it (comments, `=`, `:` or blank separators,
 * continuation lines, `\uXXXX` and other escapes), by dot-properties. A `__proto__` key is dropped by the parser.
 */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(parse(text))) if (typeof v === 'string') out.set(k, v);
  return out;
}
