import { type Config, defineSinkConnector, lazySinkTask } from '../../runtime/api/index.js';
import { jdbcConfigSpec } from './config.js';

/**
 * Debezium's JDBC sink (`io.debezium.connector.jdbc.JdbcSinkConnector`) for PostgreSQL and MySQL/MariaDB targets:
 * Debezium change events (or flattened records) written as rows, with upserts, deletes, truncates and basic schema
 * evolution. See docs/jdbc.md.
 */
export const jdbcSinkPlugin = defineSinkConnector({
  name: 'jdbc-sink',
  className: 'io.debezium.connector.jdbc.JdbcSinkConnector',
  aliases: ['JdbcSinkConnector', 'io.sluice.connectors.jdbc.JdbcSink'],
  version: '1.0.0',
  doc: 'Writes change events into PostgreSQL or MySQL/MariaDB tables (Debezium JDBC sink keys).',
  configSpec: jdbcConfigSpec,
  async taskConfigs(_config: Config, maxTasks: number) {
    // Every task takes the same config; the transport (Kafka partitions, or topics in direct mode) splits the work.
    return Array.from({ length: Math.max(1, maxTasks) }, () => ({}));
  },
  createTask: () => lazySinkTask(async () => new (await import('./task.js')).JdbcSinkTask()),
});
