import { ConnectError } from '../api/errors.js';
import type { SourceOffset, SourcePartition } from '../data/record.js';
import { FileOffsetStore } from '../offsets/file-store.js';
import { MemoryOffsetStore } from '../offsets/memory-store.js';
import type { OffsetEntry, OffsetStore as RuntimeOffsetStore } from '../offsets/store.js';

export type { OffsetEntry } from '../offsets/store.js';
export { FileOffsetStore, MemoryOffsetStore };

/**
 * Where capture() keeps its source offsets: implement this to keep them in your own database (PostgreSQL, Redis…)
 * next to the data the events produced. Offsets are opaque JSON, keyed as Kafka Connect keys them: connector name
 * and source partition. `write` must resolve only once the entries are durable: capture() tells the database it
 * may release its log right after.
 */
export interface OffsetStore {
  start?(): Promise<void>;
  /** every stored partition of a connector with its offset (an empty list on a first start) */
  read(connector: string): Promise<ReadonlyArray<{ partition: SourcePartition; offset: SourceOffset }>>;
  /** stores the entries (an entry with a null offset removes its partition); resolves once they are durable */
  write(entries: readonly OffsetEntry[]): Promise<void>;
  stop?(): Promise<void>;
}

/**
 * `{ file: 'offsets.json' }` (the CLI's file format, replaced atomically at each commit), `{ memory: true }`
 * (lost at exit: every start is a first start), or a store of your own.
 */
export type OffsetsOption = { file: string } | { memory: true } | OffsetStore;

function isStore(o: OffsetsOption): o is OffsetStore {
  return typeof (o as OffsetStore).read === 'function' && typeof (o as OffsetStore).write === 'function';
}

/** The runtime's store for an option; a user's store is wrapped so that its failures carry the runtime's context. */
export function offsetStoreFor(option: OffsetsOption | undefined): RuntimeOffsetStore {
  if (option === undefined || ('memory' in option && option.memory === true)) return new MemoryOffsetStore();
  if ('file' in option && typeof option.file === 'string') return new FileOffsetStore(option.file);
  if (!isStore(option)) {
    throw new ConnectError('offsets: give { file: path }, { memory: true }, or an object with read() and write()');
  }
  const user = option;
  const failed = (what: string, err: unknown) =>
    new ConnectError(`Offset store ${what} failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
      retriable: (err as { retriable?: unknown })?.retriable === true,
      context: { stage: 'offsets' },
    });
  return {
    async start() {
      await user.start?.().catch((err) => Promise.reject(failed('start', err)));
    },
    async read(connector) {
      const rows = await user.read(connector).catch((err) => Promise.reject(failed('read', err)));
      if (!Array.isArray(rows)) throw new ConnectError('Offset store read() must resolve to an array');
      return rows.map((r) => ({ partition: r.partition, offset: r.offset }));
    },
    async write(entries) {
      await user.write(entries).catch((err) => Promise.reject(failed('write', err)));
    },
    async stop() {
      await user.stop?.();
    },
  };
}
