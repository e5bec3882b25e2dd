import { createHash, timingSafeEqual } from 'node:crypto';
import { statSync } from 'node:fs';
import { type Config, ConnectError } from '../api/index.js';
import { fsReason } from '../config/providers/read-file.js';
import { readUsersFile } from '../config/users-file.js';

/** Checks the Authorization header of every request when the worker config asks for credentials. */
export interface RestAuth {
  /** true when the header carries valid credentials */
  check(authorization: string | undefined): boolean;
  /** the WWW-Authenticate challenge sent with 401 */
  readonly challenge: string;
}

/** Equal-time comparison of two strings of any length (digests first, so lengths leak nothing). */
function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/** Re-reads the users file when it changes, so users can be added without a restart. */
class UsersFile {
  private users = new Map<string, string>();
  private stamp = '';

  constructor(private readonly path: string) {
    this.load();
  }

  private load(): void {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(this.path);
    } catch (err) {
      throw new ConnectError(`rest.auth.users.file: ${this.path} ${fsReason(err)}`);
    }
    const stamp = `${st.mtimeMs}:${st.size}`;
    if (stamp === this.stamp) return;
    // Stamped before reading: a broken file is read once, not on every request.
    this.stamp = stamp;
    try {
      this.users = readUsersFile(this.path);
    } catch (err) {
      throw new ConnectError((err as Error).message);
    }
  }

  check(user: string, password: string): boolean {
    try {
      this.load();
    } catch {
      // A file that vanished or went wrong keeps the last users it had rather than locking everyone out.
    }
    const expected = this.users.get(user);
    // Compare even for an unknown user, so the time taken does not tell which users exist.
    return sameSecret(password, expected ?? '\u0000no-such-user') && expected !== undefined;
  }
}

/** Builds the check from `rest.auth.users.file` (HTTP basic) and `rest.auth.bearer.token`; undefined: no auth. */
export function restAuth(config: Config): RestAuth | undefined {
  const usersPath = config.optionalString('rest.auth.users.file');
  const token = config.optionalString('rest.auth.bearer.token');
  if (!usersPath && !token) return undefined;
  const users = usersPath ? new UsersFile(usersPath) : undefined;
  return {
    challenge: users ? 'Basic realm="sluice", charset="UTF-8"' : 'Bearer realm="sluice"',
    check(header) {
      if (!header) return false;
      const space = header.indexOf(' ');
      if (space < 0) return false;
      const scheme = header.slice(0, space).toLowerCase();
      const value = header.slice(space + 1).trim();
      if (scheme === 'bearer' && token) return sameSecret(value, token);
      if (scheme === 'basic' && users) {
        const decoded = Buffer.from(value, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 0) return false;
        return users.check(decoded.slice(0, colon), decoded.slice(colon + 1));
      }
      return false;
    },
  };
}
