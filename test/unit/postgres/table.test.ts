import { describe, expect, it } from 'vitest';
import { postgresConfigSpec, readSettings } from '../../../connectors/postgres/config.js';
import { decodeFailure, TableModel } from '../../../connectors/postgres/table.js';
import type { PgType } from '../../../connectors/postgres/types.js';
import { sourceCommonSpec } from '../../../runtime/config/common.js';
import { parseConfig } from '../../../runtime/config/parse.js';

function settings(raw: Record<string, string> = {}) {
  const { config, issues } = parseConfig([...sourceCommonSpec, ...postgresConfigSpec], {
    'database.hostname': 'h',
    'database.user': 'u',
    'database.dbname': 'd',
    'topic.prefix': 'srv',
    ...raw,
  });
  expect(issues).toEqual([]);
  return readSettings(config);
}

const types = new Map<number, PgType>([
  [23, { oid: 23, name: 'int4', kind: 'b', elem: 0, base: 0, baseTypmod: -1, category: 'N' }],
  [25, { oid: 25, name: 'text', kind: 'b', elem: 0, base: 0, baseTypmod: -1, category: 'S' }],
  [1114, { oid: 1114, name: 'timestamp', kind: 'b', elem: 0, base: 0, baseTypmod: -1, category: 'D' }],
  [628, { oid: 628, name: 'line', kind: 'b', elem: 0, base: 0, baseTypmod: -1, category: 'G' }],
]);
const lookup = { type: (oid: number) => types.get(oid) };

function model(raw?: Record<string, string>) {
  const columns = [
    { name: 'id', typeOid: 23, typmod: -1 },
    { name: 'v', typeOid: 25, typmod: -1 },
    { name: 'n', typeOid: 23, typmod: -1 },
    { name: 'ts', typeOid: 1114, typmod: -1 },
    { name: 'l', typeOid: 628, typmod: -1 },
  ];
  const catalog = {
    schema: 'public',
    table: 't',
    replicaIdentity: 'd',
    primaryKey: ['id'],
    columns: [
      { name: 'id', typeOid: 23, typmod: -1, notNull: true, defaultExpr: "nextval('t_id_seq'::regclass)" },
      { name: 'v', typeOid: 25, typmod: -1, notNull: true, defaultExpr: null },
      { name: 'n', typeOid: 23, typmod: -1, notNull: false, defaultExpr: '42' },
      { name: 'ts', typeOid: 1114, typmod: -1, notNull: true, defaultExpr: 'now()' },
      { name: 'l', typeOid: 628, typmod: -1, notNull: false, defaultExpr: null },
    ],
  };
  return new TableModel('public', 't', columns, catalog, settings(raw), lookup);
}

describe('postgres table model', () => {
  it('puts defaults on the schema and gives NOT NULL columns without a value their default or fallback', () => {
    const m = model();
    const after = m.valueSchema.fields!;
    expect(after.map((f) => f.name)).toEqual(['id', 'v', 'n', 'ts']); // `line` has no mapping: left out
    expect(after.map((f) => f.schema.defaultValue)).toEqual([0, undefined, 42, 0]);
    expect(m.keySchema?.fields?.[0].schema.defaultValue).toBe(0);
    // A key-only before image: id present, the rest absent (undefined).
    const before = m.valueOf([7, undefined, undefined, undefined, undefined]);
    expect(before).toEqual({ id: 7, v: '', n: null, ts: 0 });
    // A decoded null (a value Debezium has none for) stays null.
    expect(m.valueOf([7, 'x', null, 5, undefined])).toEqual({ id: 7, v: 'x', n: null, ts: 5 });
  });

  it('keeps columns of unmapped types with include.unknown.datatypes', () => {
    const m = model({ 'include.unknown.datatypes': 'true' });
    expect(m.valueSchema.fields!.map((f) => f.name)).toEqual(['id', 'v', 'n', 'ts', 'l']);
  });

  it('fails on an unreadable value naming table, column, type, position and setting, not the value', () => {
    const m = model();
    const err = decodeFailure(
      m,
      m.columns[3],
      'secret-ish text',
      'LSN 0/16B3748',
      lookup,
      { connector: 'c' },
      new SyntaxError('not a timestamp'),
    );
    expect(err.message).toMatch(/column ts of public\.t \(type timestamp\) at LSN 0\/16B3748: not a timestamp/);
    expect(err.message).toMatch(/time\.precision\.mode/);
    expect(err.message).not.toMatch(/secret-ish/);
    expect(err.retriable).toBe(false);
    expect(err.context).toMatchObject({ connector: 'c', table: 'public.t', position: 'LSN 0/16B3748' });
  });
});
