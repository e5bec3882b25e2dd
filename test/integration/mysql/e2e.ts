import type { CdcEvent, ReplayOptions } from '../../harness/cdc.js';
import type { MariaDb } from '../../harness/mariadb.js';
import type { ConnectorFile } from '../../harness/worker.js';

/** Connector file for the MariaDB source in worker tests. */
export function mariaConnector(
  db: MariaDb,
  name: string,
  dir: string,
  extra: Record<string, string> = {},
): ConnectorFile {
  return {
    name,
    config: {
      'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
      'database.hostname': db.host,
      'database.port': String(db.port),
      'database.user': db.user,
      'database.password': db.password,
      'database.server.id': '6101',
      'topic.prefix': 'srv',
      'schema.history.internal.file.filename': `${dir}/${name}-history.jsonl`,
      ...extra,
    },
  };
}

/** A MySQL/MariaDB change event as the file sink writes it. */
export type Event = CdcEvent<{ file: string; pos: number; row: number; snapshot: string }>;

/** A snapshot is identified by the binlog position it was taken at (Debezium's re-snapshots need the same care). */
export const binlogReplay: ReplayOptions<Event> = { snapshotAt: (e) => `${e.source.file}:${e.source.pos}` };
