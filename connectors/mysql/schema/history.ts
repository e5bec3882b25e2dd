import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConnectError } from '../../../runtime/api/index.js';
import { applyDdl } from './ddl.js';
import { SchemaModel, type TableDef } from './model.js';

/** A binlog coordinate; files compare by name (the numeric suffix is fixed-width), then by position. */
export interface BinlogCoordinate {
  file: string;
  pos: number;
}

export function compareCoordinates(a: BinlogCoordinate, b: BinlogCoordinate): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.pos - b.pos;
}

type Entry =
  | {
      kind: 'snapshot';
      position: BinlogCoordinate;
      ts_ms: number;
      model: { tables: TableDef[]; databaseCharsets: Record<string, string> };
    }
  | { kind: 'ddl'; position: BinlogCoordinate; ts_ms: number; databaseName: string; ddl: string };

/**
 * Where history entries live: one JSON document per entry, in order. `append` only queues (the binlog reader
 * records DDL synchronously while decoding); `flush` resolves once every queued entry is durable.
 */
export interface HistoryStore {
  /** for messages: the file or topic */
  readonly description: string;
  start(): Promise<void>;
  /** every stored entry, oldest first */
  readAll(): Promise<string[]>;
  append(line: string): void;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** `schema.history.internal.file.filename`: JSON lines, appended synchronously. */
export class FileHistoryStore implements HistoryStore {
  constructor(readonly path: string) {}

  get description(): string {
    return `file ${this.path}`;
  }

  async start(): Promise<void> {}

  async readAll(): Promise<string[]> {
    if (!existsSync(this.path)) return [];
    return readFileSync(this.path, 'utf8').split('\n');
  }

  append(line: string): void {
    mkdirSync(dirname(this.path), { recursive: true });
    appendFileSync(this.path, `${line}\n`);
  }

  async flush(): Promise<void> {}
  async stop(): Promise<void> {}
}

/**
 * Schema history (`schema.history.internal.*`): a full model at each snapshot and every DDL statement with the
 * position of its transaction. Recovery replays it up to the resume position, so old binlog rows are read with the
 * columns they were written with. Entries recorded are durable once `flush()` resolves; the connector flushes
 * before it hands out records whose offsets lie past them.
 */
export class SchemaHistory {
  private last: BinlogCoordinate | undefined;

  constructor(readonly store: HistoryStore) {}

  get description(): string {
    return this.store.description;
  }

  async exists(): Promise<boolean> {
    return (await this.store.readAll()).some((l) => l.trim() !== '');
  }

  private append(e: Entry): void {
    this.store.append(JSON.stringify(e));
  }

  flush(): Promise<void> {
    return this.store.flush();
  }

  recordSnapshot(position: BinlogCoordinate, model: SchemaModel): void {
    this.append({ kind: 'snapshot', position, ts_ms: Date.now(), model: model.toJSON() });
    this.last = position;
  }

  /** Records a DDL once: a replay of the same binlog region after a restart does not duplicate it. */
  recordDdl(position: BinlogCoordinate, databaseName: string, ddl: string): void {
    if (this.last && compareCoordinates(position, this.last) <= 0) return;
    this.append({ kind: 'ddl', position, ts_ms: Date.now(), databaseName, ddl });
    this.last = position;
  }

  /** The model as it was just before `resume` (DDL at or after it will be read again from the binlog). */
  async recover(resume: BinlogCoordinate): Promise<SchemaModel> {
    let model = new SchemaModel();
    const lines = await this.store.readAll();
    let found = false;
    for (const [i, line] of lines.entries()) {
      if (!line.trim()) continue;
      let e: Entry;
      try {
        e = JSON.parse(line) as Entry;
      } catch (err) {
        // A torn last line is what a crash mid-append leaves; anything else is corruption.
        if (i >= lines.length - 2) continue;
        throw new ConnectError(`schema history (${this.description}) entry ${i + 1} is not JSON`, { cause: err });
      }
      this.last = e.position;
      if (e.kind === 'snapshot') {
        if (compareCoordinates(e.position, resume) <= 0) {
          model = SchemaModel.fromJSON(e.model);
          found = true;
        }
      } else if (compareCoordinates(e.position, resume) < 0) {
        applyDdl(model, e.databaseName, e.ddl);
      }
    }
    if (!found) {
      throw new ConnectError(
        `schema history (${this.description}) has no snapshot at or before ${resume.file}:${resume.pos}; without it old binlog rows cannot be decoded. Restore it or delete the connector's offsets and snapshot again (snapshot.mode=initial or when_needed).`,
      );
    }
    return model;
  }
}
