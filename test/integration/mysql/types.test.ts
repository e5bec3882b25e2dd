import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonConverter } from '../../../runtime/converters/json.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../../harness/mariadb.js';
import { TaskDriver } from './task-driver.js';
import { TYPES_ROW, TYPES_TABLE } from './types-corpus.js';

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB integration tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

const TABLE = TYPES_TABLE;
const ROW = TYPES_ROW;

/**
 * What Debezium's MySQL connector writes for ROW, with the JSON converter (schemas.enable=true), mode defaults.
 * `b` is declared BOOLEAN but the snapshot reads SHOW CREATE TABLE, which says tinyint(1): INT16, as in Debezium.
 */
const expectedAfter = (id: number) =>
  `{"id":${id},"b":1,"ti":-128,"tiu":255,"si":-32768,"siu":65535,"mi":-8388608,"miu":16777215,` +
  `"i":-2147483648,"iu":4294967295,"bi":-9223372036854775808,"biu":-1,` +
  `"d":"AY7pD/bDc+DuDATVFQ==","f":1.5,"db":2.25,"bt1":true,"bt":"Awo=",` +
  `"dt":19782,"tm":-45296789012,"tm0":3020399000000,"dtm":1709251199999999,"dtm3":-500,` +
  `"ts":"2024-02-29T12:00:00.000001Z","ts0":"2038-01-19T03:14:07Z","y":2024,` +
  `"c":"ab","vc":"héllo wörld ✓","l1":"café","tx":"text 😀","bn":"AQIAAA==","vb":"AP8=","bl":"3q2+7w==",` +
  `"e":"green","st":"a,c","j":"{\\"k\\": [1, 2.5, \\"x\\"]}",` +
  `"g":{"wkb":"AQIAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAPA/AAAAAAAA8D8=","srid":null},` +
  `"p":{"x":1.0,"y":2.0,"wkb":"AQEAAAAAAAAAAADwPwAAAAAAAABA","srid":null},"zd":null,"zdt":null}`;

