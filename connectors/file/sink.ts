import { closeSync, constants, fstatSync, fsync, fsyncSync, ftruncateSync, openSync, readSync, write } from 'node:fs';
import {
  ByteBuilder,
  type ChangeRecord,
  type Config,
  ConnectError,
  defineSinkConnector,
  key,
  type SinkTask,
  type SinkTaskContext,
} from '../../runtime/api/index.js';

const NULL = Buffer.from('null');
const VALUE_PART = Buffer.from(',"value":');
const NEWLINE = 0x0a;
const CLOSE = 0x7d;

/**
 * Kafka's FileStreamSink: one line per record, the value as its converter writes it. `format=record` writes
 * `{"topic","key","value"}` per line instead, for consumers that need keys (tombstones, replay by key).
 * Every put() writes its lines (Connect's FileStreamSink prints each record as put() gets it): a reader of the file
 * sees a change within milliseconds whatever offset.flush.interval.ms is; flush() waits for the writes and fsyncs,
 * so after flush everything put is on disk. Lines are converted straight into one of two buffers; the write of one
 * runs on libuv's thread pool while the next put fills the other, so the copy into the page cache overlaps with
 * conversion. Lines written but not yet flushed are redelivered after a crash, like any record whose offset was
 * not committed.
 */
class FileSinkTask implements SinkTask {
  private fd = -1;
  private path = '';
  private format: 'value' | 'record' = 'value';
  /** where put() converts records to; swapped with `spare` when its bytes go to the file */
  private lines = new ByteBuilder(1 << 20);
  private spare = new ByteBuilder(1 << 20);
  /** the write in progress, if any; writes run one at a time, in put() order */
  private writing: Promise<void> | undefined;
  /** a failed write: reported by every later put() and flush(), as nothing after it reached the file */
  private writeError: unknown;
  /** bytes written since the last fsync */
  private unsynced = false;
  private ctx!: SinkTaskContext;

  async start(config: Config, ctx: SinkTaskContext): Promise<void> {
    this.ctx = ctx;
    this.path = config.string('file');
    this.format = config.string('format') as 'value' | 'record';
    try {
      // Non-blocking: opening a FIFO with no reader must fail, not stop the worker's event loop.
      const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK;
      this.fd = openSync(this.path, flags | constants.O_NOCTTY, 0o666);
    } catch (err) {
      throw new ConnectError(`Cannot open ${this.path} for appending: ${(err as Error).message}`, { cause: err });
    }
    if (!fstatSync(this.fd).isFile()) {
      closeSync(this.fd);
      this.fd = -1;
      throw new ConnectError(
        `${this.path} is not a regular file; FileStreamSink appends to files (the console sink writes to stdout)`,
      );
    }
    this.dropTornTail();
  }

  /**
   * A crash in the middle of a write can leave a partial last line. It was never flushed, so never acknowledged,
   * and the source will deliver it again: cut it off rather than glue the replay onto it.
   */
  private dropTornTail(): void {
    const size = fstatSync(this.fd).size;
    if (size === 0) return;
    const tail = Buffer.alloc(Math.min(size, 1 << 16));
    let end = size;
    const rfd = openSync(this.path, 'r');
    try {
      while (end > 0) {
        const n = Math.min(tail.length, end);
        readSync(rfd, tail, 0, n, end - n);
        const nl = tail.subarray(0, n).lastIndexOf(10);
        if (nl >= 0) {
          end = end - n + nl + 1;
          break;
        }
        end -= n;
      }
    } finally {
      closeSync(rfd);
    }
    if (end !== size) {
      ftruncateSync(this.fd, end);
      fsyncSync(this.fd);
      this.ctx.log.warn({ file: this.path, removedBytes: size - end }, 'Removed a partial last line left by a crash');
    }
  }

