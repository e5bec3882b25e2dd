import { defineSourceConnector, lazySourceTask } from '../../runtime/api/index.js';
import { postgresConfigSpec, readSettings } from './config.js';
import { operatorOffsets } from './offsets.js';
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
  // An operator's start point: `{"lsn": N}` (or a whole offset), checked for form here and against the server when
  // it answers (a position it has not written, or one the slot has already released, is refused).
  async alterOffsets(config, offsets) {
    const s = readSettings(config);
    const checked = operatorOffsets(offsets, s.prefix);
    await (await import('./offset-check.js')).checkOffsetsOnServer(s, String(config.get('name') ?? ''), checked);
    return checked;
  },
  // pg loads with the first task, not with the worker.
  createTask: () => lazySourceTask(async () => new (await import('./source-task.js')).PostgresSourceTask()),
});
