/**
 * GTID positions in their text forms, as offsets store them and servers take them.
 *
 * MariaDB: a position is one GTID per replication domain, `domain-server-seq` joined by commas; a GTID's *source*
 * (what `gtid.source.includes` / `.excludes` match, as in Debezium) is `domain-server`.
 * MySQL: a GTID set `uuid:1-5:7,uuid2:1-3`; a GTID's source is the server UUID.
 */

export interface MariaGtid {
  domain: number;
  server: number;
  seq: bigint;
}

export function parseMariaGtid(text: string): MariaGtid {
  const m = /^\s*(\d+)-(\d+)-(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`not a MariaDB GTID: ${text}`);
  return { domain: Number(m[1]), server: Number(m[2]), seq: BigInt(m[3]) };
}

export const mariaGtidText = (g: MariaGtid): string => `${g.domain}-${g.server}-${g.seq}`;
export const mariaSource = (g: MariaGtid): string => `${g.domain}-${g.server}`;

/** A MariaDB GTID position: the last GTID applied per domain. */
export class MariaGtidPosition {
  private readonly domains = new Map<number, MariaGtid>();

  constructor(text?: string | null) {
    for (const part of (text ?? '').split(',')) if (part.trim()) this.set(parseMariaGtid(part));
  }

  set(g: MariaGtid): void {
    this.domains.set(g.domain, g);
  }

  /** Takes `g` unless the domain already has a later sequence number (a GTID_LIST can be older than what we know). */
  advance(g: MariaGtid): void {
    const cur = this.domains.get(g.domain);
    if (!cur || cur.seq < g.seq) this.domains.set(g.domain, g);
  }

  get(domain: number): MariaGtid | undefined {
    return this.domains.get(domain);
  }

  entries(): MariaGtid[] {
    return [...this.domains.values()].sort((a, b) => a.domain - b.domain);
  }

  /** The entries whose source passes `keep`. */
  filter(keep: (source: string) => boolean): MariaGtidPosition {
    const out = new MariaGtidPosition();
    for (const g of this.domains.values()) if (keep(mariaSource(g))) out.set(g);
    return out;
  }

  get size(): number {
    return this.domains.size;
  }

  toString(): string {
    return this.entries().map(mariaGtidText).join(',');
  }
}

/**
 * Which domains of `wanted` are no longer in the server's binlogs: the oldest binlog file's GTID_LIST says the
 * last GTID of each domain *before* that file, so a wanted position older than it needs a purged file.
 */
export function purgedMariaDomains(wanted: MariaGtidPosition, oldestFileList: readonly MariaGtid[]): MariaGtid[] {
  const missing: MariaGtid[] = [];
  for (const w of wanted.entries()) {
    let before: bigint | undefined;
    for (const g of oldestFileList)
      if (g.domain === w.domain && (before === undefined || g.seq > before)) before = g.seq;
    if (before !== undefined && w.seq < before) missing.push(w);
  }
  return missing;
}

/** A MySQL GTID set: per server UUID, sorted disjoint closed intervals. */
export class MysqlGtidSet {
  private readonly sids = new Map<string, Array<[bigint, bigint]>>();

  constructor(text?: string | null) {
    for (const part of (text ?? '').replace(/\s+/g, '').split(',')) {
      if (!part) continue;
      const [uuid, ...ranges] = part.split(':');
      for (const r of ranges) {
        const [a, b] = r.split('-');
        this.addInterval(uuid, BigInt(a), BigInt(b ?? a));
      }
    }
  }

  addInterval(uuid: string, start: bigint, end: bigint): void {
    const key = uuid.toLowerCase();
    const list = [...(this.sids.get(key) ?? []), [start, end] as [bigint, bigint]].sort((x, y) =>
      x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0,
    );
    const merged: Array<[bigint, bigint]> = [];
    for (const [s, e] of list) {
      const last = merged[merged.length - 1];
      if (!last || s > last[1] + 1n) merged.push([s, e]);
      else if (e > last[1]) last[1] = e;
    }
    this.sids.set(key, merged);
  }

  add(gtid: string): void {
    const i = gtid.lastIndexOf(':');
    const n = BigInt(gtid.slice(i + 1));
    this.addInterval(gtid.slice(0, i), n, n);
  }

  union(other: MysqlGtidSet): MysqlGtidSet {
    const out = new MysqlGtidSet(this.toString());
    for (const [uuid, list] of other.sids) for (const [s, e] of list) out.addInterval(uuid, s, e);
    return out;
  }

  /** The UUIDs that pass `keep`. */
  filter(keep: (source: string) => boolean): MysqlGtidSet {
    const out = new MysqlGtidSet();
    for (const [uuid, list] of this.sids) if (keep(uuid)) for (const [s, e] of list) out.addInterval(uuid, s, e);
    return out;
  }

  /** Every GTID of this set is in `other`. */
  isSubsetOf(other: MysqlGtidSet): boolean {
    for (const [uuid, list] of this.sids) {
      const theirs = other.sids.get(uuid) ?? [];
      for (const [s, e] of list) if (!theirs.some(([a, b]) => a <= s && e <= b)) return false;
    }
    return true;
  }

  get isEmpty(): boolean {
    return this.sids.size === 0;
  }

  toString(): string {
    return [...this.sids]
      .map(([uuid, list]) => `${uuid}:${list.map(([s, e]) => (s === e ? `${s}` : `${s}-${e}`)).join(':')}`)
      .join(',');
  }
}

/** Adds one `uuid:n` to a MySQL GTID set text. */
export function addMysqlGtid(set: string | null, gtid: string): string {
  const s = new MysqlGtidSet(set);
  s.add(gtid);
  return s.toString();
}
