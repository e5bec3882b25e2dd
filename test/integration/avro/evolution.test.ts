import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaSuite } from '../../harness/kafka-suite.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { decodeWithConfluent, type Registry, registryRequest, startRegistry } from '../../harness/registry.js';
import { type ConnectorFile, startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';
import { avroConverters, workerConfig } from './support.js';

/**
 * Schemas that change while a connector runs, and a registry that goes away: PostgreSQL → Kafka with AvroConverter
 * against a real registry (Apicurio, BACKWARD), every message read back by Confluent's Python deserializer.
 */

const suite = kafkaSuite({ logTail: 5000 });
let registry: Registry;
let pg: PostgresServer;

beforeAll(async () => {
  [registry, pg] = await Promise.all([startRegistry(), startPostgres()]);
});

afterAll(async () => {
  await Promise.all([registry?.close(), pg?.stop()]);
});

function source(name: string, table: string, extra: Record<string, string> = {}): ConnectorFile {
  return {
    name,
    config: {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      ...pg.connectorConfig(),
      'topic.prefix': name,
      'slot.name': `${name}_slot`,
      'publication.name': `${name}_pub`,
      'table.include.list': `public\\.${table}`,
      'topic.creation.default.partitions': '1',
      'topic.creation.default.replication.factor': '1',
      // quick retries while the registry is away (the default backs off to a minute)
      'errors.retry.delay.max.ms': '1000',
      ...avroConverters(registry.url),
      'value.converter.retries.wait.ms': '200',
      'key.converter.retries.wait.ms': '200',
      ...extra,
    },
  };
}

type Status = { connector: { state: string }; tasks: { state: string; trace?: string }[] };
const taskState = async (w: WorkerProcess, name: string) =>
  (await w.rest<Status>(`/connectors/${name}/status`)).body.tasks?.[0];

/** ids (column `id`) of the change events in `topic`, in order, decoded by Confluent's client */
async function decodedIds(
  topic: string,
  expected: number,
): Promise<Array<{ id: number; op: string; valueId: number | null; after: Record<string, unknown> | null }>> {
  return (
    await decodeWithConfluent({
      bootstrap: suite.kafka.bootstrap,
      registryUrl: registry.url,
      topic,
      expected,
      timeoutMs: 60_000,
    })
  )
    .filter((m) => m.value !== null)
    .map((m) => {
      const v = m.value as { op: string; before: Record<string, number> | null; after: Record<string, unknown> | null };
      return { id: Number((v.after ?? v.before)!.id), op: v.op, valueId: m.valueId, after: v.after };
    });
}

describe('Avro schema evolution', () => {
  it('a nullable column added mid-stream registers a new version; an incompatible change fails the task with the subject named, and nothing past it is acknowledged', async () => {
    await pg.sql(
      'CREATE TABLE ev (id int PRIMARY KEY, v int NOT NULL, gone int NOT NULL DEFAULT 0); INSERT INTO ev VALUES (1, 1, 0), (2, 2, 0)',
    );
    const dir = suite.tempDir('sluice-avro-ev-');
    const conn = source('ev', 'ev');
    const worker = workerConfig(suite.kafka.bootstrap, dir);
    const w = await startWorker({ dir, worker, connectors: [conn] });
    suite.workers.push(w);
    const subject = 'ev.public.ev-value';
    const versions = async () =>
      (await registryRequest(registry, 'GET', `/subjects/${subject}/versions`)).body as number[];
    await waitFor(async () => (await versions())?.length === 1, 120_000, 'the first schema registered');

    await pg.sql("ALTER TABLE ev ADD COLUMN note text; INSERT INTO ev VALUES (3, 3, 0, 'n3')");
    await waitFor(async () => (await versions())?.length === 2, 60_000, 'a second version for the added column');
    // Dropping a NOT NULL column is BACKWARD-compatible in Avro (the new reader ignores the field): a third version.
    await pg.sql('ALTER TABLE ev DROP COLUMN gone; INSERT INTO ev VALUES (4, 4, NULL)');
    await waitFor(async () => (await versions())?.length === 3, 60_000, 'a third version for the dropped column');

    // Old messages still decode (their own schema, by id), the new ones too.
    const before = await decodedIds('ev.public.ev', 4);
    expect(before.map((e) => e.id)).toEqual([1, 2, 3, 4]);
    expect(new Set(before.map((e) => e.valueId)).size).toBe(3);
    expect(before[2].after).toMatchObject({ id: 3, note: 'n3' });

    // int → text is not BACKWARD-compatible: the registry answers 409 and the task fails, naming the subject.
    await pg.sql("ALTER TABLE ev ALTER COLUMN v TYPE text; INSERT INTO ev VALUES (5, 'five', 'n5'), (6, 'six', 'n6')");
    await waitFor(async () => (await taskState(w, 'ev'))?.state === 'FAILED', 60_000, 'the task failed on the 409');
    const trace = (await taskState(w, 'ev'))!.trace!;
    expect(trace).toContain(`"${subject}"`);
    expect(trace).toMatch(/incompatible/i);
    expect((await decodedIds('ev.public.ev', 4)).map((e) => e.id)).toEqual([1, 2, 3, 4]);

    // Nothing past the failing record was acknowledged: once the subject accepts it, a restart delivers 5 and 6.
    // Through Apicurio's own API: its ccompat `PUT /config/<subject>` with NONE answers 200, yet the global BACKWARD
    // still refuses the schema (docs/FACTS.md); an artifact rule NONE overrides it.
    const rule = await fetch(
      `${registry.url.replace('/apis/ccompat/v7', '')}/apis/registry/v3/groups/default/artifacts/${subject}/rules`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ruleType: 'COMPATIBILITY', config: 'NONE' }),
      },
    );
    expect(rule.status).toBe(204);
    await w.rest('/connectors/ev/tasks/0/restart', { method: 'POST' });
    await waitFor(async () => (await taskState(w, 'ev'))?.state === 'RUNNING', 60_000, 'the task running again');
    const after = await decodedIds('ev.public.ev', 6);
    expect(after.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(after[4].after).toMatchObject({ id: 5, v: 'five' });
  }, 400_000);

  it('the registry stopped mid-stream: the task waits and retries, then resumes with nothing lost', async () => {
    await pg.sql("CREATE TABLE rs (id int PRIMARY KEY, v text); INSERT INTO rs VALUES (1, 'a')");
    const dir = suite.tempDir('sluice-avro-rs-');
    const w = await startWorker({
      dir,
      worker: workerConfig(suite.kafka.bootstrap, dir),
      connectors: [source('rs', 'rs')],
    });
    suite.workers.push(w);
    await waitFor(async () => (await decodedIds('rs.public.rs', 1)).length === 1, 120_000, 'the first event');

    await registry.stop();
    // Rows with the known schema, then a change that needs a new schema while the registry is away.
    await pg.sql(
      "INSERT INTO rs VALUES (2, 'b'); ALTER TABLE rs ADD COLUMN n int; INSERT INTO rs VALUES (3, 'c', 3), (4, 'd', 4)",
    );
    await waitFor(() => /Converter not ready \(schema registry\); retrying/.test(w.logs()), 60_000, 'retries logged');
    expect((await taskState(w, 'rs'))?.state).toBe('RUNNING');

    await registry.start();
    await waitFor(
      async () => (await decodedIds('rs.public.rs', 4)).length === 4,
      120_000,
      'every event once the registry is back',
    );
    const events = await decodedIds('rs.public.rs', 4);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4]);
    expect(events[3].after).toMatchObject({ id: 4, v: 'd', n: 4 });
    expect((await taskState(w, 'rs'))?.state).toBe('RUNNING');
  }, 400_000);

  it('several registry URLs: a dead first one fails over to the next', async () => {
    await pg.sql('CREATE TABLE fo (id int PRIMARY KEY); INSERT INTO fo VALUES (1)');
    const dir = suite.tempDir('sluice-avro-fo-');
    const urls = `http://127.0.0.1:9/apis/ccompat/v7,${registry.url}`;
    const w = await startWorker({
      dir,
      worker: workerConfig(suite.kafka.bootstrap, dir),
      connectors: [
        source('fo', 'fo', { 'key.converter.schema.registry.url': urls, 'value.converter.schema.registry.url': urls }),
      ],
    });
    suite.workers.push(w);
    await waitFor(
      async () => (await decodedIds('fo.public.fo', 1)).length === 1,
      120_000,
      'the event through the second URL',
    );
  }, 300_000);
});
