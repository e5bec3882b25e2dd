/**
 * FileStreamSource → HTTP sink → a local HTTP server that accepts everything (issue 17's HTTP benchmark):
 * records/s and the worker's peak RSS, 200-byte lines, JSON arrays of up to http.batch.size records.
 *
 * Run: `npm run build && node dist/bench/http.js [records]` — writes bench/results/http.md.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, repoRoot, startBenchWorker, topFunctions } from './support/worker-process.js';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const LINE_BYTES = 200;
const EXTRA: Record<string, string> = JSON.parse(process.env.BENCH_HTTP_CONFIG ?? '{}');
const profiled = process.env.BENCH_PROFILE !== '0';

function writeInput(path: string): void {
  const fd = openSync(path, 'w');
  const pad = 'x'.repeat(LINE_BYTES);
  let chunk = '';
  for (let i = 1; i <= RECORDS; i++) {
    const prefix = `${i} `;
    chunk += `${prefix}${pad.slice(prefix.length + 1)}\n`;
    if (chunk.length > 1 << 22) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-http-'));
  let received = 0;
  let requests = 0;
  // Counts records by the newlines of NDJSON bodies: cheap enough that the server does not slow the sink down.
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => {
      for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) received++;
    });
    req.on('end', () => {
      requests++;
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const input = join(dir, 'in.txt');
    writeInput(input);
    const profileDir = profiled ? mkdtempSync(join(tmpdir(), 'sluice-bench-httpprof-')) : undefined;
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
        {
          name: 'out',
          config: {
            'connector.class': 'HttpSink',
            topics: 'lines',
            'http.url': `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`,
            'http.format': 'ndjson',
            ...EXTRA,
          },
        },
      ],
      profileDir,
    );
    let peak = 0;
    let cpu = 0;
    while (received < RECORDS) {
      peak = Math.max(peak, w.peakRss());
      cpu = w.cpuSeconds();
      if (w.proc.exitCode !== null) throw new Error(`worker exited with ${w.proc.exitCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    peak = Math.max(peak, w.peakRss());
    cpu = Math.max(cpu, w.cpuSeconds());
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ');
    await w.stop();
    const top = profileDir ? topFunctions(profileDir) : [];
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    const r = {
      seconds: Math.round(seconds * 1000) / 1000,
      perSecond: Math.round(RECORDS / seconds),
      requests,
      peakRssMiB: Math.round((peak / 1048576) * 10) / 10,
      cpuSeconds: Math.round(cpu * 100) / 100,
      load,
    };
    console.log(r, top.slice(0, 8));
    if (process.env.BENCH_HTTP_NO_WRITE) return;
    const md = `# HTTP sink benchmark

Workload (issue 17): FileStreamSource (${RECORDS.toLocaleString('en')} lines of ${LINE_BYTES} bytes) → direct
transport → HTTP sink (\`http.format=ndjson\`, default \`http.batch.size=500\`, \`http.max.in.flight=4\`) → an HTTP
server in the benchmark's process that reads every body and answers 200. JSON converter with
\`schemas.enable=false\`. Time from worker start until the server has received every record.

Sink settings beyond the workload's: ${
      Object.keys(EXTRA).length
        ? Object.entries(EXTRA)
            .map(([k, v]) => `\`${k}=${v}\``)
            .join(', ')
        : 'none'
    }. Machine: ${machine()}. Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with
\`${profiled ? '' : 'BENCH_PROFILE=0 '}node dist/bench/http.js\`; the server and the worker share the two cores.

| measure | result | target |
|---|---|---|
| records/s | ${r.perSecond.toLocaleString('en')} (${r.seconds} s, ${r.requests.toLocaleString('en')} requests) | ≥ 20,000 |
| peak RSS | ${r.peakRssMiB} MiB | |
| worker CPU | ${r.cpuSeconds} s | |
| load average 1/5/15 min | ${r.load} | |

## Where the time goes

| function | self % |
|---|---|
${top.map((t) => `| \`${t.fn}\` | ${t.selfPct} |`).join('\n')}
`;
    mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench/results/http.md'), md);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
