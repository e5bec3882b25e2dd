import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { call, create, fileSink, fileSource, lines, type StatusBody, waitState } from './support.js';

/** Every /connectors endpoint's success path and each error Connect defines for it, over real HTTP. */
describe('REST /connectors', () => {
  let dir: string;
  let w: WorkerProcess;
  let input: string;
  let output: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-rest-'));
    input = join(dir, 'in.txt');
    output = join(dir, 'out.txt');
    writeFileSync(input, 'one\ntwo\nthree\n');
    w = await startWorker({
      dir,
      worker: {
        'offset.storage.file.filename': join(dir, 'offsets.json'),
        'config.storage.file.filename': join(dir, 'configs.json'),
        'offset.flush.interval.ms': '500',
        'rest.max.body.bytes': '2048',
      },
    });
    await create(w, fileSink('sink', output, 'lines'));
  });

  afterAll(async () => {
    await w?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET / names the version; GET /health says healthy', async () => {
    const root = await call<Record<string, unknown>>(w, 'GET', '/');
    expect(root.status).toBe(200);
    expect(root.body).toMatchObject({ version: expect.any(String), commit: expect.any(String) });
    expect(Object.keys(root.body)).toContain('kafka_cluster_id');
    const health = await call(w, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'healthy', message: expect.any(String) });
  });

  it('POST /connectors creates: 201, Location, {name, config, tasks, type}, and data flows', async () => {
    const r = await call(w, 'POST', '/connectors', { body: fileSource('src', input, 'lines') });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe('/connectors/src');
    expect(r.body).toEqual({
      name: 'src',
      config: { ...fileSource('src', input, 'lines').config, name: 'src' },
      tasks: [{ connector: 'src', task: 0 }],
      type: 'source',
    });
    await waitFor(() => lines(output).length === 3, 30_000, 'three lines in the sink');
    expect(lines(output)).toEqual(['one', 'two', 'three']);
  });

  it('GET /connectors lists names, and expands status and info', async () => {
    const names = await call<string[]>(w, 'GET', '/connectors');
    expect(names.status).toBe(200);
    expect(names.body.sort()).toEqual(['sink', 'src']);

    await waitState(w, 'src', 'RUNNING');
    const st = await call<Record<string, { status: StatusBody }>>(w, 'GET', '/connectors?expand=status');
    expect(Object.keys(st.body).sort()).toEqual(['sink', 'src']);
    expect(st.body.src.status).toEqual({
      name: 'src',
      connector: { state: 'RUNNING', worker_id: expect.stringMatching(/:\d+$/) },
      tasks: [{ id: 0, state: 'RUNNING', worker_id: expect.any(String) }],
      type: 'source',
    });
    expect(Object.keys(st.body.src)).toEqual(['status']);

    const both = await call<Record<string, Record<string, unknown>>>(w, 'GET', '/connectors?expand=status&expand=info');
    expect(Object.keys(both.body.sink).sort()).toEqual(['info', 'status']);
    expect(both.body.sink.info).toMatchObject({ name: 'sink', type: 'sink', tasks: [{ connector: 'sink', task: 0 }] });

    const info = await call<Record<string, Record<string, unknown>>>(w, 'GET', '/connectors?expand=info');
    expect(Object.keys(info.body.src)).toEqual(['info']);
  });

  it('GET /connectors/{c}, /config, /status, /tasks, /tasks/{t}/status', async () => {
    const info = await call(w, 'GET', '/connectors/src');
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ name: 'src', type: 'source', tasks: [{ connector: 'src', task: 0 }] });

    const config = await call(w, 'GET', '/connectors/src/config');
    expect(config.body).toEqual({ ...fileSource('src', input, 'lines').config, name: 'src' });

    const st = await call<StatusBody>(w, 'GET', '/connectors/src/status');
    expect(st.status).toBe(200);
    expect(st.body.connector.state).toBe('RUNNING');

    const tasks = await call(w, 'GET', '/connectors/src/tasks');
    expect(tasks.status).toBe(200);
    // As Connect: the task's full config (the connector's, overlaid by what the connector gave the task).
    expect(tasks.body).toEqual([
      { id: { connector: 'src', task: 0 }, config: { ...fileSource('src', input, 'lines').config, name: 'src' } },
    ]);

    const t0 = await call(w, 'GET', '/connectors/src/tasks/0/status');
    expect(t0.body).toEqual({ id: 0, state: 'RUNNING', worker_id: st.body.connector.worker_id });
  });

  it('GET /connectors/{c}/topics and PUT …/topics/reset', async () => {
    const topics = await call(w, 'GET', '/connectors/src/topics');
    expect(topics.status).toBe(200);
    expect(topics.body).toEqual({ src: { topics: ['lines'] } });
    const reset = await call(w, 'PUT', '/connectors/src/topics/reset');
    expect(reset.status).toBe(202);
    expect((await call(w, 'GET', '/connectors/src/topics')).body).toEqual({ src: { topics: [] } });
  });

  it('PUT /connectors/{c}/config: 201 when it creates, 200 when it updates', async () => {
    const other = join(dir, 'other.txt');
    writeFileSync(other, 'x\n');
    const created = await call(w, 'PUT', '/connectors/put-src/config', {
      body: fileSource('put-src', other, 'other').config,
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/connectors/put-src');
    expect(created.body).toMatchObject({ name: 'put-src', type: 'source' });

    const updated = await call(w, 'PUT', '/connectors/put-src/config', {
      body: { ...fileSource('put-src', other, 'other2').config, 'batch.size': 5 },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      name: 'put-src',
      config: { topic: 'other2', 'batch.size': '5', name: 'put-src' },
    });
    expect((await call(w, 'GET', '/connectors/put-src/config')).body).toMatchObject({ topic: 'other2' });
  });

  it('PATCH /connectors/{c}/config merges, and a null value removes a key', async () => {
    const r = await call(w, 'PATCH', '/connectors/put-src/config', { body: { topic: 'patched', 'batch.size': null } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'put-src', type: 'source' });
    const config = (await call<Record<string, string>>(w, 'GET', '/connectors/put-src/config')).body;
    expect(config.topic).toBe('patched');
    expect(config).not.toHaveProperty('batch.size');
    expect(config.file).toBe(join(dir, 'other.txt'));
  });

  it('restart: plain 204; task restart 204; the connector runs after both', async () => {
    expect((await call(w, 'POST', '/connectors/src/restart')).status).toBe(204);
    expect((await call(w, 'POST', '/connectors/src/tasks/0/restart')).status).toBe(204);
    await waitState(w, 'src', 'RUNNING');
    const r = await call<StatusBody>(w, 'POST', '/connectors/src/restart?includeTasks=true&onlyFailed=false');
    expect(r.status).toBe(202);
    expect(r.body.connector.state).toBe('RESTARTING');
    expect(r.body.tasks).toEqual([{ id: 0, state: 'RESTARTING', worker_id: expect.any(String) }]);
    await waitState(w, 'src', 'RUNNING');
  });

  it('initial_state PAUSED and STOPPED are honoured; a bad one is 400', async () => {
    const paused = await call(w, 'POST', '/connectors', {
      body: { ...fileSource('born-paused', input, 'p'), initial_state: 'PAUSED' },
    });
    expect(paused.status).toBe(201);
    await waitState(w, 'born-paused', 'PAUSED');
    const stopped = await call(w, 'POST', '/connectors', {
      body: { ...fileSource('born-stopped', input, 's'), initial_state: 'STOPPED' },
    });
    expect(stopped.status).toBe(201);
    expect(stopped.body).toMatchObject({ tasks: [] });
    await waitState(w, 'born-stopped', 'STOPPED');
    const bad = await call(w, 'POST', '/connectors', {
      body: { ...fileSource('born-bad', input, 'b'), initial_state: 'SLEEPING' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error_code: 400, message: expect.stringContaining('initial_state') });
  });

  it('DELETE /connectors/{c}: 204, then it is gone', async () => {
    for (const n of ['put-src', 'born-paused', 'born-stopped']) {
      const r = await call(w, 'DELETE', `/connectors/${n}`);
      expect(r.status).toBe(204);
      expect(r.text).toBe('');
      expect((await call(w, 'GET', `/connectors/${n}`)).status).toBe(404);
    }
    expect((await call<string[]>(w, 'GET', '/connectors')).body.sort()).toEqual(['sink', 'src']);
  });

  it("unknown connector: 404 with Connect's error body on every endpoint", async () => {
    const endpoints: Array<[string, string, unknown?]> = [
      ['GET', '/connectors/nope'],
      ['GET', '/connectors/nope/config'],
      ['PATCH', '/connectors/nope/config', { topic: 'x' }],
      ['GET', '/connectors/nope/status'],
      ['POST', '/connectors/nope/restart'],
      ['POST', '/connectors/nope/restart?includeTasks=true'],
      ['PUT', '/connectors/nope/pause'],
      ['PUT', '/connectors/nope/resume'],
      ['PUT', '/connectors/nope/stop'],
      ['GET', '/connectors/nope/tasks'],
      ['GET', '/connectors/nope/tasks/0/status'],
      ['POST', '/connectors/nope/tasks/0/restart'],
      ['DELETE', '/connectors/nope'],
      ['GET', '/connectors/nope/topics'],
      ['PUT', '/connectors/nope/topics/reset'],
      ['GET', '/connectors/nope/offsets'],
      ['PATCH', '/connectors/nope/offsets', { offsets: [{ partition: { filename: 'f' }, offset: { position: 0 } }] }],
      ['DELETE', '/connectors/nope/offsets'],
    ];
    for (const [method, path, body] of endpoints) {
      const r = await call(w, method, path, { body });
      expect([method, path, r.status]).toEqual([method, path, 404]);
      expect(r.body).toEqual({ error_code: 404, message: 'Connector nope not found' });
    }
  });

  it('unknown task: 404', async () => {
    for (const [m, p] of [
      ['GET', '/connectors/src/tasks/7/status'],
      ['POST', '/connectors/src/tasks/7/restart'],
      ['GET', '/connectors/src/tasks/x/status'],
    ]) {
      const r = await call(w, m, p);
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ error_code: 404, message: expect.stringMatching(/^Task src-\w+ not found$/) });
    }
  });

  it('duplicate name: 409', async () => {
    const r = await call(w, 'POST', '/connectors', { body: fileSource('src', input, 'lines') });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({ error_code: 409, message: 'Connector src already exists' });
  });

  it('invalid config: 400 naming every wrong key, nothing created', async () => {
    const r = await call<{ error_code: number; message: string }>(w, 'POST', '/connectors', {
      body: {
        name: 'broken',
        config: { 'connector.class': 'FileStreamSource', 'tasks.max': 'many', 'batch.size': '0' },
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe(400);
    for (const k of ['file', 'topic', 'tasks.max', 'batch.size']) expect(r.body.message).toContain(`${k}:`);
    expect(r.body.message).toContain('contains the following 4 error(s)');
    const unknownClass = await call<{ message: string }>(w, 'POST', '/connectors', {
      body: { name: 'broken', config: { 'connector.class': 'NoSuchConnector' } },
    });
    expect(unknownClass.status).toBe(400);
    expect(unknownClass.body.message).toContain('connector.class:');
    const put = await call(w, 'PUT', '/connectors/broken/config', { body: { 'connector.class': 'FileStreamSink' } });
    expect(put.status).toBe(400);
    const patch = await call(w, 'PATCH', '/connectors/src/config', { body: { 'batch.size': 'lots' } });
    expect(patch.status).toBe(400);
    expect((await call(w, 'GET', '/connectors/src/config')).body).not.toHaveProperty('batch.size');
    expect((await call(w, 'GET', '/connectors/broken')).status).toBe(404);
  });

  it('bad requests: 400 for a missing config, a name that does not match, a config that is not a map', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/connectors', { name: 'x' }],
      ['POST', '/connectors', { config: { 'connector.class': 'FileStreamSource' } }],
      ['POST', '/connectors', { name: 'x', config: { ...fileSource('y', input, 't').config, name: 'y' } }],
      ['PUT', '/connectors/src/config', { ...fileSource('other', input, 't').config, name: 'other' }],
      ['POST', '/connectors', { name: 'x', config: { nested: { a: 1 } } }],
      ['POST', '/connectors', ['not', 'an', 'object']],
      ['PUT', '/connectors/src/config', 'text'],
    ];
    for (const [m, p, body] of cases) {
      const r = await call(w, m, p, { body });
      expect([m, p, r.status]).toEqual([m, p, 400]);
      expect(r.body).toMatchObject({ error_code: 400, message: expect.any(String) });
    }
    const mismatch = await call<{ message: string }>(w, 'PUT', '/connectors/src/config', {
      body: { ...fileSource('other', input, 't').config, name: 'other' },
    });
    expect(mismatch.body.message).toBe(
      "Connector name configuration (other) doesn't match connector name in the URL (src)",
    );
  });

  it('malformed JSON: 400', async () => {
    for (const [m, p] of [
      ['POST', '/connectors'],
      ['PUT', '/connectors/src/config'],
      ['PATCH', '/connectors/src/offsets'],
      ['PUT', '/connector-plugins/FileStreamSource/config/validate'],
    ]) {
      const r = await call(w, m, p, { raw: '{"name": "x", "config": {' });
      expect([m, p, r.status]).toEqual([m, p, 400]);
      expect(r.body).toEqual({ error_code: 400, message: expect.stringContaining('not valid JSON') });
    }
  });

  it('a body over rest.max.body.bytes: 413', async () => {
    const big = { name: 'big', config: { ...fileSource('big', input, 't').config, padding: 'x'.repeat(4000) } };
    const r = await call(w, 'POST', '/connectors', { body: big });
    expect(r.status).toBe(413);
    expect(r.body).toEqual({
      error_code: 413,
      message: 'Request body is larger than rest.max.body.bytes (2048 bytes)',
    });
    // chunked, without Content-Length: refused while reading
    const chunked = await fetch(`${w.url}/connectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([JSON.stringify(big)]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await call(w, 'GET', '/connectors/big')).status).toBe(404);
  });

  it('an unknown path: 404; a known path with another method: 405; both in the same error shape', async () => {
    const r = await call(w, 'GET', '/no/such/path');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error_code: 404, message: 'HTTP 404 Not Found' });
    for (const [m, p] of [
      ['DELETE', '/connectors'],
      ['POST', '/connectors/src/status'],
      ['GET', '/connectors/src/pause'],
      ['DELETE', '/connector-plugins'],
    ]) {
      const bad = await call(w, m, p);
      expect([m, p, bad.status]).toEqual([m, p, 405]);
      expect(bad.body).toEqual({ error_code: 405, message: 'HTTP 405 Method Not Allowed' });
    }
  });

  it('a body without a JSON content type is still read; an empty body on PUT pause is fine', async () => {
    const r = await call(w, 'PUT', '/connectors/src/pause', {
      raw: '',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(202);
    await waitState(w, 'src', 'PAUSED');
    expect((await call(w, 'PUT', '/connectors/src/resume')).status).toBe(202);
    await waitState(w, 'src', 'RUNNING');
    const form = await call(w, 'PATCH', '/connectors/src/config', {
      raw: '{"poll.interval.ms": "150"}',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(200);
    expect((await call<Record<string, string>>(w, 'GET', '/connectors/src/config')).body['poll.interval.ms']).toBe(
      '150',
    );
  });
});
