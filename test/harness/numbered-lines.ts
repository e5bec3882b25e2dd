import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';

/**
 * The "continuous writes" of the FileStreamSource → Kafka → FileStreamSink scenarios: numbered lines appended to
 * the source file, and the checks that the sink file has every number, first occurrences in order.
 */

export interface LineWriter {
  /** lines written so far */
  readonly written: number;
  /** stops writing; the number of lines written */
  stop(): Promise<number>;
}

/** Appends `line 1`, `line 2`, … to `path` in bursts of `burst` lines, `pauseMs` apart, until stopped. */
export function continuousWriter(path: string, burst: number, pauseMs: number): LineWriter {
  let n = 0;
  let running = true;
  writeFileSync(path, '');
  const done = (async () => {
    while (running) {
      let chunk = '';
      for (let i = 0; i < burst; i++) chunk += `line ${++n}\n`;
      appendFileSync(path, chunk);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    get written() {
      return n;
    },
    async stop() {
      running = false;
      await done;
      return n;
    },
  };
}

/** The sink's output lines (JSON strings) back to their numbers; only complete lines, as the sink may be writing. */
export function numbersIn(path: string): number[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const out: number[] = [];
  for (const l of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    if (!l) continue;
    const m = /^"line (\d+)"$/.exec(l);
    if (!m) throw new Error(`unexpected output line: ${l.slice(0, 80)}`);
    out.push(Number(m[1]));
  }
  return out;
}

/** Every number 1..n present, and the first occurrences in increasing order (duplicates only as replays). */
export function expectCompleteAndOrdered(nums: number[], n: number): { duplicates: number } {
  const seen = new Set<number>();
  let last = 0;
  for (const x of nums) {
    if (seen.has(x)) continue;
    if (x !== last + 1) throw new Error(`line ${x} arrived after ${last}: order broken or a line lost`);
    seen.add(x);
    last = x;
  }
  expect(last).toBe(n);
  return { duplicates: nums.length - seen.size };
}
