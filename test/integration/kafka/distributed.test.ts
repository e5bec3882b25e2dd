import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, toPositive } from '../../../runtime/transport/kafka/partitioner.js';
import { readTopicLatest } from '../../harness/kafka.js';
import { kafkaSuite } from '../../harness/kafka-suite.js';
import { continuousWriter, expectCompleteAndOrdered, numbersIn } from '../../harness/numbered-lines.js';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';

/**
 * `sluice distributed`: real worker processes sharing one group.id on a real broker. FileStreamSource → Kafka →
 * FileStreamSink pipelines, created through REST on one worker, spread over the group; a worker SIGKILLed or
 * joining moves tasks; configs and statuses are on their topics in Kafka Connect's format.
 */

const suite = kafkaSuite({ logTail: 8000 });
const { workers, tempDir } = suite;

/** One cluster per test: its own group and internal topics. */
function clusterConfig(tag: string): Record<string, string> {
  return {
    'bootstrap.servers': suite.kafka.bootstrap,
    'group.id': `sluice-${tag}`,
    'config.storage.topic': `${tag}-configs`,
    'offset.storage.topic': `${tag}-offsets`,
    'status.storage.topic': `${tag}-status`,
    'config.storage.replication.factor': '1',
    'offset.storage.replication.factor': '1',
    'status.storage.replication.factor': '1',
    'offset.storage.partitions': '3',
    'status.storage.partitions': '2',
    'offset.flush.interval.ms': '500',
    // The broker's minimum session: a SIGKILLed worker leaves the group (and its sinks' groups) after 6 s.
    'session.timeout.ms': '6000',
    'heartbeat.interval.ms': '1000',
    'rebalance.timeout.ms': '20000',
    'rest.advertised.host.name': '127.0.0.1',
    'log.level': 'info',
  };
}

async function startMember(dir: string, tag: string): Promise<WorkerProcess> {
  // A directory per worker for its worker.json; the pipelines' files are shared (one machine).
  const w = await startWorker({
    dir: join(dir, `worker-${workers.length}`),
    worker: clusterConfig(tag),
    mode: 'distributed',
  });
  workers.push(w);
  return w;
}

const idOf = (w: WorkerProcess) => `127.0.0.1:${w.port}`;

/**
 * Writes a status record as a worker would (Connect's format, the partition Java's partitioner picks for the key):
 * a state the cluster can reach only under an unlucky timing, set up here without it.
 */
async function putStatus(topic: string, key: string, state: string, workerId: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'test', brokers: [...suite.kafka.brokers], logLevel: logLevel.NOTHING });
  const partitions = (await readTopicPartitions(kafka, topic)) ?? 1;
  const producer = kafka.producer();
  await producer.connect();
  try {
    const value = JSON.stringify({ state, trace: null, worker_id: workerId, generation: 1 });
    const partition = toPositive(murmur2(Buffer.from(key, 'utf8'))) % partitions;
    await producer.send({ topic, acks: -1, messages: [{ key, value, partition }] });
  } finally {
    await producer.disconnect();
  }
}

async function readTopicPartitions(kafka: Kafka, topic: string): Promise<number | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).length || undefined;
  } finally {
    await admin.disconnect();
  }
}

function pipeline(dir: string, name: string): Array<{ name: string; config: Record<string, string> }> {
  return [
    {
      name: `${name}-in`,
      config: {
        'connector.class': 'FileStreamSource',
        file: join(dir, `${name}-in.txt`),
        topic: name,
        'value.converter.schemas.enable': 'false',
        'topic.creation.default.partitions': '1',
        'topic.creation.default.replication.factor': '1',
      },
    },
    {
      name: `${name}-out`,
      config: {
        'connector.class': 'FileStreamSink',
        file: join(dir, `${name}-out.txt`),
        topics: name,
        'value.converter.schemas.enable': 'false',
      },
    },
  ];
}

async function create(w: WorkerProcess, c: { name: string; config: Record<string, string> }): Promise<void> {
  const r = await w.rest('/connectors', { method: 'POST', body: c });
  expect(r.status).toBe(201);
}

interface Status {
  name: string;
  connector: { state: string; worker_id: string };
  tasks: Array<{ id: number; state: string; worker_id: string; trace?: string }>;
}

async function status(w: WorkerProcess, name: string): Promise<Status | undefined> {
  const r = await w.rest<Status>(`/connectors/${name}/status`).catch(() => undefined);
  return r?.status === 200 ? r.body : undefined;
}