  async put(records: readonly ChangeRecord[]): Promise<void> {
    if (this.writeError !== undefined) throw this.failure();
    const { valueConverter, keyConverter } = this.ctx;
    const out = this.lines;
    for (const r of records) {
      if (this.format === 'value') {
        if (valueConverter.appendRecord) {
          if (!valueConverter.appendRecord(out, r.topic, r.valueSchema, r.value)) out.pushBytes(NULL);
        } else {
          out.pushBytes(valueConverter.fromRecord(r.topic, r.valueSchema, r.value) ?? NULL);
        }
      } else {
        const value = valueConverter.fromRecord(r.topic, r.valueSchema, r.value) ?? NULL;
        const k = keyConverter.fromRecord(r.topic, r.keySchema, r.key) ?? NULL;
        out.pushUtf8(`{"topic":${JSON.stringify(r.topic)},"key":`);
        out.pushBytes(embed(k));
        out.pushBytes(VALUE_PART);
        out.pushBytes(embed(value));
        out.pushByte(CLOSE);
      }
      out.pushByte(NEWLINE);
    }
    await this.writeOut();
  }

  /** Waits for the write in progress, then starts writing what put() converted (without waiting for it). */
  private async writeOut(): Promise<void> {
    // A loop, not an if: a put() and a flush() waiting on the same write must not both start one.
    while (this.writing) await this.writing;
    if (this.writeError !== undefined) throw this.failure();
    const full = this.lines;
    if (full.length === 0) return;
    this.lines = this.spare;
    this.spare = full;
    this.unsynced = true;
    this.writing = writeAll(this.fd, full.buf, full.length).then(
      () => {
        full.reset();
        // A burst may have grown the buffer; do not keep a large one around.
        if (full.buf.length > 1 << 24) full.buf = Buffer.allocUnsafe(1 << 20);
        this.writing = undefined;
      },
      (err) => {
        this.writeError = err;
        this.writing = undefined;
      },
    );
  }

  private failure(): ConnectError {
    return new ConnectError(`Cannot write to ${this.path}: ${(this.writeError as Error).message}`, {
      cause: this.writeError,
    });
  }

  async flush(): Promise<void> {
    await this.writeOut();
    while (this.writing) await this.writing;
    if (this.writeError !== undefined) throw this.failure();
    if (!this.unsynced) return;
    this.unsynced = false;
    await new Promise<void>((resolve, reject) =>
      fsync(this.fd, (err) => {
        if (err) {
          this.unsynced = true;
          reject(err);
        } else resolve();
      }),
    );
  }

  async stop(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Writes `buf[0, length)` at the end of the file (opened for appending) on libuv's thread pool. */
function writeAll(fd: number, buf: Buffer, length: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const next = (from: number) =>
      write(fd, buf, from, length - from, null, (err, n) => {
        if (err) reject(err);
        else if (from + n < length) next(from + n);
        else resolve();
      });
    next(0);
  });
}

/** Converter output that is JSON goes in as is; anything else as a JSON string. */
function embed(bytes: Buffer): Buffer {
  const first = bytes[0];
  if (first === 0x7b || first === 0x5b || first === 0x22 || bytes === NULL) {
    try {
      JSON.parse(bytes.toString('utf8'));
      return bytes;
    } catch {
      // not JSON after all
    }
  }
  return Buffer.from(JSON.stringify(bytes.toString('utf8')));
}

export const fileSinkPlugin = defineSinkConnector({
  name: 'file-sink',
  className: 'io.sluice.connectors.file.FileStreamSink',
  aliases: ['org.apache.kafka.connect.file.FileStreamSinkConnector', 'FileStreamSink'],
  version: '1.0.0',
  doc: 'Appends one line per record to a file; fsyncs on flush.',
  configSpec: [
    key('file', 'string', 'The file to append to.', { importance: 'HIGH' }),
    key(
      'format',
      'string',
      'value: the converted value per line (as Kafka\'s FileStreamSink); record: {"topic","key","value"} per line.',
      {
        default: 'value',
        validValues: ['value', 'record'],
      },
    ),
  ],
  async taskConfigs(config: Config) {
    return [{ file: config.string('file') }];
  },
  createTask: () => new FileSinkTask(),
});
