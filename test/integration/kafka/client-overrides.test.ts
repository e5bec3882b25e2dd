import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWorkerConfig } from '../../../runtime/config/worker.js';
import { startRestServer } from '../../../runtime/rest/server.js';
import type { Herder } from '../../../runtime/worker/herder.js';
import { createStandaloneHerder } from '../../../runtime/worker/standalone.js';
import { call } from '../rest/support.js';

/**
 * connector.client.config.override.policy over real HTTP (KIP-458): a connector whose client overrides the worker's
 * policy forbids is refused with Connect's 400 and message; validate shows the error on the prefixed key. The
 * check does not need a broker (Connect validates overrides whatever the deployment), so none is started.
 */

const dir = mkdtempSync(join(tmpdir(), 'sluice-overrides-'));
let herder: Herder;
let rest: { close(): Promise<void>; port: number };
let w: { url: string };

beforeAll(async () => {
  const worker = parseWorkerConfig({
    listeners: 'http://127.0.0.1:0',
    'connector.client.config.override.policy': 'Principal',
  });
  const log = pino({ level: 'silent' });
  herder = createStandaloneHerder({ worker, log });
  await herder.start();
  const r = await startRestServer(herder, worker, log);
  if (!r) throw new Error('no REST endpoint');
  rest = r;
  w = { url: `http://127.0.0.1:${rest.port}` };
});

afterAll(async () => {
  await rest?.close();
  await herder?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const source = (extra: Record<string, string>) => ({
  'connector.class': 'FileStreamSource',
  file: join(dir, 'in.txt'),
  topic: 't',
  ...extra,
});

describe('connector.client.config.override.policy=Principal', () => {
  it('refuses a producer override the policy forbids with 400 in Connect’s error shape', async () => {
    const r = await call<{ error_code: number; message: string }>(w, 'POST', '/connectors', {
      body: { name: 'too-much', config: source({ 'producer.override.linger.ms': '100' }) },
    });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      error_code: 400,
      message:
        'Connector configuration is invalid and contains the following 1 error(s):\n' +
        "producer.override.linger.ms: The 'Principal' policy does not allow 'linger.ms' to be overridden in the connector configuration.\n" +
        'You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`',
    });
    expect((await call(w, 'GET', '/connectors/too-much')).status).toBe(404);
  });

  it('accepts the principal keys, and ignores overrides of a client the connector does not have', async () => {
    const r = await call(w, 'POST', '/connectors', {
      body: {
        name: 'principal-only',
        config: source({
          'producer.override.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required;',
          // a source has no consumer: Connect does not check (nor use) this
          'consumer.override.fetch.min.bytes': '5',
        }),
      },
    });
    expect(r.status).toBe(201);
  });

  it('a sink may not move to another group; a sink with a DLQ is checked for producer and admin overrides too', async () => {
    const sink = {
      name: 'moved',
      'connector.class': 'FileStreamSink',
      file: join(dir, 'out.txt'),
      topics: 't',
      'consumer.override.group.id': 'elsewhere',
      'admin.override.request.timeout.ms': '1000',
    };
    const without = await call<{ message: string }>(w, 'PUT', '/connector-plugins/FileStreamSink/config/validate', {
      body: sink,
    });
    expect(without.status).toBe(200);
    const errorsOf = (body: unknown) =>
      (body as { configs: Array<{ value: { name: string; errors: string[] } }> }).configs
        .filter((c) => c.value.errors.length > 0)
        .map((c) => c.value.name);
    expect(errorsOf(without.body)).toEqual(['consumer.override.group.id']);

    const withDlq = await call<{ error_count: number }>(w, 'PUT', '/connector-plugins/FileStreamSink/config/validate', {
      body: { ...sink, 'errors.deadletterqueue.topic.name': 'dlq' },
    });
    expect(withDlq.body.error_count).toBe(2);
    expect(errorsOf(withDlq.body).sort()).toEqual(['admin.override.request.timeout.ms', 'consumer.override.group.id']);

    const created = await call(w, 'POST', '/connectors', { body: { name: 'moved', config: sink } });
    expect(created.status).toBe(400);
  });
});
