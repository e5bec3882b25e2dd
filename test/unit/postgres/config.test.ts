import { describe, expect, it } from 'vitest';
import { sourceCommonSpec } from '../../../runtime/config/common.js';
import { parseConfig } from '../../../runtime/config/parse.js';
import {
  columnCaptured,
  parseKeyColumns,
  postgresConfigSpec,
  readSettings,
  tableCaptured,
} from '../../../connectors/postgres/config.js';

const base = {
  'database.hostname': 'h',
  'database.user': 'u',
  'database.dbname': 'd',
  'topic.prefix': 'srv',
};

function settings(raw: Record<string, string>) {
  const { config, issues } = parseConfig([...sourceCommonSpec, ...postgresConfigSpec], { ...base, ...raw });
  expect(issues).toEqual([]);
  return readSettings(config);
}

describe('postgres connector config', () => {
  it("has Debezium's defaults", () => {
    const s = settings({});
    expect(s).toMatchObject({
      port: 5432,
      slot: 'debezium',
      publication: 'dbz_publication',
      autocreate: 'all_tables',
      snapshotMode: 'initial',
      fetchSize: 10240,
      heartbeatMs: 0,
      heartbeatTopic: '__debezium-heartbeat.srv',
      tombstones: true,
      transactionTopic: 'srv.transaction',
      decimal: 'precise',
      time: 'adaptive',
      binary: 'bytes',
      placeholder: '__debezium_unavailable_value',
    });
    expect([...s.skipped]).toEqual(['t']);
  });

  it('matches table and column filters as whole, case-insensitive regular expressions', () => {
    const s = settings({
      'table.include.list': 'public\\.ord.*,inv\\.items',
      'column.exclude.list': 'public\\.orders\\.secret.*',
    });
    expect(tableCaptured(s, 'public', 'orders')).toBe(true);
    expect(tableCaptured(s, 'PUBLIC', 'Orders')).toBe(true);
    expect(tableCaptured(s, 'inv', 'items')).toBe(true);
    expect(tableCaptured(s, 'inv', 'items2')).toBe(false);
    expect(tableCaptured(s, 'xpublic', 'orders')).toBe(false);
    expect(tableCaptured(s, 'pg_catalog', 'pg_class')).toBe(false);
    expect(columnCaptured(s, 'public', 'orders', 'secret_code')).toBe(false);
    expect(columnCaptured(s, 'public', 'orders', 'id')).toBe(true);
    const ex = settings({ 'table.exclude.list': 'public\\.audit' });
    expect(tableCaptured(ex, 'public', 'audit')).toBe(false);
    expect(tableCaptured(ex, 'public', 'orders')).toBe(true);
  });

  it('parses message.key.columns', () => {
    expect(parseKeyColumns('public\\.a:x,y;inv\\..*:id').map((k) => [k.table.source, k.columns])).toEqual([
      ['^(?:public\\.a)$', ['x', 'y']],
      ['^(?:inv\\..*)$', ['id']],
    ]);
  });

  it('rejects what Debezium rejects', () => {
    const { issues } = parseConfig(postgresConfigSpec, {
      ...base,
      'snapshot.mode': 'sometimes',
      'slot.name': 'Bad-Name',
      'table.include.list': '(',
    });
    expect(issues.map((i) => i.key).sort()).toEqual(['slot.name', 'snapshot.mode', 'table.include.list']);
  });
});
