import type { ConnectError } from '../api/index.js';

/** Connect's states for connectors and tasks. */
export type State = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'RESTARTING';

/** What a user asked for; survives restarts. */
export type TargetState = 'STARTED' | 'PAUSED' | 'STOPPED';

/** A state change; FAILED comes with its trace and the error itself (the library rethrows it to its caller). */
export type StateListener = (state: State, trace?: string, error?: ConnectError) => void;

/** A promise that can be opened and closed again: pause/resume gates. */
export class Gate {
  private waiting: Array<() => void> = [];
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
  }

  open(): void {
    this.closed = false;
    const w = this.waiting;
    this.waiting = [];
    for (const fn of w) fn();
  }

  /** Resolves at once when open, else when opened or when the signal aborts. */
  pass(signal?: AbortSignal): Promise<void> {
    if (!this.closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiting.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/** Resolves to true when `p` settles within ms, false otherwise (p keeps running). */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
