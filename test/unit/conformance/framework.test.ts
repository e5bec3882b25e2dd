import { describe, expect, it } from 'vitest';
import {
  type CapturedRecord,
  diffPair,
  orderDiffs,
  pairRecords,
  parseRecordLine,
  pathPattern,
} from '../../conformance/framework/compare.js';
import type { ConformanceSuite } from '../../conformance/framework/suite.js';
import { formatVerdict, judge, type Observed, passed } from '../../conformance/framework/verdict.js';
import { propertiesText } from '../../harness/debezium.js';

const rec = (topic: string, id: number, op: string | null, extra: Record<string, unknown> = {}): CapturedRecord =>
  parseRecordLine(
    JSON.stringify({
      topic,
      key: { schema: null, payload: { id } },
      value: op === null ? null : { schema: null, payload: { op, ...extra } },
    }),
  );

describe('conformance framework: comparison', () => {
  it('keeps number text exactly (no rounding, spelling matters)', () => {
    const a = parseRecordLine(
      '{"topic":"t","key":null,"value":{"schema":null,"payload":{"n":9223372036854775807,"f":1.0E7}}}',
    );
    const b = parseRecordLine(
      '{"topic":"t","key":null,"value":{"schema":null,"payload":{"n":9223372036854775806,"f":10000000.0}}}',
    );
    const diffs = diffPair({ id: 'x', debezium: a, sluice: b }, []);
    expect(diffs).toEqual([
      { path: 'value.payload.n', debezium: '9223372036854775807', sluice: '9223372036854775806' },
      { path: 'value.payload.f', debezium: '1.0E7', sluice: '10000000.0' },
    ]);
  });

  it('pairs by topic, key, op and ordinal, so one missing record does not shift the rest', () => {
    const deb = [rec('t', 1, 'c'), rec('t', 1, 'u', { n: 1 }), rec('t', 1, 'u', { n: 2 }), rec('t', 2, 'c')];
    const slu = [rec('t', 1, 'c'), rec('t', 1, 'u', { n: 1 }), rec('t', 2, 'c')];
    const pairs = pairRecords(deb, slu);
    expect(pairs.map((p) => [p.id, !!p.debezium, !!p.sluice])).toEqual([
      ['t {"id":1} c #0', true, true],
      ['t {"id":1} u #0', true, true],
      ['t {"id":1} u #1', true, false],
      ['t {"id":2} c #0', true, true],
    ]);
    expect(diffPair(pairs[2], [])).toEqual([{ path: '<record>', debezium: 'written', sluice: '(absent)' }]);
    expect(pairs.filter((p) => p.debezium && p.sluice).flatMap((p) => diffPair(p, []))).toEqual([]);
  });

  it('a tombstone written with a schema pairs with a real one and differs from it', () => {
    const deb = rec('t', 1, null);
    const slu = parseRecordLine(
      '{"topic":"t","key":{"schema":null,"payload":{"id":1}},"value":{"schema":{"type":"struct"},"payload":null}}',
    );
    const [pair] = pairRecords([deb], [slu]);
    expect(pair.id).toBe('t {"id":1} tombstone #0');
    expect(diffPair(pair, [])).toEqual([
      { path: 'value', debezium: 'null', sluice: '{"schema":{"type":"struct"},"payload":null}' },
    ]);
  });

  it('compares schema fields by name and their order separately', () => {
    const schema = (fields: string[], opt: boolean) => ({
      type: 'struct',
      fields: fields.map((f) => ({ type: 'int32', optional: opt && f === 'b', field: f })),
    });
    const a = { topic: 't', key: null, value: { schema: schema(['a', 'b', 'c'], false), payload: {} } };
    const b = { topic: 't', key: null, value: { schema: schema(['a', 'c', 'b'], true), payload: {} } };
    expect(diffPair({ id: 'x', debezium: a, sluice: b }, [])).toEqual([
      { path: 'value.schema.fields[b].optional', debezium: 'false', sluice: 'true' },
      { path: 'value.schema.fields(order)', debezium: 'a,b,c', sluice: 'a,c,b' },
    ]);
  });

  it('ignores what the ignore globs name, and only that', () => {
    const a = rec('t', 1, 'c', { source: { ts_ms: 1, file: 'a', db: 'x' }, ts_ms: 5 });
    const b = rec('t', 1, 'c', { source: { ts_ms: 2, file: 'b', db: 'y' }, ts_ms: 6 });
    const ignore = ['value.payload.ts_ms', 'value.payload.source.ts_*', 'value.payload.source.file'].map(pathPattern);
    expect(diffPair({ id: 'x', debezium: a, sluice: b }, ignore)).toEqual([
      { path: 'value.payload.source.db', debezium: '"x"', sluice: '"y"' },
    ]);
  });

  it('path globs: * stays within a segment, ** crosses them', () => {
    expect(pathPattern('value.payload.*.c_year').test('value.payload.after.c_year')).toBe(true);
    expect(pathPattern('value.payload.*.c_year').test('value.payload.after.x.c_year')).toBe(false);
    expect(pathPattern('value.schema.**.version').test('value.schema.fields[tableChanges].items.version')).toBe(true);
    expect(pathPattern('value.payload.after.c_*').test('value.payload.after.c_[0]')).toBe(false);
    expect(pathPattern('value.fields[{i,iu}].type').test('value.fields[iu].type')).toBe(true);
    expect(pathPattern('value.fields[{i,iu}].type').test('value.fields[i8].type')).toBe(false);
  });

  it('reports per-key order differences, not missing records', () => {
    const deb = [rec('t', 1, 'c'), rec('t', 1, 'u'), rec('t', 1, 'd')];
    expect(orderDiffs(deb, [rec('t', 1, 'u'), rec('t', 1, 'c'), rec('t', 1, 'd')])).toMatchObject([
      { debezium: 'c,u,d', sluice: 'u,c,d' },
    ]);
    expect(orderDiffs(deb, [rec('t', 1, 'c'), rec('t', 1, 'd')])).toEqual([]);
  });
});

