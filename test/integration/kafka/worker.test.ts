import { appendFileSync, closeSync, fstatSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { readTopicLatest } from '../../harness/kafka.js';
import { kafkaSuite } from '../../harness/kafka-suite.js';
import { continuousWriter, expectCompleteAndOrdered, numbersIn } from '../../harness/numbered-lines.js';
import { type ConnectorFile, startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';

/**
 * The done-when cases of Kafka mode through the real worker process: FileStreamSource → Kafka → FileStreamSink
 * (consuming from Kafka) with offsets on offset.storage.topic.
 */

const suite = kafkaSuite({ logTail: 40_000 });
const { workers, tempDir } = suite;

function workerConfig(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'bootstrap.servers': suite.kafka.bootstrap,
    'offset.storage.topic': 'sluice-offsets',
    'offset.storage.replication.factor': '1',
    'offset.storage.partitions': '3',
    'offset.flush.interval.ms': '500',
    // A SIGKILLed worker stays in the sink's consumer group until its session times out; the restarted worker's
    // consumer waits for that rebalance. 6 s is the broker's minimum.
    'consumer.session.timeout.ms': '6000',
    'consumer.heartbeat.interval.ms': '1000',
    'log.level': 'info',
    ...extra,
  };
}

function connectors(dir: string, topic: string, sinkExtra: Record<string, string> = {}): ConnectorFile[] {
  return [
    {
      name: `${topic}-in`,
      config: {
        'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
        file: join(dir, 'in.txt'),
        topic,
        'value.converter.schemas.enable': 'false',
        'topic.creation.default.partitions': '1',
        'topic.creation.default.replication.factor': '1',
      },
    },
    {
      name: `${topic}-out`,
      config: {
        'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
        file: join(dir, 'out.txt'),
        topics: topic,
        'value.converter.schemas.enable': 'false',
        ...sinkExtra,
      },
    },
  ];
}

async function start(dir: string, worker: Record<string, string>, conns: ConnectorFile[]): Promise<WorkerProcess> {
  const w = await startWorker({ dir, worker, connectors: conns });
  workers.push(w);
  return w;
}

/**
 * The number on the sink file's last complete line (0 while there is none). Polling this instead of parsing the
 * whole file (megabytes, every 100 ms) keeps the test from taking the CPU the worker it waits for needs; the
 * final check still reads every line.
 */
function lastNumberIn(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 0;
  }
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 256));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    const text = buf.toString('utf8');
    const m = /"line (\d+)"$/.exec(text.slice(0, text.lastIndexOf('\n')));
    return m ? Number(m[1]) : 0;
  } finally {
    closeSync(fd);
  }
}

/**
 * Where a pipeline stands, for a failure message: how far the sink file, the topic and the sink group's committed
 * offset got, the group's members and both tasks' status, so a stall says which side stopped.
 */
