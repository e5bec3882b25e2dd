import type { ChangeRecord } from '../api/index.js';
import type { RecordConverters } from '../transport/transport.js';

/**
 * The dashboard's event inspector (runtime/ui/inspector): called once per batch with the records as the task read
 * them (a source's poll; what a sink was handed) and as the transform chain left them, and the converters that
 * serialize them. Set on a runner only while someone watches; unset, it costs one property test per batch. It runs
 * on the data path: it must return quickly, never throw, and keep no reference to the arrays.
 */
export type RecordTap = (
  taskId: number,
  read: readonly ChangeRecord[],
  transformed: readonly ChangeRecord[],
  converters: RecordConverters,
) => void;
