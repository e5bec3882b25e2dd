import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Collection, Int32, type MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MongoTestServer, mongoAvailable, startMongo } from '../../harness/mongo.js';
import { startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';

/**
 * The MongoDB source in the real worker process (CLI contract), killed with SIGKILL under write load and
 * restarted from its offset file: a consumer replaying the file sink's output by key must end with the
 * collection's content, every inserted document must have been delivered and every delete seen.
 */
const missing = mongoAvailable();
if (missing) {
  console.error(`MongoDB kill test cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

type Doc = { _id: Int32; v: Int32 };
interface Line {
  topic: string;
  key: { id: string } | null;
  value: { op: string; after: string | null } | null;
}

let server: MongoTestServer;
let client: MongoClient;
let dir: string;

function readLines(file: string): Line[] {
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

/** Applies the lines in order, by key: the collection a consumer rebuilds (id → v). */
function replay(lines: readonly Line[]): Map<string, number> {
  const state = new Map<string, number>();
  for (const l of lines) {
    if (!l.key) continue;
    if (l.value === null || l.value.op === 'd') state.delete(l.key.id);
    else if (l.value.after !== null) state.set(l.key.id, JSON.parse(l.value.after).v as number);
  }
  return state;
}

interface Load {
  /** inserted ids (they grow: an id is also the insert's sequence number) */
  inserted: Set<number>;
  /** deleted id → the next insert id at the time of the delete (its place in the write sequence) */
  deleted: Map<number, number>;
  nextId(): number;
  stop(): Promise<void>;
}

function startLoad(coll: Collection<Doc>, firstId: number): Load {
  const inserted = new Set<number>();
  const deleted = new Map<number, number>();
  const live: number[] = [];
  let stopped = false;
  let next = firstId;
  let version = 1;
  const run = (async () => {
    while (!stopped) {
      const r = Math.random();
      const v = new Int32(version++);
      if (r < 0.5 || live.length < 10) {
        const id = next++;
        await coll.insertOne({ _id: new Int32(id), v });
        live.push(id);
        inserted.add(id);
      } else if (r < 0.85) {
        const id = live[Math.floor(Math.random() * live.length)];
        await coll.updateOne({ _id: new Int32(id) }, { $set: { v } });
      } else {
        const id = live.splice(Math.floor(Math.random() * live.length), 1)[0];
        await coll.deleteOne({ _id: new Int32(id) });
        deleted.set(id, next);
      }
      await new Promise((res) => setTimeout(res, 2));
    }
  })();
  return {
    inserted,
    deleted,
    nextId: () => next,
    stop: async () => {
      stopped = true;
      await run;
    },
  };
}

describe.runIf(!missing)('MongoDB source under SIGKILL (worker process)', () => {
  beforeAll(async () => {
    server = await startMongo();
    client = await server.client();
    dir = await mkdtemp(join(tmpdir(), 'sluice-mongokill-'));
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
    if (dir && !process.env.KEEP_DIR) await rm(dir, { recursive: true, force: true });
  });

  it('after three kills under load, the replayed output equals the collection and nothing inserted is missing', async () => {
    const db = `sluice_kill_${process.pid}`;
    const coll = client.db(db).collection<Doc>('docs');
    for (let i = 0; i < 2000; i += 500) {
      await coll.insertMany(Array.from({ length: 500 }, (_, k) => ({ _id: new Int32(i + k), v: new Int32(0) })));
    }
    const out = join(dir, 'out.jsonl');
    const topic = `srv.${db}.docs`;
    const connectors: Array<{ name: string; config: Record<string, string> }> = [
      {
        name: 'mongokill',
        config: {
          'connector.class': 'io.debezium.connector.mongodb.MongoDbConnector',
          'mongodb.connection.string': server.url,
          'topic.prefix': 'srv',
          'capture.scope': 'collection',
          'capture.target': `${db}.docs`,
          'capture.mode': 'change_streams_update_full',
          'snapshot.fetch.size': '200',
          'poll.interval.ms': '50',
        },
      },
      {
        name: 'sink',
        config: {
          'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
          file: out,
          topics: topic,
          format: 'record',
          'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'key.converter.schemas.enable': 'false',
          'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'value.converter.schemas.enable': 'false',
        },
      },
    ];
    const worker = { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '500' };
    const load = startLoad(coll, 100_000);
    let w: WorkerProcess | undefined;
    // Writes before the first committed stream offset may be seen only as their end state (a restart then
    // snapshots again, as Debezium does); every write after it must be delivered as an event.
    let cutoff = Number.POSITIVE_INFINITY;
    try {
      for (let k = 0; k < Number(process.env.KILLS ?? 3); k++) {
        w = await startWorker({ dir, worker, connectors });
        if (k === 0) {
          await waitFor(() => readLines(out).some((l) => l.value && l.value.op !== 'r'), 60_000, 'a streamed event');
          await new Promise((r) => setTimeout(r, 1500));
          cutoff = load.nextId();
        }
        await new Promise((r) => setTimeout(r, 1500 + Math.random() * 2000));
        await w.kill();
      }
      await load.stop();
      w = await startWorker({ dir, worker, connectors });
      const expected = new Map<string, number>();
      for (const d of await coll.find({}, { promoteValues: false }).toArray())
        expected.set(String(d._id.value), d.v.value);
      const same = () => {
        const state = replay(readLines(out));
        if (state.size !== expected.size) return false;
        for (const [k, v] of expected) if (state.get(k) !== v) return false;
        return true;
      };
      try {
        await waitFor(
          same,
          Number(process.env.WAIT_MS ?? 90_000),
          `replay of ${out} to equal the collection (${expected.size} documents)`,
        );
      } catch (err) {
        const state = replay(readLines(out));
        const wrong = [...expected].filter(([k, v]) => state.get(k) !== v).slice(0, 5);
        console.log(
          `replayed ${state.size}, collection ${expected.size}; first differences`,
          wrong,
          w.logs().slice(-6000),
        );
        throw err;
      }
      const lines = readLines(out).filter((l) => l.topic === topic);
      const seen = new Set(lines.filter((l) => l.value?.after).map((l) => l.key!.id));
      expect([...load.inserted].filter((id) => id >= cutoff && !seen.has(String(id)))).toEqual([]);
      const deletes = new Set(lines.filter((l) => l.value?.op === 'd').map((l) => l.key!.id));
      expect([...load.deleted].filter(([id, at]) => at >= cutoff && !deletes.has(String(id)))).toEqual([]);
      expect([...load.inserted].filter((id) => id >= cutoff).length).toBeGreaterThan(50);
    } finally {
      await load.stop().catch(() => undefined);
      if (w) await w.stop();
    }
  }, 300_000);
});
