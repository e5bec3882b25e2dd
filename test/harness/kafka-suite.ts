import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type KafkaCluster, type KafkaOptions, printKafkaLogOnFailure, requireKafka, startKafka } from './kafka.js';
import type { WorkerProcess } from './worker.js';

export interface KafkaSuite {
  /** the broker, started before the file's tests (read it inside tests and hooks only) */
  readonly kafka: KafkaCluster;
  /** worker processes of the running test: SIGKILLed after it, their logs printed when it failed */
  readonly workers: WorkerProcess[];
  /** cleanup to run after the running test, before its workers are killed (writers to stop when it ended early) */
  onEnd(f: () => Promise<unknown>): void;
  /** a temp dir removed after the file (kept with SLUICE_KEEP=1 to look at) */
  tempDir(prefix: string): string;
}

/**
 * The life cycle of a test file that runs worker processes against one broker: the broker for the whole file,
 * and after each test its workers killed, their last `logTail` characters of log and the broker's printed when it
 * failed. Call at the top level of the file.
 */
export function kafkaSuite(o: { logTail: number; kafka?: KafkaOptions }): KafkaSuite {
  let kafka: KafkaCluster | undefined;
  const workers: WorkerProcess[] = [];
  const dirs: string[] = [];
  let onEnd: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    requireKafka();
    kafka = await startKafka(o.kafka);
  });

  afterEach(async (ctx) => {
    await Promise.all(onEnd.map((f) => f()));
    onEnd = [];
    printKafkaLogOnFailure(kafka, ctx.task.result?.state);
    if (ctx.task.result?.state === 'fail')
      for (const w of workers) console.error(`----- worker ${w.port} log -----\n${w.logs().slice(-o.logTail)}`);
    for (const w of workers) w.proc.kill('SIGKILL');
    workers.length = 0;
  });

  afterAll(async () => {
    if (!process.env.SLUICE_KEEP) for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await kafka?.stop();
  });

  return {
    get kafka() {
      if (!kafka) throw new Error('the broker is not started yet: use suite.kafka inside tests and hooks');
      return kafka;
    },
    workers,
    onEnd: (f) => {
      onEnd.push(f);
    },
    tempDir(prefix) {
      const d = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
  };
}
