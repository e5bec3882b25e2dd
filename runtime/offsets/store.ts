import type { SourceOffset, SourcePartition } from '../api/index.js';

/** One stored offset, keyed as Kafka Connect keys them: `["<connector>", {partition}]`. */
export interface OffsetEntry {
  readonly connector: string;
  readonly partition: SourcePartition;
  /** null removes the partition's offset (Connect's tombstone) */
  readonly offset: SourceOffset | null;
}

/**
 * Where source offsets live. `write` resolves only when the entries are durable: after it, a crash at any
 * instant keeps them. Implementations: memory, file (standalone), Kafka topic (`offset.storage.topic`).
 */
export interface OffsetStore {
  start(): Promise<void>;
  /** every stored partition of a connector with its offset */
  read(connector: string): Promise<Array<{ partition: SourcePartition; offset: SourceOffset }>>;
  write(entries: readonly OffsetEntry[]): Promise<void>;
  stop(): Promise<void>;
}

/** Kafka Connect's offset key: `["<connector>", {partition}]` serialized as JSON. */
export function offsetKey(connector: string, partition: SourcePartition): string {
  return JSON.stringify([connector, partition]);
}
