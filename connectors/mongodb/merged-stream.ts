import type { ChangeStream, Document } from 'mongodb';

/** What the task reads events from: one change stream, or several merged in cluster-time order. */
export interface EventStream {
  tryNext(): Promise<Document | null>;
  close(): Promise<void>;
  /** the resume token of the last event read, or the server's post-batch token */
  readonly resumeToken: unknown;
}

type Time = { sec: number; ord: number };

function timeOf(ev: Document): Time | undefined {
  const ts = ev.clusterTime as { high?: number; low?: number } | undefined;
  if (ts?.high === undefined || ts.low === undefined) return undefined;
  return { sec: ts.high >>> 0, ord: ts.low >>> 0 };
}

const before = (a: Time, b: Time) => a.sec < b.sec || (a.sec === b.sec && a.ord < b.ord);

/**
 * Several collection-scoped change streams read as one, in cluster-time order. Needed where one stream cannot
 * cover both the captured data and the signal collection (capture.scope=collection, or a signal collection in
 * another database), and on servers whose change streams work per collection only (mongo-java-server): the
 * watermarks of an incremental snapshot must come out in order with the data they bracket.
 *
 * Ordering without a global log: an event read at moment s from one stream may go out only once every other
 * stream either holds an event of its own (the earliest of the heads goes first) or was read empty after s — an
 * event that becomes visible in that stream later has a later cluster time, since the server makes events
 * visible in cluster-time order. Reads are numbered to tell "after" apart.
 */
export class MergedStream implements EventStream {
  private readonly heads: Array<Document | undefined>;
  private readonly headRead: number[];
  private readonly emptyRead: number[];
  private reads = 0;
  private last: unknown = null;

  constructor(
    private readonly streams: Array<ChangeStream<Document>>,
    /** drops events at or before a resume point (sub-streams resumed by time re-read the point itself) */
    private readonly skip: (ev: Document) => boolean = () => false,
    /** a sub-stream ended with `invalidate` (its collection dropped or renamed): reopened after that event */
    private readonly reopen?: (index: number, invalidate: Document) => ChangeStream<Document>,
    /** each sub-stream's namespace, for servers whose events carry no `ns` (mongo-java-server) */
    private readonly namespaces: Array<{ db: string; coll: string } | undefined> = [],
  ) {
    this.heads = streams.map(() => undefined);
    this.headRead = streams.map(() => -1);
    this.emptyRead = streams.map(() => -1);
  }

  get resumeToken(): unknown {
    return this.last;
  }

  private async read(i: number): Promise<void> {
    for (;;) {
      const ev = (await this.streams[i].tryNext()) as Document | null;
      this.reads++;
      if (!ev) {
        this.emptyRead[i] = this.reads;
        return;
      }
      if (ev.operationType === 'invalidate' && this.reopen) {
        await this.streams[i].close().catch(() => undefined);
        this.streams[i] = this.reopen(i, ev);
        continue;
      }
      if (this.skip(ev)) continue;
      const ns = this.namespaces[i];
      if (ns && (ev.ns === undefined || ev.ns === null)) ev.ns = { db: ns.db, coll: ns.coll };
      this.heads[i] = ev;
      this.headRead[i] = this.reads;
      return;
    }
  }

  async tryNext(): Promise<Document | null> {
    for (let i = 0; i < this.streams.length; i++) if (!this.heads[i]) await this.read(i);
    // A few rounds of re-reading the streams that hold the earliest head back; then null ("nothing now"), and
    // the next call goes on from the heads kept.
    for (let round = 0; round < 4; round++) {
      let min = -1;
      for (let i = 0; i < this.streams.length; i++) {
        const h = this.heads[i];
        if (!h) continue;
        if (min < 0) {
          min = i;
          continue;
        }
        const a = timeOf(h);
        const b = timeOf(this.heads[min]!);
        if (a && b && (before(a, b) || (!before(b, a) && this.headRead[i] < this.headRead[min]))) min = i;
      }
      if (min < 0) return null;
      const blockers: number[] = [];
      for (let i = 0; i < this.streams.length; i++)
        if (!this.heads[i] && this.emptyRead[i] < this.headRead[min]) blockers.push(i);
      if (blockers.length === 0) {
        const ev = this.heads[min]!;
        this.heads[min] = undefined;
        this.last = ev._id ?? this.last;
        return ev;
      }
      for (const b of blockers) await this.read(b);
    }
    return null;
  }

  async close(): Promise<void> {
    await Promise.all(this.streams.map((s) => s.close().catch(() => undefined)));
  }
}
