import { isLosslessNumber, parse, stringify } from 'lossless-json';

/**
 * Record-by-record comparison of what Debezium and sluice wrote, each line `{"topic","key","value"}` with key and
 * value as JsonConverter (schemas.enable=true) writes them. Numbers are compared by their text (lossless-json), so
 * `1.0E7` vs `10000000` or `1.17549435E-38` vs `1.1754944E-38` is a difference, and no int64 is rounded.
 */

export interface CapturedRecord {
  topic: string;
  /** `{"schema","payload"}` or null */
  key: unknown;
  /** `{"schema","payload"}`, or null for a tombstone */
  value: unknown;
}

export function parseRecordLine(line: string): CapturedRecord {
  const r = parse(line) as { topic?: unknown; key?: unknown; value?: unknown } | null;
  if (!r || typeof r.topic !== 'string') throw new Error(`not a {"topic","key","value"} line: ${line.slice(0, 200)}`);
  return { topic: r.topic, key: r.key ?? null, value: r.value ?? null };
}

/** JSON text of a parsed value (numbers keep their text). */
export function jsonText(v: unknown): string {
  if (v === undefined) return '(absent)';
  return stringify(v) ?? 'undefined';
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isLosslessNumber(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** `payload` of a converted key or value (null for a null key/value). */
export function payloadOf(v: unknown): unknown {
  return obj(v)?.payload ?? null;
}

/**
 * `c`, `u`, `d`, `r`, `t`, `m`; `tombstone` for a null value (or a null payload: a tombstone written with a
 * schema, which pairs with the real one and differs from it); `schema-change` for a value without `op`.
 */
export function opOf(r: CapturedRecord): string {
  const payload = payloadOf(r.value);
  if (payload === null) return 'tombstone';
  const op = obj(payload)?.op;
  return typeof op === 'string' ? op : 'schema-change';
}

/** The default pairing identity: topic, key payload and op. */
export function defaultIdentity(r: CapturedRecord): string {
  return `${r.topic} ${jsonText(payloadOf(r.key))} ${opOf(r)}`;
}

export interface Pair {
  /** identity + ordinal among the records of that identity */
  id: string;
  debezium?: CapturedRecord;
  sluice?: CapturedRecord;
}

/**
 * Pairs records by (identity, ordinal): the n-th Debezium record of an identity with sluice's n-th, so that one
 * missing or extra record does not shift every later pair.
 */
export function pairRecords(
  debezium: readonly CapturedRecord[],
  sluice: readonly CapturedRecord[],
  identity: (r: CapturedRecord) => string = defaultIdentity,
): Pair[] {
  const pairs = new Map<string, Pair>();
  const place = (records: readonly CapturedRecord[], side: 'debezium' | 'sluice') => {
    const seen = new Map<string, number>();
    for (const r of records) {
      const base = identity(r);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      const id = `${base} #${n}`;
      let p = pairs.get(id);
      if (!p) {
        p = { id };
        pairs.set(id, p);
      }
      p[side] = r;
    }
  };
  place(debezium, 'debezium');
  place(sluice, 'sluice');
  return [...pairs.values()];
}

/**
 * Per (topic, key): the sequence of ops each side wrote, when they differ (order per key is part of the contract;
 * pairing alone would not see `c,u` written as `u,c`).
 */
export function orderDiffs(
  debezium: readonly CapturedRecord[],
  sluice: readonly CapturedRecord[],
): Array<{ topicKey: string; debezium: string; sluice: string; sample: CapturedRecord }> {
  const seqs = (records: readonly CapturedRecord[]) => {
    const m = new Map<string, { ops: string[]; sample: CapturedRecord }>();
    for (const r of records) {
      const k = `${r.topic} ${jsonText(payloadOf(r.key))}`;
      let e = m.get(k);
      if (!e) {
        e = { ops: [], sample: r };
        m.set(k, e);
      }
      e.ops.push(opOf(r));
    }
    return m;
  };
  const a = seqs(debezium);
  const b = seqs(sluice);
  const out: Array<{ topicKey: string; debezium: string; sluice: string; sample: CapturedRecord }> = [];
  for (const [k, e] of a) {
    const other = b.get(k);
    if (!other) continue; // missing records are reported by the pairing
    const x = e.ops.join(',');
    const y = other.ops.join(',');
    // Only the relative order of what both wrote: extra or missing records are reported elsewhere.
    const common = (ops: string[], peer: string[]) => {
      const budget = new Map<string, number>();
      for (const o of peer) budget.set(o, (budget.get(o) ?? 0) + 1);
      return ops.filter((o) => {
        const n = budget.get(o) ?? 0;
        if (n === 0) return false;
        budget.set(o, n - 1);
        return true;
      });
    };
    if (x !== y && common(e.ops, other.ops).join(',') !== common(other.ops, e.ops).join(',')) {
      out.push({ topicKey: k, debezium: x, sluice: y, sample: e.sample });
    }
  }
  return out;
}

export interface Difference {
  /** e.g. `value.payload.after.c_json`, `value.schema.fields[after].fields[c_json].name`, `<record>` */
  path: string;
  /** JSON text, `(absent)` when the side has nothing there */
  debezium: string;
  sluice: string;
}

/**
 * Glob over paths: `*` matches within one segment (no `.`, `[` or `]`), `**` matches anything, `{a,b}` either.
 */
export function pathPattern(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '{') {
      const end = glob.indexOf('}', i);
      re += `(?:${glob
        .slice(i + 1, end)
        .split(',')
        .map((x) => x.replace(/[\\^$.|?+()[\]{}*]/g, '\\$&'))
        .join('|')})`;
      i = end;
    } else if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') {
      re += '[^.\\[\\]]*';
    } else {
      re += c.replace(/[\\^$.|?+()[\]{}]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

/** The field an array element is known by: schema fields by `field`, columns by `name`, tableChanges by `id`. */
function elementName(v: unknown): string | undefined {
  const o = obj(v);
  if (!o) return undefined;
  for (const k of ['field', 'name', 'id']) if (typeof o[k] === 'string') return o[k] as string;
  return undefined;
}

function scalarEqual(a: unknown, b: unknown): boolean {
  if (isLosslessNumber(a) && isLosslessNumber(b)) return a.value === b.value;
  return a === b;
}

/**
 * Field-by-field differences between two parsed values. Arrays of named elements (schema fields, columns,
 * tableChanges) are compared by name, and their order separately (`path(order)`); other arrays by index.
 */
export function diffValues(a: unknown, b: unknown, path: string, ignore: readonly RegExp[], out: Difference[]): void {
  if (ignore.some((re) => re.test(path))) return;
  const oa = obj(a);
  const ob = obj(b);
  if (oa && ob) {
    for (const k of Object.keys(oa)) diffValues(oa[k], k in ob ? ob[k] : undefined, `${path}.${k}`, ignore, out);
    for (const k of Object.keys(ob)) if (!(k in oa)) diffValues(undefined, ob[k], `${path}.${k}`, ignore, out);
    // Key order inside a JSON object is not data, except where it mirrors a schema's field order, which is
    // compared through the schema's `fields` array.
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const na = a.map(elementName);
    const nb = b.map(elementName);
    const named =
      a.length + b.length > 0 &&
      na.every((n) => n !== undefined) &&
      nb.every((n) => n !== undefined) &&
      new Set(na).size === na.length &&
      new Set(nb).size === nb.length;
    if (named) {
      const byName = new Map(b.map((e, i) => [nb[i] as string, e]));
      a.forEach((e, i) => {
        diffValues(e, byName.get(na[i] as string), `${path}[${na[i]}]`, ignore, out);
      });
      const inA = new Set(na);
      b.forEach((e, i) => {
        if (!inA.has(nb[i] as string)) diffValues(undefined, e, `${path}[${nb[i]}]`, ignore, out);
      });
      const common = (xs: (string | undefined)[], ys: (string | undefined)[]) => xs.filter((x) => ys.includes(x));
      const oa2 = common(na, nb).join(',');
      const ob2 = common(nb, na).join(',');
      if (oa2 !== ob2 && !ignore.some((re) => re.test(`${path}(order)`))) {
        out.push({ path: `${path}(order)`, debezium: oa2, sluice: ob2 });
      }
      return;
    }
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) diffValues(a[i], b[i], `${path}[${i}]`, ignore, out);
    return;
  }
  if (scalarEqual(a, b)) return;
  if (a === undefined && b === undefined) return;
  out.push({ path, debezium: jsonText(a), sluice: jsonText(b) });
}

/** Differences of one pair, or a `<record>` difference when one side did not write it. */
export function diffPair(p: Pair, ignore: readonly RegExp[]): Difference[] {
  if (!p.debezium || !p.sluice) {
    return [
      {
        path: '<record>',
        debezium: p.debezium ? 'written' : '(absent)',
        sluice: p.sluice ? 'written' : '(absent)',
      },
    ];
  }
  const out: Difference[] = [];
  diffValues(p.debezium.key, p.sluice.key, 'key', ignore, out);
  diffValues(p.debezium.value, p.sluice.value, 'value', ignore, out);
  return out;
}
