import { readFileSync } from 'node:fs';
import { ConnectError, type SourceOffset, type SourcePartition } from '../api/index.js';
import { writeFileAtomicAsync } from './atomic-file.js';
import { MemoryOffsetStore, type StoredOffset } from './memory-store.js';
import type { OffsetEntry } from './store.js';

const FORMAT = 'sluice-offsets/1';

/**
 * Standalone offsets in one JSON file. Every write replaces the file atomically (temp file, fsync, rename,
 * fsync of the directory), so a crash at any instant leaves either the old or the new offsets. A file that
 * exists but does not parse is never taken for "no offsets": start() refuses, naming the file.
 */
export class FileOffsetStore extends MemoryOffsetStore {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {
    super();
  }

  override async start(): Promise<void> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new ConnectError(`Cannot read offset file ${this.path}: ${(err as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new ConnectError(
        `Offset file ${this.path} is damaged (not complete JSON, ${text.length} bytes). Refusing to start rather than ` +
          'lose track of where sources stopped. Restore it from a backup, or delete it to start every source as new.',
      );
    }
    const d = doc as { format?: string; offsets?: Array<{ key: [string, SourcePartition]; value: SourceOffset }> };
    if (d.format !== FORMAT || !Array.isArray(d.offsets)) {
      throw new ConnectError(`Offset file ${this.path} is not a sluice offset file (format ${String(d.format)}).`);
    }
    this.apply(d.offsets.map((o) => ({ connector: o.key[0], partition: o.key[1], offset: o.value })));
  }

  override async write(entries: readonly OffsetEntry[]): Promise<void> {
    // Serialized: each write must see the previous one's state, and the file is replaced whole.
    // The in-memory view changes only once the file holds the new state.
    const next = this.writing.then(async () => {
      const updated = new Map(this.entries);
      this.apply(entries, updated);
      await this.persist(updated);
      this.entries = updated;
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  private persist(state: Map<string, StoredOffset>): Promise<void> {
    const offsets = [...state.values()].map((e) => ({ key: [e.connector, e.partition], value: e.offset }));
    return writeFileAtomicAsync(this.path, JSON.stringify({ format: FORMAT, offsets }));
  }
}
