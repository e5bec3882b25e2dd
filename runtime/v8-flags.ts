import { setFlagsFromString } from 'node:v8';

/**
 * V8 grows its young generation slowly (doubling from 1 MB), so at 100k+ records/s most records are still alive at
 * the early scavenges and get promoted; the old generation then fills with garbage until a full GC. The file
 * benchmark peaked at ~210 MB RSS that way. Growing the young generation 8× at a time (the flag is honoured when
 * set at run time) kept it at ~125 MB at the same speed; `--optimize-for-size` also bounded memory but cost 30–70%
 * of throughput.
 *
 * The old generation's limit is V8's live size times a factor it picks from GC speed, up to 4: with ~30 MB of
 * records in flight the PostgreSQL snapshot let its heap reach 150–175 MB before a full GC. A fixed factor of 2
 * (`--heap-growing-percent=100`, Go's GOGC=100 rule, also honoured at run time) took the PostgreSQL benchmarks'
 * peak RSS from 233–242 MiB to 168–180 MiB for 2–12% more CPU time (bench/results/postgres.md).
 */
export const MEMORY_FLAGS = '--semi-space-growth-factor=8 --heap-growing-percent=100';

let applied = false;

/**
 * Sets MEMORY_FLAGS (SLUICE_V8_FLAGS replaces them; empty: V8's defaults) once per process. A flag given on node's
 * command line is left as given: it is the application's choice. The CLI calls this first thing (memory-mode.ts);
 * capture() when it starts, before its records make the heap grow.
 */
export function applyMemoryFlags(): void {
  if (applied) return;
  applied = true;
  const flags = process.env.SLUICE_V8_FLAGS ?? MEMORY_FLAGS;
  for (const flag of flags.split(/\s+/).filter(Boolean)) {
    // V8 reads `_` and `-` alike in flag names.
    const name = flag.replace(/=.*$/, '').replaceAll('_', '-');
    if (process.execArgv.some((a) => a.replace(/=.*$/, '').replaceAll('_', '-') === name)) continue;
    setFlagsFromString(flag);
  }
}