describe('conformance framework: verdict', () => {
  const suite: ConformanceSuite = {
    id: 'db',
    title: 'DB',
    reference: 'ref',
    cases: [{ name: 'a', description: '' }],
    variants: [
      { name: 'v1', config: {} },
      { name: 'v2', config: {} },
    ],
    departures: [
      { case: 'a', path: 'value.payload.after.y', debezium: '0', sluice: '*', kind: 'debezium-bug', reason: 'r' },
      {
        case: 'a',
        variants: ['v2'],
        path: 'key.schema.*',
        debezium: '*',
        sluice: '*',
        kind: 'deliberate',
        reason: 'r',
      },
    ],
  };
  const o = (variant: string, path: string, debezium: string, sluice: string): Observed => ({
    variant,
    case: 'a',
    record: 'r',
    path,
    debezium,
    sluice,
  });

  it('a listed difference passes; an unlisted one fails with a readable account', () => {
    const ok = judge(
      suite,
      [
        o('v1', 'value.payload.after.y', '0', '2000'),
        o('v2', 'value.payload.after.y', '0', '1'),
        o('v2', 'key.schema.name', '"x"', '"y"'),
      ],
      [],
    );
    expect(passed(ok)).toBe(true);
    const bad = judge(
      suite,
      [
        o('v1', 'value.payload.after.y', '1', '2'),
        o('v1', 'value.payload.after.y', '0', '2'),
        o('v2', 'value.payload.after.y', '0', '1'),
        o('v2', 'key.schema.name', '"x"', '"y"'),
      ],
      [],
    );
    expect(passed(bad)).toBe(false);
    expect(bad.unlisted).toHaveLength(1);
    expect(formatVerdict(suite, bad)).toContain('[a] value.payload.after.y  (v1; 1x; e.g. r)');
  });

  it('a listed departure not seen in one of its variants is stale', () => {
    const v = judge(
      suite,
      [o('v1', 'value.payload.after.y', '0', '2000'), o('v2', 'key.schema.name', '"x"', '"y"')],
      [],
    );
    expect(v.stale.map((s) => [s.departure.path, s.variant])).toEqual([['value.payload.after.y', 'v2']]);
    expect(formatVerdict(suite, v)).toContain('no longer seen');
  });
});

describe('Debezium harness', () => {
  it('writes properties that Properties.load reads back unchanged', () => {
    expect(propertiesText({ 'a.b': 'x=y:z', 'k y': ' lead', pw: '', uni: 'é\\n' })).toBe(
      'a.b=x=y:z\nk\\ y=\\ lead\npw=\nuni=\\u00e9\\\\n\n',
    );
  });
});
