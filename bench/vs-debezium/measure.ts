import { loadavg } from 'node:os';
import { ProcessMeter } from '../support/proc.js';

/** One started contender process working through the workload. */
export interface Running {
  readonly pid: number;
  /** how much of the workload is done (lines in its file, records in its topic, …) */
  progress(): number | Promise<number>;
  /** why it cannot finish (it exited, it failed), or undefined */
  failure(): string | undefined;
  stop(): Promise<void>;
}

export interface Contender {
  /** `sluice`, `Debezium`, `pg_recvlogical`, … (the column of the results) */
  readonly name: string;
  /** work before run `run` that the clock must not see (creating its topic) */
  prepare?(run: number): Promise<void>;
  /** starts run number `run` (0-based) of this contender; the clock starts before this is called */
  start(run: number): Promise<Running>;
  /** called after each run (drop its slot, delete its output) */
  cleanup?(run: number): Promise<void>;
}

export interface RunResult {
  contender: string;
  run: number;
  seconds: number;
  events: number;
  perSecond: number;
  cpuSeconds: number;
  peakRssMiB: number;
  /** the 1-minute load average when the run ended */
  load: number;
}

/** Runs one contender until `events` are done: wall time from start, its CPU time and peak RSS. */
export async function measureRun(c: Contender, run: number, events: number, timeoutMs: number): Promise<RunResult> {
  await c.prepare?.(run);
  const started = process.hrtime.bigint();
  const r = await c.start(run);
  const meter = new ProcessMeter(r.pid);
  try {
    for (;;) {
      meter.sample();
      if ((await r.progress()) >= events) break;
      const why = r.failure();
      if (why) throw new Error(`${c.name} run ${run + 1} failed: ${why}`);
      if (Number(process.hrtime.bigint() - started) / 1e6 > timeoutMs) {
        throw new Error(`${c.name} run ${run + 1}: ${await r.progress()} of ${events} after ${timeoutMs / 1000} s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    meter.sample();
    return {
      contender: c.name,
      run,
      seconds,
      events,
      perSecond: events / seconds,
      cpuSeconds: meter.cpuSeconds,
      peakRssMiB: meter.peakRss / 1048576,
      load: loadavg()[0],
    };
  } finally {
    await r.stop();
    await c.cleanup?.(run);
  }
}

/**
 * `runs` runs of each contender in ABBA order (A B B A A B …), so that a machine that warms up, cools down or gets
 * busier in the middle favours neither. Extra contenders (pg_recvlogical) run after each A/B pair.
 */
export async function abba(
  a: Contender,
  b: Contender,
  runs: number,
  events: number,
  timeoutMs: number,
  extra: Contender[] = [],
  log: (r: RunResult) => void = () => {},
): Promise<RunResult[]> {
  const out: RunResult[] = [];
  const next = { [a.name]: 0, [b.name]: 0 } as Record<string, number>;
  const one = async (c: Contender) => {
    const r = await measureRun(c, next[c.name]++, events, timeoutMs);
    log(r);
    out.push(r);
  };
  for (let pair = 0; pair < runs; pair++) {
    const [first, second] = pair % 2 === 0 ? [a, b] : [b, a];
    await one(first);
    await one(second);
    for (const x of extra) {
      next[x.name] ??= 0;
      await one(x);
    }
  }
  return out;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface Summary {
  contender: string;
  runs: number;
  /** medians over the runs */
  perSecond: number;
  cpuPerEventUs: number;
  peakRssMiB: number;
  seconds: number;
}

export function summarize(results: readonly RunResult[], contender: string): Summary {
  const mine = results.filter((r) => r.contender === contender);
  return {
    contender,
    runs: mine.length,
    perSecond: median(mine.map((r) => r.perSecond)),
    cpuPerEventUs: median(mine.map((r) => (r.cpuSeconds / r.events) * 1e6)),
    peakRssMiB: median(mine.map((r) => r.peakRssMiB)),
    seconds: median(mine.map((r) => r.seconds)),
  };
}
