import { javaDoubleString } from '../../runtime/data/java-float.js';

/**
 * MongoDB Extended JSON written byte for byte the way Debezium writes it, because consumers compare these
 * strings. Debezium renders documents with the Java driver's JsonWriter: `after`, `before` and `lsid` in STRICT
 * mode and the key's `id` in RELAXED mode, both "indented" with empty indent and newline strings, which yields
 * `{"a": 1,"b": {"c": 2,"d": [1,2]}}` (": " after a name, "," between members and between array items, as
 * Debezium 3.6 writes them: test/conformance/mongodb.test.ts compares it); `updatedFields` with the writer's
 * defaults, RELAXED and not indented: `{"a": 1, "b": 2}`.
 * The Node driver's EJSON.stringify has other spacing and other STRICT forms, so it cannot be used.
 *
 * Values must be decoded with `promoteValues: false` so that Int32, Int64 and Double stay distinguishable.
 */

export type JsonMode = 'strict' | 'relaxed';

interface BsonLike {
  readonly _bsontype?: string;
}

/** How Java's writer was configured: the mode, and "," (indent on, empty indent) or ", " (indent off). */
interface Style {
  readonly mode: JsonMode;
  readonly sep: string;
}

const INDENTED: Readonly<Record<JsonMode, Style>> = {
  strict: { mode: 'strict', sep: ',' },
  relaxed: { mode: 'relaxed', sep: ',' },
};

/** The document as Extended JSON; `mode` picks Java's STRICT or RELAXED output, written with empty indent. */
export function toExtendedJson(value: unknown, mode: JsonMode): string {
  return write(value, INDENTED[mode]);
}

/** The key's `id`: the `_id` value alone in RELAXED mode, as Debezium cuts it out of `{"_id": …}`. */
export function documentIdJson(id: unknown): string {
  return write(id, INDENTED.relaxed);
}

/**
 * `updateDescription.updatedFields`: Debezium calls BsonDocument.toJson() with no settings, i.e. RELAXED mode
 * without indentation, which separates members with ", ".
 */
export function defaultToJson(value: unknown): string {
  return write(value, { mode: 'relaxed', sep: ', ' });
}

function write(v: unknown, st: Style): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      // A promoted JS number: integral values were Int32 on the wire, others Double.
      return Number.isInteger(v) && Math.abs(v) <= 0x7fffffff && !Object.is(v, -0) ? String(v) : double(v, st);
    case 'bigint':
      return st.mode === 'strict' ? doc(st, [['$numberLong', quote(v.toString())]]) : v.toString();
    case 'object':
      break;
    default:
      return quote(String(v));
  }
  if (Array.isArray(v)) return `[${v.map((x) => write(x, st)).join(st.sep)}]`;
  if (v instanceof RegExp) return bson('BSONRegExp', { pattern: v.source, options: mongoFlags(v.flags) }, st);
  if (v instanceof Date) return date(v.getTime(), st);
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return binary(Buffer.from(v as Uint8Array), 0, st);
  if (v instanceof Map)
    return doc(
      st,
      [...v.entries()].map(([k, x]) => [String(k), write(x, st)]),
    );
  const t = (v as BsonLike)._bsontype;
  if (t !== undefined) return bson(t, v as Record<string, unknown>, st);
  return doc(
    st,
    Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, write(x, st)]),
  );
}

function bson(type: string, v: Record<string, unknown>, st: Style): string {
  switch (type) {
    case 'Int32':
      return String(v.value);
    case 'Double':
      return double(Number(v.value), st);
    case 'Long': {
      const s = String(v.toString());
      return st.mode === 'strict' ? doc(st, [['$numberLong', quote(s)]]) : s;
    }
    case 'Decimal128':
      return doc(st, [['$numberDecimal', quote(String(v.toString()))]]);
    case 'ObjectId':
    case 'ObjectID':
      return doc(st, [['$oid', quote(String((v as { toHexString(): string }).toHexString()))]]);
    case 'Timestamp': {
      const ts = v as { high: number; low: number };
      return doc(st, [
        [
          '$timestamp',
          doc(st, [
            ['t', String(ts.high >>> 0)],
            ['i', String(ts.low >>> 0)],
          ]),
        ],
      ]);
    }
    case 'Binary': {
      const b = v as { buffer: Uint8Array; sub_type: number; position?: number };
      const bytes = Buffer.from(b.buffer.subarray(0, b.position ?? b.buffer.length));
      return binary(bytes, b.sub_type, st);
    }
    case 'BSONRegExp': {
      const r = v as { pattern: string; options: string };
      return st.mode === 'strict'
        ? doc(st, [
            ['$regex', quote(r.pattern)],
            ['$options', quote(r.options)],
          ])
        : doc(st, [
            [
              '$regularExpression',
              doc(st, [
                ['pattern', quote(r.pattern)],
                ['options', quote(r.options)],
              ]),
            ],
          ]);
    }
    case 'MinKey':
      return doc(st, [['$minKey', '1']]);
    case 'MaxKey':
      return doc(st, [['$maxKey', '1']]);
    case 'BSONSymbol':
      return doc(st, [['$symbol', quote(String(v.value))]]);
    case 'Code': {
      const c = v as { code: string; scope?: Record<string, unknown> | null };
      const parts: [string, string][] = [['$code', quote(c.code)]];
      if (c.scope) parts.push(['$scope', write(c.scope, st)]);
      return doc(st, parts);
    }
    case 'DBRef': {
      const r = v as { collection: string; oid: unknown; db?: string };
      const parts: [string, string][] = [
        ['$ref', quote(r.collection)],
        ['$id', write(r.oid, st)],
      ];
      if (r.db) parts.push(['$db', quote(r.db)]);
      return doc(st, parts);
    }
    default:
      return doc(
        st,
        Object.entries(v).map(([k, x]) => [k, write(x, st)]),
      );
  }
}

