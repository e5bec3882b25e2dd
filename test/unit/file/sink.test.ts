import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { fileSinkPlugin } from '../../../connectors/file/sink.js';
import { Config, type ChangeRecord, Schemas } from '../../../runtime/api/index.js';
import { JsonConverter } from '../../../runtime/converters/json.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function record(i: number): ChangeRecord {
  return {
    topic: 't',
    keySchema: undefined,
    key: null,
    valueSchema: Schemas.string(),
    value: `line ${i} ${'x'.repeat(1000)}`,
    headers: [],
    timestamp: 0,
    sourcePartition: {},
    sourceOffset: {},
  };
}

describe('FileStreamSink', () => {
  it('writes what put() gave it once a megabyte is waiting, and everything (fsynced) at flush', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-file-sink-'));
    dirs.push(dir);
    const file = join(dir, 'out.txt');
    const task = fileSinkPlugin.createTask();
    const converter = new JsonConverter({ schemasEnable: false, decimalFormat: 'BASE64' });
    await task.start(
      new Config(
        new Map([
          ['file', file],
          ['format', 'value'],
        ]),
        { file },
      ),
      {
        connector: 'c',
        taskId: 0,
        signal: new AbortController().signal,
        log: pino({ level: 'silent' }),
        keyConverter: converter,
        valueConverter: converter,
      },
    );
    // 3,000 lines of ~1 KB in batches of 100: a sink fed from Kafka may see many puts between flushes.
    for (let b = 0; b < 30; b++) await task.put(Array.from({ length: 100 }, (_, i) => record(b * 100 + i)));
    const beforeFlush = statSync(file).size;
    expect(beforeFlush).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    await task.flush?.();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3000);
    expect(lines[2999]).toBe(JSON.stringify(`line 2999 ${'x'.repeat(1000)}`));
    expect(statSync(file).size).toBeGreaterThan(beforeFlush);
    await task.stop();
  });
});
