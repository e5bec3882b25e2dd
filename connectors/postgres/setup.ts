import type pg from 'pg';
import { ConnectError, type ErrorContext } from '../../runtime/api/index.js';
import { listTables, quoteIdent, quoteLiteral } from './catalog.js';
import { type PostgresSettings, snapshotOrder, tableCaptured } from './config.js';
import { explain } from './errors.js';
import { readSlot, type SlotState } from './slot.js';

/** What a PostgreSQL source checks and prepares on the server before it reads anything. */

/** wal_level and the server version (e.g. 160002); refuses a server logical decoding cannot serve. */
export async function checkServer(meta: pg.Client, s: PostgresSettings, errorContext: ErrorContext): Promise<number> {
  const rows = (
    await meta.query("SELECT current_setting('wal_level') AS wal_level, current_setting('server_version_num') AS v")
  ).rows;
  if (rows[0].wal_level !== 'logical') {
    throw new ConnectError(
      `PostgreSQL wal_level is "${rows[0].wal_level}", logical decoding needs "logical". Fix: ALTER SYSTEM SET wal_level = logical (or set it in postgresql.conf) and restart PostgreSQL.`,
      { context: errorContext },
    );
  }
  const serverVersion = Number(rows[0].v);
  if (serverVersion < 100000)
    throw new ConnectError('PostgreSQL 10 or newer is needed for pgoutput', { context: errorContext });
  if (s.failover && serverVersion < 170000) {
    throw new ConnectError(
      `slot.failover=true needs PostgreSQL 17 or newer (failover slots); this server is ${rows[0].v}. Fix: set slot.failover=false, or upgrade.`,
      { context: errorContext },
    );
  }
  return serverVersion;
}

export async function capturedTables(
  meta: pg.Client,
  s: PostgresSettings,
  errorContext: ErrorContext,
): Promise<Array<{ schema: string; table: string }>> {
  const all = await listTables(meta);
  const tables = snapshotOrder(
    s,
    all.filter((t) => tableCaptured(s, t.schema, t.table)),
  );
  const needsIdentity = !(s.skipped.has('u') && s.skipped.has('d'));
  if (needsIdentity && tables.length) {
    const res = await meta.query(
      `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE (n.nspname, c.relname) IN (${tables.map((t) => `(${quoteLiteral(t.schema)}, ${quoteLiteral(t.table)})`).join(', ')})
         AND (c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
              OR (c.relreplident = 'i' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident)))`,
    );
    if (res.rows.length) {
      const names = res.rows.map((r) => `${r.nspname}.${r.relname}`);
      throw new ConnectError(
        `table${names.length > 1 ? 's' : ''} ${names.join(', ')} ha${names.length > 1 ? 've' : 's'} no replica identity (no primary key, or REPLICA IDENTITY NOTHING): PostgreSQL cannot publish their updates and deletes, and rejects them once the table is in the publication. Fix: add a primary key, or ALTER TABLE … REPLICA IDENTITY FULL, or leave the table out with table.exclude.list.`,
        { context: { ...errorContext, table: names[0] } },
      );
    }
  }
  return tables;
}

export async function ensurePublication(
  meta: pg.Client,
  s: PostgresSettings,
  errorContext: ErrorContext,
  tables: Array<{ schema: string; table: string }>,
  raced = false,
): Promise<void> {
  const name = quoteIdent(s.publication);
  const exists =
    (await meta.query('SELECT puballtables FROM pg_publication WHERE pubname = $1', [s.publication])).rows.length > 0;
  const list = tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`).join(', ');
  try {
    switch (s.autocreate) {
      case 'disabled':
        if (!exists) {
          throw new ConnectError(
            `publication "${s.publication}" does not exist and publication.autocreate.mode is disabled. Fix: CREATE PUBLICATION ${name} FOR TABLE <tables> (as a user who owns them), or set publication.autocreate.mode to filtered or all_tables.`,
            { context: errorContext },
          );
        }
        return;
      case 'all_tables':
        if (!exists) await meta.query(`CREATE PUBLICATION ${name} FOR ALL TABLES`);
        return;
      case 'no_tables':
        if (!exists) await meta.query(`CREATE PUBLICATION ${name}`);
        return;
      case 'filtered':
        if (!tables.length) {
          throw new ConnectError(
            'publication.autocreate.mode=filtered but the filters match no table. Fix: check table.include.list / schema.include.list.',
            { context: errorContext },
          );
        }
        if (!exists) await meta.query(`CREATE PUBLICATION ${name} FOR TABLE ${list}`);
        else await meta.query(`ALTER PUBLICATION ${name} SET TABLE ${list}`);
        return;
    }
  } catch (err) {
    if (err instanceof ConnectError) throw err;
    const e = err as { code?: string; message?: string };
    // Another connector sharing the publication created it between our look and our CREATE (two started
    // together; PostgreSQL says so as duplicate_object, or as a unique violation of its catalog when both inserted at
    // once): it exists now, so take the path for an existing one, once.
    if ((e.code === '42710' || e.code === '23505') && !raced)
      return ensurePublication(meta, s, errorContext, tables, true);
    if (e.code === '42501') {
      throw new ConnectError(
        `cannot create or change publication "${s.publication}": ${e.message}. Fix: create it as a superuser or table owner (CREATE PUBLICATION ${name} FOR TABLE …) and set publication.autocreate.mode=disabled, or grant the rights.`,
        { context: errorContext, cause: err },
      );
    }
    throw explain(err, `cannot prepare publication "${s.publication}"`, errorContext, s.user);
  }
}

/** The slot, checked to be a pgoutput slot of this database. */
export async function slotInfo(
  meta: pg.Client,
  s: PostgresSettings,
  serverVersion: number,
  errorContext: ErrorContext,
): Promise<SlotState | undefined> {
  const slot = await readSlot(meta, s.slot, serverVersion);
  if (!slot) return undefined;
  if (slot.plugin !== 'pgoutput' || slot.database !== s.database) {
    throw new ConnectError(
      `replication slot "${s.slot}" exists for plugin ${slot.plugin} on database ${slot.database}, not pgoutput on ${s.database}. Fix: choose another slot.name, or drop that slot if it is unused.`,
      { context: errorContext },
    );
  }
  return slot;
}

export async function dropSlot(
  meta: pg.Client,
  s: PostgresSettings,
  errorContext: ErrorContext,
  failIfActive: boolean,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await meta.query(
        'SELECT pg_drop_replication_slot($1) WHERE EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)',
        [s.slot],
      );
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      // Our own walsender may take a moment to exit after the connection closes.
      if (code === '55006' && Date.now() < deadline && !failIfActive) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      throw explain(err, `cannot drop replication slot "${s.slot}"`, errorContext, s.user);
    }
  }
}
