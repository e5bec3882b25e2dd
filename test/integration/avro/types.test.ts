import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudEvent } from 'cloudevents';
import { parse as parseLossless } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schema } from '../../../runtime/api/index.js';
import { avroReader } from '../../../runtime/converters/avro/decoder.js';
import { kafkaSuite } from '../../harness/kafka-suite.js';
import { type MariaDb, startMariaDb } from '../../harness/mariadb.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { decodeWithConfluent, type Registry, registryRequest, startRegistry } from '../../harness/registry.js';
import { type ConnectorFile, startWorker, waitFor } from '../../harness/worker.js';
import { TYPES_ROW, TYPES_TABLE } from '../mysql/types-corpus.js';
import { MATRIX_DDL, MATRIX_ROW } from '../postgres/types-corpus.js';
import { avroConverters, canon, canonPython, fromJson, readTopic, workerConfig } from './support.js';

/**
 * PostgreSQL and MariaDB → Kafka with AvroConverter for keys and values, against a real registry (Apicurio), over
 * the type corpora; beside the same connectors with JsonConverter. Confluent's Python deserializer reads the Avro
 * topics (schemas fetched by id), and its values equal the JSON path's. The registered schema of the PostgreSQL
 * table is the checked-in expected one. The Avro topic then feeds a JDBC sink and a file sink.
 */

const suite = kafkaSuite({ logTail: 4000 });
let registry: Registry;
let pg: PostgresServer;
let maria: MariaDb;

beforeAll(async () => {
  [registry, pg, maria] = await Promise.all([startRegistry(), startPostgres(), startMariaDb()]);
  await pg.sql(`${MATRIX_DDL}; ${MATRIX_ROW}`);
  await pg.sql('CREATE DATABASE sinkdb');
  await maria.exec(
    `SET SESSION sql_mode = ''; SET SESSION time_zone = '+00:00'; CREATE DATABASE ty; ${TYPES_TABLE}; ${TYPES_ROW(1)}`,
  );
});

afterAll(async () => {
  await Promise.all([registry?.close(), pg?.stop(), maria?.stop()]);
});

const topicCreation = { 'topic.creation.default.partitions': '1', 'topic.creation.default.replication.factor': '1' };

function pgSource(name: string, prefix: string, extra: Record<string, string>): ConnectorFile {
  return {
    name,
    config: {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      ...pg.connectorConfig(),
      'topic.prefix': prefix,
      'slot.name': `${prefix}_slot`,
      'publication.name': `${prefix}_pub`,
      'table.include.list': 'public\\.matrix',
      ...topicCreation,
      ...extra,
    },
  };
}

function mariaSource(
  name: string,
  prefix: string,
  serverId: string,
  dir: string,
  extra: Record<string, string>,
): ConnectorFile {
  return {
    name,
    config: {
      'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
      'database.hostname': maria.host,
      'database.port': String(maria.port),
      'database.user': maria.user,
      'database.password': maria.password,
      'database.server.id': serverId,
      'topic.prefix': prefix,
      'database.include.list': 'ty',
      'include.schema.changes': 'false',
      'schema.history.internal.file.filename': join(dir, `${name}-history.jsonl`),
      ...topicCreation,
      ...extra,
    },
  };
}

/** JSON and Avro messages of one table, paired by position; each Avro one decoded by Confluent's deserializer. */
async function compareTopics(jsonTopic: string, avroTopic: string, count: number): Promise<number> {
  const json = await readTopic(suite.kafka.brokers, jsonTopic, count);
  expect(json.length).toBe(count);
  const avro = await decodeWithConfluent({
    bootstrap: suite.kafka.bootstrap,
    registryUrl: registry.url,
    topic: avroTopic,
    expected: count,
  });
  expect(avro.length).toBe(count);
  for (let i = 0; i < count; i++) {
    const k = fromJson(json[i].key);
    const v = fromJson(json[i].value);
    expect(canonPython(k.schema!, avro[i].key)).toEqual(canon(k.schema!, k.value));
    if (v.value === null) {
      expect(avro[i].value).toBeNull();
      continue;
    }
    const env = v.schema!;
    const field = (n: string) => env.fields!.find((f) => f.name === n)!.schema as Schema;
    const jv = v.value as Record<string, unknown>;
    const av = avro[i].value as Record<string, unknown>;
    expect(av.op).toBe(jv.op);
    for (const side of ['before', 'after'])
      expect(canonPython(field(side), av[side])).toEqual(canon(field(side), jv[side]));
    const src = av.source as Record<string, unknown>;
    expect(src.connector).toBe((jv.source as Record<string, unknown>).connector);
    expect(src.table).toBe((jv.source as Record<string, unknown>).table);
  }
  return avro[0].valueId!;
}

