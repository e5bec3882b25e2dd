import type pg from 'pg';
import { ConnectError, type ErrorContext, type LogStatus } from '../../runtime/api/index.js';
import { formatLsn, parseLsn } from './lsn.js';

/** A logical replication slot as pg_replication_slots shows it (columns the server version has). */
export interface SlotState {
  plugin: string;
  database: string;
  active: boolean;
  activePid: number | null;
  /** reserved | extended | unreserved | lost (PostgreSQL 13+; null before) */
  walStatus: string | null;
  /** why the server invalidated the slot (PostgreSQL 17's invalidation_reason; 16: "conflicting") */
  invalidation: string | null;
  confirmedFlush: number | null;
  restartLsn: number | null;
  /** PostgreSQL 17+: created with failover (a standby with sync_replication_slots carries it) */
  failover: boolean | null;
}

const lsnOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : parseLsn(String(v)));

export async function readSlot(meta: pg.Client, name: string, version: number): Promise<SlotState | undefined> {
  const cols = [
    'plugin',
    'database',
    'active',
    'active_pid',
    'confirmed_flush_lsn::text AS confirmed_flush',
    'restart_lsn::text AS restart',
    version >= 130000 ? 'wal_status' : 'NULL AS wal_status',
    version >= 170000
      ? 'invalidation_reason AS invalidation'
      : version >= 160000
        ? "CASE WHEN conflicting THEN 'conflicting' END AS invalidation"
        : 'NULL AS invalidation',
    version >= 170000 ? 'failover' : 'NULL AS failover',
  ];
  const rows = (await meta.query(`SELECT ${cols.join(', ')} FROM pg_replication_slots WHERE slot_name = $1`, [name]))
    .rows;
  if (!rows.length) return undefined;
  const r = rows[0];
  return {
    plugin: r.plugin,
    database: r.database,
    active: r.active === true,
    activePid: r.active_pid === null ? null : Number(r.active_pid),
    walStatus: r.wal_status ?? null,
    invalidation: r.invalidation ?? null,
    confirmedFlush: lsnOrNull(r.confirmed_flush),
    restartLsn: lsnOrNull(r.restart),
    failover: r.failover ?? null,
  };
}

/** Where the server's WAL ends now: what it has written (a standby: what it has replayed). */
export async function currentWalLsn(meta: pg.Client): Promise<number> {
  const { rows } = await meta.query(
    'SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn',
  );
  return parseLsn(String(rows[0].lsn));
}

/** The application name of the backend holding a slot, when it is still there. */
export async function slotHolder(meta: pg.Client, pid: number | null): Promise<string | undefined> {
  if (pid === null) return undefined;
  const { rows } = await meta.query('SELECT application_name FROM pg_stat_activity WHERE pid = $1', [pid]);
  return rows.length ? String(rows[0].application_name ?? '') : undefined;
}

/** Whether a backend of this application name belongs to this connector (its replication or snapshot connection). */
export function ownApplication(applicationName: string | undefined, connector: string): boolean {
  // The server keeps at most 63 bytes of an application_name (NAMEDATALEN - 1).
  const ours = Buffer.from(`sluice-${connector}`).subarray(0, 63).toString();
  return applicationName !== undefined && (applicationName === `sluice-${connector}` || applicationName === ours);
}

/**
 * The error for a slot another client streams. Another sluice connector will not let go by waiting: it fails at
 * once, telling to give each connector its own slot. This connector's own earlier connection (a previous run still
 * shutting down, a killed worker whose walsender has not noticed yet) or a client that is not sluice (an operator's
 * pg_recvlogical) may let go: retriable, naming the holder, within errors.retry.timeout.
 */
export function slotInUse(
  slot: string,
  holder: string | undefined,
  pid: number | null,
  connector: string,
  context: ErrorContext,
): ConnectError {
  if (holder === undefined || ownApplication(holder, connector)) {
    return new ConnectError(
      `replication slot "${slot}" is still held by an earlier connection of this connector (pid ${pid ?? '?'}); retrying until it lets go`,
      { retriable: true, context },
    );
  }
  if (holder.startsWith('sluice-')) {
    return new ConnectError(
      `replication slot "${slot}" is in use by connector "${holder.slice(7).replace(/-snapshot$/, '')}" (pid ${pid ?? '?'}). A slot has one reader: two connectors on one database need their own slot.name (and publication.name when their tables differ). Fix: set slot.name on this connector to a name no other connector uses.`,
      { retriable: false, context },
    );
  }
  return new ConnectError(
    `replication slot "${slot}" is in use by another client (application_name "${holder}", pid ${pid ?? '?'}): a slot has one reader. Retrying until it lets go (errors.retry.timeout bounds the wait). Fix: stop that client (pg_stat_replication / pg_replication_slots.active_pid), or set slot.name to a slot of this connector's own.`,
    { retriable: true, context },
  );
}

/** A slot the server has invalidated (WAL removed past max_slot_wal_keep_size, or a conflict on a standby). */
export function slotLost(slot: SlotState): boolean {
  return slot.walStatus === 'lost' || slot.invalidation !== null;
}

/** The message for a lost position: what is lost, from where, and the two ways out. */
export function lostPositionMessage(what: string, position: string, connector: string): string {
  return `${what} Changes from ${position} on are lost to this connector. Two ways out: set snapshot.mode=when_needed to take a new snapshot (on a new slot), or set a start point by hand — PATCH /connectors/${connector}/offsets with {"offsets":[{"partition":{…},"offset":{"lsn":<LSN>}}]} while the connector is stopped — to stream from a new slot without a snapshot, accepting the gap.`;
}

export { formatLsn };

/** What the slot makes the server keep, for metrics, status and log.retention.warn.bytes; undefined: no slot. */
export async function slotLogStatus(meta: pg.Client, name: string, version: number): Promise<LogStatus | undefined> {
  const slot = await readSlot(meta, name, version);
  if (!slot) return undefined;
  const current = await currentWalLsn(meta);
  return {
    retainedBytes: slot.restartLsn === null ? undefined : Math.max(0, current - slot.restartLsn),
    behindBytes: slot.confirmedFlush === null ? undefined : Math.max(0, current - slot.confirmedFlush),
    position: slot.confirmedFlush === null ? undefined : formatLsn(slot.confirmedFlush),
  };
}
