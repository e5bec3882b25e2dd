import { defineSourceConnector, lazySourceTask } from '../../runtime/api/index.js';
import { postgresConfigSpec } from './config.js';
import { CONNECTOR_VERSION } from './source.js';

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
  // Its config is the connector's (the runtime overlays it): nothing copied, no resolved secret in task configs.
  async taskConfigs(): Promise<Record<string, string>[]> {
    return [{}];
  },
  // pg loads with the first task, not with the worker.
  createTask: () => lazySourceTask(async () => new (await import('./source-task.js')).PostgresSourceTask()),
});
