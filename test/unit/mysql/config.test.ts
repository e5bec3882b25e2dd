import { describe, expect, it } from 'vitest';
import { mysqlConfigSpec, readOptions } from '../../../connectors/mysql/config.js';
import { mariadbSourcePlugin, mysqlSourcePlugin } from '../../../connectors/mysql/index.js';
import { parseConfig } from '../../../runtime/config/parse.js';

const base = { 'database.hostname': 'h', 'database.user': 'u', 'database.server.id': '5', 'topic.prefix': 'p' };

describe('mysql connector configuration', () => {
  it("accepts Debezium's class names and requires Debezium's keys", () => {
    expect(mysqlSourcePlugin.aliases).toContain('io.debezium.connector.mysql.MySqlConnector');
    expect(mariadbSourcePlugin.aliases).toContain('io.debezium.connector.mariadb.MariaDbConnector');
    const { issues } = parseConfig(mysqlConfigSpec, { 'database.hostname': 'h' });
    expect(issues.map((i) => i.key).sort()).toEqual(['database.server.id', 'database.user', 'topic.prefix']);
  });

  it('maps deprecated snapshot modes and accepts the file and Kafka schema histories only', () => {
    const { config } = parseConfig(mysqlConfigSpec, { ...base, 'snapshot.mode': 'schema_only' });
    expect(readOptions(config).snapshotMode).toBe('no_data');
    expect(readOptions(config).historyKafka).toBe(false);
    const kafka = parseConfig(mysqlConfigSpec, {
      ...base,
      'schema.history.internal': 'io.debezium.storage.kafka.history.KafkaSchemaHistory',
    });
    expect(kafka.issues).toEqual([]);
    expect(readOptions(kafka.config).historyKafka).toBe(true);
    const bad = parseConfig(mysqlConfigSpec, {
      ...base,
      'schema.history.internal': 'io.debezium.relational.history.MemorySchemaHistory',
    });
    expect(bad.issues[0].key).toBe('schema.history.internal');
  });

  it('filters databases, tables and columns with anchored, case-insensitive regexes and never captures system schemas', () => {
    const { config } = parseConfig(mysqlConfigSpec, {
      ...base,
      'database.include.list': 'shop.*,mysql',
      'table.exclude.list': 'shop\\.audit_.*',
      'column.exclude.list': 'shop\\.users\\.password',
    });
    const f = readOptions(config).filters;
    expect(f.database('shop')).toBe(true);
    expect(f.database('SHOP2')).toBe(true);
    expect(f.database('myshop')).toBe(false);
    expect(f.database('mysql')).toBe(false);
    expect(f.table('shop', 'orders')).toBe(true);
    expect(f.table('shop', 'audit_log')).toBe(false);
    expect(f.column('shop', 'users', 'password')).toBe(false);
    expect(f.column('shop', 'users', 'password_hint')).toBe(true);
  });

  it('honours database.exclude.list, table.include.list, column.include.list and the GTID source lists', () => {
    const { config } = parseConfig(mysqlConfigSpec, {
      ...base,
      'database.exclude.list': 'tmp_.*',
      'table.include.list': 'shop\\.orders,crm\\..*',
      'column.include.list': 'shop\\.orders\\.(id|total)',
      'gtid.source.includes': '0-1,1-.*',
      'gtid.source.excludes': '1-9',
    });
    const f = readOptions(config).filters;
    expect(f.database('tmp_x')).toBe(false);
    expect(f.database('shop')).toBe(true);
    expect(f.table('shop', 'orders')).toBe(true);
    expect(f.table('shop', 'users')).toBe(false);
    expect(f.table('crm', 'leads')).toBe(true);
    expect(f.table('tmp_x', 'orders')).toBe(false);
    expect(f.column('shop', 'orders', 'total')).toBe(true);
    expect(f.column('shop', 'orders', 'note')).toBe(false);
    expect([f.gtidSource('0-1'), f.gtidSource('0-2'), f.gtidSource('1-5'), f.gtidSource('1-9')]).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(readOptions(config).gtidFilterDml).toBe(true);
  });
});
