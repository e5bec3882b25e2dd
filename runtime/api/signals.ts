/**
 * Signals (Debezium's `{"id", "type", "data"}`) a source task may take while it runs: from REST
 * (`POST /connectors/{name}/signals`) or the connector's own channels. The runtime checks their shape; the task
 * decides what they mean and answers.
 */

export interface Signal {
  id: string;
  type: string;
  /** the parsed `data` (an object; Debezium's channels carry it as JSON text) */
  data: Record<string, unknown>;
}

/** What a signal did: taken (with the snapshot it started, when it started one), or refused and why. */
export type SignalAnswer = { accepted: true; snapshotId?: string } | { accepted: false; reason: string };

export class SignalError extends Error {}

const MAX_ID = 256;

/** A signal from untrusted input (a REST body, a row of the signal table); throws SignalError naming the field. */
export function parseSignal(raw: unknown): Signal {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new SignalError('a signal is a JSON object {"id": "…", "type": "…", "data": {…}}');
  const o = raw as Record<string, unknown>;
  if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > MAX_ID)
    throw new SignalError(`signal "id" must be a non-empty string of at most ${MAX_ID} characters`);
  if (typeof o.type !== 'string' || o.type.length === 0) throw new SignalError('signal "type" must be a string');
  let data: unknown = o.data ?? {};
  if (typeof data === 'string') {
    if (data.trim() === '') data = {};
    else {
      try {
        data = JSON.parse(data);
      } catch {
        throw new SignalError(`signal ${o.id}: "data" is not valid JSON`);
      }
    }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new SignalError(`signal ${o.id}: "data" must be a JSON object`);
  return { id: o.id, type: o.type, data: data as Record<string, unknown> };
}
