import type { SourceOffset, SourcePartition } from '../api/index.js';
import { type OffsetEntry, type OffsetStore, offsetKey } from './store.js';

export interface StoredOffset {
  connector: string;
  partition: SourcePartition;
  offset: SourceOffset;
}

/** Offsets in memory only: for tests and for workers that want none kept. */
export class MemoryOffsetStore implements OffsetStore {
  protected entries = new Map<string, StoredOffset>();

  async start(): Promise<void> {}

  async read(connector: string): Promise<Array<{ partition: SourcePartition; offset: SourceOffset }>> {
    const out: Array<{ partition: SourcePartition; offset: SourceOffset }> = [];
    for (const e of this.entries.values())
      if (e.connector === connector) out.push({ partition: e.partition, offset: e.offset });
    return out;
  }

  async write(entries: readonly OffsetEntry[]): Promise<void> {
    this.apply(entries);
  }

  protected apply(entries: readonly OffsetEntry[], target: Map<string, StoredOffset> = this.entries): void {
    for (const e of entries) {
      const k = offsetKey(e.connector, e.partition);
      if (e.offset === null) target.delete(k);
      else target.set(k, { connector: e.connector, partition: e.partition, offset: e.offset });
    }
  }

  async stop(): Promise<void> {}
}
