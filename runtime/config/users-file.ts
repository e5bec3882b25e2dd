import { ProviderError, ReadBudget, readRegularFile, realPath } from './providers/read-file.js';

/**
 * `rest.auth.users.file`: `user=password` lines, as the properties file of Connect's JAAS PropertyFileLoginModule;
 * `#` and `!` comments. Read as config providers read files: a regular file, at most a megabyte.
 */
export interface UsersFile {
  users: Map<string, string>;
  /** 1-based numbers of lines that are not `user=password` (never their text: it holds passwords) */
  malformed: number[];
}

export function parseUsersFile(text: string): UsersFile {
  const users = new Map<string, string>();
  const malformed: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const l = line.trim();
    if (!l || l.startsWith('#') || l.startsWith('!')) return;
    const eq = l.search(/[=:]/);
    const user = eq > 0 ? l.slice(0, eq).trim() : '';
    const password = eq > 0 ? l.slice(eq + 1).trim() : '';
    if (!user || !password) malformed.push(i + 1);
    else users.set(user, password);
  });
  return { users, malformed };
}

/** Reads and checks the users file; throws one line that says what is wrong and names no password. */
export function readUsersFile(path: string): Map<string, string> {
  let text: string;
  try {
    text = readRegularFile(realPath(path), new ReadBudget());
  } catch (err) {
    throw new Error(`rest.auth.users.file: ${err instanceof ProviderError ? err.message : String(err)}`);
  }
  const { users, malformed } = parseUsersFile(text);
  if (malformed.length) {
    const lines = malformed.slice(0, 10).join(', ') + (malformed.length > 10 ? ', …' : '');
    throw new Error(
      `rest.auth.users.file: ${path}: line${malformed.length === 1 ? '' : 's'} ${lines} ${malformed.length === 1 ? 'is' : 'are'} not user=password`,
    );
  }
  if (users.size === 0) throw new Error(`rest.auth.users.file: ${path} holds no user=password line`);
  return users;
}
