import type { ValueEncoding } from '../../runtime/api/index.js';
import type { TableCatalog } from './catalog.js';
import type { PostgresSettings } from './config.js';
import type { PgType } from './types.js';

/** What the task's thread and a snapshot reader thread (snapshot-thread.ts) say to each other. */

/** A table as both sides build its TableModel and `source` block from it. */
export interface ThreadTable {
  schema: string;
  table: string;
  catalog: TableCatalog;
}

export interface ReaderThreadData {
  settings: PostgresSettings;
  types: Array<[number, PgType]>;
  /** the exported snapshot every reader imports */
  snapshot: string;
  /** application_name of its connections, before `-<reader>` */
  applicationName: string;
  /** the readers (connections) this thread hosts, by number */
  readers: number[];
  tables: ThreadTable[];
  /** the snapshot's `source` fields shared by every row */
  tsUs: bigint;
  txId: number;
  lsn: number;
  /** rows per FETCH (and per batch handed over) */
  fetchSize: number;
  /** set: encode each row's value with these converter settings in the thread (runtime/api/encoded.ts) */
  encoding?: ValueEncoding;
}

export type ToReader =
  | { type: 'read'; reader: number; table: number; range?: { from: number; to?: number }; filter?: string }
  /** the task took one batch: the reader may hand over one more */
  | { type: 'credit'; reader: number }
  | { type: 'commit'; reader: number };

export interface Times {
  ms: number;
  us: number;
  ns: bigint;
}

/**
 * One FETCH's rows: their text values, row after row (`width` per row, null for SQL NULL), and with an encoding,
 * every row's encoded value in `bytes`, row r in `[ends[r-1], ends[r])` (empty: the thread could not encode it and
 * the task converts it itself). One structured clone and two transferred buffers per batch, nothing per row.
 */
export interface RowBatch {
  type: 'rows';
  reader: number;
  count: number;
  values: (string | null)[];
  times: Times;
  bytes?: Uint8Array;
  ends?: Uint32Array;
}

export interface ThreadFailure {
  message: string;
  code?: string;
  severity?: string;
  detail?: string;
  hint?: string;
}

export type FromReader =
  | { type: 'ready'; reader: number }
  | RowBatch
  | { type: 'end'; reader: number }
  | { type: 'committed'; reader: number }
  | { type: 'error'; error: ThreadFailure };

/** Batches a reader may hand over before the task has taken them: memory stays bounded per reader. */
export const READER_CREDITS = 2;
