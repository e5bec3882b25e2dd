import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseWorkerConfig } from '../../../runtime/config/worker.js';
import { startRestServer } from '../../../runtime/rest/server.js';
import { createStandaloneHerder } from '../../../runtime/worker/standalone.js';

/** The endpoint is up before the herder has loaded its connectors (as Connect's is): what does it answer then? */
describe('REST while the worker starts', () => {
  it('answers / and /metrics, says starting on /health, and 503 for connector requests until the herder is ready', async () => {
    const worker = parseWorkerConfig({ listeners: 'http://127.0.0.1:0' });
    const log = pino({ level: 'silent' });
    const herder = createStandaloneHerder({ worker, log });
    const rest = await startRestServer(herder, worker, log);
    if (!rest) throw new Error('no REST endpoint');
    const url = `http://127.0.0.1:${rest.port}`;
    try {
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ status: 'starting', message: expect.any(String) });
      expect((await fetch(`${url}/`)).status).toBe(200);
      expect((await fetch(`${url}/metrics`)).status).toBe(200);
      for (const [method, path] of [
        ['GET', '/connectors'],
        ['POST', '/connectors'],
        ['GET', '/connector-plugins'],
        ['GET', '/admin/loggers'],
      ]) {
        const r = await fetch(url + path, { method });
        expect([method, path, r.status]).toEqual([method, path, 503]);
        expect(await r.json()).toEqual({ error_code: 503, message: 'Worker is still starting up; try again shortly.' });
      }

      await herder.start();
      const ready = await fetch(`${url}/health`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'healthy' });
      expect(await (await fetch(`${url}/connectors`)).json()).toEqual([]);

      await herder.stop();
      const stopping = await fetch(`${url}/health`);
      expect(stopping.status).toBe(503);
      expect(await stopping.json()).toMatchObject({ status: 'unhealthy' });
    } finally {
      await rest.close();
      await herder.stop();
    }
  });
});
