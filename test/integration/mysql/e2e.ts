import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
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
  return new EventTail(file).read();
}

/** Reads the file sink's output incrementally: each read() parses only the complete lines appended since. */
export class EventTail {
  readonly events: Event[] = [];
  private offset = 0;

  constructor(private readonly file: string) {}

  read(): Event[] {
    if (!existsSync(this.file)) return this.events;
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return this.events;
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) return this.events;
      this.offset += end + 1;
      for (const line of buf.toString('utf8', 0, end).split('\n')) {
        if (line === '' || line === 'null') continue;
        this.events.push(JSON.parse(line) as Event);
      }
    } finally {
      closeSync(fd);
    }
    return this.events;
  }
}

/**
 * Replays events by key: the table state a consumer that applies them in order ends up with. A snapshot that was
 * cut short starts over at a new binlog position; its rows are only a partial image, and a row it emitted may have
 * been deleted before the next snapshot, which then has no event for it. So a consumer starts afresh when the
 * first record of a snapshot taken at another position arrives (Debezium's re-snapshots need the same care).
 */
export function replay(events: readonly Event[]): Map<string, Record<string, unknown>> {
  const state = new Map<string, Record<string, unknown>>();
  let snapshotAt: string | undefined;
  for (const e of events) {
    const row = e.after ?? e.before;
    if (!row) continue;
    if (e.op === 'r') {
      const at = `${e.source.file}:${e.source.pos}`;
      if (snapshotAt !== undefined && at !== snapshotAt) state.clear();
      snapshotAt = at;
    }
    const key = `${e.source.table}:${String(row.id)}`;
    if (e.op === 'd') state.delete(key);
    else state.set(key, e.after as Record<string, unknown>);
  }
  return state;
}
