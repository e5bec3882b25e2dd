import { existsSync, readFileSync } from 'node:fs';
import { type Collection, Int32, ObjectId } from 'mongodb';
import type { ConnectorFile, WorkerProcess } from '../../harness/worker.js';
import { waitFor } from '../../harness/worker.js';

/** Helpers of the MongoDB signal and snapshot tests (signals.test.ts, snapshots.test.ts). */

export interface Line {
  topic: string;
  key: { id: string } | null;
  value: {
    op: string;
    after: string | null;
    source: { snapshot: string; collection: string };
  } | null;
}

/** a test document: Int32, string or ObjectId `_id`s */
export type Doc = { _id: unknown; v: unknown };

export function readLines(file: string): Line[] {
  if (!existsSync(file)) return [];
  const out: Line[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as Line);
    } catch {
      // the sink is mid-line
    }
  }
  return out;
}

/** Applies the lines in order, by key: the collection a consumer rebuilds (key id → `v`). */
export function replay(lines: readonly Line[]): Map<string, number> {
  const state = new Map<string, number>();
  for (const l of lines) {
    if (!l.key) continue;
    if (l.value === null || l.value.op === 'd') state.delete(l.key.id);
    else if (l.value.after !== null) state.set(l.key.id, Number(JSON.parse(l.value.after).v));
  }
  return state;
}

/** The collection as the key ids events carry (relaxed Extended JSON of the _id) → `v`. */
export async function collectionState(coll: Collection<Doc>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const d of await coll.find({}).toArray()) out.set(keyId(d._id), Number(d.v));
  return out;
}

export function keyId(id: unknown): string {
  if (typeof id === 'number') return String(id);
  if (typeof id === 'string') return JSON.stringify(id);
  if (id instanceof ObjectId) return `{"$oid": "${id.toHexString()}"}`;
  throw new Error(`no key id for ${String(id)}`);
}

/** `coll` undefined: one stream per collection of collection.include.list (capture.scope=collection, no target) */
export function mongoConnector(
  url: string,
  DB: string,
  name: string,
  coll: string | undefined,
  extra: Record<string, string> = {},
): ConnectorFile {
  return {
    name,
    config: {
      'connector.class': 'io.debezium.connector.mongodb.MongoDbConnector',
      'mongodb.connection.string': url,
      'topic.prefix': 'srv',
      'capture.scope': 'collection',
      ...(coll ? { 'capture.target': `${DB}.${coll}` } : {}),
      'capture.mode': 'change_streams_update_full',
      'snapshot.mode': 'no_data',
      'signal.data.collection': `${DB}.signals`,
      'poll.interval.ms': '20',
      ...extra,
    },
  };
}

export function fileSink(DB: string, file: string, colls: string[]): ConnectorFile {
  return {
    name: 'sink',
    config: {
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
      file,
      topics: colls.map((c) => `srv.${DB}.${c}`).join(','),
      format: 'record',
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': 'false',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
    },
  };
}

export async function status(w: WorkerProcess, name: string) {
  return (
    await w.rest<{ tasks?: Array<{ state: string; trace?: string; snapshot?: Record<string, unknown> }> }>(
      `/connectors/${name}/status`,
    )
  ).body.tasks?.[0];
}

export async function running(w: WorkerProcess, name: string): Promise<void> {
  await waitFor(async () => (await status(w, name))?.state === 'RUNNING' || undefined, 60_000, `${name} running`);
}

export async function signal(w: WorkerProcess, name: string, body: unknown) {
  return w.rest<{ message?: string; snapshot_id?: string }>(`/connectors/${name}/signals`, { method: 'POST', body });
}

/** Writes a signal document into the signal collection (the `source` channel). */
export const reads = (lines: Line[], coll: string) =>
  lines.filter((l) => l.value?.op === 'r' && l.value.source.collection === coll);

/** A writer updating, deleting and inserting Int32-keyed documents of `coll` until stopped, ~100 writes/s. */
export function startWriter(coll: Collection<Doc>, existing: number, firstNew: number) {
  let stopped = false;
  let next = firstNew;
  let version = 1_000_000;
  const done = (async () => {
    while (!stopped) {
      const r = Math.random();
      const id = 1 + Math.floor(Math.random() * existing);
      if (r < 0.45) await coll.updateOne({ _id: new Int32(id) }, { $set: { v: new Int32(version++) } });
      else if (r < 0.75) await coll.deleteOne({ _id: new Int32(id) });
      else await coll.insertOne({ _id: new Int32(next++), v: new Int32(version++) });
      // paced (a load, not a sync point): mongo-java-server rescans its whole oplog on every change stream read
      // (docs/FACTS.md), so an unpaced writer outruns the stream
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
    },
  };
}

export async function fill(coll: Collection<Doc>, n: number, batch = 5000): Promise<void> {
  for (let i = 1; i <= n; i += batch) {
    const docs = [];
    for (let k = i; k < Math.min(i + batch, n + 1); k++) docs.push({ _id: new Int32(k), v: new Int32(k) });
    await coll.insertMany(docs, { ordered: false });
  }
}

/** Every value at `key` anywhere in a JSON document (the offsets file). */
export function findAll(v: unknown, key: string, out: unknown[] = []): unknown[] {
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === key) out.push(x);
      findAll(x, key, out);
    }
  } else if (typeof v === 'string' && v.startsWith('{')) {
    try {
      findAll(JSON.parse(v), key, out);
    } catch {
      // not JSON
    }
  }
  return out;
}
