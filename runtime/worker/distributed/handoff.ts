import type { StatusValue } from './records.js';

/** States in which a task's worker still holds it: its offsets are not final until it writes another state. */
const HOLDING = new Set(['RUNNING', 'PAUSED', 'RESTARTING']);

/**
 * The worker that must let go of a task before this one may start it, or undefined when it is free. A task moves
 * only once its last owner published that it stopped (Connect's UNASSIGNED, written after the final offset commit),
 * or once that owner is no longer a member of the group (its session expired: it crashed, or it is cut off and
 * fences itself, see membership.ts). A status this worker wrote in an earlier life was disowned at start.
 */
export function holderOf(
  status: StatusValue | undefined,
  self: string,
  liveWorkers: ReadonlySet<string>,
): string | undefined {
  if (!status || status.worker_id === self) return undefined;
  if (!HOLDING.has(status.state)) return undefined;
  return liveWorkers.has(status.worker_id) ? status.worker_id : undefined;
}
