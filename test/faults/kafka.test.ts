import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CdcEvent,
  type Change,
  eventId,
  expectNoChangeMissing,
  expectPerKeyOrder,
  type Load,
  randomPause,
  replay,
  startLoad,
  tableState,
  waitForReplay,
} from '../harness/cdc.js';
import { EventTail } from '../harness/file-sink.js';
import { kafkaSuite } from '../harness/kafka-suite.js';
import { type PostgresServer, startPostgres } from '../harness/postgres.js';
import { type ConnectorFile, startWorker, type WorkerProcess, waitFor } from '../harness/worker.js';
import { report, timeToDelivery } from './kit.js';
import { KILL_BOUND, KILL_PROBE } from './suite.js';

/**
 * Kafka mode under faults: PostgreSQL → Kafka (offsets on offset.storage.topic) → FileStreamSink consuming from
 * Kafka, with a writer running. The broker is stopped and started again under the producing pipeline, killed
 * while a second sink consumes the topics' whole history, and the worker is SIGKILLed; the sinks' outputs
 * replayed by key must equal the database.
 */

const TABLES = ['ka', 'kb', 'kc'];
const ROWS = 200;
const KILLS = Number(process.env.FAULT_KAFKA_KILLS ?? 10);
/** from the broker's return to the first new change in the sink */
const BROKER_BOUND = 60_000;

type Event = CdcEvent<{ lsn: number | null }>;

const suite = kafkaSuite({ logTail: 4000 });
let pgs: PostgresServer;
let client: pg.Client;
let load: Load | undefined;
let dir: string;
let worker: Record<string, string>;
let connectors: ConnectorFile[];
let w: WorkerProcess;
const out = () => join(dir, 'out.jsonl');
const tails = new Map<string, EventTail<Event>>();
const events = (file: string) => {
  let t = tails.get(file);
  if (!t) {
    t = new EventTail<Event>(file);
    tails.set(file, t);
  }
  return t.read();
};
const measured: Record<string, number> = {};
const killRecoveries: number[] = [];
const began = Date.now();

const sink = (name: string, file: string): ConnectorFile => ({
  name,
  config: {
    'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
    file,
    topics: TABLES.map((t) => `srv.public.${t}`).join(','),
    'value.converter.schemas.enable': 'false',
  },
});

beforeAll(async () => {
  pgs = await startPostgres();
  for (const t of TABLES) {
    await pgs.sql(
      `CREATE TABLE ${t} (id int PRIMARY KEY, v int NOT NULL); INSERT INTO ${t} SELECT g, 0 FROM generate_series(1, ${ROWS}) g`,
    );
  }
  client = await pgs.client();
  dir = suite.tempDir('sluice-faults-kafka-');
  connectors = [
    {
      name: 'fk',
      config: {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        ...pgs.connectorConfig(),
        'topic.prefix': 'srv',
        'slot.name': 'fk_slot',
        'publication.name': 'fk_pub',
        'table.include.list': 'public\\.k[abc]',
        'value.converter.schemas.enable': 'false',
        'topic.creation.default.partitions': '3',
        'topic.creation.default.replication.factor': '1',
      },
    },
    sink('fk-sink', out()),
  ];
});

afterAll(async () => {
  await load?.stop().catch(() => undefined);
  await w?.stop();
  await client?.end();
  await pgs?.stop();
  console.log('kafka mode: recovery times (ms)', measured);
});

