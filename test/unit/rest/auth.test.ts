import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWorkerConfig } from '../../../runtime/config/worker.js';
import { parseUsersFile, restAuth } from '../../../runtime/rest/auth.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('REST auth', () => {
  it('reads user=password lines, skipping comments, keeping colons and spaces inside passwords', () => {
    const users = parseUsersFile('# admins\nalice=pa:ss word\n\n bob = x=y \n!old\nnobody\n');
    expect([...users]).toEqual([
      ['alice', 'pa:ss word'],
      ['bob', 'x=y'],
    ]);
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

  it('refuses to start with a users file that is missing or empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-auth-'));
    expect(() => restAuth(parseWorkerConfig({ 'rest.auth.users.file': join(dir, 'none') }).config)).toThrow(
      /Cannot read rest.auth.users.file/,
    );
    writeFileSync(join(dir, 'empty'), '# nobody\n');
    expect(() => restAuth(parseWorkerConfig({ 'rest.auth.users.file': join(dir, 'empty') }).config)).toThrow(
      /holds no user=password line/,
    );
  });
});