describe('Avro with a schema registry', () => {
  it('PostgreSQL and MariaDB type corpora: Confluent decodes the same values as the JSON path; sinks read the Avro topic', async () => {
    const dir = suite.tempDir('sluice-avro-types-');
    const out = join(dir, 'matrix.jsonl');
    const avro = avroConverters(registry.url);
    const w = await startWorker({
      dir,
      worker: workerConfig(suite.kafka.bootstrap, dir),
      connectors: [
        pgSource('pj', 'pj', {}),
        pgSource('pa', 'pa', avro),
        mariaSource('mj', 'mj', '6301', dir, {}),
        mariaSource('ma', 'ma', '6302', dir, avro),
        {
          name: 'matrix-jdbc',
          config: {
            'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
            topics: 'pa.public.matrix',
            'connection.url': `jdbc:postgresql://${pg.host}:${pg.port}/sinkdb`,
            'connection.username': pg.user,
            'connection.password': pg.password,
            'insert.mode': 'upsert',
            'primary.key.mode': 'record_key',
            'delete.enabled': 'true',
            'schema.evolution': 'basic',
            'collection.name.format': '${source.table}',
            ...avro,
          },
        },
        {
          name: 'matrix-file',
          config: { 'connector.class': 'FileStreamSink', topics: 'pa.public.matrix', file: out, ...avro },
        },
        pgSource('ce', 'ce', { 'value.converter': 'io.debezium.converters.CloudEventsConverter' }),
        pgSource('cea', 'cea', {
          'value.converter': 'io.debezium.converters.CloudEventsConverter',
          'value.converter.data.serializer.type': 'avro',
          'value.converter.avro.schema.registry.url': registry.url,
        }),
      ],
    });
    suite.workers.push(w);
    const status = async (name: string) =>
      (await w.rest<{ tasks: { state: string; trace?: string }[] }>(`/connectors/${name}/status`)).body;
    // Changes made before a connector's snapshot would be folded into it: wait until each one streams.
    for (const c of ['pj', 'pa', 'mj', 'ma', 'ce', 'cea']) {
      const streaming = new RegExp(`"connector":"${c}".*"msg":"streaming (changes|binlog)"`);
      await waitFor(() => streaming.test(w.logs()), 120_000, `${c} streaming`);
    }
    // Streamed changes after the snapshot's row: an insert, an update, a delete (and its tombstone).
    await pg.sql(
      `${MATRIX_ROW.replace('(\n  1,', '(\n  2,')}; UPDATE matrix SET c_text = 'upd' WHERE id = 2; DELETE FROM matrix WHERE id = 2`,
    );
    await maria.exec(
      `SET SESSION sql_mode = ''; SET SESSION time_zone = '+00:00'; ${TYPES_ROW(2)}; UPDATE ty.types SET vc = 'upd' WHERE id = 2; DELETE FROM ty.types WHERE id = 2`,
    );

    const pgValueId = await compareTopics('pj.public.matrix', 'pa.public.matrix', 5);
    await compareTopics('mj.ty.types', 'ma.ty.types', 5);

    // The registered schema is what Confluent's AvroData makes of the table's Connect schema.
    const registered = await registryRequest(registry, 'GET', `/schemas/ids/${pgValueId}`);
    expect(registered.status).toBe(200);
    const expected = readFileSync(new URL('./expected/pa.public.matrix-value.avsc', import.meta.url), 'utf8');
    const got = (registered.body as { schema: string }).schema;
    // On a difference, the registered text is kept beside the worker's files to compare (and review) by hand.
    writeFileSync(join(dir, 'registered.avsc'), got);
    expect(JSON.parse(got), `registered schema in ${join(dir, 'registered.avsc')}`).toEqual(JSON.parse(expected));
    const subjects = (await registryRequest(registry, 'GET', '/subjects')).body as string[];
    expect(subjects).toEqual(
      expect.arrayContaining([
        'pa.public.matrix-key',
        'pa.public.matrix-value',
        'ma.ty.types-key',
        'ma.ty.types-value',
      ]),
    );

    // Kafka (Avro) → FileStreamSink: one JSON value per line, exact numbers kept.
    await waitFor(
      () =>
        readFileSync(out, 'utf8')
          .split('\n')
          .filter((l) => l !== '').length >= 5,
      90_000,
      'file sink lines',
    );
    const lines = readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    expect(lines.length).toBe(5);
    const first = parseLossless(lines[0]) as Record<string, Record<string, { toString(): string }>>;
    expect(first.op.toString()).toBe('r');
    expect(first.after.c_bigint.toString()).toBe('9223372036854775807');
    expect(first.after.c_numeric.toString()).toBe('1234567890123456789012345.12345');
    expect(first.after.c_text.toString()).toBe('héllo "q"');
    expect(lines[4]).toBe('null');

    // Kafka (Avro) → JDBC sink: the row is there with its values; the deleted one is gone.
    const sink = await pg.client('sinkdb');
    try {
      await waitFor(
        async () =>
          (await sink.query('SELECT count(*)::int AS n FROM matrix').catch(() => ({ rows: [{ n: -1 }] }))).rows[0].n ===
          1,
        90_000,
        'the JDBC sink has the one remaining row',
      );
      const got = (
        await sink.query(
          'SELECT id, c_bigint::text, c_numeric::text, c_text, c_bool, c_uuid::text, c_date::text FROM matrix',
        )
      ).rows[0];
      const want = (
        await pg.sql(
          'SELECT id, c_bigint::text, c_numeric::text, c_text, c_bool, c_uuid::text, c_date::text FROM matrix',
        )
      )[0];
      expect(got).toEqual(want);
    } finally {
      await sink.end();
    }

    // CloudEvents: every event of both topics is a valid CloudEvents 1.0 JSON event (the SDK checks the spec's JSON
    // schema and naming rules); Avro data points at its schema in the registry and decodes with it.
    for (const [topic, contentType] of [
      ['ce.public.matrix', 'application/json'],
      ['cea.public.matrix', 'application/avro'],
    ]) {
      const messages = (await readTopic(suite.kafka.brokers, topic, 5)).filter((m) => m.value !== null);
      expect(messages.map((m) => JSON.parse(m.value!.toString('utf8')).iodebeziumop)).toEqual(['r', 'c', 'u', 'd']);
      for (const m of messages) {
        const doc = JSON.parse(m.value!.toString('utf8'));
        expect(() => new CloudEvent(doc, true)).not.toThrow();
        expect(doc).toMatchObject({
          specversion: '1.0',
          source: `/debezium/postgresql/${topic.split('.')[0]}`,
          type: 'io.debezium.connector.postgresql.DataChangeEvent',
          datacontenttype: contentType,
          iodebeziumtable: 'matrix',
        });
        expect(doc.id).toMatch(/^name:cea?;lsn:\d+;txId:(\d+|null);sequence:/);
        expect(Number.isNaN(Date.parse(doc.time))).toBe(false);
        if (contentType === 'application/avro') {
          const data = Buffer.from(doc.data, 'base64');
          const id = data.readInt32BE(1);
          expect(doc.dataschema).toBe(`${registry.url}/schemas/ids/${id}`);
          const schema = (await fetch(doc.dataschema).then((r) => r.json())) as { schema: string };
          const decoded = avroReader(schema.schema).read(data.subarray(5)) as Record<
            string,
            Record<string, unknown> | null
          >;
          expect(Object.keys(decoded)).toEqual(['before', 'after']);
          if (doc.iodebeziumop !== 'd')
            expect(decoded.after?.c_text).toBe(doc.iodebeziumop === 'u' ? 'upd' : 'héllo "q"');
        } else {
          expect(doc.data.schema.name).toBe('io.debezium.connector.postgresql.Data');
        }
      }
    }
    for (const c of ['matrix-jdbc', 'matrix-file', 'pa', 'ma', 'ce', 'cea'])
      expect((await status(c)).tasks[0].state).toBe('RUNNING');
  }, 420_000);
});
