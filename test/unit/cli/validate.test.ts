import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../runtime/cli/program.js';

/** `sluice validate` and `sluice plugins`: offline, so no worker; the messages are compared with REST's elsewhere. */

const dir = mkdtempSync(join(tmpdir(), 'sluice-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

async function sluice(...args: string[]): Promise<{ code: number | undefined; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env: {},
  });
  return { code, out, err };
}

const pgSource = {
  name: 'inventory',
  config: {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'database.hostname': 'db.internal',
    'database.port': '5432',
    'database.user': 'cdc',
    'database.password': '${env:SLUICE_VALIDATE_TEST_PASSWORD}',
    'database.dbname': 'inventory',
    'topic.prefix': 'pg',
  },
};

describe('sluice validate', () => {
  it('a valid connector: one line, exit 0; a reference it cannot resolve without the worker config is named', async () => {
    const path = file('pg.json', pgSource);
    expect(await sluice('validate', path)).toEqual({
      code: 0,
      out:
        `${path}: connector inventory (io.sluice.connectors.postgres.PostgresSource): valid\n` +
        '  not checked: database.password (${…} references; give the worker config too, to resolve them here)\n',
      err: '',
    });
  });

  it('every problem of a connector, one line each as REST words them, and exit 1', async () => {
    const path = file('bad.json', {
      name: 'bad',
      config: { ...pgSource.config, 'database.port': 'abc', 'databse.user': 'x', 'snapshot.mode': 'sometimes' },
    });
    const r = await sluice('validate', path);
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe(`${path}: connector bad (io.sluice.connectors.postgres.PostgresSource): 3 errors`);
    expect(lines).toContain('  database.port: Invalid value "abc" for configuration database.port: not a whole number');
    expect(lines.some((l) => l.startsWith('  databse.user: ') && l.includes('database.user'))).toBe(true);
    expect(lines.some((l) => l.startsWith('  snapshot.mode: '))).toBe(true);
  });

  it('with the worker config: it is checked too, and its providers resolve references from this environment', async () => {
    const worker = file('worker.json', {
      'config.providers': 'env',
      'config.providers.env.class': 'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
      'offset.flush.interval.ms': '10000',
    });
    const pg = file('pg.json', pgSource);
    const unset = await sluice('validate', worker, pg);
    expect(unset.code).toBe(1);
    expect(unset.out).toContain(`${worker}: worker config: valid\n`);
    expect(unset.out).toMatch(/ {2}database\.password: \$\{env:SLUICE_VALIDATE_TEST_PASSWORD\}: .*not set/);
    process.env.SLUICE_VALIDATE_TEST_PASSWORD = 'secret-value';
    try {
      const set = await sluice('validate', worker, pg);
      expect(set.code).toBe(0);
      expect(set.out).not.toContain('secret-value');
    } finally {
      delete process.env.SLUICE_VALIDATE_TEST_PASSWORD;
    }
    const badWorker = file('bad-worker.json', { 'offset.flush.interval.ms': 'soon', listners: 'http://x:1' });
    const r = await sluice('validate', badWorker);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^${badWorker}: worker config: 2 errors\\n`));
    expect(r.out).toMatch(/^ {2}listners: .*listeners/m);
  });

  it('flat JSON and .properties connectors; a file that is not a config is one line, exit 1', async () => {
    const flat = file('flat.json', { name: 'flat', ...pgSource.config, 'database.password': 'x' });
    const props = file(
      'sink.properties',
      'name=to-file\nconnector.class=FileStreamSink\ntopics=t\nfile=/tmp/out.txt\n',
    );
    const r = await sluice('validate', flat, props);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('connector flat (io.sluice.connectors.postgres.PostgresSource): valid');
    expect(r.out).toContain('connector to-file (io.sluice.connectors.file.FileStreamSink): valid');
    const broken = file('broken.json', '{"name": "x", ');
    const b = await sluice('validate', broken);
    expect(b.code).toBe(1);
    expect(b.out).toMatch(/^.*broken\.json: connector \(no name\): 1 error\n {2}.*is not valid JSON/);
    const missing = await sluice('validate', join(dir, 'nope.json'));
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/nope\.json.*: 1 error\n {2}Cannot read config file/);
  });

  it('--output json: a report per file', async () => {
    const r = await sluice('validate', file('pg.json', pgSource), '--output', 'json');
    expect(JSON.parse(r.out)).toEqual([
      {
        file: join(dir, 'pg.json'),
        kind: 'connector',
        name: 'inventory',
        class: 'io.sluice.connectors.postgres.PostgresSource',
        valid: true,
        errors: [],
        unchecked: ['database.password'],
      },
    ]);
  });
});

describe('sluice plugins', () => {
  it('lists every plugin with its class name and aliases; --type filters; --output json', async () => {
    const all = await sluice('plugins');
    expect(all.code).toBe(0);
    expect(all.out.split('\n')[0].split(/\s+/)).toEqual(['TYPE', 'NAME', 'CLASS', 'ALIASES']);
    expect(all.out).toMatch(
      /^source\s+postgres\s+io\.sluice\.connectors\.postgres\.PostgresSource\s+.*io\.debezium\.connector\.postgresql\.PostgresConnector/m,
    );
    expect(all.out).toMatch(/^transform\s+/m);
    expect(all.out).toMatch(/^converter\s+/m);
    const sinks = await sluice('plugins', '--type', 'sink', '-o', 'json');
    const list = JSON.parse(sinks.out) as Array<{ type: string; class: string; aliases: string[] }>;
    expect(new Set(list.map((p) => p.type))).toEqual(new Set(['sink']));
    expect(list.find((p) => p.class === 'io.sluice.connectors.file.FileStreamSink')?.aliases).toContain(
      'org.apache.kafka.connect.file.FileStreamSinkConnector',
    );
    expect(await sluice('plugins', '--type', 'sinks')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/--type must be one of/),
    });
  });
});
