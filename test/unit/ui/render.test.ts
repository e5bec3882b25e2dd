import { describe, expect, it } from 'vitest';
import { JsonConverter } from '../../../runtime/converters/json.js';
import { StringConverter } from '../../../runtime/converters/simple.js';
import { type ChangeRecord, Decimal, LogicalSchemas, Schemas } from '../../../runtime/data/index.js';
import { DEFAULT_LIMITS, inspectRecord, nameMatcher, renderValue } from '../../../runtime/ui/inspector/render.js';

const secret = nameMatcher(['password', 'token', 'api.key']);
const converters = {
  key: new JsonConverter({ schemasEnable: false, decimalFormat: 'NUMERIC' }),
  value: new JsonConverter({ schemasEnable: false, decimalFormat: 'NUMERIC' }),
  header: new StringConverter(),
};

const row = Schemas.struct([
  ['id', Schemas.int64()],
  ['amount', LogicalSchemas.decimal(2, 20, true)],
  ['ratio', Schemas.float64(true)],
  ['blob', Schemas.bytes(true)],
  ['db_Password', Schemas.string(true)],
  ['doc', LogicalSchemas.json(true)],
  ['tags', Schemas.map(Schemas.string(), Schemas.string(), true)],
]);
const value = {
  id: 9007199254740993n,
  amount: new Decimal(12345678901234567890n, 2),
  ratio: Number.NaN,
  blob: Uint8Array.of(0, 1, 254, 255),
  db_Password: 'hunter2',
  doc: '{"user":"ada","auth":{"Token":"t-123","n":12345678901234567890}}',
  tags: new Map([
    ['env', 'prod'],
    ['api.key', 'k-999'],
  ]),
};
const record: ChangeRecord = {
  topic: 'shop.public.customers',
  keySchema: Schemas.struct([['id', Schemas.int64()]]),
  key: { id: 9007199254740993n },
  valueSchema: row,
  value,
  headers: [
    { key: 'trace', value: 'abc', schema: Schemas.string() },
    { key: 'X-Token', value: 'secret-header', schema: Schemas.string() },
  ],
  timestamp: 1700000000000,
  sourcePartition: { server: 'shop' },
  sourceOffset: { lsn: 42 },
};

describe('event inspector rendering', () => {
  it('shows exact values: int64 digits, decimals as written, NaN by name, bytes as base64', () => {
    const flags = { masked: false, truncated: false };
    const text = renderValue(value, row, () => false, flags);
    expect(text).toContain('"id": 9007199254740993');
    expect(text).toContain('"amount": 123456789012345678.90');
    expect(text).toContain('"ratio": NaN');
    expect(text).toContain(`"blob": "${Buffer.from([0, 1, 254, 255]).toString('base64')}"`);
    expect(flags).toEqual({ masked: false, truncated: false });
  });

  it('masks secret-named fields, map keys and headers at every stage, inside JSON strings too', () => {
    for (const stage of ['read', 'transformed', 'converted'] as const) {
      const r = inspectRecord(record, stage, converters, secret);
      const all = JSON.stringify(r);
      for (const s of ['hunter2', 't-123', 'k-999', 'secret-header']) expect(all, `${stage}: ${s}`).not.toContain(s);
      expect(r.masked).toBe(true);
      expect(r.value).toContain('[hidden]');
      // What is not secret stays, exactly.
      expect(r.value).toContain('ada');
      expect(r.value).toContain('12345678901234567890');
      expect(r.headers.find((h) => h.key === 'trace')?.value).toContain('abc');
    }
  });

  it('at stage "converted" shows what the connector\'s converter writes, with the secret replaced first', () => {
    const r = inspectRecord(record, 'converted', converters, secret);
    const parsed = JSON.parse(r.value.replace(/NaN/g, 'null')) as Record<string, unknown>;
    expect(parsed.db_Password).toBe('[hidden]');
    expect(r.value).toContain('"id":9007199254740993');
    expect(r.key).toBe('{"id":9007199254740993}');
    // The record itself is untouched: the pipeline writes the real value.
    expect(value.db_Password).toBe('hunter2');
  });

  it('cuts long strings, wide arrays and huge texts, and says so', () => {
    const limits = { ...DEFAULT_LIMITS, maxString: 10, maxItems: 3, maxText: 200 };
    const flags = { masked: false, truncated: false };
    const text = renderValue({ s: 'x'.repeat(50), a: [1, 2, 3, 4, 5] }, undefined, () => false, flags, limits);
    expect(text).toContain('40 more characters');
    expect(text).toContain('2 more');
    expect(flags.truncated).toBe(true);
    const big = renderValue(
      Array.from({ length: 3 }, () => 'y'.repeat(9)),
      undefined,
      () => false,
      { masked: false, truncated: false },
      { ...limits, maxText: 20 },
    );
    expect(big.length).toBeLessThan(30);
  });

  it('renders a hostile value without throwing: deep nesting, cycles cut by depth, odd types', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    const flags = { masked: false, truncated: false };
    const text = renderValue(deep, undefined, () => false, flags);
    expect(flags.truncated).toBe(true);
    expect(text.length).toBeLessThanOrEqual(DEFAULT_LIMITS.maxText + 10);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => renderValue(cyclic, undefined, () => false, { masked: false, truncated: false })).not.toThrow();
    expect(renderValue(new Date(0), undefined, () => false, { masked: false, truncated: false })).toBe(
      '"1970-01-01T00:00:00.000Z"',
    );
    // JSON text that does not parse is shown as it is, not masked and not dropped.
    const j = Schemas.struct([['doc', LogicalSchemas.json(true)]]);
    expect(renderValue({ doc: '{"password": ' }, j, secret, { masked: false, truncated: false })).toContain(
      '{\\"password\\": ',
    );
  });

  it('matches secret names case-insensitively by substring', () => {
    expect(secret('DB_PASSWORD')).toBe(true);
    expect(secret('accessToken')).toBe(true);
    expect(secret('my.api.key.id')).toBe(true);
    expect(secret('name')).toBe(false);
    expect(nameMatcher([' ', ''])('anything')).toBe(false);
  });
});
