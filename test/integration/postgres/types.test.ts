import { parse } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonConverter } from '../../../runtime/converters/json.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { TaskDriver } from './task-driver.js';
import { MATRIX_DDL, MATRIX_ROW } from './types-corpus.js';

let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
  await pg.sql(MATRIX_DDL);
});
afterAll(async () => {
  await pg?.stop();
});

const ROW = MATRIX_ROW;

/** Debezium's JSON (JsonConverter, schemas.enable=true) for the `after` struct of this row (test/conformance checks every type against Debezium 3.6.1 itself). */
const EXPECTED_AFTER_SCHEMA = `{"type":"struct","fields":[
  {"type":"int32","optional":false,"field":"id"},
  {"type":"int16","optional":true,"field":"c_smallint"},
  {"type":"int32","optional":true,"field":"c_int"},
  {"type":"int64","optional":false,"field":"c_bigint"},
  {"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"5","connect.decimal.precision":"30"},"field":"c_numeric"},
  {"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},{"type":"bytes","optional":false,"field":"value"}],"optional":true,"name":"io.debezium.data.VariableScaleDecimal","version":1,"doc":"Variable scaled decimal","field":"c_numeric_var"},
  {"type":"float","optional":true,"field":"c_real"},
  {"type":"double","optional":true,"field":"c_double"},
  {"type":"boolean","optional":true,"field":"c_bool"},
  {"type":"string","optional":true,"field":"c_text"},
  {"type":"string","optional":true,"field":"c_varchar"},
  {"type":"string","optional":true,"field":"c_char"},
  {"type":"bytes","optional":true,"field":"c_bytea"},
  {"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"c_date"},
  {"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"c_date_inf"},
  {"type":"int64","optional":true,"name":"io.debezium.time.MicroTime","version":1,"field":"c_time"},
  {"type":"int32","optional":true,"name":"io.debezium.time.Time","version":1,"field":"c_time3"},
  {"type":"string","optional":true,"name":"io.debezium.time.ZonedTime","version":1,"field":"c_timetz"},
  {"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"c_ts"},
  {"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"c_ts3"},
  {"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"c_ts_inf"},
  {"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"c_tstz"},
  {"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"c_tstz_ninf"},
  {"type":"int64","optional":true,"name":"io.debezium.time.MicroDuration","version":1,"field":"c_interval"},
  {"type":"string","optional":true,"name":"io.debezium.data.Uuid","version":1,"field":"c_uuid"},
  {"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"c_json"},
  {"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"c_jsonb"},
  {"type":"array","items":{"type":"int32","optional":true},"optional":true,"field":"c_int_arr"},
  {"type":"array","items":{"type":"string","optional":true},"optional":true,"field":"c_text_arr"},
  {"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"sad,ok,happy"},"field":"c_enum"},
  {"type":"int32","optional":true,"field":"c_domain"},
  {"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"c_tstz_whole"},
  {"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"c_tstz3"},
  {"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},{"type":"bytes","optional":false,"field":"value"}],"optional":true,"name":"io.debezium.data.VariableScaleDecimal","version":1,"doc":"Variable scaled decimal","field":"c_numeric_trail"}
],"optional":true,"name":"srv.public.matrix.Value","field":"after"}`;

const EXPECTED_AFTER = `{
  "id":1,"c_smallint":32767,"c_int":-2147483648,"c_bigint":9223372036854775807,
  "c_numeric":"AY7pD/bDc+DuTj4x2Q==","c_numeric_var":{"scale":5,"value":"BMsv"},"c_real":1.5,"c_double":1.7976931348623157E308,
  "c_bool":true,"c_text":"héllo \\"q\\"","c_varchar":"abc","c_char":"ab   ","c_bytea":"AP8Q",
  "c_date":19782,"c_date_inf":2147483647,"c_time":86399999999,"c_time3":43200123,"c_timetz":"08:11:12.123456Z",
  "c_ts":1704164645123456,"c_ts3":1704164645123,"c_ts_inf":9223372036854775807,"c_tstz":"2024-01-02T01:04:05.123456Z","c_tstz_ninf":"-infinity",
  "c_interval":37091106789000,"c_uuid":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","c_json":"{\\"a\\":  1}","c_jsonb":"{\\"a\\": 1, \\"b\\": [1, 2]}",
  "c_int_arr":[1,null,3],"c_text_arr":["a b","c"],"c_enum":"ok","c_domain":5,
  "c_tstz_whole":"2024-01-02T01:04:05.000000Z","c_tstz3":"2024-01-02T03:04:05.100Z","c_numeric_trail":{"scale":1,"value":"fQ=="}
}`;

