import { defineSourceConnector, type SourceConnectorPlugin } from '../../runtime/api/index.js';
import { CONNECTOR_VERSION } from './envelope.js';
import { mysqlConfigSpec } from './config.js';
import { MySqlSourceTask } from './task.js';

const doc =
  'Captures row changes of MySQL and MariaDB from the binlog (ROW format): a consistent snapshot, then streaming. Debezium-compatible configuration, topics, events and offsets.';

/** The binlog is one ordered stream: one task, as Debezium. */
async function taskConfigs(config: { raw: Readonly<Record<string, string>> }): Promise<Record<string, string>[]> {
  return [{ ...config.raw }];
}

export const mysqlSourcePlugin: SourceConnectorPlugin = defineSourceConnector({
  name: 'mysql',
  className: 'io.sluice.connectors.mysql.MySqlSource',
  aliases: ['io.debezium.connector.mysql.MySqlConnector', 'MySqlConnector'],
  version: CONNECTOR_VERSION,
  configSpec: mysqlConfigSpec,
  doc,
  taskConfigs,
  createTask: () => new MySqlSourceTask(),
});

export const mariadbSourcePlugin: SourceConnectorPlugin = defineSourceConnector({
  name: 'mariadb',
  className: 'io.sluice.connectors.mysql.MariaDbSource',
  aliases: ['io.debezium.connector.mariadb.MariaDbConnector', 'MariaDbConnector'],
  version: CONNECTOR_VERSION,
  configSpec: mysqlConfigSpec,
  doc,
  taskConfigs,
  createTask: () => new MySqlSourceTask(),
});
