import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { ConnectError, type ErrorContext, type SourceTaskContext } from '../../runtime/api/index.js';
import type { PostgresSettings } from './config.js';
import { clientConfig } from './connection.js';
import { explain } from './errors.js';
import { formatLsn } from './lsn.js';
import { highestLsn, type PgOffset } from './offsets.js';
import { ReplicationConnection } from './replication.js';
import { dropSlot, slotInfo } from './setup.js';
import { lostPositionMessage, slotHolder, slotInUse, slotLost } from './slot.js';

/** An exported snapshot to read before (or, with a temporary slot, inside) the stream. */
export interface ExportedSnapshot {
  exported: string | null;
  lsn: number;
  /** the temporary slot's connection that holds the snapshot (an existing slot taken again) */
  temp?: ReplicationConnection;
}

export interface StartPoint {
  /** where streaming starts; 0 lets the server use the slot's confirmed_flush_lsn */
  startLsn: number;
  /** the classic snapshot to read */
  snapshot?: ExportedSnapshot;
  /** snapshot.resumable: the captured tables are to be read as watermarked chunks while the stream runs */
  chunked: boolean;
  /** the stored offset is a streaming position (no snapshot pending in it) */
  snapshotDone: boolean;
}

/** Whether an offset says the snapshot it belongs to is complete (or none was running). */
export function snapshotComplete(o: PgOffset | null | undefined): boolean {
  return o !== null && o !== undefined && !(o.snapshot === true && o.last_snapshot_record !== true);
}

/**
 * Decides how a session starts, from the stored offset, the slot and snapshot.mode: whether a snapshot is taken
 * (classic, from an exported snapshot; or resumable, in chunks beside the stream), and where the stream starts.
 * Creates the slot (or a temporary one for a new snapshot of an existing slot) on the connections given.
 */
export async function startPoint(p: {
  s: PostgresSettings;
  ctx: SourceTaskContext;
  meta: pg.Client;
  serverVersion: number;
  errorContext: ErrorContext;
  stored: PgOffset | null;
  /** an operator's start point (PATCH …/offsets) accepts that what came before it is not delivered */
  operator: boolean;
  serverLsn: number;
  repl: ReplicationConnection;
  /** the temporary slot's connection, as soon as it exists (the session closes it on stop) */
  onTemp: (temp: ReplicationConnection) => void;
}): Promise<StartPoint> {
  const { s, ctx, meta, stored, operator, errorContext } = p;
  const call = async <T>(fn: () => Promise<T>, what: string): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw explain(err, what, errorContext, s.user);
    }
  };
  let slot = await slotInfo(meta, s, p.serverVersion, errorContext);
  const snapshotDone = snapshotComplete(stored);
  const mode = s.snapshotMode;
  if (slot?.active) {
    // Another connector fails this one now, before a snapshot or a temporary slot; a holder that may let go
    // (our own earlier connection, a client that is not sluice) is met again at START_REPLICATION, retried there.
    const busy = slotInUse(s.slot, await slotHolder(meta, slot.activePid), slot.activePid, ctx.connector, errorContext);
    if (!busy.retriable) throw busy;
  }
  if (slot && slotLost(slot)) {
    const at = formatLsn(stored ? stored.lsn_proc : (slot.restartLsn ?? slot.confirmedFlush ?? 0));
    if (mode === 'when_needed' || mode === 'always' || operator) {
      ctx.log.warn(
        { slot: s.slot, walStatus: slot.walStatus, reason: slot.invalidation, from: at },
        `replication slot was invalidated by the server; dropping it and ${operator ? 'streaming from the start point set by hand' : `taking a new snapshot (snapshot.mode=${mode})`}`,
      );
      await dropSlot(meta, s, errorContext, false);
      slot = undefined;
    } else {
      throw new ConnectError(
        lostPositionMessage(
          `replication slot "${s.slot}" was invalidated by the server (wal_status ${slot.walStatus ?? '?'}${slot.invalidation ? `, ${slot.invalidation}` : ''}): the WAL it kept from ${formatLsn(slot.restartLsn ?? 0)} was removed, as max_slot_wal_keep_size allows (or a standby conflict).`,
          at,
          ctx.connector,
        ),
        { context: { ...errorContext, position: at } },
      );
    }
  }
  if (!slot && snapshotDone && !operator && !s.dropSlotOnStop && mode !== 'when_needed' && mode !== 'always') {
    const at = formatLsn(stored!.lsn_proc);
    throw new ConnectError(
      lostPositionMessage(
        `replication slot "${s.slot}" does not exist, although this connector has offsets (up to ${at}): it was dropped, or this is a server the slot was never on (a failover to a standby without failover slots: see slot.failover).`,
        at,
        ctx.connector,
      ),
      { context: { ...errorContext, position: at } },
    );
  }
  // A resumable snapshot's progress is in the offsets of a streaming position (snapshotDone): one that has begun
  // resumes from them (IncrementalSnapshotter.restore), so only a start without any offset begins one.
  const needSnapshot = s.snapshotResumable
    ? stored === null || !snapshotDone || (mode === 'when_needed' && !slot)
    : mode === 'always' ||
      ((mode === 'initial' || mode === 'initial_only') && !snapshotDone) ||
      (mode === 'when_needed' && (!snapshotDone || !slot));
  ctx.log.info(
    {
      snapshotMode: mode,
      resumable: s.snapshotResumable,
      needSnapshot,
      slotExists: !!slot,
      offset: stored,
      serverLsn: formatLsn(p.serverLsn),
    },
    'postgres source starting',
  );

  let startLsn = stored && snapshotDone ? stored.lsn_proc : 0;
  if (needSnapshot && s.snapshotResumable) {
    // Chunks between watermarks are right against whatever the stream carries, so no exported snapshot and no
    // catch-up: the stream starts where the slot is (a new slot: its consistent point).
    if (!slot) {
      const created = await call(
        () => p.repl.createSlot(s.slot, false, false, s.failover),
        'cannot create replication slot',
      );
      startLsn = created.consistentPoint;
    } else startLsn = 0;
    return { startLsn, chunked: true, snapshotDone };
  }
  if (needSnapshot && !slot) {
    // First start: the slot's own exported snapshot is the exact handover point.
    const created = await call(
      () => p.repl.createSlot(s.slot, true, false, s.failover),
      'cannot create replication slot',
    );
    return {
      startLsn: created.consistentPoint,
      snapshot: { exported: created.snapshotName, lsn: created.consistentPoint },
      chunked: false,
      snapshotDone,
    };
  }
  if (needSnapshot) {
    // The slot exists (a crash mid-snapshot, snapshot.mode=always, …). It is kept: the stream first catches up
    // to the point of a new exported snapshot (from a temporary slot), then the snapshot is read, then the stream
    // goes on. Rows a consumer saw from an unfinished earlier snapshot thus get their deletes and updates, and
    // every key's events stay in order.
    const temp = new ReplicationConnection(clientConfig(s, `sluice-${ctx.connector}-snapshot`));
    // Handed to the session at once: whatever fails from here on, stop() closes it and the temporary slot with it.
    p.onTemp(temp);
    await call(() => temp.connect(), 'cannot open a replication connection for the snapshot');
    temp.onError(() => {});
    // Unique per session: two connectors (or two sessions) in one process must not collide on the name.
    const name = `${s.slot.slice(0, 36)}_snap_${process.pid}_${randomBytes(3).toString('hex')}`;
    const created = await call(() => temp.createSlot(name, true, true), 'cannot create a temporary replication slot');
    return {
      startLsn,
      snapshot: { exported: created.snapshotName, lsn: created.consistentPoint, temp },
      chunked: false,
      snapshotDone,
    };
  }
  if (!slot) {
    if (snapshotDone) {
      ctx.log.warn(
        { slot: s.slot, from: formatLsn(stored!.lsn_proc) },
        operator
          ? 'replication slot is missing: creating it and streaming from the start point set by hand; changes before the new slot are not delivered'
          : 'replication slot is gone although offsets exist (slot.drop.on.stop): changes made while it was missing are lost',
      );
    }
    const created = await call(
      () => p.repl.createSlot(s.slot, false, false, s.failover),
      'cannot create replication slot',
    );
    if (!stored || !snapshotDone || created.consistentPoint > startLsn) startLsn = created.consistentPoint;
  }
  return { startLsn, chunked: false, snapshotDone };
}

