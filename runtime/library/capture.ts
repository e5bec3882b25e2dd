import { ConfigError } from '../api/errors.js';
import type { Row } from './events.js';
import type { CaptureOptions, EventFor, SourceConnector } from './options.js';
import { CaptureStream, type ChangeStream } from './stream.js';

/**
 * Captures the changes of a database inside this process: an async iterable of batches of Debezium-shaped events.
 * Nothing happens until iteration starts (so importing and calling this opens no connection); the first `next()`
 * checks the config (every problem at once, as `sluice validate`), connects, and then snapshots and streams as the
 * connector does in a worker.
 *
 * ```ts
 * const changes = capture({ connector: 'postgres', config: { … }, offsets: { file: './offsets.json' } });
 * for await (const batch of changes) { await handle(batch.events); await batch.commit(); }
 * ```
 *
 * The database's log is released only after `commit()`: a batch not committed is delivered again after a restart.
 * Leaving the loop (break, return, an exception) closes the capture.
 */
export function capture<C extends SourceConnector, R = Row>(options: CaptureOptions<C>): ChangeStream<EventFor<C, R>> {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError([{ key: 'options', message: 'capture() takes an options object' }]);
  }
  const stream = new CaptureStream(options as CaptureOptions, async (o, sink) =>
    (await import('./pipeline.js')).startPipeline(o, sink),
  );
  return stream as unknown as ChangeStream<EventFor<C, R>>;
}