describe.runIf(!missing)('mysql source type mapping against MariaDB 10.11 (Debezium JSON)', () => {
  let db: MariaDb;
  beforeAll(async () => {
    db = await startMariaDb();
    await db.exec(
      `SET SESSION sql_mode = ''; SET SESSION time_zone = '+00:00'; CREATE DATABASE ty; ${TABLE}; ${ROW(1)}`,
    );
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('snapshot (text protocol) and binlog (binary rows) give the same exact JSON', async () => {
    const d = new TaskDriver(db, { 'include.schema.changes': 'false' });
    await d.start();
    try {
      await d.pollUntil((all) => all.some((r) => r.topic === 'srv.ty.types'));
      await db.exec(`SET SESSION sql_mode = ''; SET SESSION time_zone = '+00:00'; ${ROW(2)}`);
      await d.pollUntil((all) => all.filter((r) => r.topic === 'srv.ty.types').length >= 2);
      const conv = new JsonConverter({ schemasEnable: true, decimalFormat: 'BASE64' });
      const [snap, streamed] = d.records.filter((r) => r.topic === 'srv.ty.types');
      for (const [rec, id, op] of [
        [snap, 1, 'r'],
        [streamed, 2, 'c'],
      ] as const) {
        const doc = JSON.parse((conv.fromRecord(rec.topic, rec.valueSchema, rec.value) as Buffer).toString('utf8'));
        expect(doc.payload.op).toBe(op);
        const afterText = (conv.fromRecord(rec.topic, rec.valueSchema, rec.value) as Buffer)
          .toString('utf8')
          .match(/"after":(\{.*?\}),"source"/)?.[1];
        expect(afterText).toBe(expectedAfter(id));
        const fields = Object.fromEntries(
          (doc.schema.fields[1].fields as { field: string }[]).map((f) => [f.field, JSON.stringify(f)]),
        );
        expect(fields.d).toBe(
          '{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"10","connect.decimal.precision":"30"},"field":"d"}',
        );
        expect(fields.tm).toBe(
          '{"type":"int64","optional":true,"name":"io.debezium.time.MicroTime","version":1,"field":"tm"}',
        );
        expect(fields.dtm).toBe(
          '{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"dtm"}',
        );
        expect(fields.dtm3).toBe(
          '{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"dtm3"}',
        );
        expect(fields.ts).toBe(
          '{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"ts"}',
        );
        expect(fields.dt).toBe(
          '{"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"dt"}',
        );
        expect(fields.bt).toBe(
          '{"type":"bytes","optional":true,"name":"io.debezium.data.Bits","version":1,"parameters":{"length":"12"},"field":"bt"}',
        );
        expect(fields.e).toBe(
          '{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"red,green"},"field":"e"}',
        );
        expect(fields.st).toBe(
          '{"type":"string","optional":true,"name":"io.debezium.data.EnumSet","version":1,"parameters":{"allowed":"a,b,c"},"field":"st"}',
        );
        // MariaDB's JSON is LONGTEXT with a json_valid check: a plain string, as Debezium's MariaDB connector has it.
        expect(fields.j).toBe('{"type":"string","optional":true,"field":"j"}');
        expect(fields.y).toBe(
          '{"type":"int32","optional":true,"name":"io.debezium.time.Year","version":1,"field":"y"}',
        );
        expect(fields.id).toBe('{"type":"int32","optional":false,"field":"id"}');
        expect(fields.iu).toBe('{"type":"int64","optional":true,"field":"iu"}');
        expect(fields.siu).toBe('{"type":"int32","optional":true,"field":"siu"}');
        // FLOAT is single precision (Connect FLOAT32). Kafka's JsonConverter spells it "float" (and FLOAT64
        // "double"); the schema-JSON spelling belongs to the converter, so it is not asserted here.
        expect(JSON.parse(fields.f).type).toMatch(/^float(32)?$/);
        expect(JSON.parse(fields.db).type).toMatch(/^(double|float64)$/);
        expect(doc.schema.name).toBe('srv.ty.types.Envelope');
      }
    } finally {
      await d.stop();
    }
  });

  it('honours decimal.handling.mode=string, bigint.unsigned.handling.mode=precise, binary.handling.mode=hex, time.precision.mode=connect', async () => {
    const d = new TaskDriver(db, {
      'include.schema.changes': 'false',
      'decimal.handling.mode': 'string',
      'bigint.unsigned.handling.mode': 'precise',
      'binary.handling.mode': 'hex',
      'time.precision.mode': 'connect',
      'database.server.id': '5402',
    });
    await d.start();
    try {
      await d.pollUntil((all) => all.filter((r) => r.topic === 'srv.ty.types').length >= 2);
      const conv = new JsonConverter({ schemasEnable: false, decimalFormat: 'BASE64' });
      for (const rec of d.records.filter((r) => r.topic === 'srv.ty.types')) {
        const after = JSON.parse(
          (conv.fromRecord(rec.topic, rec.valueSchema, rec.value) as Buffer).toString('utf8'),
        ).after;
        expect(after.d).toBe('12345678901234567890.0123456789');
        expect(after.biu).toBe('AP//////////');
        expect(after.vb).toBe('00ff');
        expect(after.bn).toBe('01020000');
        expect(after.dtm).toBe(1709251199999);
        // Connect's Time holds a time of day: a negative TIME is null, as Debezium writes it.
        expect(after.tm).toBe(null);
        expect(after.dt).toBe(19782);
      }
    } finally {
      await d.stop();
    }
  });

  describe('every fractional-second precision, NOT NULL zero dates, more charsets, the other handling modes', () => {
    const MORE = `CREATE TABLE ty.more (
      id INT PRIMARY KEY,
      t1 TIME(1), t2 TIME(2), t4 TIME(4), t5 TIME(5),
      dt1 DATETIME(1), dt2 DATETIME(2), dt4 DATETIME(4), dt5 DATETIME(5),
      ts1 TIMESTAMP(1) NULL, ts2 TIMESTAMP(2) NULL, ts4 TIMESTAMP(4) NULL, ts5 TIMESTAMP(5) NULL,
      zd DATE NOT NULL, zdt DATETIME NOT NULL, zts TIMESTAMP NOT NULL DEFAULT '0000-00-00 00:00:00',
      c1251 VARCHAR(10) CHARACTER SET cp1251, l2 VARCHAR(10) CHARACTER SET latin2, u16 VARCHAR(10) CHARACTER SET utf16,
      sj VARCHAR(10) CHARACTER SET sjis, gb VARCHAR(10) CHARACTER SET gbk, kr VARCHAR(10) CHARACTER SET euckr,
      dm DECIMAL(10,3), bu VARBINARY(4)
    ) DEFAULT CHARSET=utf8mb4`;
    const MORE_ROW = (id: number) => `INSERT INTO ty.more VALUES (${id},
      '-00:00:01.5', '12:00:00.25', '-838:59:58.9999', '00:00:00.00001',
      '2000-01-01 00:00:00.1', '1900-01-01 00:00:00.99', '2024-01-01 00:00:00.0001', '9999-12-31 23:59:59.99999',
      '2024-02-29 12:00:00.5', '1970-01-01 00:00:01.01', '2038-01-19 03:14:07.9999', '2001-02-03 04:05:06.00001',
      '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00',
      'Привет', 'Łódź', 'a😀', '日本', '中文', '한국', 1234567.891, X'FBFF')`;
    const expectedMore = (id: number) =>
      `{"id":${id},"t1":-1500000,"t2":43200250000,"t4":-3020398999900,"t5":10,` +
      `"dt1":946684800100,"dt2":-2208988799010,"dt4":1704067200000100,"dt5":253402300799999990,` +
      `"ts1":"2024-02-29T12:00:00.5Z","ts2":"1970-01-01T00:00:01.01Z","ts4":"2038-01-19T03:14:07.9999Z",` +
      `"ts5":"2001-02-03T04:05:06.00001Z","zd":0,"zdt":0,"zts":"1970-01-01T00:00:00Z",` +
      `"c1251":"Привет","l2":"Łódź","u16":"a😀","sj":"日本","gb":"中文","kr":"한국","dm":"SZYC0w==","bu":"+/8="}`;

    beforeAll(async () => {
      await db.exec(`SET SESSION sql_mode = ''; SET SESSION time_zone = '+00:00'; ${MORE}; ${MORE_ROW(1)}`);
    });

    it('snapshot and binlog give the exact Debezium values', async () => {
      const d = new TaskDriver(db, {
        'include.schema.changes': 'false',
        'table.include.list': 'ty\\.more',
        'database.server.id': '5404',
      });
      await d.start();
      try {
        await d.pollUntil((all) => all.some((r) => r.topic === 'srv.ty.more'));
        await db.exec(`SET SESSION sql_mode = ''; SET SESSION time_zone = '+00:00'; ${MORE_ROW(2)}`);
        await d.pollUntil((all) => all.filter((r) => r.topic === 'srv.ty.more').length >= 2);
        const conv = new JsonConverter({ schemasEnable: true, decimalFormat: 'BASE64' });
        const recs = d.records.filter((r) => r.topic === 'srv.ty.more');
        for (const [i, rec] of recs.entries()) {
          const text = (conv.fromRecord(rec.topic, rec.valueSchema, rec.value) as Buffer).toString('utf8');
          expect(text.match(/"after":(\{.*?\}),"source"/)?.[1], i === 0 ? 'snapshot' : 'binlog').toBe(
            expectedMore(i + 1),
          );
          const fields = Object.fromEntries(
            (JSON.parse(text).schema.fields[1].fields as { field: string; name?: string; optional: boolean }[]).map(
              (f) => [f.field, `${f.name ?? ''}${f.optional ? '?' : ''}`],
            ),
          );
          expect(fields).toMatchObject({
            t1: 'io.debezium.time.MicroTime?',
            dt2: 'io.debezium.time.Timestamp?',
            dt4: 'io.debezium.time.MicroTimestamp?',
            ts5: 'io.debezium.time.ZonedTimestamp?',
            zd: 'io.debezium.time.Date',
            zdt: 'io.debezium.time.Timestamp',
            zts: 'io.debezium.time.ZonedTimestamp',
          });
        }
      } finally {
        await d.stop();
      }
    });

    it('decimal.handling.mode=double, binary.handling.mode=base64-url-safe and base64', async () => {
      for (const [binary, expected] of [
        ['base64-url-safe', '-_8='],
        ['base64', '+/8='],
      ]) {
        const d = new TaskDriver(db, {
          'include.schema.changes': 'false',
          'table.include.list': 'ty\\.more',
          'database.server.id': '5405',
          'decimal.handling.mode': 'double',
          'binary.handling.mode': binary,
        });
        await d.start();
        try {
          await d.pollUntil((all) => all.filter((r) => r.topic === 'srv.ty.more').length >= 2);
          const conv = new JsonConverter({ schemasEnable: false, decimalFormat: 'BASE64' });
          for (const rec of d.records.filter((r) => r.topic === 'srv.ty.more')) {
            const after = JSON.parse(
              (conv.fromRecord(rec.topic, rec.valueSchema, rec.value) as Buffer).toString(),
            ).after;
            expect([after.dm, after.bu]).toEqual([1234567.891, expected]);
          }
        } finally {
          await d.stop();
        }
      }
    });
  });
});
