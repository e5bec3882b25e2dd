import { traceOf } from '../api/index.js';
import { type RunningDemo, type SnapshotProgress, startDemo } from './demo.js';
import { progressBar, utf8Locale } from './progress.js';

export interface DemoCommandOptions {
  format: string;
  rows: string;
  logLevel: string;
  verbose?: boolean;
}

/** The `sluice demo` command: runs until SIGINT/SIGTERM, then cleans up and exits 0 (1 when cleanup failed). */
export async function demoCommand(opts: DemoCommandOptions): Promise<void> {
  const format = opts.format;
  const rows = Number(opts.rows);
  if (format !== 'text' && format !== 'json') fail(`--format must be text or json, not ${format}`);
  if (!Number.isInteger(rows) || rows < 0 || rows > 10_000_000) fail(`--rows must be a whole number, not ${opts.rows}`);
  const log = import('../worker/logging.js').then((m) => m.createLogger(opts.logLevel, 'auto'));
  log.catch(() => undefined);
  const err = process.stderr;
  const tty = err.isTTY === true;
  const unicode = utf8Locale();
  let lastProgress = 0;
  let progressShown = false;
  const status = (line: string) => {
    if (tty && progressShown) err.write('\r\x1b[K');
    progressShown = false;
    err.write(`${line}\n`);
  };
  const progress = (p: SnapshotProgress | undefined) => {
    if (tty) {
      // One line redrawn in place; cleared when the snapshot is complete.
      if (p) err.write(`\r\x1b[K${progressBar(p, err.columns || 80, unicode)}`);
      else if (progressShown) err.write('\r\x1b[K');
      progressShown = p !== undefined;
    } else if (p && Date.now() - lastProgress >= 1000) {
      // Not a terminal (a log, a pipe): one line a second is enough.
      lastProgress = Date.now();
      err.write(`${p.label ?? 'snapshot'}: ${p.rows}/${p.total} rows, ${(p.elapsedMs / 1000).toFixed(1)} s\n`);
    }
  };

  let demo: RunningDemo | undefined;
  let stopping = false;
  const shutdown = (code: number) => {
    if (stopping) return;
    stopping = true;
    // Ctrl-C reaches the throwaway server too, and the connectors would log its going away as errors.
    if (code === 0)
      void log.then((l) => {
        l.level = 'silent';
      });
    status('Stopping the worker and removing what the demo created…');
    const force = setTimeout(() => {
      err.write('sluice demo: cleanup took too long; exiting\n');
      process.exit(1);
    }, 30_000);
    force.unref();
    (demo ? demo.stop() : Promise.resolve()).then(
      () => {
        status('Stopped; nothing left behind.');
        process.exit(code);
      },
      (e) => {
        err.write(`sluice demo: cleanup failed: ${traceOf(e)}\n`);
        process.exit(1);
      },
    );
  };
  let signalled = 0;
  const onSignal = () => {
    // One Ctrl-C can arrive twice (to the process and to its group, as `timeout` sends it): only a later one
    // means "exit now".
    if (signalled && Date.now() - signalled < 1000) return;
    if (signalled) {
      err.write('sluice demo: second signal, exiting without cleanup\n');
      process.exit(130);
    }
    signalled = Date.now();
    // While starting, the stop waits for the start to finish, so what it creates is removed too.
    if (demo) shutdown(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    demo = await startDemo({
      format,
      rows,
      verbose: opts.verbose === true,
      databaseUrl: process.env.DATABASE_URL || undefined,
      log,
      status,
      progress,
    });
  } catch (e) {
    // Interrupted while starting: startDemo has removed what it made; the failure is the interruption's.
    if (signalled) {
      status('Stopped while starting; nothing left behind.');
      process.exit(0);
    }
    err.write(`sluice demo: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  if (signalled) {
    shutdown(0);
    return;
  }
  demo.scripted.catch((e) => {
    err.write(`sluice demo: ${e instanceof Error ? e.message : String(e)}\n`);
    shutdown(1);
  });
}

function fail(message: string): never {
  process.stderr.write(`sluice demo: ${message}\n`);
  process.exit(1);
}
