import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerProcess, waitFor } from '../harness/worker.js';
import { type Answer, call, lines } from '../integration/rest/support.js';
import { leaked, type Playground, playground, rssBytes } from './rest-support.js';

/**
 * Issue #21 points 2 and 3 against a real worker process: config provider references that would read without end
 * (/dev/zero, a FIFO, /proc, a huge file), that reach outside allowed.paths (`..`, symbolic links), and values
 * resolved from providers, which no REST answer may show whatever the key.
 */
describe('config providers over REST', () => {
  let pg: Playground;
  let w: WorkerProcess;
  const answers: Answer[] = [];
  /** every answer is kept and searched for secrets at the end */
  const req = async <T = unknown>(method: string, path: string, body?: unknown) => {
    const a = await call<T>(w, method, path, body === undefined ? {} : { body });
    answers.push(a as Answer);
    return a;
  };

  beforeAll(async () => {
    pg = playground('sluice-rest-providers-');
    w = await startWorker({
      dir: pg.dir,
      cwd: pg.dir,
      env: pg.env,
      worker: {
        ...pg.workerProviders,
        'offset.storage.file.filename': join(pg.dir, 'offsets.json'),
        'offset.flush.interval.ms': '200',
      },
    });
  });

  afterAll(async () => {
    await w?.stop();
    for (const a of answers) {
      const found = leaked(a.text + JSON.stringify([...a.headers]), pg.tokens);
      expect(found, a.text.slice(0, 300)).toEqual([]);
    }
    rmSync(pg.dir, { recursive: true, force: true });
  });

  it('never reads without end: /dev/zero, a FIFO, /proc and a huge file are refused at once, /health answers', async () => {
    // `any` has no allowed.paths: nothing but the reading rules stands between these and the worker.
    const hostile = [
      '${any:/dev/zero:x}',
      `\${any:${pg.allowed}/zero:x}`,
      `\${any:${pg.allowed}/fifo:x}`,
      `\${any:${pg.allowed}/huge.properties:password}`,
      '${any:/proc/self/environ:SLUICE_FUZZ_HIDDEN}',
      '${any:/proc/self/status:Name}',
    ];
    let probing = true;
    let slowest = 0;
    let unhealthy = 0;
    const probe = (async () => {
      while (probing) {
        const t = Date.now();
        const r = await fetch(`${w.url}/health`);
        await r.text();
        if (r.status !== 200) unhealthy++;
        slowest = Math.max(slowest, Date.now() - t);
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    try {
      for (const ref of hostile) {
        const config = {
          name: 'zero',
          'connector.class': 'FileStreamSource',
          file: join(pg.dir, 'in.txt'),
          topic: ref,
        };
        const started = Date.now();
        const v = await req<{ error_count: number; configs: Array<{ value: { name: string; errors: string[] } }> }>(
          'PUT',
          '/connector-plugins/FileStreamSource/config/validate',
          config,
        );
        expect(v.status).toBe(200);
        expect(v.body.error_count).toBe(1);
        const errors = v.body.configs.find((c) => c.value.name === 'topic')?.value.errors ?? [];
        expect(errors.join(' ')).toMatch(/not a regular file|larger than 1048576 bytes|kernel/);
        const post = await req<{ message: string }>('POST', '/connectors', { name: 'zero', config });
        expect(post.status).toBe(400);
        expect(post.body.message).toMatch(/topic: /);
        const put = await req('PUT', '/connectors/zero/config', config);
        expect(put.status).toBe(400);
        expect(Date.now() - started).toBeLessThan(5000);
      }
    } finally {
      probing = false;
      await probe;
    }
    expect(unhealthy).toBe(0);
    expect(slowest).toBeLessThan(1000);
    expect(rssBytes(w.proc.pid as number)).toBeLessThan(400 * 1024 * 1024);
    expect((await req('GET', '/connectors')).body).toEqual([]);
  });

  it('refuses paths outside allowed.paths, by .. or by a symbolic link, and providers the worker does not declare', async () => {
    const cases: Array<[string, RegExp]> = [
      ['${file:/etc/shadow:root}', /is outside config\.providers\.file\.param\.allowed\.paths/],
      [`\${file:${pg.allowed}/../outside/other.properties:token}`, /is outside/],
      [`\${file:${pg.allowed}/escape.properties:token}`, /is outside/],
      [`\${file:${pg.allowed}/escape-dir/other.properties:token}`, /is outside/],
      [`\${dir:${pg.allowed}/escape-dir:other.properties}`, /is outside/],
      ['${env:SLUICE_FUZZ_HIDDEN}', /not allowed by config\.providers\.env\.param\.allowlist\.pattern/],
      [
        '${vault:secret/db:password}',
        /config provider "vault" is not declared \(this worker declares file, dir, env, any\)/,
      ],
    ];
    for (const [ref, why] of cases) {
      const r = await req<{ message: string }>('POST', '/connectors', {
        name: 'outside',
        config: { 'connector.class': 'FileStreamSource', file: join(pg.dir, 'in.txt'), topic: ref },
      });
      expect(r.status, ref).toBe(400);
      expect(r.body.message, ref).toMatch(why);
    }
  });

  it('reports an unresolvable reference together with every other problem of the config', async () => {
    const r = await req<{ message: string }>('POST', '/connectors', {
      name: 'many',
      config: {
        'connector.class': 'FileStreamSource',
        file: '${env:NOT_SET_ANYWHERE}',
        'tasks.max': 'two',
        'batch.szie': '5',
        'errors.tolerance': 'sometimes',
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/contains the following 5 error\(s\)/);
    for (const k of ['file:', 'tasks.max:', 'batch.szie:', 'errors.tolerance:', 'topic:'])
      expect(r.body.message).toContain(k);
  });

  it('never shows a value resolved from a provider: not in topics, tasks, status, offsets or errors', async () => {
    const sinkFile = join(pg.dir, 'out', 'sink.txt');
    const sink = await req('POST', '/connectors', {
      name: 'sink',
      config: {
        'connector.class': 'FileStreamSink',
        file: sinkFile,
        'topics.regex': '.*',
        'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      },
    });
    expect(sink.status).toBe(201);
    // The topic is a secret read from a file: an ordinary key, as the issue's `${file:/etc/shadow:root}`.
    const topicRef = `\${file:${pg.allowed}/db.properties:topic}`;
    const src = await req('POST', '/connectors', {
      name: 'src',
      config: {
        'connector.class': 'FileStreamSource',
        file: join(pg.dir, 'in.txt'),
        topic: topicRef,
        'poll.interval.ms': '100',
      },
    });
    expect(src.status).toBe(201);
    await waitFor(() => lines(sinkFile).length === 3, 30_000, 'the three lines in the sink');

    const topics = await req<Record<string, { topics: string[] }>>('GET', '/connectors/src/topics');
    expect(topics.body.src.topics).toEqual(['[hidden]']);
    const tasks = await req<Array<{ config: Record<string, string> }>>('GET', '/connectors/src/tasks');
    expect(tasks.body[0].config.topic).toBe(topicRef);
    const config = await req<Record<string, string>>('GET', '/connectors/src/config');
    expect(config.body.topic).toBe(topicRef);
    const sinkTopics = await req<Record<string, { topics: string[] }>>('GET', '/connectors/sink/topics');
    // The sink's config names no provider, but the topic it read is the source's resolved value: hidden there too,
    // and still once the source is gone.
    expect(sinkTopics.status).toBe(200);
    expect(JSON.stringify(sinkTopics.body)).not.toContain(pg.tokens.topic);
    for (const path of ['/connectors?expand=status&expand=info', '/connectors/src/status', '/connectors/src/offsets'])
      expect((await req('GET', path)).status).toBe(200);

    // A file name that is a secret: the task fails opening it; its trace and every answer keep the secret out.
    const bad = await req('POST', '/connectors', {
      name: 'secret-file',
      config: {
        'connector.class': 'FileStreamSource',
        file: `${pg.dir}/in.txt/\${file:${pg.allowed}/db.properties:password}/x`,
        topic: `\${dir:${pg.allowed}:api-key}`,
      },
    });
    expect(bad.status).toBe(201);
    const failed = await waitFor(
      async () => {
        const s = await req<{ tasks: Array<{ state: string; trace?: string }> }>(
          'GET',
          '/connectors/secret-file/status',
        );
        return s.body.tasks[0]?.trace ? s.body.tasks[0] : undefined;
      },
      30_000,
      'a trace on the task',
    );
    expect(failed.trace).toContain('in.txt/[hidden]/x');
    expect(failed.trace).toMatch(
      /The task stays FAILED until it is restarted: fix the cause, then POST \/connectors\/secret-file\/tasks\/0\/restart/,
    );
    expect((await req('GET', '/connectors/secret-file/tasks')).status).toBe(200);
    expect((await req('POST', '/connectors/secret-file/restart?includeTasks=true')).status).toBe(202);
    expect((await req('DELETE', '/connectors/src')).status).toBe(204);
    const after = await req<Record<string, { topics: string[] }>>('GET', '/connectors/sink/topics');
    expect(JSON.stringify(after.body)).not.toContain(pg.tokens.topic);
    for (const name of ['sink', 'secret-file']) expect((await req('DELETE', `/connectors/${name}`)).status).toBe(204);
  });

  it('validation quotes no resolved value, even where a connector quotes what it could not reach', async () => {
    const r = await req<{ error_count: number }>(
      'PUT',
      '/connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config/validate',
      {
        'database.hostname': `\${file:${pg.allowed}/db.properties:password}.invalid`,
        'database.port': '1',
        'database.user': `\${dir:${pg.allowed}:api-key}`,
        'database.password': '${env:SLUICE_FUZZ_ALLOWED}',
        'database.dbname': 'x',
        'topic.prefix': 'p',
      },
    );
    expect(r.status).toBe(200);
    expect(r.body.error_count).toBeGreaterThan(0);
  });

  it('caps connector names as it documents: 255 characters', async () => {
    const config = { 'connector.class': 'FileStreamSource', file: join(pg.dir, 'in.txt'), topic: 't' };
    const long = await req<{ message: string }>('POST', '/connectors', { name: 'n'.repeat(100_000), config });
    expect(long.status).toBe(400);
    expect(long.body.message).toMatch(/at most 255/);
    const justRight = 'n'.repeat(255);
    expect((await req('PUT', `/connectors/${justRight}/config`, config)).status).toBe(201);
    expect((await req('PUT', `/connectors/${justRight}x/config`, config)).status).toBe(400);
    expect((await req('DELETE', `/connectors/${justRight}`)).status).toBe(204);
  });
});
