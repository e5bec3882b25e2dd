import type { Writable } from 'node:stream';
import {
  type ChangeRecord,
  type Config,
  ConnectError,
  type SinkTask,
  type SinkTaskContext,
} from '../../runtime/api/index.js';
import { renderRecord } from './render.js';

export type ConsoleFormat = 'text' | 'json';

/**
 * Prints records to stdout. Lines are written by put() and flush() waits until the stream has taken them, so a
 * record is acknowledged only once it was printed (a pipe that is not read slows the source, as any sink does).
 */
export class ConsoleSinkTask implements SinkTask {
  private format: ConsoleFormat = 'text';
  private ctx!: SinkTaskContext;
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(private readonly out: Writable = process.stdout) {}

  async start(config: Config, ctx: SinkTaskContext): Promise<void> {
    this.ctx = ctx;
    this.format = config.string('format') as ConsoleFormat;
  }

  async put(records: readonly ChangeRecord[]): Promise<void> {
    if (records.length === 0) return;
    const lines = records.map((r) => (this.format === 'json' ? this.jsonLine(r) : renderRecord(r)));
    const chunk = `${lines.join('\n')}\n`;
    this.lastWrite = new Promise((resolve, reject) => {
      this.out.write(chunk, (err) =>
        err ? reject(new ConnectError(`cannot write to the console: ${err.message}`, { cause: err })) : resolve(),
      );
    });
    // A failed write is reported by flush(); keep it from being an unhandled rejection meanwhile.
    this.lastWrite.catch(() => undefined);
  }

  /** `{"topic","key","value"}`, key and value as their converters write them. */
  private jsonLine(r: ChangeRecord): string {
    const { keyConverter, valueConverter } = this.ctx;
    const key = keyConverter.fromRecord(r.topic, r.keySchema, r.key);
    const value = valueConverter.fromRecord(r.topic, r.valueSchema, r.value);
    return `{"topic":${JSON.stringify(r.topic)},"key":${embed(key)},"value":${embed(value)}}`;
  }

  async flush(): Promise<void> {
    await this.lastWrite;
  }

  async stop(): Promise<void> {
    await this.lastWrite.catch(() => undefined);
  }
}

/** Converter output that is JSON goes in as is; other bytes (string or bytearray converters) as a JSON string. */
function embed(bytes: Buffer | null): string {
  if (bytes === null) return 'null';
  const text = bytes.toString('utf8');
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}
