import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConnectorConfig } from '../../../runtime/config/connector.js';
import {
  ConfigProviders,
  MAX_PROVIDER_FILE_BYTES,
  MAX_PROVIDER_FILES,
  reverseTransform,
  scrubJson,
  scrubSecrets,
} from '../../../runtime/config/providers/index.js';
import { parseWorkerConfig } from '../../../runtime/config/worker.js';
import { builtinRegistry } from '../../../runtime/worker/plugins.js';

const KAFKA = 'org.apache.kafka.common.config.provider.';

function declare(raw: Record<string, string>, env: NodeJS.ProcessEnv = {}): ConfigProviders {
  const { providers, issues } = ConfigProviders.declare(raw, env);
  expect(issues).toEqual([]);
  return providers;
}

/** A directory of secrets (allowed) beside one that is not. */
function secretsDirs() {
  const root = mkdtempSync(join(tmpdir(), 'sluice-providers-'));
  const allowed = join(root, 'allowed');
  const outside = join(root, 'outside');
  mkdirSync(allowed);
  mkdirSync(outside);
  writeFileSync(join(allowed, 'db.properties'), '# db\ndb.password=s3cr=t\nuser: cdc\nunicode=caf\\u00e9\n');
  writeFileSync(join(outside, 'other.properties'), 'token=outside-token-123\n');
  return { root, allowed, outside };
}

const fileProviders = (allowed: string) =>
  declare({
    'config.providers': 'file,dir',
    'config.providers.file.class': `${KAFKA}FileConfigProvider`,
    'config.providers.file.param.allowed.paths': allowed,
    'config.providers.dir.class': 'DirectoryConfigProvider',
    'config.providers.dir.param.allowed.paths': allowed,
  });

describe('config provider declarations', () => {
  it('takes Kafka class names and short names, and reports each wrong declaration by key', () => {
    const { providers, issues } = ConfigProviders.declare({
      'config.providers': 'file, env ,vault,nothing,bad name',
      'config.providers.file.class': `${KAFKA}FileConfigProvider`,
      'config.providers.env.class': 'EnvVarConfigProvider',
      'config.providers.env.param.allowlist.pattern': '(',
      'config.providers.vault.class': 'com.example.VaultConfigProvider',
    });
    expect(providers.names).toEqual(['file']);
    expect(issues.map((i) => i.key)).toEqual([
      'config.providers.env.param.allowlist.pattern',
      'config.providers.vault.class',
      'config.providers.nothing.class',
      'config.providers',
    ]);
    expect(issues[1].message).toMatch(/not a config provider sluice has/);
    expect(issues[2].message).toMatch(/has no class/);
  });

  it('wants allowed.paths absolute and existing, as KIP-993', () => {
    const { issues } = ConfigProviders.declare({
      'config.providers': 'a,b',
      'config.providers.a.class': 'FileConfigProvider',
      'config.providers.a.param.allowed.paths': 'relative/dir',
      'config.providers.b.class': 'DirectoryConfigProvider',
      'config.providers.b.param.allowed.paths': '/no/such/dir/anywhere',
    });
    expect(issues.map((i) => i.key)).toEqual([
      'config.providers.a.param.allowed.paths',
      'config.providers.b.param.allowed.paths',
    ]);
    for (const i of issues) expect(i.message).toMatch(/should be absolute and exist/);
  });

  it('resolves nothing when the worker declares no provider, and says how to declare one', () => {
    const r = ConfigProviders.NONE.resolve({ 'database.password': '${env:PGPASSWORD}', plain: 'x' });
    expect(r.values['database.password']).toBe('${env:PGPASSWORD}');
    expect(r.unresolved).toEqual(new Set(['database.password']));
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0].key).toBe('database.password');
    expect(r.issues[0].message).toMatch(
      /declares no config providers.*config\.providers\.env\.class.*EnvVarConfigProvider/,
    );
  });

  it('leaves text that is not a reference alone (templates without a provider)', () => {
    const r = ConfigProviders.NONE.resolve({ a: '${topic}-${timestamp}', b: 'outbox.event.${routedByValue}', c: '$1' });
    expect(r.issues).toEqual([]);
    expect(r.values).toEqual({ a: '${topic}-${timestamp}', b: 'outbox.event.${routedByValue}', c: '$1' });
  });
});

