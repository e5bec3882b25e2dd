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
 * Schema history in a JSON-lines file (`schema.history.internal.file.filename`): a full model at each snapshot
 * and every DDL statement with the position of its transaction. Recovery replays it up to the resume position,
 * so old binlog rows are read with the columns they were written with.
 */
export class SchemaHistory {
  private last: BinlogCoordinate | undefined;

  constructor(readonly path: string) {}

  exists(): boolean {
    return existsSync(this.path) && readFileSync(this.path, 'utf8').trim() !== '';
  }

  private append(e: Entry): void {
    mkdirSync(dirname(this.path), { recursive: true });
    appendFileSync(this.path, `${JSON.stringify(e)}\n`);
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
  recover(resume: BinlogCoordinate): SchemaModel {
    let model = new SchemaModel();
    if (!existsSync(this.path)) return model;
    const lines = readFileSync(this.path, 'utf8').split('\n');
    let found = false;
    for (const [i, line] of lines.entries()) {
      if (!line.trim()) continue;
      let e: Entry;
      try {
        e = JSON.parse(line) as Entry;
      } catch (err) {
        // A torn last line is what a crash mid-append leaves; anything else is corruption.
        if (i >= lines.length - 2) continue;
        throw new ConnectError(`schema history ${this.path} line ${i + 1} is not JSON`, { cause: err });
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
        `schema history ${this.path} has no snapshot at or before ${resume.file}:${resume.pos}; without it old binlog rows cannot be decoded. Restore the file or delete the connector's offsets and snapshot again (snapshot.mode=initial or when_needed).`,
      );
    }
    return model;
  }
}
