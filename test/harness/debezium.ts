import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  createWriteStream,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './worker.js';

/**
 * Debezium's embedded engine in a JVM of its own (test/harness/java/DebeziumEngine.java), for the conformance
 * suite and the side-by-side benchmarks. The jars come from scripts/install-debezium.sh.
 */

/** `debezium`: 3.6.1.Final with the PostgreSQL, MySQL and MongoDB connectors; `mariadb`: 3.5.0.Final (MariaDB). */
export type DebeziumClasspath = 'debezium' | 'mariadb';

export const DEBEZIUM_VERSION: Record<DebeziumClasspath, string> = {
  debezium: '3.6.1.Final',
  mariadb: '3.5.0.Final',
};

export function debeziumLibs(which: DebeziumClasspath): string {
  const dir =
    which === 'mariadb' ? `debezium-mariadb-${DEBEZIUM_VERSION.mariadb}` : `debezium-${DEBEZIUM_VERSION.debezium}`;
  return join(repoRoot, '.cache', dir, 'libs');
}

/** Why Debezium cannot run here, or undefined when it can. */
export function debeziumAvailable(which: DebeziumClasspath): string | undefined {
  if (!existsSync(join(debeziumLibs(which), '..', '.complete'))) {
    return `Debezium ${DEBEZIUM_VERSION[which]} is not installed: run scripts/install-debezium.sh`;
  }
  return undefined;
}

export interface DebeziumRunOptions {
  classpath: DebeziumClasspath;
  /** one connector config per engine (Debezium's keys); each engine writes its own output file */
  engines: ReadonlyArray<Record<string, string>>;
  /** a directory of the caller's own: properties files, outputs */
  dir: string;
  /** JVM heap limit in MB (default 768): several JVMs share the CI machine */
  heapMb?: number;
  /**
   * The JVM's options instead of the CI ones (heap limit, C1 only, serial GC); `[]` runs the JVM at its defaults, as
   * the benchmarks do.
   */
  jvmArgs?: readonly string[];
  /** a directory holding DebeziumEngine.class (compileDebeziumEngine), so the JVM does not compile the source first */
  classes?: string;
}

export interface DebeziumRun {
  /** the JVM's process id */
  readonly pid: number;
  /** output file of engine i: one `{"topic","key","value"}` JSON line per record */
  readonly outputs: readonly string[];
  /** the complete lines engine i has written so far (read incrementally) */
  lines(i: number): string[];
  /** resolves once every engine streams; rejects when one fails, the JVM exits, or the deadline passes */
  waitStreaming(timeoutMs?: number): Promise<void>;
  /** whether engine i has said it streams */
  streams(i: number): boolean;
  /** engine i's failure (its FAILED line), if any */
  failure(i: number): string | undefined;
  /** throws when the JVM has exited */
  check(): void;
  /** stdout markers and the tail of stderr (all of it is in `<dir>/debezium.log`), for failure messages */
  logs(): string;
  /** closes stdin (the engines stop cleanly, outputs are flushed) and waits for the JVM to exit */
  stop(): Promise<void>;
}

