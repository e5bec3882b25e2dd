import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../runtime/cli/program.js';
import { repoRoot, startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';
import { freePort } from '../../harness/ports.js';
import { fileSink, fileSource } from '../rest/support.js';

/**
 * `sluice connectors …` against a real worker process (standalone, file connectors, REST with basic and bearer
 * auth). Most commands run in this process through runCli (the code the `sluice` binary runs); a few run as the
 * real command, for exit codes and the environment.
 */

const PASSWORD = 'pa:ss wörd';
const TOKEN = 'token-for-the-cli-test';

interface Run {
  code: number | undefined;
  out: string;
  err: string;
}

let dir: string;
let w: WorkerProcess;
let env: NodeJS.ProcessEnv;

async function sluice(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env: { ...env, ...extraEnv },
  });
  return { code, out, err };
}

/** The command as a user runs it: a process of its own. */
function sluiceProcess(args: string[], extraEnv: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'runtime/cli.ts'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, SLUICE_URL: '', SLUICE_USER: '', SLUICE_TOKEN: '', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    p.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    p.on('exit', (code) => resolve({ code: code ?? undefined, out, err }));
  });
}

async function state(name: string): Promise<string> {
  const r = await sluice(['connectors', 'status', name, '-o', 'json']);
  const s = JSON.parse(r.out) as { connector: { state: string }; tasks: Array<{ state: string }> };
  return [s.connector.state, ...s.tasks.map((t) => t.state)].join(',');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  writeFileSync(join(dir, 'users.properties'), `admin=${PASSWORD}\n`);
  writeFileSync(join(dir, 'in.txt'), 'one\ntwo\nthree\n');
  w = await startWorker({
    dir,
    waitReady: false,
    worker: {
      'rest.auth.users.file': join(dir, 'users.properties'),
      'rest.auth.bearer.token': TOKEN,
      'offset.storage.file.filename': join(dir, 'offsets.json'),
      'offset.flush.interval.ms': '200',
    },
    connectors: [fileSink('out', join(dir, 'out.txt'), 't'), fileSource('lines', join(dir, 'in.txt'), 't')],
  });
  env = { SLUICE_URL: w.url, SLUICE_USER: 'admin', SLUICE_PASSWORD: PASSWORD };
  await waitFor(
    async () => (await sluice(['connectors', 'list'])).out.includes('RUNNING   1/1'),
    60_000,
    'the worker to run both connectors',
  );
});

