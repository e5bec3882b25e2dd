import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileDebeziumEngine, type DebeziumClasspath, startDebezium } from '../../test/harness/debezium.js';
import { LineCounter } from '../support/proc.js';
import { startBenchWorker } from '../support/worker-process.js';
import type { Contender, Running } from './measure.js';

/** What both sides get in direct mode: a JSON converter with or without schemas, and the offset commit interval. */
export interface FileRunSettings {
  /** a directory of the benchmark's own; each run works in a subdirectory that is removed afterwards */
  dir: string;
  schemas: boolean;
  /** offset.flush.interval.ms on both sides */
  flushMs: number;
}

/** Where a run works: `dir` (outputs, removed after the run) and `state` (offsets, schema history). */
export interface RunDirs {
  /** a name for this phase's runs (`snapshot`, `drain`): directories are `<phase>-<side>-<run>` */
  phase: string;
  /**
   * The offsets and schema history of run `run`, when they must outlive it (a MariaDB drain resumes from where the
   * snapshot run of the same number ended); by default they live in the run's directory.
   */
  state?: (side: 'sluice' | 'debezium', run: number) => string;
}

function dirsOf(s: FileRunSettings, d: RunDirs, side: 'sluice' | 'debezium', run: number) {
  const dir = join(s.dir, `${d.phase}-${side}-${run}`);
  const state = d.state?.(side, run) ?? dir;
  mkdirSync(dir, { recursive: true });
  mkdirSync(state, { recursive: true });
  return { dir, state };
}

/**
 * Development only: VS_DEBEZIUM_SLUICE_SOURCE='{"max.batch.size":"2048"}' adds keys to sluice's source connectors in
 * direct mode (an A/B of a setting, same run); the committed figures use the defaults.
 */
function sluiceSourceOverrides(): Record<string, string> {
  const raw = process.env.VS_DEBEZIUM_SLUICE_SOURCE;
  return raw ? (JSON.parse(raw) as Record<string, string>) : {};
}

/**
 * sluice standalone, direct mode: the source connector and a FileStreamSink of its topic, every event a line of the
 * converted value. `source` gets the run and its state directory. `profileDir`: a V8 CPU profile of the worker is
 * written there.
 */
export function sluiceToFile(
  s: FileRunSettings,
  d: RunDirs,
  source: (run: number, state: string) => Record<string, string>,
  topic: string,
  profileDir?: string,
): Contender {
  return {
    name: 'sluice',
    async start(run): Promise<Running> {
      const { dir, state } = dirsOf(s, d, 'sluice', run);
      const out = join(dir, 'out.jsonl');
      const w = startBenchWorker(
        dir,
        {
          'offset.storage.file.filename': join(state, 'offsets.json'),
          'offset.flush.interval.ms': String(s.flushMs),
          'key.converter.schemas.enable': String(s.schemas),
          'value.converter.schemas.enable': String(s.schemas),
        },
        [
          { name: 'src', config: { ...source(run, state), ...sluiceSourceOverrides() } },
          { name: 'out', config: { 'connector.class': 'FileStreamSink', file: out, topics: topic } },
        ],
        profileDir,
      );
      const lines = new LineCounter(out);
      return {
        pid: w.proc.pid ?? -1,
        progress: () => lines.update(),
        failure: () => (w.proc.exitCode !== null ? `the worker exited with ${w.proc.exitCode}` : undefined),
        stop: async () => {
          await w.stop();
        },
      };
    },
    async cleanup(run) {
      rmSync(join(s.dir, `${d.phase}-sluice-${run}`), { recursive: true, force: true });
    },
  };
}

/** Compiled once per benchmark process: the JVM then starts Debezium without compiling the harness first. */
const compiled = new Map<DebeziumClasspath, string>();
let classesRoot: string | undefined;

export function engineClasses(classpath: DebeziumClasspath): string {
  let dir = compiled.get(classpath);
  if (!dir) {
    if (!classesRoot) {
      const root = mkdtempSync(join(tmpdir(), 'sluice-bench-classes-'));
      classesRoot = root;
      process.on('exit', () => rmSync(root, { recursive: true, force: true }));
    }
    dir = compileDebeziumEngine(classpath, join(classesRoot, classpath));
    compiled.set(classpath, dir);
  }
  return dir;
}

/**
 * Debezium's embedded engine (test/harness/java/DebeziumEngine.java) with the JVM at its defaults, writing each
 * record's converted value as a line, as a FileStreamSink does.
 */
export function debeziumToFile(
  s: FileRunSettings,
  d: RunDirs,
  classpath: DebeziumClasspath,
  connector: (run: number, state: string) => Record<string, string>,
): Contender {
  // Before any clock runs: compiling is the harness's cost, not Debezium's.
  const classes = engineClasses(classpath);
  return {
    name: 'Debezium',
    async start(run): Promise<Running> {
      const { dir, state } = dirsOf(s, d, 'debezium', run);
      const dbz = await startDebezium({
        classpath,
        dir,
        jvmArgs: [],
        classes,
        engines: [
          {
            'offset.storage.file.filename': join(state, 'offsets.dat'),
            'schema.history.internal.file.filename': join(state, 'schema-history.dat'),
            ...connector(run, state),
            'offset.flush.interval.ms': String(s.flushMs),
            'harness.output': 'value',
            'harness.schemas.enable': String(s.schemas),
          },
        ],
      });
      const lines = new LineCounter(dbz.outputs[0]);
      return {
        pid: dbz.pid,
        progress: () => lines.update(),
        failure: () => {
          try {
            dbz.check();
          } catch (err) {
            return (err as Error).message;
          }
          return dbz.failure(0);
        },
        stop: () => dbz.stop(),
      };
    },
    async cleanup(run) {
      rmSync(join(s.dir, `${d.phase}-debezium-${run}`), { recursive: true, force: true });
    },
  };
}
