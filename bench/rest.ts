/**
 * REST endpoint latency against a running standalone worker with 10 file pipelines: GET status, GET
 * /connectors?expand=status&expand=info, GET /metrics, a create+delete cycle, and a storm of 20 concurrent
 * create/delete requests for one name. Latencies are client-side (fetch over loopback), keep-alive on.
 *
 * Run: `npm run build && node dist/bench/rest.js` — writes bench/results/rest.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/harness/ports.js';
import { machine, repoRoot, startBenchWorker } from './support/worker-process.js';

const PIPELINES = 10;

async function request(url: string, method = 'GET', body?: unknown): Promise<{ status: number; bytes: number }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, bytes: text.length };
}

async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (ms: number) => ms.toFixed(2);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-rest-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const w = startBenchWorker(dir, { listeners: base, 'offset.storage.file.filename': join(dir, 'offsets.json') }, []);
  try {
    for (let i = 0; i < 600; i++) {
      try {
        if ((await request(`${base}/health`)).status === 200) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; i < PIPELINES; i++) {
      const input = join(dir, `in-${i}.txt`);
      writeFileSync(input, 'a\nb\nc\n');
      await request(`${base}/connectors`, 'POST', {
        name: `sink-${i}`,
        config: { 'connector.class': 'FileStreamSink', file: join(dir, `out-${i}.txt`), topics: `t${i}` },
      });
      await request(`${base}/connectors`, 'POST', {
        name: `src-${i}`,
        config: { 'connector.class': 'FileStreamSource', file: input, topic: `t${i}` },
      });
    }
    // warm-up: JIT and connection pool
    await timed(200, () => request(`${base}/connectors/src-0/status`));

    const status = await timed(2000, () => request(`${base}/connectors/src-3/status`));
    const expand = await timed(500, () => request(`${base}/connectors?expand=status&expand=info`));
    let metricsBytes = 0;
    const metrics = await timed(200, async () => {
      metricsBytes = (await request(`${base}/metrics`)).bytes;
    });
    const source = { 'connector.class': 'FileStreamSource', file: join(dir, 'in-0.txt'), topic: 'cycle' };
    const cycle = await timed(100, async () => {
      const c = await request(`${base}/connectors`, 'POST', { name: 'cycle', config: source });
      const d = await request(`${base}/connectors/cycle`, 'DELETE');
      if (c.status !== 201 || d.status !== 204) throw new Error(`cycle answered ${c.status}/${d.status}`);
    });
    const storms = await timed(20, () =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? request(`${base}/connectors`, 'POST', { name: 'storm', config: source })
            : request(`${base}/connectors/storm`, 'DELETE'),
        ),
      ).then(() => request(`${base}/connectors/storm`, 'DELETE')),
    );
    const rss = w.peakRss();

    const rows: Array<[string, number[], string]> = [
      ['GET /connectors/{c}/status', status, '2000 sequential'],
      [`GET /connectors?expand=status&expand=info (${PIPELINES * 2} connectors)`, expand, '500 sequential'],
      [`GET /metrics (${(metricsBytes / 1024).toFixed(1)} KiB)`, metrics, '200 sequential'],
      ['POST /connectors + DELETE (file source start and graceful stop)', cycle, '100 cycles'],
      ['20 concurrent POST/DELETE of one name, then DELETE', storms, '20 storms'],
    ];
    const others = process.env.BENCH_NOTE ?? '';
    const text = `# REST endpoint latency

Workload: a standalone worker (\`node dist/runtime/cli.js\`) with ${PIPELINES} FileStreamSource → FileStreamSink pipelines
created over REST; requests from one client process over loopback with \`fetch\` (keep-alive), one at a time unless
stated. Milliseconds, client-side.

Machine: ${machine()}. Measured ${new Date().toISOString().slice(0, 10)} with \`node dist/bench/rest.js\`.${others ? `\n${others}` : ''}

| request | p50 ms | p99 ms | max ms | runs |
|---|---|---|---|---|
${rows.map(([name, t, runs]) => `| ${name} | ${fmt(pct(t, 50))} | ${fmt(pct(t, 99))} | ${fmt(t[t.length - 1])} | ${runs} |`).join('\n')}

Worker peak RSS over the run: ${(rss / 1048576).toFixed(1)} MiB.
`;
    writeFileSync(join(repoRoot, 'bench/results/rest.md'), text);
    process.stdout.write(text);
  } finally {
    await w.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