afterAll(async () => {
  await w?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('sluice connectors (a real worker)', () => {
  it('list: a table of name, type, state, tasks, class and worker; --output json is the worker answer', async () => {
    const r = await sluice(['connectors', 'list']);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['NAME', 'TYPE', 'STATE', 'TASKS', 'CLASS', 'WORKER']);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 5))).toEqual([
      ['lines', 'source', 'RUNNING', '1/1', 'FileStreamSource'],
      ['out', 'sink', 'RUNNING', '1/1', 'FileStreamSink'],
    ]);
    const json = await sluice(['connectors', 'list', '--output', 'json']);
    const body = JSON.parse(json.out) as Record<string, { status: { type: string }; info: { name: string } }>;
    expect(Object.keys(body).sort()).toEqual(['lines', 'out']);
    expect(body.lines.status.type).toBe('source');
    expect(body.out.info.name).toBe('out');
  });

  it('status: the connector and each task; an unknown connector is one line and exit 1', async () => {
    const r = await sluice(['connectors', 'status', 'lines']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^lines \(source\)\n/);
    expect(r.out).toMatch(/^connector\s+RUNNING\s+\S+$/m);
    expect(r.out).toMatch(/^task 0\s+RUNNING\s+\S+$/m);
    const missing = await sluice(['connectors', 'status', 'nope']);
    expect(missing).toEqual({ code: 1, out: '', err: 'sluice: Connector nope not found (HTTP 404)\n' });
  });

  it('pause, resume, stop and restart change what status shows', async () => {
    expect((await sluice(['connectors', 'pause', 'lines'])).out).toBe(
      'connector lines pausing (see: sluice connectors status lines)\n',
    );
    await waitFor(async () => (await state('lines')) === 'PAUSED,PAUSED', 30_000, 'lines PAUSED');
    expect((await sluice(['connectors', 'resume', 'lines'])).code).toBe(0);
    await waitFor(async () => (await state('lines')) === 'RUNNING,RUNNING', 30_000, 'lines RUNNING');
    expect((await sluice(['connectors', 'stop', 'lines'])).code).toBe(0);
    await waitFor(async () => (await state('lines')) === 'STOPPED', 30_000, 'lines STOPPED');
    expect((await sluice(['connectors', 'resume', 'lines'])).code).toBe(0);
    await waitFor(async () => (await state('lines')) === 'RUNNING,RUNNING', 30_000, 'lines RUNNING again');
    const restart = await sluice(['connectors', 'restart', 'out', '--include-tasks']);
    expect(restart.code).toBe(0);
    // With includeTasks Connect answers 202 with the status: everything restarting.
    expect(restart.out).toMatch(/^connector out restarting\nout \(sink\)\n/);
    expect(restart.out).toMatch(/^task 0\s+(RESTARTING|RUNNING)\s/m);
    await waitFor(async () => (await state('out')) === 'RUNNING,RUNNING', 30_000, 'out RUNNING after restart');
  });

  it('offsets: the committed position; --reset is refused while running and done once stopped', async () => {
    // The source read three lines (14 bytes); its offset is committed every 200 ms.
    await waitFor(
      async () => (await sluice(['connectors', 'offsets', 'lines'])).out.includes('{"position":14}'),
      30_000,
      'the offset after three lines',
    );
    const table = await sluice(['connectors', 'offsets', 'lines']);
    expect(table.out.split('\n')[0].split(/\s+/)).toEqual(['PARTITION', 'OFFSET']);
    expect(table.out).toContain(`{"filename":"${join(dir, 'in.txt')}"}`);
    const refused = await sluice(['connectors', 'offsets', 'lines', '--reset']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^sluice: .*STOPPED.* \(HTTP 409\)\n$/);
    await sluice(['connectors', 'stop', 'lines']);
    await waitFor(async () => (await state('lines')) === 'STOPPED', 30_000, 'lines STOPPED');
    const reset = await sluice(['connectors', 'offsets', 'lines', '--reset']);
    expect(reset.code).toBe(0);
    expect(reset.out).toMatch(/offsets for this connector have been reset/);
    const none = await sluice(['connectors', 'offsets', 'lines']);
    expect(none).toEqual({ code: 0, out: '', err: 'Connector lines has no committed offsets.\n' });
  });

  it('apply creates a connector from a file, then replaces its config; config shows it; delete removes it', async () => {
    const file = join(dir, 'more.json');
    writeFileSync(file, JSON.stringify(fileSource('more', join(dir, 'in.txt'), 'm')));
    expect(await sluice(['connectors', 'apply', file])).toEqual({ code: 0, out: 'connector more created\n', err: '' });
    writeFileSync(file, JSON.stringify(fileSource('more', join(dir, 'in.txt'), 'm2')));
    expect((await sluice(['connectors', 'apply', file])).out).toBe('connector more configured\n');
    const cfg = await sluice(['connectors', 'config', 'more']);
    expect(cfg.out).toMatch(/^KEY\s+VALUE\n/);
    expect(cfg.out).toMatch(/^topic\s+m2$/m);
    expect(JSON.parse((await sluice(['connectors', 'config', 'more', '-o', 'json'])).out)).toMatchObject({
      topic: 'm2',
    });
    expect((await sluice(['connectors', 'delete', 'more'])).out).toBe('connector more deleted\n');
    expect((await sluice(['connectors', 'status', 'more'])).err).toBe('sluice: Connector more not found (HTTP 404)\n');
    writeFileSync(file, '{"name": "broken", "config": ');
    const broken = await sluice(['connectors', 'apply', file]);
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/^sluice: .*more\.json.* is not valid JSON/);
  });

  it('credentials: none is a 401 that says what to give; basic (flag, env, URL) and bearer work; wrong ones are named', async () => {
    const none = await sluice(['connectors', 'list'], { SLUICE_USER: '', SLUICE_PASSWORD: '' });
    expect(none.code).toBe(1);
    expect(none.err).toBe(
      `sluice: the worker at ${w.url} asks for credentials (HTTP 401): give --user NAME:PASSWORD (HTTP basic) or set SLUICE_TOKEN (bearer)\n`,
    );
    const clean = { SLUICE_USER: '', SLUICE_PASSWORD: '' };
    expect((await sluice(['connectors', 'list', '--user', `admin:${PASSWORD}`], clean)).code).toBe(0);
    expect((await sluice(['connectors', '--user', 'admin', 'list'], { SLUICE_PASSWORD: PASSWORD })).code).toBe(0);
    expect((await sluice(['connectors', 'list', '--token', TOKEN], clean)).code).toBe(0);
    expect((await sluice(['connectors', 'list'], { ...clean, SLUICE_TOKEN: TOKEN })).code).toBe(0);
    const inUrl = w.url.replace('://', `://admin:${encodeURIComponent(PASSWORD)}@`);
    expect((await sluice(['connectors', 'list', '--url', inUrl], clean)).code).toBe(0);
    const wrong = await sluice(['connectors', 'list', '--url', inUrl.replace('admin', 'eve')], clean);
    expect(wrong.err).toBe(`sluice: the worker at ${w.url} refused these credentials (HTTP 401)\n`);
    expect(wrong.err).not.toContain(PASSWORD);
    const noPassword = await sluice(['connectors', 'list', '--user', 'admin'], { SLUICE_PASSWORD: '' });
    expect(noPassword.code).toBe(1);
  });

  it('no worker at the URL: one line naming it, exit 1; a bad --output is refused', async () => {
    const port = await freePort();
    const r = await sluice(['connectors', 'list', '--url', `127.0.0.1:${port}`]);
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `sluice: cannot reach the worker at http://127.0.0.1:${port} (connection refused: is the worker running, and is this its listeners address?); set --url or SLUICE_URL\n`,
    });
    expect((await sluice(['connectors', 'list', '-o', 'yaml'])).err).toBe(
      'sluice: --output must be table or json, not yaml\n',
    );
  });

  it('validate gives the messages the worker gives when it refuses the same config', async () => {
    const bad = {
      name: 'bad',
      config: { 'connector.class': 'FileStreamSink', topics: 't', 'batch.sise': '1', 'tasks.max': 'two' },
    };
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(bad));
    const offline = await sluice(['validate', file]);
    expect(offline.code).toBe(1);
    const [head, ...problems] = offline.out.trimEnd().split('\n');
    expect(head).toBe(`${file}: connector bad (io.sluice.connectors.file.FileStreamSink): ${problems.length} errors`);
    const res = await fetch(`${w.url}/connectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(bad),
    });
    expect(res.status).toBe(400);
    const { message } = (await res.json()) as { message: string };
    const restLines = message.split('\n').filter((l) => /^[\w.]+: /.test(l));
    expect(problems.map((p) => p.trim())).toEqual(restLines);
    expect(restLines.length).toBeGreaterThanOrEqual(2);
  });

  it('as a process: SLUICE_URL and SLUICE_TOKEN from the environment; exit 0, or 1 with the reason', async () => {
    const ok = await sluiceProcess(['connectors', 'list'], { SLUICE_URL: w.url, SLUICE_TOKEN: TOKEN });
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^NAME\s+TYPE\s+STATE/);
    const bad = await sluiceProcess(['connectors', 'pause', 'nope'], { SLUICE_URL: w.url, SLUICE_TOKEN: TOKEN });
    expect(bad).toEqual({ code: 1, out: '', err: 'sluice: Connector nope not found (HTTP 404)\n' });
  });
});
