import { existsSync, readFileSync } from 'node:fs';
import type { PostgresServer } from '../../harness/postgres.js';

/** Connector file for the PostgreSQL source in worker tests. */
export function pgConnector(
  pg: PostgresServer,
  name: string,
  extra: Record<string, string> = {},
): { name: string; config: Record<string, string> } {
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
  source: { table: string; lsn: number | null; snapshot: string };
}

/** Change events written by the file sink (tombstone lines skipped); a partial last line is ignored. */
export function readEvents(file: string): Event[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Event[] = [];
  for (const line of lines) {
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
    if (e.op === 't') {
      for (const k of [...state.keys()]) if (k.startsWith(`${e.source.table}:`)) state.delete(k);
      continue;
    }
    const row = e.after ?? e.before;
    if (!row) continue;
    const key = `${e.source.table}:${String(row.id)}`;
    if (e.op === 'd') state.delete(key);
    else state.set(key, e.after as Record<string, unknown>);
  }
  return state;
}
