import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './rest-support.js';

/**
 * Hostile or broken config files given to `sluice standalone`: every problem of every file in one answer, one line
 * per problem, no stack trace, exit code 1, and nothing read without end.
 */
const dir = mkdtempSync(join(tmpdir(), 'sluice-rest-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at [^\n]*(\.ts|\.js|node:)/);

describe('sluice standalone with broken configs', () => {
  it('an unset ${env:…} is reported with every other problem, of the worker and of every connector', async () => {
    const worker = write('worker.json', {
      listeners: '',
      'config.providers': 'env',
      'config.providers.env.class': 'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
      'rest.advertised.host.name': '${env:SLUICE_TEST_UNSET_HOST}',
      'offset.flush.interval.ms': 'soon',
    });
    const a = write('a.json', {
      name: 'a',
      config: {
        'connector.class': 'FileStreamSource',
        file: join(dir, 'in.txt'),
        topic: '${env:SLUICE_TEST_UNSET_TOPIC}',
        'tasks.max': 'two',
      },
    });
    const b = write('b.json', { name: 'b', config: { 'connector.class': 'NoSuchThing' } });
    const r = await runCli(['standalone', worker, a, b, join(dir, 'missing.json'), '/dev/zero']);
    expect(r.code).toBe(1);
    for (const s of [
      'rest.advertised.host.name',
      'SLUICE_TEST_UNSET_HOST is not set',
      'offset.flush.interval.ms',
      'connector a',
      'SLUICE_TEST_UNSET_TOPIC is not set',
      'tasks.max',
      'connector b',
      'NoSuchThing',
      'missing.json',
      '/dev/zero',
    ])
      expect(r.stderr).toContain(s);
    noStack(r.stderr);
  });

  it('a worker that declares no provider refuses a reference and says how to declare one', async () => {
    const worker = write('plain-worker.json', { listeners: '' });
    const c = write('c.json', {
      name: 'c',
      config: { 'connector.class': 'FileStreamSource', file: join(dir, 'in.txt'), topic: '${env:HOME}' },
    });
    const r = await runCli(['standalone', worker, c]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/declares no config providers; add "env" to config\.providers/);
    expect(r.stderr).not.toContain(process.env.HOME ?? '/root');
  });

  // (Connector files of the kind are in the first case; huge files and FIFOs in the unit tests of the same reader.)
  it('a worker file that is a device is one line, at once', async () => {
    const r = await runCli(['standalone', '/dev/zero']);
    expect(r.code).toBe(1);
    // `sluice: invalid configuration:`, then one line per problem
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/Cannot read worker config: \/dev\/zero is not a regular file/);
  });

  it('an empty, malformed or missing rest.auth.users.file is one line and exit code 1, no stack trace', async () => {
    const cases: Array<[string, RegExp]> = [
      [write('empty-users', ''), /holds no user=password line/],
      [write('bad-users', 'alice=s3cret-pw\nthis is not a user line\n'), /line 2 is not user=password/],
    ];
    for (const [file, why] of cases) {
      const worker = write('auth-worker.json', { listeners: 'http://127.0.0.1:0', 'rest.auth.users.file': file });
      const r = await runCli(['standalone', worker]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).not.toContain('s3cret');
      noStack(r.stderr);
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    }
  });
});
