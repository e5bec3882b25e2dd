import {
  type Config,
  defineSourceConnector,
  lazySourceTask,
  type OffsetEntry,
  type SourceConnectorPlugin,
} from '../../runtime/api/index.js';
import { CONNECTOR_VERSION } from './envelope.js';
import { mysqlConfigSpec, readOptions } from './config.js';
import { operatorOffsets } from './offsets.js';

const doc =
  'Captures row changes of MySQL and MariaDB from the binlog (ROW format): a consistent snapshot, then streaming. Debezium-compatible configuration, topics, events and offsets.';

/**
 * The binlog is one ordered stream: one task, as Debezium. Its config is the connector's (the runtime overlays
 * it), so nothing is copied here, and no resolved secret lands in the task configs.
 */
async function taskConfigs(): Promise<Record<string, string>[]> {
  return [{}];
}

/**
 * An operator's start point (PATCH …/offsets): a binlog file and position, or a GTID set; checked for form here
 * and against the server when it answers.
 */
async function alterOffsets(config: Config, offsets: readonly OffsetEntry[]): Promise<readonly OffsetEntry[]> {
  const o = readOptions(config);
  const checked = operatorOffsets(offsets, o.prefix);
  await (await import('./offset-check.js')).checkOffsetsOnServer(o, checked);
  return checked;
}

/** mysql2 loads with the first task, not with the worker. */
const createTask = () => lazySourceTask(async () => new (await import('./task.js')).MySqlSourceTask());

export const mysqlSourcePlugin: SourceConnectorPlugin = defineSourceConnector({
  name: 'mysql',
  className: 'io.sluice.connectors.mysql.MySqlSource',
  aliases: ['io.debezium.connector.mysql.MySqlConnector', 'MySqlConnector'],
  version: CONNECTOR_VERSION,
  configSpec: mysqlConfigSpec,
  doc,
  taskConfigs,
  createTask,
  alterOffsets,
});

export const mariadbSourcePlugin: SourceConnectorPlugin = defineSourceConnector({
  name: 'mariadb',
  className: 'io.sluice.connectors.mysql.MariaDbSource',
  aliases: ['io.debezium.connector.mariadb.MariaDbConnector', 'MariaDbConnector'],
  version: CONNECTOR_VERSION,
  configSpec: mysqlConfigSpec,
  doc,
  taskConfigs,
  createTask,
  alterOffsets,
});
