import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../harness/ports.js';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { call, fileSource, type StatusBody } from './support.js';

interface ConfigInfosBody {
  name: string;
  error_count: number;
  groups: string[];
  configs: Array<{
    definition: Record<string, unknown> & { name: string };
    value: { name: string; value: string | null; recommended_values: string[]; errors: string[]; visible: boolean };
  }>;
}

const SECRET = 'Pg-Secret-5e1f-0a9b';

describe('REST /connector-plugins and /admin/loggers', () => {
  let dir: string;
  let w: WorkerProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-rest-plugins-'));
    w = await startWorker({ dir, worker: { 'offset.storage.file.filename': join(dir, 'offsets.json') } });
  });

  afterAll(async () => {
    await w?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET /connector-plugins lists connectors only by default: {class, type, version}', async () => {
    const r = await call<Array<{ class: string; type: string; version: string }>>(w, 'GET', '/connector-plugins');
    expect(r.status).toBe(200);
    expect(new Set(r.body.map((p) => p.type))).toEqual(new Set(['source', 'sink']));
    expect(r.body).toContainEqual({
      class: 'io.sluice.connectors.file.FileStreamSource',
      type: 'source',
      version: expect.any(String),
    });
    expect(r.body).toContainEqual({
      class: 'io.sluice.connectors.file.FileStreamSink',
      type: 'sink',
      version: expect.any(String),
    });
    for (const p of r.body) expect(Object.keys(p).sort()).toEqual(['class', 'type', 'version']);
    const classes = r.body.map((p) => p.class);
    expect(classes).toEqual([...classes].sort());
    const same = await call(w, 'GET', '/connector-plugins?connectorsOnly=true');
    expect(same.body).toEqual(r.body);
  });

  it('GET /connector-plugins?connectorsOnly=false adds transformations, predicates and converters', async () => {
    const r = await call<Array<{ class: string; type: string }>>(w, 'GET', '/connector-plugins?connectorsOnly=false');
    const types = new Set(r.body.map((p) => p.type));
    for (const t of ['source', 'sink', 'transformation', 'predicate', 'converter', 'header_converter'])
      expect(types).toContain(t);
    expect(r.body).toContainEqual(
      expect.objectContaining({ class: 'org.apache.kafka.connect.json.JsonConverter', type: 'converter' }),
    );
  });

  it('GET /connector-plugins/{plugin}/config describes its keys, by class name or alias; unknown is 404', async () => {
    const r = await call<Array<Record<string, unknown>>>(w, 'GET', '/connector-plugins/FileStreamSource/config');
    expect(r.status).toBe(200);
    expect(r.body.find((k) => k.name === 'file')).toEqual({
      name: 'file',
      type: 'STRING',
      required: true,
      default_value: null,
      importance: 'HIGH',
      documentation: 'The file to read.',
      group: null,
      width: 'NONE',
      display_name: 'file',
      dependents: [],
      order: 1,
    });
    const byClass = await call(w, 'GET', '/connector-plugins/io.sluice.connectors.file.FileStreamSource/config');
    expect(byClass.body).toEqual(r.body);
    const unknown = await call(w, 'GET', '/connector-plugins/NoSuchPlugin/config');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error_code: 404, message: 'Unknown plugin NoSuchPlugin.' });
  });

  it('PUT …/config/validate answers ConfigInfos: no errors for a good config', async () => {
    const r = await call<ConfigInfosBody>(w, 'PUT', '/connector-plugins/FileStreamSource/config/validate', {
      body: { name: 'v', file: '/tmp/x', topic: 't' },
    });
    expect(r.status).toBe(200);
    expect(r.body.name).toBe('io.sluice.connectors.file.FileStreamSource');
    expect(r.body.error_count).toBe(0);
    expect(r.body.groups).toContain('Common');
    const file = r.body.configs.find((c) => c.definition.name === 'file');
    expect(file?.value).toEqual({ name: 'file', value: '/tmp/x', recommended_values: [], errors: [], visible: true });
    for (const c of r.body.configs) {
      expect(Object.keys(c.definition).sort()).toEqual([
        'default_value',
        'dependents',
        'display_name',
        'documentation',
        'group',
        'importance',
        'name',
        'order',
        'required',
        'type',
        'width',
      ]);
    }
  });

  it('PUT …/config/validate lists errors per key', async () => {
    const r = await call<ConfigInfosBody>(w, 'PUT', '/connector-plugins/FileStreamSource/config/validate', {
      body: {
        name: 'v',
        'tasks.max': 'zero',
        'batch.size': '0',
        transforms: 'x',
        'transforms.x.type': 'NoSuchTransform',
      },
    });
    expect(r.status).toBe(200);
    const errors = Object.fromEntries(
      r.body.configs.filter((c) => c.value.errors.length).map((c) => [c.definition.name, c.value.errors]),
    );
    expect(Object.keys(errors).sort()).toEqual(['batch.size', 'file', 'tasks.max', 'topic', 'transforms.x.type']);
    expect(r.body.error_count).toBe(5);
    expect(errors.file).toEqual(['Missing required configuration "file" which has no default value.']);
  });

  it('PUT …/config/validate: 400 when connector.class names another plugin; 404 for an unknown plugin', async () => {
    const mismatch = await call(w, 'PUT', '/connector-plugins/FileStreamSource/config/validate', {
      body: { 'connector.class': 'FileStreamSink' },
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toEqual({
      error_code: 400,
      message: 'Included connector type FileStreamSink does not match request type FileStreamSource',
    });
    const alias = await call<ConfigInfosBody>(w, 'PUT', '/connector-plugins/FileStreamSource/config/validate', {
      body: {
        'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
        name: 'v',
        file: 'f',
        topic: 't',
      },
    });
    expect(alias.status).toBe(200);
    expect(alias.body.error_count).toBe(0);
    const unknown = await call(w, 'PUT', '/connector-plugins/NoSuchPlugin/config/validate', { body: {} });
    expect(unknown.status).toBe(404);
  });

  it("every plugin lookup accepts Connect's aliases: simple class name, and without its type suffix", async () => {
    for (const name of ['FileStreamSinkConnector', 'FileStreamSink']) {
      const r = await call<ConfigInfosBody>(w, 'PUT', `/connector-plugins/${name}/config/validate`, {
        body: { 'connector.class': name, name: 'v', file: 'f', topics: 't' },
      });
      expect(r.status).toBe(200);
      expect(r.body.name).toBe('io.sluice.connectors.file.FileStreamSink');
      expect(r.body.error_count).toBe(0);
    }
    for (const name of ['PostgresConnector', 'Postgres']) {
      const r = await call<ConfigInfosBody>(w, 'PUT', `/connector-plugins/${name}/config/validate`, {
        body: { 'connector.class': 'io.debezium.connector.postgresql.PostgresConnector' },
      });
      expect(r.status).toBe(200);
      expect(r.body.name).toBe('io.sluice.connectors.postgres.PostgresSource');
      const config = await call<unknown[]>(w, 'GET', `/connector-plugins/${name}/config`);
      expect(config.status).toBe(200);
      expect(config.body.length).toBeGreaterThan(10);
    }
    expect((await call(w, 'GET', '/connector-plugins/Json/config')).status).toBe(200);
  });

  it('passwords never appear: validation shows [hidden], status traces and task configs mask them, logs lack them', async () => {
    const port = await freePort();
    const config = {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'database.hostname': '127.0.0.1',
      'database.port': String(port),
      'database.user': 'nobody',
      'database.password': SECRET,
      'database.dbname': 'nothing',
      'topic.prefix': 'p',
      'errors.retry.timeout': '1',
      'snapshot.mode': 'sometimes',
    };
    const v = await call<ConfigInfosBody>(w, 'PUT', '/connector-plugins/postgres/config/validate', {
      body: { ...config, name: 'pg' },
    });
    expect(v.status).toBe(200);
    expect(v.body.configs.find((c) => c.definition.name === 'database.password')?.value.value).toBe('[hidden]');
    expect(v.text).not.toContain(SECRET);
    const bad = await call(w, 'POST', '/connectors', { body: { name: 'pg', config } });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain(SECRET);

    const { 'snapshot.mode': _, ...good } = config;
    expect((await call(w, 'POST', '/connectors', { body: { name: 'pg', config: good } })).status).toBe(201);
    const failed = await waitFor(
      async () => {
        const s = (await call<StatusBody>(w, 'GET', '/connectors/pg/status')).body;
        return s.tasks[0]?.state === 'FAILED' ? s : undefined;
      },
      60_000,
      'the pg task to fail on the closed port',
    );
    expect(failed.tasks[0].trace).toBeTruthy();
    const tasks = await call(w, 'GET', '/connectors/pg/tasks');
    expect(tasks.text).not.toContain(SECRET);
    expect(tasks.text).toContain('[hidden]');
    for (const path of ['/connectors/pg/status', '/connectors?expand=status', '/metrics']) {
      expect((await call(w, 'GET', path)).text).not.toContain(SECRET);
    }
    expect(w.logs()).not.toContain(SECRET);

    // A secret a failure message happens to quote is cut out of the trace.
    const leaky = await call(w, 'POST', '/connectors', {
      body: {
        name: 'leaky',
        config: {
          ...fileSource('leaky', `/nonexistent/${SECRET}/in.txt`, 't').config,
          'errors.retry.timeout': '1',
          'api.token': SECRET,
        },
      },
    });
    expect(leaky.status).toBe(201);
    const st = await waitFor(
      async () => {
        const s = (await call<StatusBody>(w, 'GET', '/connectors/leaky/status')).body;
        return s.tasks[0]?.state === 'FAILED' ? s : undefined;
      },
      30_000,
      'leaky to fail',
    );
    expect(st.tasks[0].trace).toContain('/nonexistent/[hidden]/in.txt');
    expect(JSON.stringify(st)).not.toContain(SECRET);
  });

  it('GET /admin/loggers lists root and per-connector loggers with levels', async () => {
    const r = await call<Record<string, { level: string; last_modified: number | null }>>(w, 'GET', '/admin/loggers');
    expect(r.status).toBe(200);
    expect(r.body.root).toEqual({ level: 'INFO', last_modified: null });
    expect(r.body['connector.pg']).toEqual({ level: 'INFO', last_modified: null });
    expect(r.body['connector.pg.task.0']).toBeDefined();
  });

  it('PUT /admin/loggers/{name} sets the level of a logger and its children; GET shows it; bad level is 400', async () => {
    const before = Date.now();
    const r = await call<string[]>(w, 'PUT', '/admin/loggers/connector.pg', { body: { level: 'debug' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual(['connector.pg', 'connector.pg.task.0']);
    const one = await call<{ level: string; last_modified: number }>(w, 'GET', '/admin/loggers/connector.pg.task.0');
    expect(one.body.level).toBe('DEBUG');
    expect(one.body.last_modified).toBeGreaterThanOrEqual(before);
    expect((await call<{ level: string }>(w, 'GET', '/admin/loggers/root')).body.level).toBe('INFO');

    const cluster = await call(w, 'PUT', '/admin/loggers/connector.leaky?scope=cluster', { body: { level: 'WARN' } });
    expect(cluster.status).toBe(204);
    expect((await call<{ level: string }>(w, 'GET', '/admin/loggers/connector.leaky')).body.level).toBe('WARN');

    const bad = await call(w, 'PUT', '/admin/loggers/root', { body: { level: 'LOUD' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error_code: 400, message: "Invalid log level 'LOUD'." });
    const missing = await call(w, 'PUT', '/admin/loggers/root', { body: {} });
    expect(missing.status).toBe(400);
    const unknown = await call(w, 'GET', '/admin/loggers/no.such.logger');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error_code: 404, message: 'Logger no.such.logger not found.' });
  });
});
