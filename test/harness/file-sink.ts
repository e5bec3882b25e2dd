import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ConnectorFile } from './worker.js';

/** A FileStreamSink connector file writing the given topics to `file` as JSON lines. */
export function fileSink(name: string, file: string, topics: string[], schemas = false): ConnectorFile {
  return {
    name,
    config: {
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
      file,
      topics: topics.join(','),
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': String(schemas),
    },
  };
}

/**
 * Reads a file sink's output incrementally: each read() parses only the complete lines appended since the last
 * one (the sink may be mid-line), skipping tombstones (`null`). A complete line that is not JSON throws.
 */
export class EventTail<E> {
  readonly events: E[] = [];
  private offset = 0;

  constructor(private readonly file: string) {}

  read(): E[] {
    if (!existsSync(this.file)) return this.events;
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return this.events;
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) return this.events;
      this.offset += end + 1;
      for (const line of buf.toString('utf8', 0, end).split('\n')) {
        if (line === '' || line === 'null') continue;
        this.events.push(JSON.parse(line) as E);
      }
    } finally {
      closeSync(fd);
    }
    return this.events;
  }
}

/** All complete records of a file sink's output, tombstones skipped. */
export function readEvents<E>(file: string): E[] {
  return new EventTail<E>(file).read();
}
