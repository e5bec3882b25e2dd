import type { CdcEvent } from '../../harness/cdc.js';
import type { PostgresServer } from '../../harness/postgres.js';
import type { ConnectorFile } from '../../harness/worker.js';

/** Connector file for the PostgreSQL source in worker tests. */
export function pgConnector(pg: PostgresServer, name: string, extra: Record<string, string> = {}): ConnectorFile {
  return {
    name,
    config: {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      ...pg.connectorConfig(),
      'topic.prefix': 'srv',
      'slot.name': `${name.replace(/[^a-z0-9_]/g, '_')}_slot`,
      'publication.name': `${name.replace(/[^a-z0-9_]/g, '_')}_pub`,
      ...extra,
    },
  };
}

/** A PostgreSQL change event as the file sink writes it. */
export type Event = CdcEvent<{ lsn: number | null; snapshot: string }>;
