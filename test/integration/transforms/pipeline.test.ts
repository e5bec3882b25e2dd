import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';

/**
 * End to end through the real worker process and a real PostgreSQL: Connect-style transform chains configured
 * exactly as a Debezium user writes them, read back from the file sink (`format=record`: topic, key, value).
 */

interface Line {
  topic: string;
  key: unknown;
  value: unknown;
}

let pgs: PostgresServer;
let dir: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  pgs = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'sluice-transforms-'));
});
afterAll(async () => {
  for (const w of workers) await w.stop().catch(() => undefined);
  await pgs?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function readLines(file: string): Line[] {
  if (!existsSync(file)) return [];
  const out: Line[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as Line);
    } catch {
      // the writer is mid-line
    }
  }
  return out;
}

function source(name: string, tables: string, transforms: Record<string, string>) {
  const id = name.replace(/[^a-z0-9_]/g, '_');
  return {
    name,
    config: {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      ...pgs.connectorConfig(),
      'topic.prefix': 'srv',
      'slot.name': `${id}_slot`,
      'publication.name': `${id}_pub`,
      'table.include.list': tables,
      ...transforms,
    },
  };
}

function sink(name: string, file: string, topics: string[], valueSchemas: boolean) {
  return {
    name,
    config: {
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
      file,
      format: 'record',
      topics: topics.join(','),
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': 'false',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': String(valueSchemas),
    },
  };
}