describe('Kafka mode under faults (PostgreSQL → Kafka → FileStreamSink)', () => {
  it('streams through the broker while a writer runs', async () => {
    worker = {
      'bootstrap.servers': suite.kafka.bootstrap,
      'offset.storage.topic': 'fk-offsets',
      'offset.storage.replication.factor': '1',
      'offset.flush.interval.ms': '700',
      'consumer.session.timeout.ms': '6000',
      'consumer.heartbeat.interval.ms': '1000',
    };
    w = await startWorker({ dir, worker, connectors, preferBuild: true });
    await waitFor(() => events(out()).length >= TABLES.length * ROWS, 90_000, 'the snapshot in the sink');
    load = startLoad({
      tables: TABLES,
      exec: (sql) => client.query(sql),
      existingRows: ROWS,
      firstId: 10_000,
      insertBelow: 0.45,
      updateBelow: 0.85,
      minLive: 20,
    });
    const l = load;
    measured.firstDelivery = await timeToDelivery(l.changes, () => events(out()), 60_000, 'the writer started');
  });

  it(`recovers from a broker restart under the producing pipeline within ${BROKER_BOUND / 1000} s`, async () => {
    const l = load as Load;
    const node = suite.kafka.nodes[0];
    await node.stop();
    await new Promise((r) => setTimeout(r, 5000)); // the outage's length, not a sync point
    await node.start();
    measured.brokerRestart = await timeToDelivery(l.changes, () => events(out()), BROKER_BOUND, 'broker restart').catch(
      (err) => {
        console.error(`worker log tail\n${w.logs().slice(-8000)}`);
        throw err;
      },
    );
    expect((await w.rest<{ tasks: { state: string }[] }>('/connectors/fk/status')).body.tasks[0].state).toBe('RUNNING');
  });

  it('a sink consuming the whole history survives the broker killed under it', async () => {
    // A second sink, in a worker of its own, reads every topic from the start while the broker dies under it.
    const file = join(dir, 'history.jsonl');
    const reader = await startWorker({
      dir: join(dir, 'reader'),
      worker: { ...worker, 'offset.storage.topic': 'fk-reader-offsets' },
      connectors: [sink('fk-history', file)],
      preferBuild: true,
    });
    suite.workers.push(reader);
    const total = events(out()).length;
    await waitFor(() => events(file).length >= Math.min(2000, total / 10), 60_000, 'the history sink consuming');
    const node = suite.kafka.nodes[0];
    await node.kill();
    await new Promise((r) => setTimeout(r, 3000)); // the outage's length, not a sync point
    await node.start();
    // Everything in the topics before the second sink started reaches it, broker kill or not.
    const wanted = new Set(events(out()).slice(0, total).map(eventId));
    const missing = () => {
      const got = new Set(events(file).map(eventId));
      return [...wanted].filter((id) => !got.has(id));
    };
    await waitFor(() => missing().length === 0, 120_000, `the history sink to hold the ${wanted.size} changes`).catch(
      (err) => {
        console.error('missing from the history sink', missing().slice(0, 10));
        throw err;
      },
    );
    await reader.stop();
  });

  it(`survives ${KILLS} SIGKILLs of the worker`, { timeout: 60_000 + KILLS * 30_000 }, async () => {
    for (let k = 0; k < KILLS; k++) {
      await randomPause(1000, 2500);
      await w.kill();
      w = await startWorker({ dir, worker, connectors, preferBuild: true });
      if (k % KILL_PROBE === KILL_PROBE - 1) {
        const l = load as Load;
        killRecoveries.push(await timeToDelivery(l.changes, () => events(out()), KILL_BOUND, `restart ${k + 1}`));
      }
    }
  });

  it('lost nothing: the sink replays to the database, per-key order held', async () => {
    const log: Change[] = await (load as Load).stop();
    const expected = await tableState(TABLES, (t) => pgs.sql<{ id: number; v: number }>(`SELECT id, v FROM ${t}`));
    await waitForReplay({ read: () => events(out()), expected, timeoutMs: 120_000 });
    const all = events(out());
    expect(replay(all)).toEqual(expected);
    expectNoChangeMissing(all, log);
    expectPerKeyOrder(all, 'non-decreasing');
    console.log(`kafka mode: ${log.length} changes, ${all.length} events`);
    expect(log.length).toBeGreaterThan(500);
    report({
      suite: 'kafka',
      kills: KILLS,
      changes: log.length,
      events: all.length,
      duplicatesPerRun: [all.length - new Set(all.map(eventId)).size],
      recoveryMs: measured,
      killRecoveryMs: killRecoveries,
      lost: 0,
      orderViolations: 0,
      seconds: Math.round((Date.now() - began) / 1000),
    });
  });
});
