import { readFileSync } from 'node:fs';
import { ConnectError } from '../api/index.js';
import { writeFileAtomic } from '../offsets/atomic-file.js';
import type { TargetState } from '../tasks/state.js';

export interface StoredConnector {
  /** as the user gave it: provider references unresolved */
  config: Record<string, string>;
  target: TargetState;
}

/** Where connector configs and target states live between restarts. */
export interface ConfigStore {
  load(): Promise<Map<string, StoredConnector>>;
  save(name: string, entry: StoredConnector | null): Promise<void>;
}

export class MemoryConfigStore implements ConfigStore {
  protected state = new Map<string, StoredConnector>();
  async load(): Promise<Map<string, StoredConnector>> {
    return new Map(this.state);
  }
  async save(name: string, entry: StoredConnector | null): Promise<void> {
    if (entry) this.state.set(name, entry);
    else this.state.delete(name);
  }
}

const FORMAT = 'sluice-connectors/1';

/** Standalone `config.storage.file.filename`: one JSON file, replaced atomically on every change. */
export class FileConfigStore extends MemoryConfigStore {
  constructor(readonly path: string) {
    super();
  }

  override async load(): Promise<Map<string, StoredConnector>> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new ConnectError(`Cannot read connector config file ${this.path}: ${(err as Error).message}`);
    }
    let doc: { format?: string; connectors?: Record<string, StoredConnector> };
    try {
      doc = JSON.parse(text);
    } catch {
      throw new ConnectError(
        `Connector config file ${this.path} is damaged (not complete JSON); refusing to start. Restore or delete it.`,
      );
    }
    if (doc.format !== FORMAT || typeof doc.connectors !== 'object' || doc.connectors === null) {
      throw new ConnectError(`Connector config file ${this.path} is not a sluice connector file`);
    }
    this.state = new Map(Object.entries(doc.connectors));
    return new Map(this.state);
  }

  override async save(name: string, entry: StoredConnector | null): Promise<void> {
    const next = new Map(this.state);
    if (entry) next.set(name, entry);
    else next.delete(name);
    writeFileAtomic(this.path, JSON.stringify({ format: FORMAT, connectors: Object.fromEntries(next) }, null, 2));
    this.state = next;
  }
}
