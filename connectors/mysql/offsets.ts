import { ConfigError, type ConfigIssue, type OffsetEntry, type SourceOffset } from '../../runtime/api/index.js';

const MARIA_GTIDS = /^\s*\d+-\d+-\d+\s*(,\s*\d+-\d+-\d+\s*)*$/;
const MYSQL_GTIDS =
  /^\s*[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}(:\d+(-\d+)?)+\s*(,\s*[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}(:\d+(-\d+)?)+\s*)*$/i;
const FILE = /^[A-Za-z0-9_.-]{1,255}$/;

/** Fields of Debezium's MySQL/MariaDB offsets (and ours). */
const KNOWN = new Set(['file', 'pos', 'gtids', 'row', 'event', 'server_id', 'ts_sec', 'snapshot', 'operator']);
const KNOWN_PREFIXES = ['transaction_', 'incremental_snapshot_'];

/**
 * An operator's start point for the binlog (PATCH …/offsets): a binlog file and position (`{"file":
 * "binlog.000042", "pos": 4}`), a GTID set (`{"gtids": "0-1-1234"}` on MariaDB, `uuid:1-77` on MySQL), or both
 * (GTIDs then position the stream, as in a stored offset). Checked for form; the result is a whole offset at a
 * transaction boundary (event 0, row 0), marked as the operator's.
 */
export function operatorOffsets(entries: readonly OffsetEntry[], server: string): OffsetEntry[] {
  const issues: ConfigIssue[] = [];
  const out: OffsetEntry[] = [];
  for (const e of entries) {
    const p = e.partition as Record<string, unknown>;
    if (p.server !== server || Object.keys(p).length !== 1) {
      issues.push({
        key: 'partition.server',
        message: `this connector's only partition is {"server":"${server}"} (its topic.prefix), not ${JSON.stringify(p)}`,
      });
      continue;
    }
    if (e.offset === null) {
      out.push(e);
      continue;
    }
    const o = e.offset as Record<string, unknown>;
    const before = issues.length;
    const issue = (field: string, message: string) => issues.push({ key: `offset.${field}`, message });
    const gtids = o.gtids === undefined || o.gtids === null || o.gtids === '' ? undefined : o.gtids;
    if (gtids !== undefined && (typeof gtids !== 'string' || !(MARIA_GTIDS.test(gtids) || MYSQL_GTIDS.test(gtids)))) {
      issue(
        'gtids',
        `${JSON.stringify(gtids)} is not a GTID set (MariaDB: "0-1-1234,1-2-7"; MySQL: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77")`,
      );
    }
    if (o.file !== undefined && (typeof o.file !== 'string' || !FILE.test(o.file))) {
      issue('file', `${JSON.stringify(o.file)} is not a binlog file name (as SHOW BINARY LOGS lists them)`);
    }
    if (o.pos !== undefined && !(typeof o.pos === 'number' && Number.isSafeInteger(o.pos) && o.pos >= 4)) {
      issue('pos', `${JSON.stringify(o.pos)} is not a binlog position (an integer, 4 or more)`);
    }
    if (gtids === undefined && (o.file === undefined || o.pos === undefined)) {
      issue(
        o.file === undefined ? 'file' : 'pos',
        'missing: a start point is a binlog "file" and "pos", or "gtids" (a GTID set)',
      );
    }
    for (const f of ['row', 'event', 'server_id', 'ts_sec'] as const) {
      const v = o[f];
      if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) {
        issue(f, `${JSON.stringify(v)} is not a non-negative integer`);
      }
    }
    for (const k of Object.keys(o)) {
      if (!KNOWN.has(k) && !KNOWN_PREFIXES.some((x) => k.startsWith(x))) {
        issue(k, 'unknown field; a MySQL/MariaDB offset has file, pos, gtids, row, event, server_id, ts_sec, snapshot');
      }
    }
    if (issues.length > before) continue;
    const offset: Record<string, unknown> = {
      ...o,
      file: typeof o.file === 'string' ? o.file : '',
      pos: typeof o.pos === 'number' ? o.pos : 4,
      event: typeof o.event === 'number' ? o.event : 0,
      row: typeof o.row === 'number' ? o.row : 0,
      operator: true,
    };
    if (gtids === undefined) delete offset.gtids;
    else offset.gtids = String(gtids).replace(/\s+/g, '');
    delete offset.snapshot;
    out.push({ partition: e.partition, offset: offset as SourceOffset });
  }
  if (issues.length) throw new ConfigError(issues, 'Invalid offset');
  return out;
}
