/**
 * FileStreamSource → FileStreamSink, 1 KB lines, JSON converter with schemas.enable=false (issue 2's benchmark):
 * records/s, MB/s and the worker's peak RSS, with the top of a CPU profile.
 *
 * Run: `npm run build && node dist/bench/file.js [lines]` — writes bench/results/file.md.
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, repoRoot, startBenchWorker, topFunctions } from './support/worker-process.js';

const LINES = Number(process.argv[2] ?? 1_000_000);
const LINE_BYTES = 1024;

function writeInput(path: string): number {
  const fd = openSync(path, 'w');
  const pad = 'x'.repeat(LINE_BYTES);
  let chunk = '';
  let bytes = 0;
  for (let i = 1; i <= LINES; i++) {
    const prefix = `${i} `;
    const line = `${prefix}${pad.slice(prefix.length + 1)}\n`;
    chunk += line;
    if (chunk.length > 1 << 22) {
      bytes += writeSync(fd, chunk);
      chunk = '';
    }
  }
  bytes += writeSync(fd, chunk);
  closeSync(fd);
  return bytes;
}

async function run(profileDir?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-file-'));
  const input = join(dir, 'in.txt');
  const output = join(dir, 'out.txt');
  const inputBytes = writeInput(input);
  // Each output line is the input line as a JSON string: two quotes more.
  const expected = inputBytes + 2 * LINES;
  const started = process.hrtime.bigint();
  const w = startBenchWorker(
    dir,
    {
      'offset.storage.file.filename': join(dir, 'offsets.json'),
      'offset.flush.interval.ms': '1000',
      'value.converter.schemas.enable': 'false',
    },
    [
      { name: 'in', config: { 'connector.class': 'FileStreamSource', file: input, topic: 'lines' } },
      { name: 'out', config: { 'connector.class': 'FileStreamSink', file: output, topics: 'lines' } },
    ],
    profileDir,
  );
  let peak = 0;
  for (;;) {
    peak = Math.max(peak, w.peakRss());
    let size = 0;
    try {
      size = statSync(output).size;
    } catch {
      // not created yet
    }
    if (size >= expected) break;
    if (w.proc.exitCode !== null) throw new Error(`worker exited with ${w.proc.exitCode}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  peak = Math.max(peak, w.peakRss());
  await w.stop();
  rmSync(dir, { recursive: true, force: true });
  return { seconds, inputBytes, peak };
}

async function main() {
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await run());
  runs.sort((a, b) => a.seconds - b.seconds);
  const median = runs[1];
  const profileDir = mkdtempSync(join(tmpdir(), 'sluice-bench-prof-'));
  await run(profileDir);
  const top = topFunctions(profileDir);
  const rps = LINES / median.seconds;
  const mbps = median.inputBytes / 1e6 / median.seconds;
  const peakMb = Math.max(...runs.map((r) => r.peak)) / 1048576;
  const result = {
    lines: LINES,
    lineBytes: LINE_BYTES,
    secondsMedianOf3: Math.round(median.seconds * 1000) / 1000,
    recordsPerSecond: Math.round(rps),
    megabytesPerSecond: Math.round(mbps * 10) / 10,
    peakRssMiB: Math.round(peakMb * 10) / 10,
  };
  console.log(JSON.stringify(result, null, 2));
  const md = `# FileStreamSource → FileStreamSink benchmark

Workload: ${LINES.toLocaleString('en')} lines of ${LINE_BYTES} bytes, FileStreamSource → direct transport →
FileStreamSink, JSON converter with \`schemas.enable=false\` (each output line is the input line as a JSON string),
offsets committed every second to a file. Time from worker start until the output file holds every line, median of
three runs (worker start-up included); peak RSS is the worker process's VmHWM over all runs.

Machine: ${machine()}. Measured ${new Date().toISOString().slice(0, 10)} with \`node dist/bench/file.js\`.

| measure | result | target |
|---|---|---|
| records/s | ${result.recordsPerSecond.toLocaleString('en')} | ≥ 100,000 |
| MB/s (input) | ${result.megabytesPerSecond} | |
| peak RSS | ${result.peakRssMiB} MiB | ≤ 150 MiB |
| seconds (median of 3) | ${result.secondsMedianOf3} | |

## Where the time goes

Self time of the worker's top functions (V8 CPU profile of a fourth run; idle time shows as \`(idle)\`, and
\`(program)\`/\`(garbage collector)\` are V8's own):

| function | self % |
|---|---|
${top.map((t) => `| \`${t.fn}\` | ${t.selfPct} |`).join('\n')}
`;
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench/results/file.md'), md);
  rmSync(profileDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
