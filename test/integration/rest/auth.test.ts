import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { call, fileSink, fileSource } from './support.js';

const USER_PASSWORD = 'Rest-Pa55word-7f3e';
const TOKEN = 'bearer-t0ken-91ac2d';
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Every endpoint, each with a body it accepts, so that with credentials none of them answers 401. */
const ENDPOINTS: Array<[string, string, unknown?]> = [
  ['GET', '/'],
  ['GET', '/health'],
  ['GET', '/metrics'],
  ['GET', '/connectors'],
  ['GET', '/connectors?expand=status&expand=info'],
  [
    'POST',
    '/connectors',
    { name: 'x', config: { 'connector.class': 'FileStreamSink', topics: 't', file: '/dev/null' } },
  ],
  ['GET', '/connectors/src'],
  ['GET', '/connectors/src/config'],
  ['PUT', '/connectors/src/config', { 'connector.class': 'FileStreamSource', file: '/dev/null', topic: 't' }],
  ['PATCH', '/connectors/src/config', { topic: 't2' }],
  ['GET', '/connectors/src/status'],
  ['POST', '/connectors/src/restart'],
  ['POST', '/connectors/src/restart?includeTasks=true&onlyFailed=true'],
  ['PUT', '/connectors/src/pause'],
  ['PUT', '/connectors/src/resume'],
  ['PUT', '/connectors/src/stop'],
  ['GET', '/connectors/src/tasks'],
  ['GET', '/connectors/src/tasks/0/status'],
  ['POST', '/connectors/src/tasks/0/restart'],
  ['GET', '/connectors/src/topics'],
  ['PUT', '/connectors/src/topics/reset'],
  ['GET', '/connectors/src/offsets'],
  [
    'PATCH',
    '/connectors/src/offsets',
    { offsets: [{ partition: { filename: '/dev/null' }, offset: { position: 0 } }] },
  ],
  ['DELETE', '/connectors/src/offsets'],
  ['DELETE', '/connectors/src'],
  ['GET', '/connector-plugins'],
  ['GET', '/connector-plugins?connectorsOnly=false'],
  ['GET', '/connector-plugins/FileStreamSource/config'],
  ['PUT', '/connector-plugins/FileStreamSource/config/validate', { topic: 't', file: '/dev/null' }],
  ['GET', '/admin/loggers'],
  ['GET', '/admin/loggers/root'],
  ['PUT', '/admin/loggers/root', { level: 'INFO' }],
  ['GET', '/no/such/path'],
];

async function authenticated(w: WorkerProcess, headers: Record<string, string>): Promise<void> {
  await call(w, 'PUT', '/connectors/src/config', { body: fileSource('src', '/dev/null', 't').config, headers });
  for (const [method, path, body] of ENDPOINTS) {
    const r = await call(w, method, path, { body, headers });
    expect([method, path, r.status === 401]).toEqual([method, path, false]);
  }
}

describe('REST authentication', () => {
  let dir: string;
  let w: WorkerProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-rest-auth-'));
    writeFileSync(join(dir, 'users.properties'), `# REST users\nadmin=${USER_PASSWORD}\n`);
    w = await startWorker({
      dir,
      waitReady: false,
      worker: {
        'rest.auth.users.file': join(dir, 'users.properties'),
        'rest.auth.bearer.token': TOKEN,
        'rest.max.body.bytes': '1024',
        'log.level': 'debug',
      },
      connectors: [fileSink('sink', join(dir, 'out.txt'), 't')],
    });
    await waitFor(
      async () => {
        try {
          return (await call(w, 'GET', '/health', { headers: bearer(TOKEN) })).status === 200;
        } catch {
          return false;
        }
      },
      60_000,
      'the worker to answer',
    );
  });

  afterAll(async () => {
    await w?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("no endpoint answers without credentials: 401, a challenge, Connect's error body", async () => {
    for (const [method, path, body] of ENDPOINTS) {
      const r = await call(w, method, path, { body });
      expect([method, path, r.status]).toEqual([method, path, 401]);
      expect(r.body).toEqual({ error_code: 401, message: expect.any(String) });
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    }
  });

  it('wrong credentials: 401 on every endpoint', async () => {
    for (const headers of [
      basic('admin', 'wrong'),
      basic('nobody', USER_PASSWORD),
      bearer('wrong'),
      { authorization: 'Digest abc' },
      { authorization: TOKEN },
    ]) {
      for (const [method, path, body] of ENDPOINTS) {
        const r = await call(w, method, path, { body, headers });
        expect([method, path, r.status]).toEqual([method, path, 401]);
      }
    }
  });

  it('credentials are checked before the body is read: a huge body without them is 401, not 413', async () => {
    const r = await call(w, 'POST', '/connectors', { raw: 'x'.repeat(100_000) });
    expect(r.status).toBe(401);
  });

  it('HTTP basic from the users file opens every endpoint', async () => {
    await authenticated(w, basic('admin', USER_PASSWORD));
    const names = await call<string[]>(w, 'GET', '/connectors', { headers: basic('admin', USER_PASSWORD) });
    expect(names.body).toContain('sink');
  });

  it('the bearer token opens every endpoint', async () => {
    await authenticated(w, bearer(TOKEN));
  });

  it('neither the password nor the token appears in the logs', () => {
    const logs = w.logs();
    expect(logs).toContain('REST request');
    expect(logs).not.toContain(USER_PASSWORD);
    expect(logs).not.toContain(TOKEN);
  });
});
