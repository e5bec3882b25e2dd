import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Config,
  ConnectError,
  defineSourceConnector,
  key,
  type SourceTaskContext,
} from '../../../runtime/api/index.js';
import { parseWorkerConfig } from '../../../runtime/config/worker.js';
import { startRestServer } from '../../../runtime/rest/server.js';
import type { Herder } from '../../../runtime/worker/herder.js';
import { builtinRegistry } from '../../../runtime/worker/plugins.js';
import { createStandaloneHerder } from '../../../runtime/worker/standalone.js';
import { call, type StatusBody } from './support.js';

/**
 * Restart semantics need a connector with several tasks of which some fail; no built-in connector has more than
 * one task, so this suite registers a small source connector of its own (no external system involved) in an
 * in-process worker and drives it over real HTTP.
 */
const starts = new Map<number, number>();
const failing = new Set<number>();
let splitFails = false;

const multiTask = defineSourceConnector({
  name: 'multi-task-test',
  className: 'test.MultiTaskSource',
  version: '0.0.1',
  configSpec: [key('topic', 'string', 'Topic.', { default: 'multi' })],
  async taskConfigs(_config: Config, maxTasks: number) {
    if (splitFails) throw new ConnectError('cannot split the work');
    return Array.from({ length: maxTasks }, (_, i) => ({ 'task.id': String(i) }));
  },
  createTask() {
    let ctx: SourceTaskContext;
    return {
      async start(config: Config, c: SourceTaskContext) {
        ctx = c;
        const id = Number(config.raw['task.id']);
        starts.set(id, (starts.get(id) ?? 0) + 1);
        if (failing.has(id)) throw new ConnectError(`task ${id} is set to fail`);
      },
      async poll() {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 50);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve();
          });
        });
        return null;
      },
      async stop() {},
    };
  },
});

describe('REST restart of a connector with several tasks', () => {
  let herder: Herder;
  let rest: { close(): Promise<void>; port: number };
  let w: { url: string };

  const taskStates = async () =>
    (await call<StatusBody>(w, 'GET', '/connectors/multi/status')).body.tasks.map((t) => t.state);
  const startCounts = () => [0, 1, 2].map((i) => starts.get(i) ?? 0);
  async function settle(expected: string[]): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (JSON.stringify(await taskStates()) !== JSON.stringify(expected)) {
      if (Date.now() > deadline) throw new Error(`tasks not ${expected}: ${await taskStates()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    const worker = parseWorkerConfig({ listeners: 'http://127.0.0.1:0' });
    const log = pino({ level: 'silent' });
    herder = createStandaloneHerder({ worker, log, registry: builtinRegistry().register(multiTask) });
    await herder.start();
    const r = await startRestServer(herder, worker, log);
    if (!r) throw new Error('no REST endpoint');
    rest = r;
    w = { url: `http://127.0.0.1:${rest.port}` };
    failing.add(1);
    const created = await call(w, 'POST', '/connectors', {
      body: {
        name: 'multi',
        config: { 'connector.class': 'test.MultiTaskSource', 'tasks.max': '3', 'errors.retry.timeout': '1' },
      },
    });
    expect(created.status).toBe(201);
    await settle(['RUNNING', 'FAILED', 'RUNNING']);
  });

  afterAll(async () => {
    await rest?.close();
    await herder?.stop();
  });

  it('onlyFailed=true&includeTasks=true restarts the failed task only', async () => {
    expect(startCounts()).toEqual([1, 1, 1]);
    failing.clear();
    const r = await call<StatusBody>(w, 'POST', '/connectors/multi/restart?includeTasks=true&onlyFailed=true');
    expect(r.status).toBe(202);
    expect(r.body.connector.state).toBe('RUNNING');
    expect(r.body.tasks.map((t) => [t.id, t.state])).toEqual([
      [0, 'RUNNING'],
      [1, 'RESTARTING'],
      [2, 'RUNNING'],
    ]);
    await settle(['RUNNING', 'RUNNING', 'RUNNING']);
    expect(startCounts()).toEqual([1, 2, 1]);
  });

  it('onlyFailed=true with nothing failed restarts nothing', async () => {
    const r = await call<StatusBody>(w, 'POST', '/connectors/multi/restart?includeTasks=true&onlyFailed=true');
    expect(r.status).toBe(202);
    expect([r.body.connector.state, ...r.body.tasks.map((t) => t.state)]).toEqual([
      'RUNNING',
      'RUNNING',
      'RUNNING',
      'RUNNING',
    ]);
    await new Promise((r) => setTimeout(r, 300));
    expect(startCounts()).toEqual([1, 2, 1]);
  });

  it('includeTasks=true restarts the connector and every task; the plain form restarts no running task', async () => {
    const r = await call<StatusBody>(w, 'POST', '/connectors/multi/restart?includeTasks=true');
    expect(r.status).toBe(202);
    expect([r.body.connector.state, ...r.body.tasks.map((t) => t.state)]).toEqual([
      'RESTARTING',
      'RESTARTING',
      'RESTARTING',
      'RESTARTING',
    ]);
    await settle(['RUNNING', 'RUNNING', 'RUNNING']);
    expect(startCounts()).toEqual([2, 3, 2]);
    expect((await call(w, 'POST', '/connectors/multi/restart')).status).toBe(204);
    await new Promise((r) => setTimeout(r, 300));
    expect(startCounts()).toEqual([2, 3, 2]);
  });

  it('POST /tasks/{t}/restart restarts that task alone', async () => {
    expect((await call(w, 'POST', '/connectors/multi/tasks/2/restart')).status).toBe(204);
    await settle(['RUNNING', 'RUNNING', 'RUNNING']);
    expect(startCounts()).toEqual([2, 3, 3]);
  });

  it('a FAILED connector (its task split threw) is restarted by onlyFailed=true, with its tasks', async () => {
    splitFails = true;
    // A config change makes the herder split the work again, which now fails.
    expect((await call(w, 'PATCH', '/connectors/multi/config', { body: { topic: 'other' } })).status).toBe(200);
    const failed = (await call<StatusBody>(w, 'GET', '/connectors/multi/status')).body;
    expect(failed.connector.state).toBe('FAILED');
    expect(failed.connector.trace).toContain('cannot split the work');
    expect(failed.tasks).toEqual([]);
    splitFails = false;
    const r = await call<StatusBody>(w, 'POST', '/connectors/multi/restart?includeTasks=true&onlyFailed=true');
    expect(r.status).toBe(202);
    expect(r.body.connector.state).toBe('RESTARTING');
    await settle(['RUNNING', 'RUNNING', 'RUNNING']);
    expect((await call<StatusBody>(w, 'GET', '/connectors/multi/status')).body.connector.state).toBe('RUNNING');
  });
});
