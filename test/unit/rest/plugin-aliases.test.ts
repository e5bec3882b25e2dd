import { describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../../runtime/worker/plugins.js';

/** Kafka Connect's PluginUtils.computeAliases: simple class name, and the simple name without its type suffix. */
describe('plugin lookup by the aliases Connect derives from class names', () => {
  const registry = builtinRegistry();
  const className = (name: string) => registry.get(name)?.className;

  it('finds connectors by simple name and by the simple name without "Connector"', () => {
    for (const n of [
      'FileStreamSinkConnector',
      'FileStreamSink',
      'org.apache.kafka.connect.file.FileStreamSinkConnector',
    ])
      expect(className(n)).toBe('io.sluice.connectors.file.FileStreamSink');
    for (const n of ['PostgresConnector', 'Postgres', 'io.debezium.connector.postgresql.PostgresConnector'])
      expect(className(n)).toBe('io.sluice.connectors.postgres.PostgresSource');
    expect(registry.connector('MySql')?.className).toBe(registry.connector('MySqlConnector')?.className);
    expect(registry.connector('MongoDb')).toBeDefined();
  });

  it('finds converters, transformations and predicates the same way', () => {
    expect(registry.find('converter', 'JsonConverter')?.className).toBe('org.apache.kafka.connect.json.JsonConverter');
    expect(registry.find('converter', 'Json')?.className).toBe('org.apache.kafka.connect.json.JsonConverter');
    expect(registry.find('converter', 'Simple')?.className).toMatch(/SimpleHeaderConverter$/);
    expect(registry.find('transform', 'ExtractNewRecordState')).toBeDefined();
    expect(registry.find('predicate', 'TopicNameMatches')).toBeDefined();
  });

  it('names nothing by an alias two plugins share, nor by a name of another kind', () => {
    // InsertField$Value, ReplaceField$Value, …: Java's simple name of each is `Value`.
    expect(registry.get('Value')).toBeUndefined();
    expect(registry.get('Key')).toBeUndefined();
    expect(registry.find('source', 'JsonConverter')).toBeUndefined();
    expect(registry.connector('Json')).toBeUndefined();
  });
});
