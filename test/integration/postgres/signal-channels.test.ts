import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fileSink, readEvents } from '../../harness/file-sink.js';
import { type KafkaCluster, printKafkaLogOnFailure, requireKafka, startKafka } from '../../harness/kafka.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';
import { type Event, pgConnector } from './pg-e2e.js';

/**
 * Debezium's `file` and `kafka` signal channels (read by the runtime, runtime/tasks/signal-channels.ts) on a real
 * PostgreSQL, a real Kafka broker and a real file: signals taken from both, bad lines and messages logged with the
 * reason and skipped, messages keyed for another connector ignored, the task running throughout.
 */

let pgs: PostgresServer;
let kafka: KafkaCluster;
let dir: string;

beforeAll(async () => {
  requireKafka();
  [pgs, kafka] = await Promise.all([startPostgres(), startKafka()]);
  dir = await mkdtemp(join(tmpdir(), 'sluice-sigch-'));
  await pgs.sql(
    `CREATE TABLE dbz_signal (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));
     CREATE TABLE fa (id int PRIMARY KEY, v int NOT NULL); INSERT INTO fa SELECT g, g FROM generate_series(1, 300) g;
     CREATE TABLE kb (id int PRIMARY KEY, v int NOT NULL); INSERT INTO kb SELECT g, g FROM generate_series(1, 120) g;`,
  );
}, 180_000);
afterEach((ctx) => printKafkaLogOnFailure(kafka, ctx.task.result?.state));
afterAll(async () => {
  await Promise.all([pgs?.stop(), kafka?.stop()]);
  if (dir && !process.env.SLUICE_KEEP) await rm(dir, { recursive: true, force: true });
});

const reads = (out: string, table: string) =>
  readEvents<Event>(out)
    .filter((e) => e.source.table === table && e.op === 'r')
    .map((e) => Number(e.after?.id));

async function status(w: WorkerProcess) {
  return (
    await w.rest<{ tasks: Array<{ state: string; snapshot?: Record<string, unknown> }> }>('/connectors/ch/status')
  ).body.tasks[0];
}

describe('signal channels: file and kafka (PostgreSQL source)', () => {
  it('takes execute-snapshot from the signal file and the signal topic; skips bad lines, bad messages and other connectors’ keys', async () => {
    const out = join(dir, 'out.jsonl');
    const file = join(dir, 'signals.txt');
    const topic = 'ch-signals';
    const admin = new Kafka({ clientId: 'test', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const w = await startWorker({
      dir: join(dir, 'w'),
      worker: { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '500' },
      connectors: [
        pgConnector(pgs, 'ch', {
          'table.include.list': 'public\\.(fa|kb)',
          'snapshot.mode': 'no_data',
          'signal.data.collection': 'public.dbz_signal',
          'signal.enabled.channels': 'source,file,kafka',
          'signal.file': file,
          'signal.poll.interval.ms': '200',
          'signal.kafka.topic': topic,
          'signal.kafka.bootstrap.servers': kafka.bootstrap,
          'signal.consumer.session.timeout.ms': '6000',
          'incremental.snapshot.chunk.size': '100',
        }),
        fileSink('sink', out, ['srv.public.fa', 'srv.public.kb']),
      ],
    });
    const producer = new Kafka({ clientId: 'test', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      await waitFor(async () => (await status(w))?.state === 'RUNNING' || undefined, 60_000, 'running');

      // the file: a line that is not JSON (its content must not reach the log), JSON that is not a signal, a blank
      // line, then a good signal with additional-conditions; the last line has no newline (taken: it is whole JSON)
      await writeFile(
        file,
        [
          'root:SECRET-LINE-CONTENT:0:0',
          '{"id": "f0", "type": "execute-snapshot", "data": {"data-collections": "public.fa"}}',
          '',
          '{"id": "f1", "type": "execute-snapshot", "data": {"data-collections": ["public.fa"], "additional-conditions": [{"data-collection": "public.fa", "filter": "id > 100"}]}}',
        ].join('\n'),
      );
      await waitFor(() => reads(out, 'fa').length >= 200 || undefined, 60_000, 'fa rows from the file signal').catch(
        (err) => {
          throw new Error(`${err}: ${w.logs().slice(-3000)}`);
        },
      );
      await waitFor(async () => (await readFile(file, 'utf8')) === '' || undefined, 10_000, 'the file emptied');
      expect(reads(out, 'fa')).toEqual(Array.from({ length: 200 }, (_, i) => 101 + i));
      // a line appended later is taken too (the file is read again, not once)
      await appendFile(file, '{"id": "f2", "type": "log", "data": {"message": "hello from the file channel"}}\n');
      await waitFor(() => w.logs().includes('hello from the file channel') || undefined, 10_000, 'the log signal');

      // the topic: a signal keyed for another connector (ignored), a value that is not JSON, one that is not a
      // signal, then a good one
      await producer.send({
        topic,
        messages: [
          {
            key: 'another-prefix',
            value: JSON.stringify({ id: 'k0', type: 'execute-snapshot', data: { 'data-collections': ['public.fa'] } }),
          },
          { key: 'srv', value: '{not json' },
          { key: 'srv', value: JSON.stringify({ id: 'k1', type: 'no-such-type', data: {} }) },
          { key: 'srv', value: null },
          {
            key: 'srv',
            value: JSON.stringify({ id: 'k2', type: 'execute-snapshot', data: { 'data-collections': ['public.kb'] } }),
          },
        ],
      });
      await waitFor(() => reads(out, 'kb').length >= 120 || undefined, 60_000, 'kb rows from the kafka signal').catch(
        (err) => {
          throw new Error(`${err}: ${w.logs().slice(-3000)}`);
        },
      );
      await waitFor(async () => (await status(w)).snapshot?.completed === true || undefined, 30_000, 'kb done');
      expect(reads(out, 'kb')).toEqual(Array.from({ length: 120 }, (_, i) => 1 + i));
      // the message for another connector was not taken: fa was not snapshotted again
      expect(reads(out, 'fa')).toHaveLength(200);

      const logs = w.logs();
      expect(logs).toMatch(/signal skipped: not JSON/);
      // (the worker logs JSON: the reasons' quotes are escaped there)
      expect(logs).toMatch(/\\?"data-collections\\?" must be a list of table names/);
      expect(logs).toMatch(/unknown type \\?"no-such-type\\?"/);
      expect(logs).toMatch(/"where":"partition 0 offset 1","msg":"signal skipped: not JSON \(at character 1\)"/);
      expect(logs).not.toContain('SECRET-LINE-CONTENT');
      expect((await status(w)).state).toBe('RUNNING');
    } finally {
      await producer.disconnect();
      await w.stop();
    }
  }, 240_000);
});
