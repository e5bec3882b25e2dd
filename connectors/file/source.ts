import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import {
  type ChangeRecord,
  type Config,
  ConnectError,
  defineSourceConnector,
  key,
  type SourcePartition,
  type SourceTask,
  type SourceTaskContext,
  Schemas,
} from '../../runtime/api/index.js';

/** Waits ms or until the signal aborts, leaving no listener behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const VALUE_SCHEMA = Schemas.string(true);
const CHUNK = 1 << 20;
/** The longest line read; a longer one (a binary file, a file without newlines) fails the task, not the worker. */
export const MAX_LINE_BYTES = 16 << 20;

/**
 * Kafka's FileStreamSource: each line of a file becomes a record with a string value on `topic`. The offset is
 * the byte position after the line, so a restart continues at the first line not yet committed.
 */
class FileSourceTask implements SourceTask {
  private fd = -1;
  private path = '';
  private topic = '';
  private batchSize = 2000;
  private pollIntervalMs = 500;
  private position = 0;
  private partition: SourcePartition = {};
  private ctx!: SourceTaskContext;
  /** read window, reused: no allocation per read */
  private buf = Buffer.allocUnsafe(CHUNK);
  private head = 0;
  private tail = 0;

  async start(config: Config, ctx: SourceTaskContext): Promise<void> {
    this.ctx = ctx;
    this.path = config.string('file');
    this.topic = config.string('topic');
    this.batchSize = config.int('batch.size');
    this.pollIntervalMs = config.int('poll.interval.ms');
    this.partition = { filename: this.path };
    const stored = await ctx.offsets.offset(this.partition);
    const pos = stored?.position;
    if (stored && typeof pos !== 'number') {
      throw new ConnectError(`Stored offset of ${this.path} has no numeric "position"`, {
        context: { position: JSON.stringify(stored) },
      });
    }
    this.position = typeof pos === 'number' ? pos : 0;
    this.open();
    ctx.log.info({ file: this.path, position: this.position }, 'Reading file');
  }

  private open(): void {
    try {
      // Non-blocking: opening a FIFO must not stop the worker's event loop until a writer comes.
      this.fd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch (err) {
      throw new ConnectError(`Cannot open ${this.path}: ${(err as Error).message}`, {
        retriable: (err as NodeJS.ErrnoException).code === 'ENOENT',
        cause: err,
      });
    }
    if (!fstatSync(this.fd).isFile()) {
      closeSync(this.fd);
      this.fd = -1;
      // A device (/dev/zero) or a pipe has no byte positions to resume from, and may never end.
      throw new ConnectError(`${this.path} is not a regular file; FileStreamSource reads regular files only`);
    }
  }

  async poll(): Promise<ChangeRecord[] | null> {
    const records: ChangeRecord[] = [];
    // buf[head, tail) holds unread bytes; buf[head] is the byte at file offset `position`.
    while (records.length < this.batchSize) {
      const nl = this.buf.indexOf(10, this.head);
      if (nl >= 0 && nl < this.tail) {
        const lineEnd = nl > this.head && this.buf[nl - 1] === 13 ? nl - 1 : nl;
        this.position += nl + 1 - this.head;
        records.push({
          topic: this.topic,
          key: null,
          valueSchema: VALUE_SCHEMA,
          value: this.buf.toString('utf8', this.head, lineEnd),
          headers: [],
          sourcePartition: this.partition,
          sourceOffset: { position: this.position },
        });
        this.head = nl + 1;
        continue;
      }
      // No complete line left: move the partial line to the front (growing for very long lines) and read more.
      if (this.head > 0) {
        this.buf.copyWithin(0, this.head, this.tail);
        this.tail -= this.head;
        this.head = 0;
      }
      if (this.tail === this.buf.length) {
        if (this.buf.length >= MAX_LINE_BYTES)
          throw new ConnectError(
            `${this.path} has a line longer than ${MAX_LINE_BYTES} bytes; FileStreamSource reads text files of lines`,
            { context: { position: String(this.position) } },
          );
        const grown = Buffer.allocUnsafe(this.buf.length * 2);
        this.buf.copy(grown, 0, 0, this.tail);
        this.buf = grown;
      }
      const n = readSync(this.fd, this.buf, this.tail, this.buf.length - this.tail, this.position + this.tail);
      if (n === 0) break;
      this.tail += n;
    }
    if (records.length) return records;
    await sleep(this.pollIntervalMs, this.ctx.signal);
    return null;
  }

  async stop(): Promise<void> {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export const fileSourcePlugin = defineSourceConnector({
  name: 'file-source',
  className: 'io.sluice.connectors.file.FileStreamSource',
  aliases: ['org.apache.kafka.connect.file.FileStreamSourceConnector', 'FileStreamSource'],
  version: '1.0.0',
  doc: 'Reads a file line by line; each line becomes a record with a string value. Offsets are byte positions.',
  configSpec: [
    key('file', 'string', 'The file to read.', { importance: 'HIGH' }),
    key('topic', 'string', 'The topic to write the lines to.', {
      importance: 'HIGH',
      validate: (v) => (String(v).includes(',') ? 'one topic only' : undefined),
    }),
    key('batch.size', 'int', 'Maximum number of lines in one batch.', { default: 2000, min: 1 }),
  ],
  async taskConfigs(config: Config) {
    // One file, one reader: more tasks would read the same lines twice.
    return [{ file: config.string('file'), topic: config.string('topic') }];
  },
  createTask: () => new FileSourceTask(),
});