async function pipelineState(w: WorkerProcess, topic: string, out: string): Promise<string> {
  const lines = numbersIn(out);
  const facts = [`sink file: ${lines.length} lines, the last "line ${lines.at(-1)}"`];
  const admin = new Kafka({ clientId: 'probe', brokers: [...suite.kafka.brokers], logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const group = `connect-${topic}-out`;
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const described = (await admin.describeGroups([group])).groups[0];
    facts.push(
      `topic end offsets ${ends.map((p) => `${p.partition}:${p.high}`).join(',')}`,
      `sink group committed ${committed[0]?.partitions.map((p) => `${p.partition}:${p.offset}`).join(',')}`,
      `sink group ${described?.state} with ${described?.members.length} members`,
    );
  } catch (err) {
    facts.push(`broker not asked: ${String(err)}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  for (const c of [`${topic}-in`, `${topic}-out`]) {
    const status = await w.rest(`/connectors/${c}/status`).catch((err) => ({ body: String(err) }));
    facts.push(`${c}: ${JSON.stringify(status.body)}`);
  }
  return facts.join('\n');
}

/** waitFor, whose failure also tells where the pipeline stands. */
async function waitForPipeline(
  w: WorkerProcess,
  topic: string,
  out: string,
  fn: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  try {
    await waitFor(fn, timeoutMs, what);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await pipelineState(w, topic, out)}`);
  }
}

describe('Kafka mode through the standalone worker', () => {
  it('FileStreamSource → Kafka → FileStreamSink under continuous writes, worker SIGKILLed three times: every line, in order', async () => {
    const dir = tempDir('sluice-kafka-kill-');
    const out = join(dir, 'out.txt');
    const writer = continuousWriter(join(dir, 'in.txt'), 200, 20);
    const conns = connectors(dir, 'killed');
    for (let round = 1; round <= 3; round++) {
      const w = await start(dir, workerConfig(), conns);
      // let it make progress, then kill at a random moment
      const target = numbersIn(out).length + 500;
      await waitFor(() => numbersIn(out).length >= target, 90_000, `round ${round}: progress past ${target} lines`);
      await new Promise((r) => setTimeout(r, Math.random() * 1500));
      await w.kill();
    }
    const n = await writer.stop();
    const last = await start(dir, workerConfig(), conns);
    await waitFor(() => numbersIn(out).includes(n), 120_000, `line ${n} in the sink`);
    expect(await last.stop()).toBe(0);
    const { duplicates } = expectCompleteAndOrdered(numbersIn(out), n);
    console.log(`${n} lines through Kafka with 3 SIGKILLs; ${duplicates} duplicates (replays after the last commit)`);
    const stored = await readTopicLatest(suite.kafka, 'sluice-offsets');
    expect(stored.get(`["killed-in",{"filename":"${join(dir, 'in.txt')}"}]`)).toBe(
      `{"position":${statSync(join(dir, 'in.txt')).size}}`,
    );
  });

  it('recovers by itself when the broker is stopped for 20 s mid-stream; nothing lost', async () => {
    const dir = tempDir('sluice-kafka-outage-');
    const out = join(dir, 'out.txt');
    const writer = continuousWriter(join(dir, 'in.txt'), 200, 20);
    const w = await start(dir, workerConfig(), connectors(dir, 'outage'));
    await waitFor(() => numbersIn(out).length >= 1000, 90_000, 'the first 1000 lines');
    await suite.kafka.nodes[0].stop();
    await new Promise((r) => setTimeout(r, 20_000));
    const writtenDuringOutage = writer.written;
    await suite.kafka.nodes[0].start();
    await waitForPipeline(
      w,
      'outage',
      out,
      // Lines arrive in order (checked at the end), so the last one passing the mark means the mark arrived.
      () => lastNumberIn(out) >= writtenDuringOutage,
      120_000,
      `line ${writtenDuringOutage} after the broker came back`,
    );
    const n = await writer.stop();
    await waitForPipeline(w, 'outage', out, () => lastNumberIn(out) >= n, 120_000, `line ${n}`);
    const { duplicates } = expectCompleteAndOrdered(numbersIn(out), n);
    console.log(`${n} lines across a 20 s broker outage; ${duplicates} duplicates`);
    const status = await workers[0].rest<{ tasks: Array<{ state: string }> }>('/connectors/outage-in/status');
    expect(status.body.tasks.map((t) => t.state)).toEqual(['RUNNING']);
  });

  it('a fresh worker reads the source offsets back from offset.storage.topic and resumes after them', async () => {
    const dir = tempDir('sluice-kafka-resume-');
    const input = join(dir, 'in.txt');
    writeFileSync(input, Array.from({ length: 300 }, (_, i) => `line ${i + 1}\n`).join(''));
    const conns = connectors(dir, 'resume');
    const first = await start(dir, workerConfig(), conns);
    await waitFor(() => numbersIn(join(dir, 'out.txt')).length >= 300, 60_000, '300 lines');
    expect(await first.stop()).toBe(0);
    // A new worker with nothing local: a different directory, only the broker is shared.
    const dir2 = tempDir('sluice-kafka-resume2-');
    appendFileSync(input, Array.from({ length: 50 }, (_, i) => `line ${301 + i}\n`).join(''));
    const conns2 = conns.map((c) =>
      c.name === 'resume-out' ? { ...c, config: { ...c.config, file: join(dir2, 'out.txt') } } : c,
    );
    const second = await start(dir2, workerConfig(), conns2);
    await waitFor(() => numbersIn(join(dir2, 'out.txt')).includes(350), 60_000, 'line 350');
    expect(await second.stop()).toBe(0);
    // The sink group's committed offsets were kept too, so the new sink file holds only the new lines.
    expect(numbersIn(join(dir2, 'out.txt'))).toEqual(Array.from({ length: 50 }, (_, i) => 301 + i));
  });

  it('a topic holding one undecodable message among valid ones: it goes to the DLQ with error headers, the rest to the sink', async () => {
    const dir = tempDir('sluice-kafka-dlq-');
    const client = new Kafka({ clientId: 'test', brokers: [...suite.kafka.brokers], logLevel: logLevel.NOTHING });
    const producer = client.producer();
    await producer.connect();
    await producer.send({
      topic: 'dlq-e2e',
      messages: Array.from({ length: 20 }, (_, i) => ({ value: i === 7 ? 'line 8 is not JSON' : `"line ${i + 1}"` })),
    });
    await producer.disconnect();
    const sink = connectors(dir, 'dlq-e2e', {
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': 'dlq-e2e-dead',
      'errors.deadletterqueue.topic.replication.factor': '1',
      'errors.deadletterqueue.context.headers.enable': 'true',
    })[1];
    const w = await start(dir, workerConfig(), [sink]);
    await waitFor(() => numbersIn(join(dir, 'out.txt')).length >= 19, 60_000, '19 lines');
    expect(numbersIn(join(dir, 'out.txt'))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
    ]);
    const consumer = client.consumer({ groupId: `dlq-reader-${Math.random()}` });
    await consumer.connect();
    await consumer.subscribe({ topics: ['dlq-e2e-dead'], fromBeginning: true });
    const dead = await new Promise<{ value: string; headers: Record<string, string> }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          resolve({ value: String(message.value), headers });
        },
      });
    });
    await consumer.disconnect();
    expect(dead.value).toBe('line 8 is not JSON');
    expect(dead.headers).toMatchObject({
      '__connect.errors.topic': 'dlq-e2e',
      '__connect.errors.partition': '0',
      '__connect.errors.offset': '7',
      '__connect.errors.connector.name': 'dlq-e2e-out',
      '__connect.errors.task.id': '0',
      '__connect.errors.stage': 'VALUE_CONVERTER',
    });
    const status = await w.rest<{ tasks: Array<{ state: string }> }>('/connectors/dlq-e2e-out/status');
    expect(status.body.tasks.map((t) => t.state)).toEqual(['RUNNING']);
    expect(await w.stop()).toBe(0);
  });
  it('without errors.tolerance an undecodable message fails the sink task (FAILED, with the converter error) and is not skipped', async () => {
    const dir = tempDir('sluice-kafka-strict-');
    const client = new Kafka({ clientId: 'test', brokers: [...suite.kafka.brokers], logLevel: logLevel.NOTHING });
    const producer = client.producer();
    await producer.connect();
    await producer.send({
      topic: 'strict-e2e',
      messages: Array.from({ length: 5 }, (_, i) => ({ value: i === 2 ? 'not JSON' : `"line ${i + 1}"` })),
    });
    await producer.disconnect();
    const sink = connectors(dir, 'strict-e2e')[1];
    const w = await start(dir, workerConfig(), [sink]);
    const failed = await waitFor(
      async () => {
        const s = await w.rest<{ tasks: Array<{ state: string; trace?: string }> }>(
          '/connectors/strict-e2e-out/status',
        );
        return s.body.tasks?.[0]?.state === 'FAILED' ? s.body.tasks[0] : undefined;
      },
      60_000,
      'the sink task to fail',
    );
    expect(failed.trace).toContain('Converting byte[] to Kafka Connect data failed');
    // As Connect, a fetched batch is converted whole before put: nothing of it, and nothing after it, is written.
    expect(numbersIn(join(dir, 'out.txt')).filter((n) => n >= 3)).toEqual([]);
    await w.stop();
    // Nothing past the bad message was committed for the group: a fixed sink would see it again.
    const admin = client.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: 'connect-strict-e2e-out', topics: ['strict-e2e'] });
    await admin.disconnect();
    expect(Number(committed[0].partitions[0].offset)).toBeLessThanOrEqual(2);
  });
});
