import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaCluster, printKafkaLogOnFailure, requireKafka, startKafka } from '../../harness/kafka.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { type ConnectorFile, startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';

/**
 * PostgreSQL source → Kafka (3 partitions per table, keyed) → FileStreamSink consuming from Kafka, under
 * continuous writes, with the worker SIGKILLed three times; offsets on offset.storage.topic.
 */

const TABLES = ['ka', 'kb', 'kc'];
/** Temp dirs of this file, removed after the suite (kept with SLUICE_KEEP=1 to look at). */
const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

let kafka: KafkaCluster;
let pgs: PostgresServer;
let workers: WorkerProcess[] = [];

beforeAll(async () => {
  requireKafka();
  [kafka, pgs] = await Promise.all([startKafka(), startPostgres()]);
});

afterEach((ctx) => {
  printKafkaLogOnFailure(kafka, ctx.task.result?.state);
  if (ctx.task.result?.state === 'fail')
    for (const w of workers) console.error(`----- worker log -----\n${w.logs().slice(-3000)}`);
  for (const w of workers) w.proc.kill('SIGKILL');
  workers = [];
});

afterAll(async () => {
  if (!process.env.SLUICE_KEEP) for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  await Promise.all([kafka?.stop(), pgs?.stop()]);
});

interface Change {
  table: string;
  id: number;
  op: 'c' | 'u' | 'd';
  v: number;
}

interface Event {
  op: string;
  before: { id: number; v: number } | null;
  after: { id: number; v: number } | null;
  source: { table: string };
}

/** Random small transactions on the three tables until stopped; returns every committed change. */
function startLoad(client: pg.Client, firstId: number): { stop: () => Promise<Change[]> } {
  const log: Change[] = [];
  const live = new Map<string, number[]>(TABLES.map((t) => [t, Array.from({ length: 500 }, (_, i) => i + 1)]));
  let stopped = false;
  let nextId = firstId;
  let version = 1_000_000;
  const run = (async () => {
    while (!stopped) {
      const ops: Change[] = [];
      const sql: string[] = [];
      for (let i = 0, n = 1 + Math.floor(Math.random() * 4); i < n; i++) {
        const table = TABLES[Math.floor(Math.random() * TABLES.length)];
        const ids = live.get(table) as number[];
        const r = Math.random();
        const v = version++;
        if (r < 0.4 || ids.length < 5) {
          const id = nextId++;
          ids.push(id);
          sql.push(`INSERT INTO ${table} VALUES (${id}, ${v})`);
          ops.push({ table, id, op: 'c', v });
        } else if (r < 0.9) {
          const id = ids[Math.floor(Math.random() * ids.length)];
          sql.push(`UPDATE ${table} SET v = ${v} WHERE id = ${id}`);
          ops.push({ table, id, op: 'u', v });
        } else {
          const id = ids.splice(Math.floor(Math.random() * ids.length), 1)[0];
          sql.push(`DELETE FROM ${table} WHERE id = ${id}`);
          ops.push({ table, id, op: 'd', v });
        }
      }
      await client.query(`BEGIN; ${sql.join('; ')}; COMMIT`);
      log.push(...ops);
      await new Promise((r) => setTimeout(r, 3));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await run;
      return log;
    },
  };
}

/** Change events in the sink file (tombstones and a line being written skipped). */
function readEvents(file: string): Event[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const out: Event[] = [];
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    if (line === '' || line === 'null') continue;
    out.push(JSON.parse(line) as Event);
  }
  return out;
}

function replay(events: readonly Event[]): Map<string, number> {
  const state = new Map<string, number>();
  for (const e of events) {
    const row = e.after ?? e.before;
    if (!row) continue;
    const k = `${e.source.table}:${row.id}`;
    if (e.op === 'd') state.delete(k);
    else state.set(k, (e.after as { v: number }).v);
  }
  return state;
}

