import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWorkerConfig } from '../../../runtime/config/worker.js';
import { parseUsersFile } from '../../../runtime/config/users-file.js';
import { restAuth } from '../../../runtime/rest/auth.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('REST auth', () => {
  it('reads user=password lines, skipping comments, keeping colons and spaces inside passwords', () => {
    const { users, malformed } = parseUsersFile('# admins\nalice=pa:ss word\n\n bob = x=y \n!old\nnobody\ncarol=\n');
    expect([...users]).toEqual([
      ['alice', 'pa:ss word'],
      ['bob', 'x=y'],
    ]);
    expect(malformed).toEqual([6, 7]);
  });

  it('is off without a users file or token', () => {
    expect(restAuth(parseWorkerConfig({}).config)).toBeUndefined();
  });

  it('accepts HTTP basic credentials from the users file and refuses everything else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-auth-'));
    const file = join(dir, 'users.properties');
    writeFileSync(file, 'alice=wonder:land\n');
    const auth = restAuth(parseWorkerConfig({ 'rest.auth.users.file': file }).config);
    expect(auth?.check(basic('alice', 'wonder:land'))).toBe(true);
    expect(auth?.check(basic('alice', 'wonder'))).toBe(false);
    expect(auth?.check(basic('mallory', 'wonder:land'))).toBe(false);
    expect(auth?.check(undefined)).toBe(false);
    expect(auth?.check('Bearer wonder:land')).toBe(false);
    expect(auth?.challenge).toMatch(/^Basic /);
    // a user added later is seen without a restart
    writeFileSync(file, 'alice=wonder:land\ncarol=c4rol-and-more\n');
    expect(auth?.check(basic('carol', 'c4rol-and-more'))).toBe(true);
  });

  it('accepts the bearer token', () => {
    const auth = restAuth(parseWorkerConfig({ 'rest.auth.bearer.token': 't0ken' }).config);
    expect(auth?.check('Bearer t0ken')).toBe(true);
    expect(auth?.check('bearer t0ken')).toBe(true);
    expect(auth?.check('Bearer t0ken2')).toBe(false);
    expect(auth?.check(basic('x', 't0ken'))).toBe(false);
  });

  it('refuses a worker config whose users file is missing, empty, malformed or not a file: one line each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-auth-'));
    writeFileSync(join(dir, 'empty'), '# nobody\n');
    writeFileSync(join(dir, 'blank'), '');
    writeFileSync(join(dir, 'malformed'), 'alice=s3cret-pw\njust some words\n');
    const problem = (file: string) => {
      try {
        parseWorkerConfig({ 'rest.auth.users.file': file });
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(problem(join(dir, 'none'))).toMatch(/rest\.auth\.users\.file: .*none does not exist$/);
    expect(problem(join(dir, 'empty'))).toMatch(/holds no user=password line$/);
    expect(problem(join(dir, 'blank'))).toMatch(/holds no user=password line$/);
    expect(problem(join(dir, 'malformed'))).toMatch(/line 2 is not user=password$/);
    expect(problem('/dev/zero')).toMatch(/is not a regular file/);
    expect(problem(dir)).toMatch(/not a regular file|is a directory/);
    for (const f of ['none', 'empty', 'blank', 'malformed'])
      expect(problem(join(dir, f))).not.toMatch(/\n|s3cret|words/);
  });
});