/** Java properties file text: keys and values escaped so that `Properties.load` reads them back unchanged. */
export function propertiesText(props: Record<string, string>): string {
  const esc = (s: string, key: boolean) =>
    s
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t')
      .replace(key ? /[=: #!]/g : /^[ #!]/, (c) => `\\${c}`)
      .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${Object.entries(props)
    .map(([k, v]) => `${esc(k, true)}=${esc(v, false)}`)
    .join('\n')}\n`;
}

class LineTail {
  private offset = 0;
  private readonly all: string[] = [];
  constructor(private readonly file: string) {}
  read(): string[] {
    if (!existsSync(this.file)) return this.all;
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return this.all;
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) return this.all;
      this.offset += end + 1;
      for (const line of buf.toString('utf8', 0, end).split('\n')) if (line !== '') this.all.push(line);
    } finally {
      closeSync(fd);
    }
    return this.all;
  }
}

export async function startDebezium(o: DebeziumRunOptions): Promise<DebeziumRun> {
  const missing = debeziumAvailable(o.classpath);
  if (missing) throw new Error(missing);
  mkdirSync(o.dir, { recursive: true });
  const args: string[] = [];
  const outputs: string[] = [];
  o.engines.forEach((cfg, i) => {
    const props = join(o.dir, `engine-${i}.properties`);
    const out = join(o.dir, `engine-${i}.jsonl`);
    writeFileSync(props, propertiesText(cfg));
    writeFileSync(out, '');
    args.push(props, out);
    outputs.push(out);
  });
  // Short-lived test JVMs: C1 only and the serial collector start faster and use fewer threads on 2 cores.
  const jvm = o.jvmArgs ?? [`-Xmx${o.heapMb ?? 768}m`, '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];
  const main = o.classes
    ? ['-cp', `${debeziumLibs(o.classpath)}/*:${o.classes}`, 'DebeziumEngine']
    : ['-cp', `${debeziumLibs(o.classpath)}/*`, join(repoRoot, 'test/harness/java/DebeziumEngine.java')];
  const proc: ChildProcess = spawn('java', [...jvm, ...main, ...args], { cwd: o.dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const streaming = new Set<number>();
  const failures = new Map<number, string>();
  let waiters: Array<() => void> = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const line of d.toString().split('\n')) {
      const m = /^(STREAMING|FAILED) (\d+) ?(.*)$/.exec(line);
      if (m?.[1] === 'STREAMING') streaming.add(Number(m[2]));
      if (m?.[1] === 'FAILED') failures.set(Number(m[2]), m[3]);
    }
    wake();
  });
  // The whole log goes to <dir>/debezium.log (kept when a caller keeps the directory); the tail stays in memory.
  const logFile = createWriteStream(join(o.dir, 'debezium.log'));
  proc.stderr?.on('data', (d: Buffer) => {
    logFile.write(d);
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  proc.once('exit', () => logFile.end());
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', (code) => {
      exitCode = code;
      wake();
      resolve();
    }),
  );
  const tails = outputs.map((f) => new LineTail(f));
  const logs = () => `-- debezium stdout:\n${stdout}\n-- debezium stderr (tail):\n${stderr.slice(-6000)}`;
  return {
    pid: proc.pid ?? -1,
    outputs,
    lines: (i) => tails[i].read(),
    streams: (i) => streaming.has(i),
    failure: (i) => failures.get(i),
    check() {
      if (exitCode !== undefined) throw new Error(`Debezium's JVM exited with ${exitCode}\n${logs()}`);
    },
    logs,
    async waitStreaming(timeoutMs = 180_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (failures.size) throw new Error(`Debezium failed: ${[...failures.values()].join('; ')}\n${logs()}`);
        if (exitCode !== undefined) throw new Error(`Debezium's JVM exited with ${exitCode}\n${logs()}`);
        if (streaming.size === o.engines.length) return;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`Debezium did not stream within ${timeoutMs} ms\n${logs()}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 1000));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async stop() {
      if (exitCode === undefined) {
        proc.stdin?.end();
        const timer = setTimeout(() => proc.kill('SIGKILL'), 45_000);
        await exited;
        clearTimeout(timer);
      }
      waiters = [];
    },
  };
}

/** Compiles DebeziumEngine.java against `which` into `dir` (for startDebezium's `classes`); returns `dir`. */
export function compileDebeziumEngine(which: DebeziumClasspath, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(
    'javac',
    ['-nowarn', '-cp', `${debeziumLibs(which)}/*`, '-d', dir, join(repoRoot, 'test/harness/java/DebeziumEngine.java')],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`javac DebeziumEngine.java failed:\n${r.stderr}`);
  return dir;
}
