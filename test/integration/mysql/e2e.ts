import { existsSync, readFileSync } from 'node:fs';
import type { MariaDb } from '../../harness/mariadb.js';

/** Connector file for the MariaDB source in worker tests. */
export function mariaConnector(
  db: MariaDb,
  name: string,
  dir: string,
  extra: Record<string, string> = {},
): { name: string; config: Record<string, string> } {
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

export function fileSink(
  name: string,
  file: string,
  topics: string[],
  schemas = false,
): { name: string; config: Record<string, string> } {
  return {
    name,
    config: {
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
      file,
      topics: topics.join(','),
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': String(schemas),
    },
  };
}

export interface Event {
  op: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: { table: string; file: string; pos: number; row: number; snapshot: string };
}

/** Change events written by the file sink (tombstone lines skipped); a partial last line is ignored. */
export function readEvents(file: string): Event[] {
  if (!existsSync(file)) return [];
  const out: Event[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '' || line === 'null') continue;
    try {
      out.push(JSON.parse(line) as Event);
    } catch {
      // the writer is mid-line
    }
  }
  return out;
}

/** Replays events by key: the table state a consumer that applies them in order ends up with. */
export function replay(events: readonly Event[]): Map<string, Record<string, unknown>> {
  const state = new Map<string, Record<string, unknown>>();
  for (const e of events) {
    const row = e.after ?? e.before;
    if (!row) continue;
    const key = `${e.source.table}:${String(row.id)}`;
    if (e.op === 'd') state.delete(key);
    else state.set(key, e.after as Record<string, unknown>);
  }
  return state;
}
