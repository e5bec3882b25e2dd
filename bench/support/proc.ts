import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU times in these ticks (100 on every Linux architecture Node supports). */
const CLOCK_TICKS = 100;

/** Peak resident set size (VmHWM) of a running process, bytes; 0 once it is gone. */
export function procPeakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system, every thread) a running process has used, seconds; 0 once it is gone. */
export function procCpuSeconds(pid: number): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command name) are utime and stime in ticks.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/**
 * Follows one process's peak RSS and CPU time. Both are read while it runs (they vanish with it): call sample()
 * often, and once more when the measured work is done.
 */
export class ProcessMeter {
  peakRss = 0;
  cpuSeconds = 0;
  constructor(readonly pid: number) {}
  sample(): void {
    this.peakRss = Math.max(this.peakRss, procPeakRss(this.pid));
    this.cpuSeconds = Math.max(this.cpuSeconds, procCpuSeconds(this.pid));
  }
}

/** Counts the lines of a file that grows, reading only what was appended since the last call. */
export class LineCounter {
  private offset = 0;
  lines = 0;
  private readonly buf = Buffer.alloc(1 << 20);
  constructor(readonly path: string) {}
  update(): number {
    if (!existsSync(this.path)) return this.lines;
    const size = statSync(this.path).size;
    if (size <= this.offset) return this.lines;
    const fd = openSync(this.path, 'r');
    try {
      while (this.offset < size) {
        const n = readSync(fd, this.buf, 0, Math.min(this.buf.length, size - this.offset), this.offset);
        if (n <= 0) break;
        for (let i = 0; i < n; i++) if (this.buf[i] === 10) this.lines++;
        this.offset += n;
      }
    } finally {
      closeSync(fd);
    }
    return this.lines;
  }
}

/**
 * CPU seconds a server used so far: its main process (e.g. PostgreSQL's postmaster) and its live children, plus the
 * children it reaped (the main process's cutime/cstime). Read from /proc (Linux); 0 once the main process is gone.
 */
export function serverCpuSeconds(main: number): number {
  // fields after the command name: [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime
  const fields = (pid: number | string): string[] | undefined => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    } catch {
      return undefined; // ended meanwhile: its parent's cutime has it
    }
  };
  const own = fields(main);
  if (!own) return 0;
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = fields(entry);
    if (f && Number(f[1]) === main) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / CLOCK_TICKS;
}
