import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import {
  type ChangeRecord,
  type Config,
  ConnectError,
  defineSinkConnector,
  key,
  type SinkTask,
  type SinkTaskContext,
} from '../../runtime/api/index.js';

const NEWLINE = Buffer.from('\n');
const NULL = Buffer.from('null');
const VALUE_PART = Buffer.from(',"value":');
const CLOSE = Buffer.from('}');
/** put() writes its buffer out once it holds this much, so that memory does not grow with the flush interval */
const WRITE_AT_BYTES = 1 << 20;

/**
 * Kafka's FileStreamSink: one line per record, the value as its converter writes it. `format=record` writes
 * `{"topic","key","value"}` per line instead, for consumers that need keys (tombstones, replay by key).
 * Lines are copied into one buffer by put(), written whenever it holds a megabyte, and written and fsynced by
 * flush(): after flush, everything put is on disk. Writing as it fills keeps memory bounded when flushes are far
 * apart (a Kafka-fed sink flushes at offset.flush.interval.ms, as Connect's does); lines written but not yet
 * flushed are redelivered after a crash, like any record whose offset was not committed.
 */
class FileSinkTask implements SinkTask {
  private fd = -1;
  private path = '';
  private format: 'value' | 'record' = 'value';
  /** bytes put since the last flush, copied in at once so converter buffers die young */
  private arena = Buffer.allocUnsafe(1 << 20);
  private used = 0;
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
    const { valueConverter, keyConverter } = this.ctx;
    for (const r of records) {
      const value = valueConverter.fromRecord(r.topic, r.valueSchema, r.value) ?? NULL;
      if (this.format === 'value') {
        this.append(value);
      } else {
        const k = keyConverter.fromRecord(r.topic, r.keySchema, r.key) ?? NULL;
        this.append(Buffer.from(`{"topic":${JSON.stringify(r.topic)},"key":`));
        this.append(embed(k));
        this.append(VALUE_PART);
        this.append(embed(value));
        this.append(CLOSE);
      }
      this.append(NEWLINE);
    }
    if (this.used >= WRITE_AT_BYTES) this.writeOut();
  }

  private writeOut(): void {
    let written = 0;
    while (written < this.used) written += writeSync(this.fd, this.arena, written, this.used - written);
    this.used = 0;
    this.unsynced = true;
  }

  private append(bytes: Buffer): void {
    if (this.used + bytes.length > this.arena.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + bytes.length));
      this.arena.copy(grown, 0, 0, this.used);
      this.arena = grown;
    }
    bytes.copy(this.arena, this.used);
    this.used += bytes.length;
  }

  async flush(): Promise<void> {
    if (this.used > 0) this.writeOut();
    if (!this.unsynced) return;
    fsyncSync(this.fd);
    this.unsynced = false;
    // A burst may have grown the arena; do not keep a large one around.
    if (this.arena.length > 1 << 24) this.arena = Buffer.allocUnsafe(1 << 20);
  }

  async stop(): Promise<void> {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
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
