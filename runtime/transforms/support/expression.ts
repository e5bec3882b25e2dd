import { Environment } from '@marcbachmann/cel-js';
import { type ChangeRecord, ConfigError, ConnectError, Decimal, type Schema } from '../../api/index.js';

/**
 * Conditions of Debezium's content-based Filter and ContentBasedRouter, in CEL (Common Expression Language,
 * through @marcbachmann/cel-js). CEL is not Turing-complete (no loops, no recursion, no user functions), so an
 * expression runs in time bounded by its size and its input; it is interpreted from a parsed tree (no eval, no
 * Function, no node:vm) and sees only the variables we bind. Debezium's Groovy/JavaScript conditions of the
 * usual shape (`value.op == 'u' && value.after.id > 2`, `topic == 'x'`, ternaries) are valid CEL as written.
 *
 * Bound variables, as Debezium binds them: key, value, keySchema, valueSchema, topic, header (name → {value}).
 * Decimal values are seen as doubles; int64 values stay exact (CEL int).
 */
const env = new Environment({
  unlistedVariablesAreDyn: true,
  homogeneousAggregateLiterals: false,
  limits: { maxAstNodes: 2000, maxDepth: 64, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 16 },
});

export type Expression = (record: ChangeRecord) => unknown;

export function compileExpression(text: string, configKey: string): Expression {
  let program: (ctx: Record<string, unknown>) => unknown;
  try {
    program = env.parse(text) as unknown as (ctx: Record<string, unknown>) => unknown;
  } catch (err) {
    throw new ConfigError([
      { key: configKey, message: `Invalid expression ${JSON.stringify(text)}: ${firstLine(err)}` },
    ]);
  }
  return (record) => {
    try {
      return program(bindings(record));
    } catch (err) {
      throw new ConnectError(
        `Expression ${JSON.stringify(text)} failed on a record of topic ${record.topic}: ${firstLine(err)}`,
        { cause: err },
      );
    }
  };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

function bindings(record: ChangeRecord): Record<string, unknown> {
  const header: Record<string, unknown> = {};
  for (const h of record.headers) header[h.key] = { value: celValue(h.value) };
  return {
    key: celValue(record.key),
    value: celValue(record.value),
    keySchema: celSchema(record.keySchema),
    valueSchema: celSchema(record.valueSchema),
    topic: record.topic,
    header,
  };
}

/** CEL knows null, bool, int (bigint), double (number), string, bytes, list and map; everything else maps onto those. */
function celValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Decimal) return v.toNumber();
  if (v instanceof Uint8Array) return v;
  if (v instanceof Date) return v.getTime();
  if (Array.isArray(v)) return v.map(celValue);
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
  const out: Record<string, unknown> = {};
  for (const [k, x] of entries) out[String(k)] = celValue(x);
  return out;
}

function celSchema(s: Schema | undefined): unknown {
  if (!s) return null;
  return {
    type: s.type,
    name: s.name ?? null,
    version: s.version === undefined ? null : BigInt(s.version),
    optional: s.optional,
    fields: (s.fields ?? []).map((f) => f.name),
  };
}
