import { type Config, defineSourceConnector } from '../../runtime/api/index.js';
import { postgresConfigSpec } from './config.js';
import { CONNECTOR_VERSION } from './source.js';
import { PostgresSourceTask } from './task.js';

/**
 * PostgreSQL source: a consistent snapshot taken inside the replication slot's exported snapshot, then the
 * slot's pgoutput stream, with Debezium's configuration keys, events and type mapping. One task: a slot has one
 * reader.
 */
export const postgresSourcePlugin = defineSourceConnector({
  name: 'postgres',
  className: 'io.sluice.connectors.postgres.PostgresSource',
  aliases: ['io.debezium.connector.postgresql.PostgresConnector', 'postgresql'],
  version: CONNECTOR_VERSION,
  doc: 'Captures row changes of PostgreSQL 10+ through logical decoding (pgoutput): snapshot, then streaming, Debezium-compatible.',
  configSpec: postgresConfigSpec,
  async taskConfigs(config: Config): Promise<Record<string, string>[]> {
    return [{ ...config.raw }];
  },
  createTask: () => new PostgresSourceTask(),
});
