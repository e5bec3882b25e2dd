import { createHash } from 'node:crypto';
import { Schemas } from '../../../runtime/api/index.js';
import type { ColumnCodec } from './codec.js';

/** A nested array inside an array literal (`{{1,2},{3,4}}` has two). */
export const SUB_ARRAY: unique symbol = Symbol('sub-array');

/**
 * Splits an array literal `{a,"b c",NULL}` (optionally with bounds, `[0:1]={…}`) into its top-level element texts:
 * null for NULL, SUB_ARRAY for a nested array of a multi-dimensional value.
 */
export function parseArrayLiteral(text: string, delimiter = ','): Array<string | null | typeof SUB_ARRAY> {
  let s = text;
  if (s.startsWith('[')) s = s.slice(s.indexOf('=') + 1); // explicit bounds `[0:1]={…}`
  if (!s.startsWith('{') || !s.endsWith('}')) throw new SyntaxError(`not an array literal: ${text}`);
  const out: Array<string | null | typeof SUB_ARRAY> = [];
  const end = s.length - 1;
  let i = 1;
  const skipBlanks = () => {
    while (i < end && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n')) i++;
  };
  skipBlanks();
  if (i === end) return out;
  for (;;) {
    skipBlanks();
    if (s[i] === '{') {
      let depth = 0;
      let quoted = false;
      for (; i < end; i++) {
        const c = s[i];
        if (quoted) {
          if (c === '\\') i++;
          else if (c === '"') quoted = false;
        } else if (c === '"') quoted = true;
        else if (c === '{') depth++;
        else if (c === '}' && --depth === 0) break;
      }
      if (depth !== 0) throw new SyntaxError(`unbalanced braces in array literal: ${text}`);
      i++;
      out.push(SUB_ARRAY);
    } else if (s[i] === '"') {
      let v = '';
      i++;
      while (i < end && s[i] !== '"') {
        if (s[i] === '\\') i++;
        v += s[i];
        i++;
      }
      if (s[i] !== '"') throw new SyntaxError(`unterminated quoted element in array literal: ${text}`);
      i++;
      out.push(v);
    } else {
      let j = i;
      while (j < end && s[j] !== delimiter) j++;
      const v = s.slice(i, j).trim();
      out.push(v === 'NULL' ? null : v);
      i = j;
    }
    skipBlanks();
    if (i >= end) return out;
    if (s[i] !== delimiter) throw new SyntaxError(`unexpected ${JSON.stringify(s[i])} in array literal: ${text}`);
    i++;
  }
}

/** What an unchanged TOASTed array becomes (Debezium's UnchangedToastedPlaceholder, by element type). */
export type ArrayPlaceholder = 'text' | 'bytes' | 'int' | 'uuid' | 'none';

export interface ArrayOptions {
  /** items not optional (Debezium's enum arrays: `SchemaBuilder.array(Enum.builder(…))`) */
  requiredItems?: boolean;
  /** a literal for which the whole array is null (a NaN anywhere in a precise numeric array, nested ones too) */
  nullIf?: (text: string) => boolean;
  placeholder: ArrayPlaceholder;
  delimiter?: string;
}

/**
 * An array of `element`. An element with no representation (a numeric NaN in precise mode) nulls the whole array,
 * as in Debezium, whose JDBC array conversion fails on it. A nested array has no form in Debezium's schema (an
 * array of the element type): one null per sub-array, as Debezium writes for numbers (docs/postgres.md,
 * "Multi-dimensional arrays").
 */
export function arrayCodec(element: ColumnCodec, o: ArrayOptions): ColumnCodec {
  const itemSchema = Schemas.withOptional(element.schema, !o.requiredItems);
  return {
    schema: Schemas.array(itemSchema),
    decode: (text) => {
      if (o.nullIf?.(text)) return null;
      const items = parseArrayLiteral(text, o.delimiter);
      const out: unknown[] = new Array(items.length);
      for (let i = 0; i < items.length; i++) {
        const e = items[i];
        if (e === SUB_ARRAY || e === null) out[i] = null;
        else {
          const v = element.decode(e);
          if (v === null) return null;
          out[i] = v;
        }
      }
      return out;
    },
    placeholder: (p) => arrayPlaceholder(o.placeholder, p),
    fallback: [],
  };
}

function arrayPlaceholder(kind: ArrayPlaceholder, p: string): unknown {
  switch (kind) {
    case 'text':
      return [p];
    case 'bytes':
      return [Buffer.from(p, 'utf8')];
    case 'int':
      // The placeholder's bytes as numbers (Java's signed bytes).
      return [...Buffer.from(p, 'utf8')].map((b) => (b > 127 ? b - 256 : b));
    case 'uuid':
      return [nameUuidFromBytes(Buffer.from(p, 'utf8'))];
    case 'none':
      return null;
  }
}

/** Java's UUID.nameUUIDFromBytes: MD5 of the bytes as a version 3, IETF-variant UUID. */
function nameUuidFromBytes(bytes: Buffer): string {
  const h = createHash('md5').update(bytes).digest();
  h[6] = (h[6] & 0x0f) | 0x30;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