function doc(st: Style, members: readonly (readonly [string, string])[]): string {
  return `{${members.map(([k, x]) => `${quote(k)}: ${x}`).join(st.sep)}}`;
}

function binary(bytes: Buffer, subType: number, st: Style): string {
  const hex = subType.toString(16).toUpperCase().padStart(2, '0');
  if (st.mode === 'strict') {
    return doc(st, [
      ['$binary', quote(bytes.toString('base64'))],
      ['$type', quote(hex)],
    ]);
  }
  return doc(st, [
    [
      '$binary',
      doc(st, [
        ['base64', quote(bytes.toString('base64'))],
        ['subType', quote(hex.toLowerCase())],
      ]),
    ],
  ]);
}

/** Dates between year 1970 and 9999 are ISO strings in RELAXED mode, milliseconds otherwise (Java's rule). */
function date(millis: number, st: Style): string {
  if (st.mode === 'strict') return doc(st, [['$date', String(millis)]]);
  if (millis >= 0 && millis <= 253402300799999) {
    const iso = new Date(millis).toISOString();
    return doc(st, [['$date', quote(millis % 1000 === 0 ? iso.replace('.000Z', 'Z') : iso)]]);
  }
  return doc(st, [['$date', doc(st, [['$numberLong', quote(String(millis))]])]]);
}

function double(d: number, st: Style): string {
  if (Number.isFinite(d)) return javaDouble(d);
  if (st.mode === 'strict') return Number.isNaN(d) ? 'NaN' : d > 0 ? 'Infinity' : '-Infinity';
  return doc(st, [['$numberDouble', quote(Number.isNaN(d) ? 'NaN' : d > 0 ? 'Infinity' : '-Infinity')]]);
}

/** Java's Double.toString (Java 17's digits, as the Debezium 3.6 build on these machines runs: runtime/data/java-float.ts). */
export const javaDouble = javaDoubleString;

/** A JS RegExp's flags as MongoDB options, in MongoDB's (alphabetical) order. */
function mongoFlags(flags: string): string {
  return [...flags]
    .filter((f) => 'imsux'.includes(f))
    .sort()
    .join('');
}

/**
 * Characters Java's JSON writer (StrictCharacterStreamJsonWriter) writes as they are: letters other than modifier
 * letters, digits and numbers, punctuation, symbols and spaces; any other UTF-16 unit — combining marks, format and
 * control characters, line/paragraph separators, private use, unassigned, and each half of a surrogate pair (so an
 * emoji becomes `\ud83d\ude00`) — is written as a lower-case \uXXXX escape.
 */
const VERBATIM =
  /^[\p{Lu}\p{Ll}\p{Lt}\p{Lo}\p{Nd}\p{Nl}\p{No}\p{Zs}\p{Pc}\p{Pd}\p{Ps}\p{Pe}\p{Pi}\p{Pf}\p{Po}\p{Sm}\p{Sc}\p{Sk}\p{So}]$/u;

/** JSON string escaping as the Java writer does it: named escapes, everything outside VERBATIM as \uXXXX. */
function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      default: {
        // a lone code unit: a surrogate half tests as \p{Cs}, and is escaped
        const unit = s[i];
        out +=
          c < 0x80 && c >= 0x20 && c !== 0x7f
            ? unit
            : VERBATIM.test(unit)
              ? unit
              : `\\u${c.toString(16).padStart(4, '0')}`;
      }
    }
  }
  return `${out}"`;
}
