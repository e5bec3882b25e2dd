import { Schemas } from '../../runtime/api/index.js';
import { debeziumSourceSchema, transactionBlockSchema } from '../cdc/debezium.js';
import type { SnapshotMarker } from '../cdc/snapshot-markers.js';

/** The version written into `source.version`. */
export const CONNECTOR_VERSION = '0.1.0-sluice';

/**
 * Debezium 3.6's `io.debezium.connector.postgresql.Source`, field for field. `origin` / `origin_lsn` name the
 * replication origin of a transaction replayed under one (pgoutput's Origin message: the origin's name and its
 * commit LSN there); null for local changes and in the snapshot.
 */
export const sourceSchema = debeziumSourceSchema('io.debezium.connector.postgresql.Source', [
  ['schema', Schemas.string()],
  ['table', Schemas.string()],
  ['txId', Schemas.int64(true)],
  ['lsn', Schemas.int64(true)],
  ['xmin', Schemas.int64(true)],
  ['origin', Schemas.string(true)],
  ['origin_lsn', Schemas.int64(true)],
]);

export { transactionBlockSchema };

// Shared by every CDC source (connectors/cdc/transaction.ts); re-exported for this connector's importers.
export {
  transactionKeySchema,
  transactionValueSchema,
} from '../cdc/transaction.js';

export interface SourceFields {
  name: string;
  db: string;
  schema: string;
  table: string;
  /** commit time of the transaction, epoch microseconds */
  tsUs: bigint;
  snapshot: SnapshotMarker | 'false' | 'incremental';
  txId: number | null;
  lsn: number | null;
  lastCommitLsn: number | null;
  origin?: { name: string; lsn: number };
}

interface Times {
  ms: number;
  us: number;
  ns: bigint;
}

/** ts_ms / ts_us / ts_ns of a microsecond time, remembering the last one: consecutive events mostly share it. */
function timeCache(): (tsUs: bigint) => Times {
  let last = -1n;
  let times: Times = { ms: 0, us: 0, ns: 0n };
  return (tsUs) => {
    if (tsUs !== last) {
      last = tsUs;
      times = { ms: Number(tsUs / 1000n), us: Number(tsUs), ns: tsUs * 1000n };
    }
    return times;
  };
}

const commitTimes = timeCache();
const clockTimes = timeCache();

/** The envelope's own ts_ms / ts_us / ts_ns: processing time, at millisecond resolution. */
export function processingTimes(): Times {
  return clockTimes(BigInt(Date.now()) * 1000n);
}

/** `"123"` (short enough for V8 to copy flat) or `null`, as Debezium's `source.sequence` writes an LSN. */
const quotedLsn = (lsn: number | null): string => (lsn === null ? 'null' : `"${lsn}"`);

/**
 * The value of a snapshot row's event (`op: "r"`: incremental chunks, reader threads): the row as `after`, and
 * `source` as given. The initial snapshot's per-row path on the task's thread writes the same fields inline
 * (snapshot.ts `record`).
 */
export function readValue(
  after: Record<string, unknown> | null,
  source: Record<string, unknown> | null,
  now: Times,
): Record<string, unknown> {
  return { before: null, after, source, transaction: null, op: 'r', ts_ms: now.ms, ts_us: now.us, ts_ns: now.ns };
}

export function sourceValue(f: SourceFields): Record<string, unknown> {
  const t = commitTimes(f.tsUs);
  return {
    version: CONNECTOR_VERSION,
    connector: 'postgresql',
    name: f.name,
    ts_ms: t.ms,
    snapshot: f.snapshot,
    db: f.db,
    // A flat string, not a rope of concatenations (see zonedTimestamp in temporal.ts): ~120 bytes less a record.
    sequence: ['[', quotedLsn(f.lastCommitLsn), ',', quotedLsn(f.lsn), ']'].join(''),
    ts_us: t.us,
    ts_ns: t.ns,
    schema: f.schema,
    table: f.table,
    txId: f.txId,
    lsn: f.lsn,
    xmin: null,
    origin: f.origin?.name ?? null,
    origin_lsn: f.origin?.lsn ?? null,
  };
}
