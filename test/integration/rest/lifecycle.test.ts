import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { call, create, fileSink, fileSource, lines, type StatusBody, sleep, waitState } from './support.js';

const range = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);
const text = (ls: string[]) => ls.map((l) => `${l}\n`).join('');

/** Pause, resume, stop, restart and offsets, judged by what reaches the sink file. */
describe('REST connector lifecycle', () => {
  let dir: string;
  let w: WorkerProcess;
  let input: string;
  let output: string;
  const workerKeys = () => ({
    'offset.storage.file.filename': join(dir, 'offsets.json'),
    'config.storage.file.filename': join(dir, 'configs.json'),
    'offset.flush.interval.ms': '500',
  });
  const sinkLines = (prefix: string) => lines(output).filter((l) => l.startsWith(prefix));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-rest-life-'));
    input = join(dir, 'in.txt');
    output = join(dir, 'out.txt');
    writeFileSync(input, text(range('l', 1, 5)));
    w = await startWorker({ dir, worker: workerKeys() });
    await create(w, fileSink('sink', output, 'lines,h,b'));
    await create(w, fileSource('src', input, 'lines'));
    await waitFor(() => sinkLines('l').length === 5, 30_000, 'the first five lines');
  });

  afterAll(async () => {
    await w?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pause: no records flow; resume: they flow from where they stopped', async () => {
    expect((await call(w, 'PUT', '/connectors/src/pause')).status).toBe(202);
    const st = await waitState(w, 'src', 'PAUSED');
    expect(st.tasks).toEqual([{ id: 0, state: 'PAUSED', worker_id: expect.any(String) }]);
    appendFileSync(input, text(range('l', 6, 10)));
    await sleep(2000);
    expect(sinkLines('l')).toEqual(range('l', 1, 5));

    expect((await call(w, 'PUT', '/connectors/src/resume')).status).toBe(202);
    await waitState(w, 'src', 'RUNNING');
    await waitFor(() => sinkLines('l').length >= 10, 30_000, 'lines 6-10 after resume');
    await sleep(500);
    expect(sinkLines('l')).toEqual(range('l', 1, 10));
  });

  it('offsets cannot change while the connector runs or is paused: 409', async () => {
    const body = { offsets: [{ partition: { filename: input }, offset: { position: 0 } }] };
    for (const target of ['resume', 'pause']) {
      await call(w, 'PUT', `/connectors/src/${target}`);
      const patch = await call(w, 'PATCH', '/connectors/src/offsets', { body });
      expect(patch.status).toBe(409);
      expect(patch.body).toEqual({ error_code: 409, message: expect.stringContaining('must be in the STOPPED state') });
      expect((await call(w, 'DELETE', '/connectors/src/offsets')).status).toBe(409);
    }
    await call(w, 'PUT', '/connectors/src/resume');
    await waitState(w, 'src', 'RUNNING');
  });

  it('stop: 204, tasks released, nothing flows; GET offsets shows the committed position', async () => {
    const r = await call(w, 'PUT', '/connectors/src/stop');
    expect(r.status).toBe(204);
    const st = await waitState(w, 'src', 'STOPPED');
    expect(st.tasks).toEqual([]);
    expect((await call(w, 'GET', '/connectors/src/tasks')).body).toEqual([]);
    appendFileSync(input, 'l11\n');
    await sleep(1500);
    expect(sinkLines('l')).toEqual(range('l', 1, 10));
    const offsets = await call(w, 'GET', '/connectors/src/offsets');
    expect(offsets.status).toBe(200);
    expect(offsets.body).toEqual({
      offsets: [{ partition: { filename: input }, offset: { position: text(range('l', 1, 10)).length } }],
    });
  });

  it('PATCH offsets while STOPPED; a worker restarted afterwards resumes from the patched position', async () => {
    const bad = await call(w, 'PATCH', '/connectors/src/offsets', { body: { offsets: [] } });
    expect(bad.status).toBe(400);
    const position = text(range('l', 1, 3)).length;
    const r = await call<{ message: string }>(w, 'PATCH', '/connectors/src/offsets', {
      body: { offsets: [{ partition: { filename: input }, offset: { position } }] },
    });
    expect(r.status).toBe(200);
    expect(r.body.message).toMatch(/offsets for this connector have been altered successfully/);
    expect((await call(w, 'GET', '/connectors/src/offsets')).body).toEqual({
      offsets: [{ partition: { filename: input }, offset: { position } }],
    });

    expect(await w.stop()).toBe(0);
    w = await startWorker({ dir, worker: workerKeys() });
    // configs and target states survived the restart
    expect((await call<string[]>(w, 'GET', '/connectors')).body.sort()).toEqual(['sink', 'src']);
    await waitState(w, 'src', 'STOPPED');
    await waitState(w, 'sink', 'RUNNING');
    expect((await call(w, 'PUT', '/connectors/src/resume')).status).toBe(202);
    await waitFor(() => sinkLines('l').length >= 18, 30_000, 'lines 4-11 again');
    await sleep(500);
    expect(sinkLines('l')).toEqual([...range('l', 1, 10), ...range('l', 4, 11)]);
  });

  it('DELETE offsets while STOPPED: the next start reads from the beginning', async () => {
    await call(w, 'PUT', '/connectors/src/stop');
    await waitState(w, 'src', 'STOPPED');
    const r = await call<{ message: string }>(w, 'DELETE', '/connectors/src/offsets');
    expect(r.status).toBe(200);
    expect(r.body.message).toMatch(/offsets for this connector have been reset successfully/);
    expect((await call(w, 'GET', '/connectors/src/offsets')).body).toEqual({ offsets: [] });
    await call(w, 'PUT', '/connectors/src/resume');
    await waitFor(() => sinkLines('l').length >= 29, 30_000, 'all eleven lines again');
    await sleep(500);
    expect(sinkLines('l')).toEqual([...range('l', 1, 10), ...range('l', 4, 11), ...range('l', 1, 11)]);
  });

  it('restart with onlyFailed=true restarts the failed task and leaves running ones alone', async () => {
    // `healthy` keeps reading the file it opened; a restarted task would open whatever is at the path now.
    const healthyFile = join(dir, 'h.txt');
    writeFileSync(healthyFile, 'h1\n');
    await create(w, fileSource('healthy', healthyFile, 'h'));
    await waitFor(() => sinkLines('h').length === 1, 30_000, 'h1');
    // `broken` reads a file that does not exist yet: the task fails once its 1 ms of retries are spent.
    const brokenFile = join(dir, 'b.txt');
    await create(w, fileSource('broken', brokenFile, 'b', { 'errors.retry.timeout': '1' }));
    const failed = await waitFor(
      async () => {
        const s = (await call<StatusBody>(w, 'GET', '/connectors/broken/status')).body;
        return s.tasks[0]?.state === 'FAILED' ? s : undefined;
      },
      30_000,
      'broken task FAILED',
    );
    expect(failed.connector.state).toBe('RUNNING');
    expect(failed.tasks[0].trace).toContain(brokenFile);

    renameSync(healthyFile, `${healthyFile}.old`);
    writeFileSync(healthyFile, 'zzzzz\nNEW\n');

    const untouched = await call<StatusBody>(
      w,
      'POST',
      '/connectors/healthy/restart?includeTasks=true&onlyFailed=true',
    );
    expect(untouched.status).toBe(202);
    expect(untouched.body.connector.state).toBe('RUNNING');
    expect(untouched.body.tasks.map((t) => t.state)).toEqual(['RUNNING']);
    appendFileSync(`${healthyFile}.old`, 'h2\n');
    await waitFor(() => sinkLines('h').length === 2, 30_000, 'h2 from the file the task still holds');
    expect(lines(output).filter((l) => l === 'NEW')).toEqual([]);

    writeFileSync(brokenFile, 'b1\n');
    const restarted = await call<StatusBody>(w, 'POST', '/connectors/broken/restart?includeTasks=true&onlyFailed=true');
    expect(restarted.status).toBe(202);
    expect(restarted.body.connector.state).toBe('RUNNING');
    expect(restarted.body.tasks).toEqual([{ id: 0, state: 'RESTARTING', worker_id: expect.any(String) }]);
    await waitState(w, 'broken', 'RUNNING');
    await waitFor(() => sinkLines('b').length === 1, 30_000, 'b1 after the restart');
    expect(sinkLines('b')).toEqual(['b1']);

    // The same check sees a restart when there is one: a full restart reopens the path.
    const all = await call<StatusBody>(w, 'POST', '/connectors/healthy/restart?includeTasks=true');
    expect(all.body.tasks.map((t) => t.state)).toEqual(['RESTARTING']);
    await waitFor(() => lines(output).includes('NEW'), 30_000, 'NEW from the reopened path');
  });
});
