import { ConnectError } from '../../runtime/api/index.js';

export type ChangeDoc = Record<string, unknown>;

interface SplitInfo {
  fragment: number;
  of: number;
}

/**
 * Reassembles events that the server cut with `$changeStreamSplitLargeEvent` (MongoDB 7.0+, for events over
 * 16 MiB). Each fragment carries some top-level fields of the original event plus `splitEvent: {fragment, of}`
 * and its own resume token. The whole event gets the last fragment's token: resuming after it skips the event,
 * resuming from an earlier offset replays all fragments, so a half-seen event is never committed.
 */
export class FragmentAssembler {
  private parts: ChangeDoc[] = [];

  /** The complete event, or null while fragments are still missing. */
  push(event: ChangeDoc): ChangeDoc | null {
    const split = splitInfo(event);
    if (!split) {
      if (this.parts.length) throw this.broken(`an unsplit event arrived after fragment ${this.parts.length}`);
      return event;
    }
    if (split.fragment !== this.parts.length + 1) {
      throw this.broken(`fragment ${split.fragment} of ${split.of} arrived after fragment ${this.parts.length}`);
    }
    this.parts.push(event);
    if (split.fragment < split.of) return null;
    const merged: ChangeDoc = {};
    for (const part of this.parts) {
      for (const [k, v] of Object.entries(part)) if (k !== 'splitEvent' && k !== '_id') merged[k] = v;
    }
    merged._id = event._id;
    this.parts = [];
    return merged;
  }

  get pending(): number {
    return this.parts.length;
  }

  private broken(detail: string): ConnectError {
    this.parts = [];
    return new ConnectError(`Split change event out of order: ${detail}`, { retriable: true });
  }
}

function splitInfo(event: ChangeDoc): SplitInfo | undefined {
  const s = event.splitEvent as Record<string, unknown> | undefined;
  if (!s) return undefined;
  return { fragment: Number(numberOf(s.fragment)), of: Number(numberOf(s.of)) };
}

function numberOf(v: unknown): unknown {
  return v !== null && typeof v === 'object' && 'value' in v ? (v as { value: unknown }).value : v;
}