/** The statuses when every named connector runs all its tasks (as `w` sees the cluster), else undefined. */
async function running(w: WorkerProcess, names: string[]): Promise<Status[] | undefined> {
  const all = await Promise.all(names.map((n) => status(w, n)));
  const ok = all.every(
    (s) => s && s.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING'),
  );
  return ok ? (all as Status[]) : undefined;
}

async function allRunning(w: WorkerProcess, names: string[], timeoutMs: number, what: string): Promise<Status[]> {
  return waitFor(() => running(w, names), timeoutMs, what);
}

const workersOf = (all: Status[]) => new Set(all.flatMap((s) => s.tasks.map((t) => t.worker_id)));

/** Waits until the named connectors run all their tasks, spread over `workers` distinct workers. */
async function spreadRunning(w: WorkerProcess, names: string[], workers: number, what: string): Promise<Status[]> {
  // A worker may still be joining the group when the connectors arrive: the others run its share until it is in.
  return waitFor(
    async () => {
      const all = await running(w, names);
      return all && workersOf(all).size === workers ? all : undefined;
    },
    60_000,
    `${what}, on ${workers} workers`,
  );
}

describe('distributed mode', () => {
  it('two workers, one group: connectors posted to A are visible on B, running, their tasks spread over both', async () => {
    const dir = tempDir('sluice-dist-spread-');
    const a = await startMember(dir, 'spread');
    const b = await startMember(dir, 'spread');
    const conns = pipeline(dir, 'spread');
    writeFileSync(join(dir, 'spread-in.txt'), Array.from({ length: 200 }, (_, i) => `line ${i + 1}\n`).join(''));
    for (const c of conns) await create(a, c);
    const t0 = Date.now();
    const seenByB = await spreadRunning(b, ['spread-in', 'spread-out'], 2, 'both connectors running, seen from B');
    console.log(`both connectors running, on two workers, ${Date.now() - t0} ms after the POSTs`);
    const listed = await b.rest<string[]>('/connectors');
    expect(listed.body.sort()).toEqual(['spread-in', 'spread-out']);
    const taskWorkers = seenByB.flatMap((s) => s.tasks.map((t) => t.worker_id));
    expect(new Set(taskWorkers)).toEqual(new Set([idOf(a), idOf(b)]));
    // A answers the same.
    const seenByA = await allRunning(a, ['spread-in', 'spread-out'], 10_000, 'A sees the same');
    expect(seenByA.flatMap((s) => s.tasks.map((t) => t.worker_id)).sort()).toEqual([...taskWorkers].sort());
    // The config is the same on both, as posted.
    const cfg = await b.rest<Record<string, string>>('/connectors/spread-in/config');
    expect(cfg.body).toEqual({ ...conns[0].config, name: 'spread-in' });
    // And the pipeline works across the two workers.
    await waitFor(() => numbersIn(join(dir, 'spread-out.txt')).length >= 200, 60_000, '200 lines in the sink');
    expectCompleteAndOrdered(numbersIn(join(dir, 'spread-out.txt')), 200);
    // Control requests on either worker act on the whole cluster: pause through B, resume through A.
    expect((await b.rest('/connectors/spread-in/pause', { method: 'PUT' })).status).toBe(202);
    await waitFor(async () => (await status(a, 'spread-in'))?.tasks[0]?.state === 'PAUSED', 20_000, 'paused');
    expect((await a.rest('/connectors/spread-in/resume', { method: 'PUT' })).status).toBe(202);
    await allRunning(b, ['spread-in'], 20_000, 'resumed');
    // A task restart sent to the worker that does not run the task is forwarded to the one that does.
    const sourceOwner = (await status(a, 'spread-in'))?.tasks[0]?.worker_id;
    const other = sourceOwner === idOf(a) ? b : a;
    expect((await other.rest('/connectors/spread-in/tasks/0/restart', { method: 'POST' })).status).toBe(204);
    await allRunning(other, ['spread-in'], 20_000, 'restarted');
    expect((await status(a, 'spread-in'))?.tasks[0]?.worker_id).toBe(sourceOwner);
    appendFileSync(join(dir, 'spread-in.txt'), 'line 201\n');
    await waitFor(() => numbersIn(join(dir, 'spread-out.txt')).includes(201), 30_000, 'line 201 after the restart');
    // A task status in the name of the worker that does not run the connector, with no task behind it: what a
    // claim written just before a deletion leaves (the task never started, so no task stop deletes it). That
    // worker deletes it with the rest: each worker deletes the statuses it answers for, whoever runs the connector.
    const connectorWorker = (await status(a, 'spread-in'))?.connector.worker_id;
    const otherWorker = connectorWorker === idOf(a) ? idOf(b) : idOf(a);
    await putStatus('spread-status', 'status-task-spread-in-7', 'RUNNING', otherWorker);
    // Deleted through B: gone on A too, tasks stopped wherever they ran, statuses deleted.
    for (const n of ['spread-in', 'spread-out'])
      expect((await b.rest(`/connectors/${n}`, { method: 'DELETE' })).status).toBe(204);
    await waitFor(async () => (await a.rest<string[]>('/connectors')).body.length === 0, 20_000, 'A lists nothing');
    let left: string[] = [];
    await waitFor(
      async () => {
        const t = await readTopicLatest(suite.kafka, 'spread-status');
        left = [...t].filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`);
        return left.length === 0;
      },
      20_000,
      'every status of the deleted connectors tombstoned',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; still set: ${left.join(', ')}`);
    });
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  });

  it('SIGKILL of worker B under continuous writes: its tasks move to A, the sink ends with every line, in order', async () => {
    const dir = tempDir('sluice-dist-kill-');
    const a = await startMember(dir, 'kill');
    const b = await startMember(dir, 'kill');
    const writer = continuousWriter(join(dir, 'kill-in.txt'), 100, 25);
    suite.onEnd(() => writer.stop());
    for (const c of pipeline(dir, 'kill')) await create(a, c);
    const before = await spreadRunning(a, ['kill-in', 'kill-out'], 2, 'the pipeline running');
    const onB = before.flatMap((s) => s.tasks.filter((t) => t.worker_id === idOf(b)).map(() => s.name));
    expect(onB.length).toBe(1);
    const out = join(dir, 'kill-out.txt');
    await waitFor(() => numbersIn(out).length >= 1000, 60_000, '1000 lines through both workers');
    await b.kill();
    const killedAt = Date.now();
    // B's task comes back on A.
    await waitFor(
      async () => {
        const s = await status(a, onB[0]);
        return s?.tasks.every((t) => t.state === 'RUNNING' && t.worker_id === idOf(a));
      },
      45_000,
      `${onB[0]}'s task running on A`,
    );
    const failoverMs = Date.now() - killedAt;
    const written = writer.written;
    await waitFor(() => numbersIn(out).includes(written), 60_000, `line ${written} after the failover`);
    const n = await writer.stop();
    await waitFor(() => numbersIn(out).includes(n), 60_000, `line ${n}`);
    const { duplicates } = expectCompleteAndOrdered(numbersIn(out), n);
    console.log(
      `${onB[0]}'s task moved to A ${failoverMs} ms after SIGKILL (session.timeout.ms=6000); ${n} lines, ${duplicates} duplicates`,
    );
    expect(failoverMs).toBeLessThan(30_000);
    expect(await a.stop()).toBe(0);
  });

  it("config and status records are on their topics in Kafka Connect's format", async () => {
    const dir = tempDir('sluice-dist-format-');
    const a = await startMember(dir, 'format');
    const [source] = pipeline(dir, 'format');
    writeFileSync(join(dir, 'format-in.txt'), 'line 1\n');
    await create(a, source);
    await allRunning(a, ['format-in'], 60_000, 'the source running');
    expect((await a.rest('/connectors/format-in/pause', { method: 'PUT' })).status).toBe(202);
    await waitFor(async () => (await status(a, 'format-in'))?.tasks[0]?.state === 'PAUSED', 20_000, 'paused');
    const configs = await waitFor(
      async () => {
        const t = await readTopicLatest(suite.kafka, 'format-configs');
        return t.has('target-state-format-in') ? t : undefined;
      },
      20_000,
      'the target state record',
    );
    const full = { ...source.config, name: 'format-in' };
    expect(JSON.parse(configs.get('connector-format-in') ?? 'null')).toEqual({ properties: full });
    // Task configs: the connector config overlaid with the connector's split, then the commit with the count.
    expect(JSON.parse(configs.get('task-format-in-0') ?? 'null')).toEqual({
      properties: { ...full, file: source.config.file, topic: 'format' },
    });
    expect(configs.get('commit-format-in')).toBe('{"tasks":1}');
    expect(configs.get('target-state-format-in')).toBe('{"state":"PAUSED","state.v2":"PAUSED"}');

    const statuses = await waitFor(
      async () => {
        const t = await readTopicLatest(suite.kafka, 'format-status');
        const task = JSON.parse(t.get('status-task-format-in-0') ?? 'null');
        const conn = JSON.parse(t.get('status-connector-format-in') ?? 'null');
        return task?.state === 'PAUSED' && conn?.state === 'PAUSED' ? { task, conn, raw: t } : undefined;
      },
      20_000,
      'PAUSED statuses on the status topic',
    );
    for (const v of [statuses.task, statuses.conn]) {
      expect(Object.keys(v)).toEqual(['state', 'trace', 'worker_id', 'generation']);
      expect(v).toMatchObject({ state: 'PAUSED', trace: null, worker_id: idOf(a) });
      expect(Number.isInteger(v.generation)).toBe(true);
    }
    // Deleting writes Connect's tombstones: connector and target state, then the statuses.
    expect((await a.rest('/connectors/format-in', { method: 'DELETE' })).status).toBe(204);
    await waitFor(
      async () => {
        const c = await readTopicLatest(suite.kafka, 'format-configs');
        const s = await readTopicLatest(suite.kafka, 'format-status');
        return (
          c.get('connector-format-in') === null &&
          c.get('target-state-format-in') === null &&
          s.get('status-connector-format-in') === null &&
          s.get('status-task-format-in-0') === null
        );
      },
      20_000,
      'tombstones for the deleted connector',
    );
    expect((await a.rest('/connectors')).body).toEqual([]);
    // Offsets are on the offset topic in Connect's format (as in standalone Kafka mode).
    const offsets = await readTopicLatest(suite.kafka, 'format-offsets');
    expect(offsets.get(`["format-in",{"filename":"${join(dir, 'format-in.txt')}"}]`)).toBe('{"position":7}');
    // Statuses of a connector that is not configured (left by a deletion no worker that wrote them lived to apply)
    // are deleted by the next worker to start.
    await putStatus('format-status', 'status-connector-gone', 'RUNNING', '127.0.0.1:1');
    await putStatus('format-status', 'status-task-gone-0', 'RUNNING', idOf(a));
    const b = await startMember(dir, 'format');
    await waitFor(
      async () => {
        const s = await readTopicLatest(suite.kafka, 'format-status');
        return s.get('status-connector-gone') === null && s.get('status-task-gone-0') === null;
      },
      30_000,
      'the statuses of the unconfigured connector deleted by the worker starting',
    );
    expect(await b.stop()).toBe(0);
    expect(await a.stop()).toBe(0);
  });

  it('a worker joining a running group receives work; the moved tasks resume where they stopped', async () => {
    const dir = tempDir('sluice-dist-join-');
    const a = await startMember(dir, 'join');
    const b = await startMember(dir, 'join');
    const names = ['join1', 'join2'];
    const writers = names.map((n) => continuousWriter(join(dir, `${n}-in.txt`), 100, 25));
    try {
      for (const n of names) for (const c of pipeline(dir, n)) await create(a, c);
      const connectors = names.flatMap((n) => [`${n}-in`, `${n}-out`]);
      await spreadRunning(a, connectors, 2, 'two pipelines running');
      await waitFor(
        () => names.every((n) => numbersIn(join(dir, `${n}-out.txt`)).length >= 500),
        60_000,
        'data flowing',
      );
      const c = await startMember(dir, 'join');
      const joinedAt = Date.now();
      // Four tasks over three workers: every worker runs one or two.
      const after = await spreadRunning(c, connectors, 3, 'all four tasks running, seen from the new worker C');
      const rebalanceMs = Date.now() - joinedAt;
      expect(workersOf(after)).toEqual(new Set([idOf(a), idOf(b), idOf(c)]));
      const totals = await Promise.all(writers.map((w) => w.stop()));
      for (const [i, n] of names.entries()) {
        const out = join(dir, `${n}-out.txt`);
        await waitFor(() => numbersIn(out).includes(totals[i]), 60_000, `${n}: line ${totals[i]}`);
        expectCompleteAndOrdered(numbersIn(out), totals[i]);
      }
      console.log(`new worker C was running its share ${rebalanceMs} ms after its REST endpoint answered`);
      for (const w of [a, b, c]) expect(await w.stop()).toBe(0);
    } finally {
      await Promise.all(writers.map((w) => w.stop()));
    }
  });
});