describe('EnvVarConfigProvider', () => {
  const env = { PG_PASSWORD: 'pg-secret-value', AWS_SECRET: 'aws-secret-value' };

  it('resolves variables and marks the keys secret', () => {
    const p = declare({ 'config.providers': 'env', 'config.providers.env.class': `${KAFKA}EnvVarConfigProvider` }, env);
    const r = p.resolve({ a: '${env:PG_PASSWORD}', b: 'pre-${env:PG_PASSWORD}-post', c: 'plain' });
    expect(r.values).toEqual({ a: 'pg-secret-value', b: 'pre-pg-secret-value-post', c: 'plain' });
    expect([...r.secretKeys].sort()).toEqual(['a', 'b']);
    expect(r.secrets).toEqual(['pg-secret-value']);
  });

  it('hands out only what allowlist.pattern finds in the name, and takes no path', () => {
    const p = declare(
      {
        'config.providers': 'env',
        'config.providers.env.class': 'EnvVarConfigProvider',
        'config.providers.env.param.allowlist.pattern': '^PG_',
      },
      env,
    );
    const r = p.resolve({
      a: '${env:PG_PASSWORD}',
      b: '${env:AWS_SECRET}',
      c: '${env:UNSET_ONE}',
      d: '${env:x:PG_PASSWORD}',
    });
    expect(r.values.a).toBe('pg-secret-value');
    const byKey = Object.fromEntries(r.issues.map((i) => [i.key, i.message]));
    expect(byKey.b).toMatch(/AWS_SECRET is not allowed by config\.providers\.env\.param\.allowlist\.pattern/);
    expect(byKey.c).toMatch(/UNSET_ONE is not set/);
    expect(byKey.d).toMatch(/a path is not supported/);
    expect(JSON.stringify(r.issues)).not.toContain('aws-secret-value');
  });
});

describe('FileConfigProvider and DirectoryConfigProvider', () => {
  it('read properties files (Java syntax) and directory files inside allowed.paths', () => {
    const { allowed } = secretsDirs();
    writeFileSync(join(allowed, 'api-key'), 'key-from-dir\n');
    const r = fileProviders(allowed).resolve({
      a: `\${file:${allowed}/db.properties:db.password}`,
      b: `\${file:${allowed}/db.properties:user}`,
      c: `\${file:${allowed}/db.properties:unicode}`,
      d: `\${dir:${allowed}:api-key}`,
    });
    expect(r.issues).toEqual([]);
    // As Kafka's DirectoryConfigProvider: the whole file, trailing newline included.
    expect(r.values).toEqual({ a: 's3cr=t', b: 'cdc', c: 'café', d: 'key-from-dir\n' });
  });

  it('refuses paths outside allowed.paths, by .. or by a symbolic link, without reading them', () => {
    const { allowed, outside } = secretsDirs();
    symlinkSync(join(outside, 'other.properties'), join(allowed, 'link.properties'));
    symlinkSync(outside, join(allowed, 'linkdir'));
    const r = fileProviders(allowed).resolve({
      dots: `\${file:${allowed}/../outside/other.properties:token}`,
      link: `\${file:${allowed}/link.properties:token}`,
      linkdir: `\${file:${allowed}/linkdir/other.properties:token}`,
      abs: `\${file:${outside}/other.properties:token}`,
      shadow: '${file:/etc/shadow:root}',
      dirlink: `\${dir:${allowed}/linkdir:other.properties}`,
      dirkey: `\${dir:${allowed}:../outside/other.properties}`,
    });
    expect(r.unresolved.size).toBe(7);
    for (const i of r.issues)
      expect(i.message).toMatch(/is outside config\.providers\.(file|dir)\.param\.allowed\.paths|has no regular file/);
    expect(JSON.stringify(r)).not.toContain('outside-token-123');
  });

  it('never reads devices, FIFOs, kernel files or huge files, and never blocks on them', () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-providers-'));
    const fifo = join(root, 'fifo');
    execFileSync('mkfifo', [fifo]);
    writeFileSync(join(root, 'huge.properties'), Buffer.alloc(MAX_PROVIDER_FILE_BYTES + 1, 0x61));
    symlinkSync('/dev/zero', join(root, 'zero-link'));
    const p = declare({ 'config.providers': 'file', 'config.providers.file.class': 'FileConfigProvider' });
    const started = Date.now();
    const r = p.resolve({
      zero: '${file:/dev/zero:x}',
      link: `\${file:${root}/zero-link:x}`,
      fifo: `\${file:${fifo}:x}`,
      environ: '${file:/proc/self/environ:PATH}',
      status: '${file:/proc/self/status:Name}',
      huge: `\${file:${root}/huge.properties:a}`,
      dir: `\${file:${root}:x}`,
      nul: '${file:/etc/hosts\u0000x:x}',
    });
    expect(Date.now() - started).toBeLessThan(2000);
    const byKey = Object.fromEntries(r.issues.map((i) => [i.key, i.message]));
    expect(Object.keys(byKey).sort()).toEqual(['dir', 'environ', 'fifo', 'huge', 'link', 'nul', 'status', 'zero']);
    expect(byKey.zero).toMatch(/not a regular file/);
    expect(byKey.link).toMatch(/not a regular file/);
    expect(byKey.fifo).toMatch(/not a regular file/);
    expect(byKey.environ).toMatch(/not a regular file/);
    expect(byKey.huge).toMatch(/larger than 1048576 bytes/);
    expect(byKey.dir).toMatch(/not a regular file|is a directory/);
    expect(byKey.nul).toMatch(/NUL/);
  });

  it(`reads at most ${MAX_PROVIDER_FILES} files for one config`, () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-providers-'));
    const raw: Record<string, string> = {};
    for (let i = 0; i <= MAX_PROVIDER_FILES; i++) {
      writeFileSync(join(root, `f${i}`), 'k=v\n');
      raw[`key${i}`] = `\${file:${join(root, `f${i}`)}:k}`;
    }
    const p = declare({ 'config.providers': 'file', 'config.providers.file.class': 'FileConfigProvider' });
    const r = p.resolve(raw);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0].message).toMatch(/at most 64 files/);
  });
});

