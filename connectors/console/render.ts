import { Decimal, Logical, type Schema } from '../../runtime/api/index.js';

const OPS: Readonly<Record<string, string>> = {
  r: 'snapshot',
  c: 'insert',
  u: 'update',
  d: 'delete',
  t: 'truncate',
  m: 'message',
};

const DAY_MS = 86_400_000;

/**
 * A value for people to read: exact numbers, temporal logical types as ISO text, bytes as hex. It is not a wire
 * format (the `json` format is), so it may lose the type of a value but never its digits.
 */
export function displayValue(schema: Schema | undefined, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return temporal(schema, value) ?? value.toString();
  if (typeof value === 'number') return temporal(schema, BigInt(Math.trunc(value))) ?? String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Decimal) return value.toString();
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  if (Array.isArray(value)) return `[${value.map((v) => displayValue(schema?.valueSchema, v)).join(', ')}]`;
  if (value instanceof Map) {
    const parts = [...value.entries()].map(
      ([k, v]) => `${displayValue(schema?.keySchema, k)}: ${displayValue(schema?.valueSchema, v)}`,
    );
    return `{${parts.join(', ')}}`;
  }
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const fields = schema?.fields;
    const names = fields ? fields.map((f) => f.name) : Object.keys(obj);
    const parts = names.map((n) => `${n}: ${displayValue(fields?.find((f) => f.name === n)?.schema, obj[n])}`);
    return `{${parts.join(', ')}}`;
  }
  return String(value);
}

/** Integer temporal logical types as ISO text; undefined for anything else. */
function temporal(schema: Schema | undefined, v: bigint): string | undefined {
  const iso = (ms: bigint, cut: number) => new Date(Number(ms)).toISOString().slice(0, cut);
  switch (schema?.name) {
    case Logical.Date:
    case Logical.DebeziumDate:
      return iso(v * BigInt(DAY_MS), 10);
    case Logical.Timestamp:
    case Logical.DebeziumTimestamp:
      return iso(v, 23) + 'Z';
    case Logical.MicroTimestamp:
      return microsIso(v);
    default:
      return undefined;
  }
}

/** Microsecond timestamps keep all six digits, which Date cannot hold. */
function microsIso(us: bigint): string {
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
  const micros = ((us % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${micros.toString().padStart(6, '0')}Z`;
}

export interface RenderableRecord {
  topic: string;
  keySchema?: Schema;
  key: unknown;
  valueSchema?: Schema;
  value: unknown;
}

/**
 * One line per record. A Debezium envelope shows its operation and before/after; any other value (after an
 * unwrap transform, or a file source line) shows as is; a null value is a tombstone.
 */
export function renderRecord(r: RenderableRecord): string {
  const key = r.key === null || r.key === undefined ? '' : ` key=${displayValue(r.keySchema, r.key)}`;
  if (r.value === null || r.value === undefined) return `${r.topic} tombstone${key}`;
  const env = asEnvelope(r.valueSchema, r.value);
  if (!env) return `${r.topic}${key} value=${displayValue(r.valueSchema, r.value)}`;
  const field = (name: string) => r.valueSchema?.fields?.find((f) => f.name === name)?.schema;
  const op = OPS[env.op] ?? env.op;
  let body = '';
  if (env.op === 'u' || env.op === 'd') body += ` before=${displayValue(field('before'), env.before)}`;
  if (env.op !== 'd' && env.op !== 't') body += ` after=${displayValue(field('after'), env.after)}`;
  return `${r.topic} ${op}${key}${body}`;
}

interface Envelope {
  op: string;
  before: unknown;
  after: unknown;
}

function asEnvelope(schema: Schema | undefined, value: unknown): Envelope | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.op !== 'string' || !('after' in v || 'before' in v)) return undefined;
  if (schema && schema.type !== 'struct') return undefined;
  return { op: v.op, before: v.before ?? null, after: v.after ?? null };
}