describe('PostgreSQL → Kafka → FileStreamSink', () => {
  it('under continuous writes with three SIGKILLs: every committed change arrives, per-key order holds', async () => {
    for (const t of TABLES) {
      await pgs.sql(
        `CREATE TABLE ${t} (id int PRIMARY KEY, v int NOT NULL); INSERT INTO ${t} SELECT g, 0 FROM generate_series(1, 500) g`,
      );
    }
    const dir = tempDir('sluice-kafka-pg-');
    const out = join(dir, 'out.jsonl');
    const connectors: ConnectorFile[] = [
      {
        name: 'pgk',
        config: {
          'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
          ...pgs.connectorConfig(),
          'topic.prefix': 'srv',
          'slot.name': 'pgk_slot',
          'publication.name': 'pgk_pub',
          'table.include.list': 'public\\.k[abc]',
          'value.converter.schemas.enable': 'false',
          'topic.creation.default.partitions': '3',
          'topic.creation.default.replication.factor': '1',
        },
      },
      {
        name: 'pgk-sink',
        config: {
          'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
          file: out,
          topics: TABLES.map((t) => `srv.public.${t}`).join(','),
          'value.converter.schemas.enable': 'false',
        },
      },
    ];
    const worker = {
      'bootstrap.servers': kafka.bootstrap,
      'offset.storage.topic': 'pg-offsets',
      'offset.storage.replication.factor': '1',
      'offset.flush.interval.ms': '700',
      'consumer.session.timeout.ms': '6000',
      'consumer.heartbeat.interval.ms': '1000',
    };
    const client = await pgs.client();
    // Changes committed before the snapshot are in it as rows, not as events; so the load starts once the
    // snapshot has reached the sink and its offsets had time to be committed.
    const w0 = await startWorker({ dir, worker, connectors });
    workers.push(w0);
    await waitFor(() => readEvents(out).length >= 1500, 90_000, 'the snapshot in the sink');
    await new Promise((r) => setTimeout(r, 2000));
    const load = startLoad(client, 10_000);
    try {
      for (let k = 0; k < 3; k++) {
        const w = k === 0 ? w0 : await startWorker({ dir, worker, connectors });
        if (k > 0) workers.push(w);
        const before = readEvents(out).length;
        await waitFor(() => readEvents(out).length > before + 200, 90_000, `round ${k + 1}: progress`);
        await new Promise((r) => setTimeout(r, Math.random() * 2000));
        await w.kill();
      }
      const log = await load.stop();
      const final = new Map<string, number>();
      for (const t of TABLES)
        for (const r of await pgs.sql<{ id: number; v: number }>(`SELECT id, v FROM ${t}`))
          final.set(`${t}:${r.id}`, r.v);
      const w = await startWorker({ dir, worker, connectors });
      workers.push(w);
      const same = () => {
        const state = replay(readEvents(out));
        if (state.size !== final.size) return false;
        for (const [k, v] of final) if (state.get(k) !== v) return false;
        return true;
      };
      try {
        await waitFor(same, 120_000, `replay of the sink file to equal the database (${final.size} rows)`);
      } catch (err) {
        const state = replay(readEvents(out));
        const wrong = [...final].filter(([k, v]) => state.get(k) !== v).slice(0, 10);
        const extra = [...state.keys()].filter((k) => !final.has(k)).slice(0, 10);
        console.error(
          `replayed ${state.size} rows, database ${final.size}; wrong ${JSON.stringify(wrong.map(([k, v]) => [k, v, state.get(k)]))}; extra ${extra}`,
        );
        throw err;
      }
      expect(await w.stop()).toBe(0);

      const events = readEvents(out);
      const id = (e: Event) => {
        const row = (e.after ?? e.before) as { id: number };
        return e.op === 'd'
          ? `${e.source.table}:${row.id}:d`
          : `${e.source.table}:${row.id}:${(e.after as { v: number }).v}`;
      };
      const seen = new Set(events.map(id));
      const missing = log.filter((c) => !seen.has(c.op === 'd' ? `${c.table}:${c.id}:d` : `${c.table}:${c.id}:${c.v}`));
      expect(missing).toEqual([]);
      // Per key, ignoring replays (events seen before): versions only grow and nothing follows a delete.
      const first = new Set<string>();
      const lastV = new Map<string, number>();
      const deleted = new Set<string>();
      for (const e of events) {
        if (first.has(id(e))) continue;
        first.add(id(e));
        const row = (e.after ?? e.before) as { id: number };
        const k = `${e.source.table}:${row.id}`;
        expect(deleted.has(k), `event after delete for ${k}`).toBe(false);
        if (e.op === 'd') deleted.add(k);
        else {
          const v = (e.after as { v: number }).v;
          expect(v, `version order for ${k}`).toBeGreaterThan(lastV.get(k) ?? -1);
          lastV.set(k, v);
        }
      }
      expect(log.length).toBeGreaterThan(100);
      console.log(`${log.length} committed changes, ${events.length} events in the sink after 3 SIGKILLs`);

      // Keyed records sit in the partition Java's partitioner picks; all three partitions are used.
      const admin = new Kafka({ clientId: 'test', brokers: [...kafka.brokers], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets('srv.public.ka');
      await admin.disconnect();
      expect(offsets).toHaveLength(3);
      expect(offsets.every((p) => Number(p.high) > 0)).toBe(true);
    } finally {
      await load.stop().catch(() => undefined);
      await client.end();
    }
  }, 400_000);
});