describe('what is shown', () => {
  it('cuts resolved values out of text and hides whole values', () => {
    expect(scrubSecrets('cannot reach db-host-17:5432', ['db-host-17'])).toBe('cannot reach [hidden]:5432');
    expect(scrubSecrets('short x stays', ['x'])).toBe('short x stays');
    expect(scrubJson({ partition: { filename: '/s/f' }, n: 1 }, ['/s/f'])).toEqual({
      partition: { filename: '[hidden]' },
      n: 1,
    });
  });

  it("puts a reference back in a task config where the task holds the reference's value", () => {
    const raw = { 'database.password': '${env:P}', topic: 't', host: '${env:H}' };
    const resolved = { 'database.password': 'pw', topic: 't', host: 'h1' };
    expect(reverseTransform({ 'database.password': 'pw', topic: 't', host: 'derived-h1' }, raw, resolved)).toEqual({
      'database.password': '${env:P}',
      topic: 't',
      host: 'derived-h1',
    });
  });
});

describe('every problem in one answer', () => {
  it('a worker config with an unset variable reports it with every other problem', () => {
    let message = '';
    try {
      parseWorkerConfig({
        'config.providers': 'env,file',
        'config.providers.env.class': 'EnvVarConfigProvider',
        'rest.advertised.host.name': '${env:SLUICE_TEST_SURELY_UNSET}',
        'offset.flush.interval.ms': 'soon',
        'log.level': 'loud',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/4 problems/);
    for (const k of [
      'config.providers.file.class',
      'rest.advertised.host.name',
      'offset.flush.interval.ms',
      'log.level',
    ])
      expect(message).toContain(k);
    expect(message).toMatch(/SLUICE_TEST_SURELY_UNSET is not set/);
  });

  it('a connector config with an unresolvable reference reports every other problem too', async () => {
    const v = await validateConnectorConfig(builtinRegistry(), {
      name: 'c',
      'connector.class': 'FileStreamSource',
      file: '${env:SLUICE_TEST_SURELY_UNSET}',
      'tasks.max': 'two',
      'batch.szie': '3',
    });
    expect(v.issues.map((i) => i.key).sort()).toEqual(['batch.szie', 'file', 'tasks.max', 'topic']);
  });
});