/** Debezium 3.6.1's source block schema for PostgreSQL, as its JsonConverter output shows it. */
const EXPECTED_SOURCE_SCHEMA = `{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"},{"type":"string","optional":false,"field":"schema"},{"type":"string","optional":false,"field":"table"},{"type":"int64","optional":true,"field":"txId"},{"type":"int64","optional":true,"field":"lsn"},{"type":"int64","optional":true,"field":"xmin"},{"type":"string","optional":true,"field":"origin"},{"type":"int64","optional":true,"field":"origin_lsn"}],"optional":false,"name":"io.debezium.connector.postgresql.Source","version":1,"field":"source"}`;

const exact = (text: string) => parse(text, undefined, (n: string) => n);

function encoded(d: TaskDriver, op: string): Record<string, unknown> {
  const r = d.records.find((x) => (x.value as { op?: string } | null)?.op === op)!;
  const json = new JsonConverter({ schemasEnable: true, decimalFormat: 'BASE64' }).fromRecord(
    r.topic,
    r.valueSchema,
    r.value,
  )!;
  const text = json.toString('utf8');
  return exact(text) as Record<string, unknown>;
}

describe('postgres source: type matrix', () => {
  it('encodes every type at edge values exactly as Debezium does, in the snapshot and in the stream', async () => {
    await pg.sql(ROW);
    const d = new TaskDriver({
      ...pg.connectorConfig(),
      'topic.prefix': 'srv',
      'table.include.list': 'public\\.matrix',
    });
    await d.start();
    try {
      await pg.sql(ROW.replace('(\n  1,', '(\n  2,'));
      await d.pollUntil((r) => r.length >= 2);
      for (const op of ['r', 'c']) {
        const doc = encoded(d, op) as {
          schema: { fields: Array<{ field: string }> };
          payload: Record<string, unknown>;
        };
        const fields = doc.schema.fields;
        expect(doc.schema).toMatchObject({
          type: 'struct',
          optional: false,
          name: 'srv.public.matrix.Envelope',
          version: '2',
        });
        expect(fields.map((f) => f.field)).toEqual([
          'before',
          'after',
          'source',
          'transaction',
          'op',
          'ts_ms',
          'ts_us',
          'ts_ns',
        ]);
        expect(fields[1]).toEqual(exact(EXPECTED_AFTER_SCHEMA));
        expect(fields[2]).toEqual(exact(EXPECTED_SOURCE_SCHEMA));
        const expectedAfter = exact(EXPECTED_AFTER) as Record<string, unknown>;
        if (op === 'c') expectedAfter.id = '2';
        const after = doc.payload.after as Record<string, unknown>;
        for (const k of Object.keys(expectedAfter)) expect([k, after[k]]).toEqual([k, expectedAfter[k]]);
        expect(Object.keys(after)).toEqual(Object.keys(expectedAfter));
        expect(doc.payload.op).toBe(op);
      }
    } finally {
      await d.stop();
    }
  });

  it('maps NaN and infinities of numeric per decimal.handling.mode, bytea per binary.handling.mode', async () => {
    await pg.sql(
      "CREATE TABLE specials (id int PRIMARY KEY, n numeric, b bytea); INSERT INTO specials VALUES (1, 'NaN', '\\x01'), (2, 'Infinity', NULL), (3, '-Infinity', NULL), (4, 0.0000001, NULL)",
    );
    const driver = (mode: string) =>
      new TaskDriver({
        ...pg.connectorConfig(),
        'topic.prefix': 'srv',
        'slot.name': `sp_${mode}`,
        'publication.name': `sp_${mode}`,
        'publication.autocreate.mode': 'filtered',
        'table.include.list': 'public\\.specials',
        'decimal.handling.mode': mode,
        'binary.handling.mode': 'hex',
        'snapshot.mode': 'initial_only',
      });
    // Debezium's SpecialValueDecimal: doubles for double, its enum names and BigDecimal.toPlainString() for string;
    // null in precise mode (no BigDecimal holds them). Checked against Debezium 3.6.1 by the conformance suite.
    for (const [mode, expected] of [
      ['double', ['"NaN"', '"Infinity"', '"-Infinity"', '1.0E-7']],
      ['string', ['"NAN"', '"POSITIVE_INFINITY"', '"NEGATIVE_INFINITY"', '"0.0000001"']],
      ['precise', ['null', 'null', 'null', '{"scale":7']],
    ] as const) {
      const d = driver(mode);
      await d.start();
      try {
        await d.pollUntil((r) => r.length >= 4);
        const conv = new JsonConverter({ schemasEnable: false, decimalFormat: 'BASE64' });
        const ns = d.records.map(
          (r) => /"n":([^,}]*)/.exec(conv.fromRecord(r.topic, r.valueSchema, r.value)!.toString())![1],
        );
        expect(ns).toEqual(expected);
        expect((d.records[0].value as { after: { b: unknown } }).after.b).toBe('01');
      } finally {
        await d.stop();
      }
    }
  });
});
