import { closeSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
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

async function startTask(file: string) {
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
  return task;
}

async function waitFor(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('FileStreamSink', () => {
  it('writes every put() batch without waiting for flush, and everything (fsynced) at flush', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-file-sink-'));
    dirs.push(dir);
    const file = join(dir, 'out.txt');
    const task = await startTask(file);
    const lineBytes = JSON.stringify(`line 0 ${'x'.repeat(1000)}`).length + 1;
    // 3,000 lines of ~1 KB in batches of 100, never flushed in between: each batch reaches the file on its own, as
    // Connect's FileStreamSink prints each record put() gets.
    for (let b = 0; b < 30; b++) {
      await task.put(Array.from({ length: 100 }, (_, i) => record(b * 100 + i)));
      await waitFor(`batch ${b} in the file`, () => statSync(file).size >= (b + 1) * 100 * lineBytes - 100);
    }
    await task.flush?.();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3000);
    expect(lines[2999]).toBe(JSON.stringify(`line 2999 ${'x'.repeat(1000)}`));
    await task.stop();
  });

  it('reports a failed write at the next flush instead of acknowledging records that never reached the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-file-sink-'));
    dirs.push(dir);
    const task = await startTask(join(dir, 'out.txt'));
    // An I/O failure from the kernel's side: the sink's descriptor stops being valid, every write fails (EBADF). A
    // number above any open file limit, so no file opened meanwhile can take it.
    const handle = task as unknown as { fd: number };
    const real = handle.fd;
    handle.fd = 1 << 24;
    await task.put([record(1)]);
    await expect(task.flush?.()).rejects.toThrow(/Cannot write to .*out\.txt: .*EBADF/);
    await expect(task.put([record(2)])).rejects.toThrow(/EBADF/);
    closeSync(real);
  });
});
