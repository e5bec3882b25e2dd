import type { Document, FindCursor, MongoClient } from 'mongodb';
import type { MongoSourceConfig } from './config.js';

export interface CollectionRef {
  readonly db: string;
  readonly coll: string;
  /** a query document the snapshot reads the collection with (a blocking snapshot's additional-conditions) */
  readonly filter?: Document;
}

/** The collections the snapshot reads, in a stable order, honouring the scope and the include/exclude lists. */
export async function snapshotPlan(client: MongoClient, cfg: MongoSourceConfig): Promise<CollectionRef[]> {
  if (cfg.scope === 'collection' && cfg.target) {
    const [db, ...rest] = (cfg.target ?? '').split('.');
    const coll = rest.join('.');
    return cfg.filter.collection(db, coll) ? [{ db, coll }] : [];
  }
  const dbs =
    cfg.scope === 'database'
      ? [cfg.target ?? '']
      : (await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name);
  const out: CollectionRef[] = [];
  for (const db of dbs.filter((d) => cfg.filter.database(d)).sort()) {
    const colls = await client.db(db).listCollections({}, { nameOnly: false }).toArray();
    for (const c of colls) {
      // Views have no documents of their own and their changes come through their source collections.
      if (c.type !== undefined && c.type !== 'collection') continue;
      if (cfg.filter.collection(db, c.name)) out.push({ db, coll: c.name });
    }
  }
  return out.sort((a, b) => (a.db === b.db ? a.coll.localeCompare(b.coll) : a.db.localeCompare(b.db)));
}

/**
 * Reads the planned collections one document at a time through server-side cursors: memory stays at one
 * cursor batch (`snapshot.fetch.size`) whatever the collection size.
 */
export class SnapshotReader {
  private index = 0;
  private cursor: FindCursor<Document> | undefined;
  rowsScanned = 0;

  constructor(
    private readonly client: MongoClient,
    readonly plan: readonly CollectionRef[],
    private readonly fetchSize: number,
  ) {}

  get remaining(): number {
    return this.plan.length - this.index;
  }

  /** The next document with its collection, or null when every collection is read. */
  async next(): Promise<{ doc: Document; ref: CollectionRef } | null> {
    while (this.index < this.plan.length) {
      const ref = this.plan[this.index];
      if (!this.cursor) {
        this.cursor = this.client
          .db(ref.db)
          .collection(ref.coll)
          .find(ref.filter ?? {}, {
            promoteValues: false,
            // regular expressions as BSONRegExp, so options JavaScript has no flag for survive
            bsonRegExp: true,
            promoteBuffers: false,
            ...(this.fetchSize > 0 ? { batchSize: this.fetchSize } : {}),
          });
      }
      const doc = await this.cursor.next();
      if (doc) {
        this.rowsScanned++;
        return { doc, ref };
      }
      await this.cursor.close();
      this.cursor = undefined;
      this.index++;
    }
    return null;
  }

  async close(): Promise<void> {
    await this.cursor?.close().catch(() => undefined);
    this.cursor = undefined;
  }
}
