import { ConfigError, type ConfigIssue, type OffsetEntry } from '../../runtime/api/index.js';
import { type Flavor, openConnection, query } from './binlog/client.js';
import type { MySqlOptions } from './config.js';
import { streamStart } from './positioning.js';

/**
 * Checks an operator's binlog start points against the server, when it answers (without TLS: servers that need it
 * are checked by the task at start): a file the server does not have, a position past the end of its file, or
 * GTIDs it has purged are refused now, with the server's own list of what it has.
 */
export async function checkOffsetsOnServer(o: MySqlOptions, entries: readonly OffsetEntry[]): Promise<void> {
  const offsets = entries.map((e) => e.offset as Record<string, unknown> | null).filter((x) => x !== null);
  if (!offsets.length || (o.sslMode !== 'disabled' && o.sslMode !== 'preferred')) return;
  const conn = openConnection({
    host: o.host,
    port: o.port,
    user: o.user,
    password: o.password,
    connectTimeout: Math.min(o.connectTimeout, 5000),
  });
  try {
    let version: string;
    let files: Array<{ Log_name: string; File_size: string | number }>;
    try {
      version = String((await query<{ v: string }>(conn, 'SELECT VERSION() AS v'))[0].v);
      files = await query(conn, 'SHOW BINARY LOGS');
    } catch {
      return; // unreachable, or no privilege: the task checks at start
    }
    const flavor: Flavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
    const issues: ConfigIssue[] = [];
    const list = files.map((f) => `${f.Log_name} (${f.File_size} bytes)`).join(', ');
    for (const off of offsets) {
      const file = String(off.file ?? '');
      const pos = Number(off.pos ?? 4);
      const gtids = typeof off.gtids === 'string' ? off.gtids : null;
      if (!gtids || file) {
        const f = files.find((x) => x.Log_name === file);
        if (!f && !gtids) {
          issues.push({
            key: 'offset.file',
            message: `the server has no binlog file ${file}; it has ${list || 'none'}`,
          });
          continue;
        }
        if (f && pos > Number(f.File_size)) {
          issues.push({
            key: 'offset.pos',
            message: `${pos} is past the end of ${file} (${f.File_size} bytes): the server has not written it`,
          });
          continue;
        }
      }
      const start = await streamStart(conn, flavor, { file, pos, gtids }, o.filters);
      if (!start.ok) issues.push({ key: gtids ? 'offset.gtids' : 'offset.file', message: start.why });
    }
    if (issues.length) throw new ConfigError(issues, 'Invalid offset');
  } finally {
    conn.destroy();
  }
}