/**
 * What the server said about the slot, when that is why streaming failed: held by another client (55006), or
 * invalidated while streaming (the server ends the walsender and refuses the slot from then on).
 */
export async function slotFailure(
  err: unknown,
  p: {
    s: PostgresSettings;
    meta: pg.Client;
    serverVersion: number;
    connector: string;
    errorContext: ErrorContext;
    committedLsn: number;
  },
): Promise<ConnectError | undefined> {
  const e = err as { code?: string; message?: string };
  const held = e.code === '55006';
  const lost = /can no longer get changes from replication slot|has been invalidated|invalidated because/i.test(
    e.message ?? '',
  );
  if (!held && !lost) return undefined;
  try {
    const slot = await slotInfo(p.meta, p.s, p.serverVersion, p.errorContext);
    if (held && slot?.active) {
      return slotInUse(p.s.slot, await slotHolder(p.meta, slot.activePid), slot.activePid, p.connector, p.errorContext);
    }
    if (slot && slotLost(slot)) {
      const at = formatLsn(p.committedLsn);
      return new ConnectError(
        lostPositionMessage(
          `replication slot "${p.s.slot}" was invalidated by the server while streaming (wal_status ${slot.walStatus ?? '?'}${slot.invalidation ? `, ${slot.invalidation}` : ''}): ${e.message}.`,
          at,
          p.connector,
        ),
        { context: { ...p.errorContext, position: at }, cause: err },
      );
    }
  } catch {
    // the metadata connection is gone too: the plain explanation (retriable) will do
  }
  return undefined;
}

/**
 * Refuses a stored offset beyond the server's WAL: confirming such a position would tell the slot to drop WAL the
 * server has not even written yet, and every change until the server got there would be lost for good.
 */
export function checkStoredOffset(
  stored: PgOffset | null,
  current: number,
  connector: string,
  errorContext: ErrorContext,
): void {
  if (!stored || highestLsn(stored) <= current) return;
  throw new ConnectError(
    `the stored offset is at LSN ${formatLsn(highestLsn(stored))}, beyond the server's current WAL position ${formatLsn(current)} (pg_current_wal_lsn()): it was not written against this server's WAL (a restored backup, another server, or a hand-set offset). Refusing to start rather than confirm it to the slot. Fix: set a start point this server has reached (PATCH /connectors/${connector}/offsets with {"lsn": …} while the connector is stopped), or delete the offsets and snapshot again.`,
    { context: { ...errorContext, position: formatLsn(highestLsn(stored)) } },
  );
}