describe('transform chains on a PostgreSQL source', () => {
  it('ExtractNewRecordState → RegexRouter → ReplaceField → InsertField (guarded by TopicNameMatches) gives flat rows per table', async () => {
    await pgs.sql(`
      CREATE TABLE customers (id int PRIMARY KEY, first_name text NOT NULL, last_name text, email text NOT NULL);
      CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, amount numeric(10,2) NOT NULL);
      INSERT INTO customers VALUES (1, 'Alice', 'Smith', 'alice@example.com'), (2, 'Bob', NULL, 'bob@example.com');
    `);
    const out = join(dir, 'chain.jsonl');
    const w = await startWorker({
      dir: join(dir, 'chain'),
      worker: { 'offset.storage.file.filename': join(dir, 'chain-offsets.json'), 'offset.flush.interval.ms': '500' },
      connectors: [
        source('chain', 'public\\.(customers|orders)', {
          transforms: 'unwrap,route,fields,insert',
          'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
          'transforms.unwrap.delete.tombstone.handling.mode': 'rewrite',
          'transforms.unwrap.add.fields': 'op,table',
          'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
          'transforms.route.regex': 'srv\\.public\\.(.*)',
          'transforms.route.replacement': 'dw_$1',
          'transforms.fields.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value',
          'transforms.fields.exclude': 'email',
          'transforms.fields.renames': 'first_name:given_name',
          'transforms.insert.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
          'transforms.insert.static.field': 'origin',
          'transforms.insert.static.value': 'sluice',
          'transforms.insert.predicate': 'isCustomers',
          predicates: 'isCustomers',
          'predicates.isCustomers.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
          'predicates.isCustomers.pattern': 'dw_customers',
        }),
        sink('chain-sink', out, ['dw_customers', 'dw_orders'], true),
      ],
    });
    workers.push(w);

    await waitFor(() => readLines(out).length >= 2, 60_000, 'the snapshot rows').catch(async (err) => {
      const status = await w.rest('/connectors/chain/status').catch(() => undefined);
      console.log(JSON.stringify(status), w.logs().slice(-5000));
      throw err;
    });
    await pgs.sql(`
      INSERT INTO customers VALUES (3, 'Carol', 'Jones', 'carol@example.com');
      UPDATE customers SET last_name = 'Brown' WHERE id = 1;
      DELETE FROM customers WHERE id = 2;
      INSERT INTO orders VALUES (10, 1, 12.50);
    `);
    const lines = await waitFor(
      () => {
        const l = readLines(out);
        return l.length >= 6 ? l : undefined;
      },
      60_000,
      `six rows in ${out}`,
    ).catch((err) => {
      console.log(readFileSync(out, 'utf8'), w.logs().slice(-3000));
      throw err;
    });

    const payloads = lines.map((l) => ({
      topic: l.topic,
      key: l.key,
      value: (l.value as { payload: unknown }).payload,
    }));
    expect(payloads).toEqual([
      {
        topic: 'dw_customers',
        key: { id: 1 },
        value: {
          id: 1,
          given_name: 'Alice',
          last_name: 'Smith',
          __op: 'r',
          __table: 'customers',
          __deleted: 'false',
          origin: 'sluice',
        },
      },
      {
        topic: 'dw_customers',
        key: { id: 2 },
        value: {
          id: 2,
          given_name: 'Bob',
          last_name: null,
          __op: 'r',
          __table: 'customers',
          __deleted: 'false',
          origin: 'sluice',
        },
      },
      {
        topic: 'dw_customers',
        key: { id: 3 },
        value: {
          id: 3,
          given_name: 'Carol',
          last_name: 'Jones',
          __op: 'c',
          __table: 'customers',
          __deleted: 'false',
          origin: 'sluice',
        },
      },
      {
        topic: 'dw_customers',
        key: { id: 1 },
        value: {
          id: 1,
          given_name: 'Alice',
          last_name: 'Brown',
          __op: 'u',
          __table: 'customers',
          __deleted: 'false',
          origin: 'sluice',
        },
      },
      // the delete, rewritten from the before state (replica identity default: the key columns only)
      {
        topic: 'dw_customers',
        key: { id: 2 },
        value: expect.objectContaining({ id: 2, __op: 'd', __deleted: 'true', origin: 'sluice' }),
      },
      // orders do not match the predicate: no origin field
      {
        topic: 'dw_orders',
        key: { id: 10 },
        value: { id: 10, customer_id: 1, amount: expect.anything(), __op: 'c', __table: 'orders', __deleted: 'false' },
      },
    ]);

    // The schema travels with the value: renamed, excluded and added fields as a consumer of the topic sees them.
    const schema = (lines[3].value as { schema: { fields: Array<{ field: string; type: string; optional: boolean }> } })
      .schema;
    expect(schema.fields.map((f) => [f.field, f.type, f.optional])).toEqual([
      ['id', 'int32', false],
      ['given_name', 'string', false],
      ['last_name', 'string', true],
      ['__op', 'string', true],
      ['__table', 'string', true],
      ['__deleted', 'string', true],
      ['origin', 'string', true],
    ]);
    await w.stop();
  });

  it('the outbox EventRouter routes outbox rows to per-aggregate topics, payload as value, aggregate id as key', async () => {
    await pgs.sql(`
      CREATE TABLE outbox (
        id uuid PRIMARY KEY,
        aggregatetype varchar(255) NOT NULL,
        aggregateid varchar(255) NOT NULL,
        type varchar(255) NOT NULL,
        payload jsonb
      );
    `);
    const out = join(dir, 'outbox.jsonl');
    const w = await startWorker({
      dir: join(dir, 'outbox'),
      worker: { 'offset.storage.file.filename': join(dir, 'outbox-offsets.json'), 'offset.flush.interval.ms': '500' },
      connectors: [
        source('outbox', 'public\\.outbox', {
          transforms: 'outbox',
          'transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
          'transforms.outbox.table.expand.json.payload': 'true',
          'transforms.outbox.table.fields.additional.placement': 'type:header:eventType',
        }),
        sink('outbox-sink', out, ['outbox.event.Order', 'outbox.event.Customer'], false),
      ],
    });
    workers.push(w);
    // Wait until streaming runs (the empty snapshot is done) before writing the events.
    await waitFor(
      async () => {
        const s = await w.rest<{ tasks: Array<{ state: string }> }>('/connectors/outbox/status');
        return s.status === 200 && s.body.tasks[0]?.state === 'RUNNING';
      },
      60_000,
      'the outbox connector to run',
    );
    await new Promise((r) => setTimeout(r, 1000));
    // The outbox pattern: each event is inserted and deleted in the service's own transaction.
    await pgs.sql(`
      BEGIN;
      INSERT INTO outbox VALUES ('6a3e1a4c-0000-4000-8000-000000000001', 'Order', '1001', 'OrderCreated', '{"orderId": 1001, "total": 25.5, "lines": [{"sku": "A", "qty": 2}]}');
      DELETE FROM outbox WHERE id = '6a3e1a4c-0000-4000-8000-000000000001';
      COMMIT;
      INSERT INTO outbox VALUES ('6a3e1a4c-0000-4000-8000-000000000002', 'Customer', 'c-7', 'CustomerRenamed', '{"name": "Eve"}');
      INSERT INTO outbox VALUES ('6a3e1a4c-0000-4000-8000-000000000003', 'Order', '1002', 'OrderCreated', '{"orderId": 1002, "total": 3}');
    `);
    const lines = await waitFor(
      () => {
        const l = readLines(out);
        return l.length >= 3 ? l : undefined;
      },
      60_000,
      `three events in ${out}`,
    ).catch((err) => {
      console.log(existsSync(out) ? readFileSync(out, 'utf8') : '(no file)', w.logs().slice(-3000));
      throw err;
    });
    expect(lines).toEqual([
      {
        topic: 'outbox.event.Order',
        key: '1001',
        value: { orderId: 1001, total: 25.5, lines: [{ sku: 'A', qty: 2 }] },
      },
      { topic: 'outbox.event.Customer', key: 'c-7', value: { name: 'Eve' } },
      { topic: 'outbox.event.Order', key: '1002', value: { orderId: 1002, total: 3 } },
    ]);
    // The delete of the outbox row produced nothing: no fourth line shows up.
    await new Promise((r) => setTimeout(r, 1500));
    expect(readLines(out)).toHaveLength(3);
    await w.stop();
  });
});
