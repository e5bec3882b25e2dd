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

/**
 * Standalone with connector files on the command line: each is the same connector as the one of that name in the
 * store, its config updated (as Kafka Connect's standalone worker treats a connector given again), never a second
 * copy. The merge happens when the herder loads the store, so every connector starts once, with the command line's
 * config and the stored target state (a connector paused or stopped through REST stays so across a restart).
 */
export class CommandLineConnectors implements ConfigStore {
  constructor(
    private readonly store: ConfigStore,
    private readonly connectors: ReadonlyArray<{ name: string; config: Record<string, string> }>,
  ) {}

  async load(): Promise<Map<string, StoredConnector>> {
    const stored = await this.store.load();
    for (const c of this.connectors) {
      const config = { ...c.config, name: c.name };
      const existing = stored.get(c.name);
      if (existing && sameConfig(existing.config, config)) continue;
      const entry: StoredConnector = { config, target: existing?.target ?? 'STARTED' };
      await this.store.save(c.name, entry);
      stored.set(c.name, entry);
    }
    return stored;
  }

  save(name: string, entry: StoredConnector | null): Promise<void> {
    return this.store.save(name, entry);
  }
}

export function sameConfig(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
