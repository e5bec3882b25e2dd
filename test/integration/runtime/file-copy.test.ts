import { createWriteStream, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ConnectorFile, startWorker, waitFor } from '../../harness/worker.js';

const LINES = 1_000_000;

async function writeInput(path: string, lines: number, width = 40): Promise<void> {
  const out = createWriteStream(path);
  const pad = 'x'.repeat(width);
  for (let i = 1; i <= lines; i++) {
    if (!out.write(`line ${i} ${pad}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

function lineCount(path: string): number {
  if (!existsSync(path)) return 0;
  const buf = readFileSync(path);
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** Output lines (JSON strings, schemas off) back to their line numbers; scans bytes (the file can exceed a string). */
function numbersIn(path: string): number[] {
  const buf = readFileSync(path);
  const out: number[] = [];
  const prefix = Buffer.from('"line ');
  let start = 0;
  for (let nl = buf.indexOf(10); nl >= 0; start = nl + 1, nl = buf.indexOf(10, start)) {
    if (buf.compare(prefix, 0, prefix.length, start, start + prefix.length) !== 0 || buf[nl - 1] !== 0x22) {
      throw new Error(`unexpected output line: ${buf.toString('utf8', start, Math.min(nl, start + 80))}`);
    }
    let n = 0;
    for (let i = start + prefix.length; buf[i] !== 0x20; i++) n = n * 10 + (buf[i] - 48);
    out.push(n);
  }
  return out;
}

function connectors(dir: string): ConnectorFile[] {
  return [
    {
      name: 'copy-in',
      config: {
        'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
        file: join(dir, 'in.txt'),
        topic: 'lines',
      },
    },
    {
      name: 'copy-out',
      config: {
        'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
        file: join(dir, 'out.txt'),
        topics: 'lines',
        'value.converter.schemas.enable': 'false',
      },
    },
  ];
}

describe('FileStreamSource → FileStreamSink (standalone worker process)', () => {
  it('copies a 1,000,000-line file completely and in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-copy-'));
    await writeInput(join(dir, 'in.txt'), LINES);
    const w = await startWorker({
      dir,
      worker: { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '1000' },
      connectors: connectors(dir),
    });
    try {
      await waitFor(() => lineCount(join(dir, 'out.txt')) >= LINES, 120_000, 'all lines copied');
      expect(await w.stop()).toBe(0);
    } finally {
      w.proc.kill('SIGKILL');
    }
    const nums = numbersIn(join(dir, 'out.txt'));
    expect(nums.length).toBe(LINES);
    for (let i = 0; i < LINES; i++) if (nums[i] !== i + 1) throw new Error(`line ${i + 1} is ${nums[i]}`);
    const offsets = JSON.parse(readFileSync(join(dir, 'offsets.json'), 'utf8'));
    expect(offsets.offsets[0].value.position).toBe(readFileSync(join(dir, 'in.txt')).length);
  });

  it('SIGKILLed at a random moment mid-copy and restarted, delivers every line in order; duplicates only after the last committed offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-kill-'));
    // Wider lines than the first test: the copy must last long enough to be interrupted.
    await writeInput(join(dir, 'in.txt'), LINES, 400);
    const input = readFileSync(join(dir, 'in.txt'));
    const worker = { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '200' };
    // Not waiting for REST: on a busy machine the copy can be well along before the endpoint answers.
    const first = await startWorker({ dir, worker, connectors: connectors(dir), waitReady: false });
    // A random moment between 5% and 80% of the copy (watched by output size: the copy is fast).
    const outBytes = input.length + 2 * LINES;
    const killAt = Math.floor(outBytes * (0.05 + Math.random() * 0.75));
    const outPath = join(dir, 'out.txt');
    const deadline = Date.now() + 120_000;
    while ((existsSync(outPath) ? statSync(outPath).size : 0) < killAt) {
      if (Date.now() > deadline) throw new Error(`copy did not reach ${killAt} bytes:\n${first.logs().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    await first.kill();

    // What was committed when the worker died: the restart must resume exactly after it.
    const committed = existsSync(join(dir, 'offsets.json'))
      ? (JSON.parse(readFileSync(join(dir, 'offsets.json'), 'utf8')).offsets[0]?.value.position as number)
      : 0;
    const committedLines = committed === 0 ? 0 : input.subarray(0, committed).toString('latin1').split('\n').length - 1;
    const beforeRestart = lineCount(join(dir, 'out.txt'));

    const second = await startWorker({ dir, worker, connectors: connectors(dir) });
    try {
      await waitFor(() => numbersIn(join(dir, 'out.txt')).at(-1) === LINES, 120_000, 'last line copied');
      expect(await second.stop()).toBe(0);
    } finally {
      second.proc.kill('SIGKILL');
    }

    const nums = numbersIn(join(dir, 'out.txt'));
    // Shape: 1..k from the first run (k complete lines when it died), then committedLines+1..N from the second.
    const k = beforeRestart;
    for (let i = 0; i < k; i++) if (nums[i] !== i + 1) throw new Error(`first run: output line ${i + 1} is ${nums[i]}`);
    expect(committedLines).toBeLessThanOrEqual(k);
    for (let i = k; i < nums.length; i++) {
      if (nums[i] !== committedLines + 1 + (i - k)) throw new Error(`second run: output line ${i + 1} is ${nums[i]}`);
    }
    expect(nums.at(-1)).toBe(LINES);
    expect(new Set(nums).size).toBe(LINES);
    const duplicates = k - committedLines;
    console.log(
      `killed after ${beforeRestart} lines written; committed offset covered ${committedLines} lines; ${duplicates} duplicate lines after restart`,
    );
  });
});
