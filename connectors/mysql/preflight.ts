import type mysql from 'mysql2';
import { ConnectError } from '../../runtime/api/index.js';
import { type Flavor, query } from './binlog/client.js';

export interface ServerInfo {
  flavor: Flavor;
  version: string;
  serverId: number;
  checksum: boolean;
}

function sqlCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'errno' in err
    ? Number((err as { errno: unknown }).errno)
    : undefined;
}

/**
 * Checks that make the common misconfigurations fail at start with cause and fix, instead of as an obscure
 * protocol error later: binlog off, non-ROW format, partial row images, missing privileges, server id clashes.
 */
export async function preflight(conn: mysql.Connection, serverId: number): Promise<ServerInfo> {
  const [vars] = await query<Record<string, string | number | null>>(
    conn,
    'SELECT @@version AS version, @@global.log_bin AS log_bin, @@global.binlog_format AS binlog_format, @@global.binlog_row_image AS row_image, @@global.binlog_checksum AS checksum, @@global.server_id AS server_id',
  );
  const version = String(vars.version);
  const flavor: Flavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
  if (String(vars.log_bin) !== '1' && String(vars.log_bin).toUpperCase() !== 'ON') {
    throw new ConnectError(
      'The server does not write a binlog (log_bin is OFF), so there is nothing to stream. Start it with --log-bin (and --binlog-format=ROW, --server-id=<n>), then restart the connector.',
    );
  }
  if (String(vars.binlog_format).toUpperCase() !== 'ROW') {
    throw new ConnectError(
      `The server's binlog_format is ${vars.binlog_format}; change data capture needs ROW. Set binlog_format=ROW in the server configuration (SET GLOBAL binlog_format='ROW' affects only new sessions) and restart the connector.`,
    );
  }
  if (vars.row_image !== null && String(vars.row_image).toUpperCase() !== 'FULL') {
    throw new ConnectError(
      `The server's binlog_row_image is ${vars.row_image}; before/after images would be incomplete. Set binlog_row_image=FULL.`,
    );
  }
  if (Number(vars.server_id) === serverId) {
    throw new ConnectError(
      `database.server.id ${serverId} is the server's own server_id; give the connector an id no server or replica in the topology uses.`,
    );
  }
  try {
    await query(conn, 'SHOW MASTER STATUS');
  } catch (err) {
    if (sqlCode(err) === 1227) {
      throw new ConnectError(
        `The database user may not read binlog positions (${(err as Error).message}). Grant it: GRANT REPLICATION CLIENT${flavor === 'mariadb' ? ' (BINLOG MONITOR on MariaDB 10.5+)' : ''}, REPLICATION SLAVE ON *.* TO '<user>'.`,
        { cause: err },
      );
    }
    throw err;
  }
  try {
    const grants = await query<Record<string, string>>(conn, 'SHOW GRANTS');
    const text = grants
      .map((g) => Object.values(g)[0])
      .join('\n')
      .toUpperCase();
    if (!/ALL PRIVILEGES ON \*\.\*|REPLICATION SLAVE|REPLICATION REPLICA/.test(text)) {
      throw new ConnectError(
        "The database user lacks the REPLICATION SLAVE privilege, which reading the binlog needs. Grant it: GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '<user>'.",
      );
    }
  } catch (err) {
    if (err instanceof ConnectError) throw err;
  }
  // A clash with another replica's server id is not checked here: a connector killed a moment ago stays listed in
  // SHOW SLAVE HOSTS until the server next writes to its dead socket. The server itself ends the older of two dump
  // threads with the same id, and the one ended reports it (binlog/client.ts dumpError).
  return {
    flavor,
    version,
    serverId: Number(vars.server_id),
    checksum: String(vars.checksum).toUpperCase() === 'CRC32',
  };
}
