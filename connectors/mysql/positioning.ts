import type mysql from 'mysql2';
import { type DumpStart, type Flavor, query } from './binlog/client.js';
import type { Filters } from './config.js';
import { MariaGtidPosition, MysqlGtidSet, mariaGtidText, parseMariaGtid, purgedMariaDomains } from './gtid.js';

export interface ResumeFrom {
  file: string;
  pos: number;
  gtids: string | null;
}

export type StreamStart =
  | { ok: true; dump: DumpStart; byGtid: boolean }
  /** the position is gone from the server; `why` says what is missing */
  | { ok: false; why: string };

/**
 * Where the binlog dump starts. With GTIDs in the offset the stream is positioned by them, as Debezium does
 * (MariaDB: `@slave_connect_state`; MySQL with gtid_mode=ON: COM_BINLOG_DUMP_GTID), restricted to the sources
 * `gtid.source.includes` / `.excludes` keep. That survives the offset's binlog file being purged or renamed (a
 * restored or failed-over server), as long as the transactions after the position are still in some binlog.
 * Without GTIDs: the offset's file and position, which must still exist.
 */
export async function streamStart(
  conn: mysql.Connection,
  flavor: Flavor,
  from: ResumeFrom,
  filters: Filters,
): Promise<StreamStart> {
  const files = (await query<Record<string, string>>(conn, 'SHOW BINARY LOGS')).map((r) => r.Log_name);
  const oldest = files[0] ?? 'none';
  if (from.gtids && flavor === 'mariadb') {
    const wanted = new MariaGtidPosition(from.gtids).filter(filters.gtidSource);
    if (wanted.size > 0) {
      const list = await gtidListOf(conn, files[0]);
      const missing = list ? purgedMariaDomains(wanted, list) : [];
      if (missing.length) {
        return {
          ok: false,
          why: `the transactions after GTID ${missing.map(mariaGtidText).join(',')} are no longer in the binlog (purged; the oldest file ${oldest} starts after ${list?.map(mariaGtidText).join(',')})`,
        };
      }
      return { ok: true, byGtid: true, dump: { file: '', position: 4, mariaGtidState: wanted.toString() } };
    }
  }
  if (from.gtids && flavor === 'mysql') {
    const [mode] = await query<{ mode: string | null; purged: string | null }>(
      conn,
      'SELECT @@global.gtid_mode AS mode, @@global.gtid_purged AS purged',
    ).catch(() => [{ mode: null, purged: null }]);
    if (String(mode?.mode).toUpperCase() === 'ON') {
      const wanted = new MysqlGtidSet(from.gtids).filter(filters.gtidSource);
      const purged = new MysqlGtidSet(mode.purged);
      if (!wanted.isEmpty) {
        const lost = purged.filter(filters.gtidSource);
        if (!lost.isSubsetOf(wanted)) {
          return {
            ok: false,
            why: `the server purged GTIDs the connector has not seen (gtid_purged ${purged}, offset ${wanted})`,
          };
        }
        // Purged GTIDs cannot be sent anyway; naming them keeps the server from refusing the request for sources
        // the filters leave out.
        return {
          ok: true,
          byGtid: true,
          dump: { file: '', position: 4, mysqlGtidSet: wanted.union(purged).toString() },
        };
      }
    }
  }
  if (!files.includes(from.file)) {
    return {
      ok: false,
      why: `the binlog file ${from.file} is no longer on the server (purged; the oldest is ${oldest})`,
    };
  }
  return { ok: true, byGtid: false, dump: { file: from.file, position: from.pos } };
}

/** The GTID_LIST at the start of a binlog file: the last GTID of each domain before it (MariaDB). */
async function gtidListOf(conn: mysql.Connection, file: string | undefined) {
  if (!file) return undefined;
  try {
    const events = await query<{ Event_type: string; Info: string }>(conn, 'SHOW BINLOG EVENTS IN ? LIMIT 6', [file]);
    const ev = events.find((e) => e.Event_type === 'Gtid_list');
    if (!ev) return undefined;
    const inner = /\[(.*)\]/.exec(ev.Info)?.[1] ?? '';
    return inner
      .split(',')
      .filter((g) => g.trim())
      .map(parseMariaGtid);
  } catch {
    // Without the privilege to list events the server's own answer to the dump reports a purged position.
    return undefined;
  }
}
