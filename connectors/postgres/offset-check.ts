import { ConfigError, type ConfigIssue, type OffsetEntry } from '../../runtime/api/index.js';
import type { PostgresSettings } from './config.js';
import { connectClient } from './connection.js';
import { formatLsn } from './lsn.js';
import { highestLsn, type PgOffset } from './offsets.js';
import { currentWalLsn, readSlot, slotLost } from './slot.js';

/**
 * Checks an operator's start points against the server, when it can be reached: a position beyond the end of its
 * WAL, or before what the slot can still stream, is refused now (400) instead of failing the task later. An
 * unreachable server is not an error here: the task checks again at start.
 */
export async function checkOffsetsOnServer(
  s: PostgresSettings,
  connector: string,
  entries: readonly OffsetEntry[],
): Promise<void> {
  const offsets = entries.map((e) => e.offset as unknown as PgOffset | null).filter((o): o is PgOffset => o !== null);
  if (!offsets.length) return;
  let client: Awaited<ReturnType<typeof connectClient>>;
  try {
    client = await connectClient(
      { ...s, connectTimeoutMs: Math.min(s.connectTimeoutMs, 5000) },
      `sluice-${connector}-offsets`,
    );
  } catch {
    return;
  }
  client.on('error', () => {});
  try {
    const version = Number((await client.query("SELECT current_setting('server_version_num') AS v")).rows[0].v);
    const current = await currentWalLsn(client);
    const slot = await readSlot(client, s.slot, version);
    const issues: ConfigIssue[] = [];
    for (const o of offsets) {
      const at = highestLsn(o);
      if (at > current) {
        issues.push({
          key: 'offset.lsn',
          message: `${formatLsn(at)} is beyond the server's current WAL position ${formatLsn(current)} (pg_current_wal_lsn()): the server has not written it. A start point must be at or before ${formatLsn(current)}.`,
        });
      } else if (slot && !slotLost(slot) && slot.confirmedFlush !== null && o.lsn_proc < slot.confirmedFlush) {
        issues.push({
          key: 'offset.lsn',
          message: `${formatLsn(o.lsn_proc)} is before the confirmed position ${formatLsn(slot.confirmedFlush)} of replication slot "${s.slot}": the server no longer streams changes from before it. Choose a start point from ${formatLsn(slot.confirmedFlush)} to ${formatLsn(current)}, or take a new snapshot (DELETE the offsets).`,
        });
      }
    }
    if (issues.length) throw new ConfigError(issues, 'Invalid offset');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // a server that answers oddly (no permission on pg_replication_slots, …): the task checks at start
  } finally {
    await client.end().catch(() => undefined);
  }
}
