import { ConfigError } from '../../api/index.js';

/**
 * Java's java.util.regex and JavaScript's RegExp agree on the syntax configs use (classes, groups, named groups
 * `(?<n>…)`, quantifiers). Java's leading inline flags `(?i)`, `(?s)`, `(?m)` become RegExp flags; other Java-only
 * constructs (possessive quantifiers, `\p{javaLowerCase}`…) fail to compile and are reported.
 */
export function compileJavaRegex(pattern: string, configKey: string, fullMatch = true): RegExp {
  let flags = 'u';
  let body = pattern;
  const inline = /^\(\?([imsx]+)\)/.exec(body);
  if (inline) {
    for (const f of inline[1]) if (f !== 'x' && !flags.includes(f)) flags += f;
    body = body.slice(inline[0].length);
  }
  try {
    return new RegExp(fullMatch ? `^(?:${body})$` : body, flags);
  } catch (err) {
    throw new ConfigError([
      { key: configKey, message: `Invalid regex ${JSON.stringify(pattern)}: ${(err as Error).message}` },
    ]);
  }
}

type Piece = string | number | { name: string };

/**
 * Java's Matcher.replaceFirst replacement syntax: `$1`, `${name}`, and `\` escaping the next character. Parsed
 * once at configure time; applying it is a join.
 */
export function javaReplacement(replacement: string, configKey: string): (m: RegExpExecArray) => string {
  const pieces: Piece[] = [];
  let lit = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i];
    if (c === '\\') {
      i++;
      if (i >= replacement.length)
        throw new ConfigError([{ key: configKey, message: 'character to be escaped is missing' }]);
      lit += replacement[i];
    } else if (c === '$') {
      if (lit) pieces.push(lit);
      lit = '';
      if (replacement[i + 1] === '{') {
        const end = replacement.indexOf('}', i + 2);
        if (end < 0)
          throw new ConfigError([{ key: configKey, message: "named capturing group is missing trailing '}'" }]);
        pieces.push({ name: replacement.slice(i + 2, end) });
        i = end;
      } else {
        const m = /^\d+/.exec(replacement.slice(i + 1));
        if (!m) throw new ConfigError([{ key: configKey, message: 'Illegal group reference' }]);
        pieces.push(Number(m[0]));
        i += m[0].length;
      }
    } else {
      lit += c;
    }
  }
  if (lit) pieces.push(lit);
  return (m) => {
    let out = '';
    for (const p of pieces) {
      if (typeof p === 'string') out += p;
      else if (typeof p === 'number') {
        if (p >= m.length) throw new Error(`No group ${p}`);
        out += m[p] ?? '';
      } else {
        const g = m.groups?.[p.name];
        if (m.groups === undefined || !(p.name in m.groups)) throw new Error(`No group with name {${p.name}}`);
        out += g ?? '';
      }
    }
    return out;
  };
}
