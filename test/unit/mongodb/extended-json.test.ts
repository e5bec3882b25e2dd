import { Binary, BSONRegExp, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  defaultToJson,
  documentIdJson,
  javaDouble,
  toExtendedJson,
} from '../../../connectors/mongodb/extended-json.js';

/** Expected strings follow the Java driver's JsonWriter (STRICT / RELAXED, empty indent), which Debezium uses. */
describe('toExtendedJson (STRICT, as Debezium writes after/before)', () => {
  it('writes every BSON type in its STRICT form with Java spacing', () => {
    const doc = {
      _id: new ObjectId('5f1e2d3c4b5a697887766554'),
      i: new Int32(-3),
      l: Long.fromString('-9223372036854775808'),
      d: new Double(0.1),
      whole: new Double(100),
      big: new Double(1e21),
      small: new Double(0.00012),
      dec: Decimal128.fromString('12345.6789'),
      s: 'tab\tquote" back\\ nl\n ctl\u0001 é',
      t: true,
      n: null,
      date: new Date(-1000),
      bin: new Binary(Buffer.from([1, 2, 3]), 0),
      ts: new Timestamp({ t: 10, i: 2 }),
      re: new BSONRegExp('^a.*', 'i'),
      min: new MinKey(),
      max: new MaxKey(),
      arr: [new Int32(1), { x: new Int32(2) }, []],
      empty: {},
    };
    expect(toExtendedJson(doc, 'strict')).toBe(
      '{"_id": {"$oid": "5f1e2d3c4b5a697887766554"},"i": -3,"l": {"$numberLong": "-9223372036854775808"},' +
        '"d": 0.1,"whole": 100.0,"big": 1.0E21,"small": 1.2E-4,"dec": {"$numberDecimal": "12345.6789"},' +
        '"s": "tab\\tquote\\" back\\\\ nl\\n ctl\\u0001 é","t": true,"n": null,"date": {"$date": -1000},' +
        '"bin": {"$binary": "AQID","$type": "00"},"ts": {"$timestamp": {"t": 10,"i": 2}},' +
        '"re": {"$regex": "^a.*","$options": "i"},"min": {"$minKey": 1},"max": {"$maxKey": 1},' +
        '"arr": [1,{"x": 2},[]],"empty": {}}',
    );
  });
});

describe('documentIdJson (RELAXED, as Debezium writes the key id)', () => {
  it('writes ids as Debezium keys show them', () => {
    expect(documentIdJson(new Int32(1004))).toBe('1004');
    expect(documentIdJson(Long.fromString('9007199254740993'))).toBe('9007199254740993');
    expect(documentIdJson('abc')).toBe('"abc"');
    expect(documentIdJson(new ObjectId('5f1e2d3c4b5a697887766554'))).toBe('{"$oid": "5f1e2d3c4b5a697887766554"}');
    expect(documentIdJson(new Double(1.5))).toBe('1.5');
    expect(documentIdJson(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe('{"$date": "2024-01-02T03:04:05Z"}');
    expect(documentIdJson(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 60)))).toBe('{"$date": "2024-01-02T03:04:05.060Z"}');
    expect(documentIdJson(new Date(-1))).toBe('{"$date": {"$numberLong": "-1"}}');
    expect(documentIdJson({ a: new Int32(1), b: 'x' })).toBe('{"a": 1,"b": "x"}');
    expect(documentIdJson(new Binary(Buffer.from([255]), 4))).toBe('{"$binary": {"base64": "/w==","subType": "04"}}');
    expect(documentIdJson(new Double(Number.NaN))).toBe('{"$numberDouble": "NaN"}');
  });
});

describe('defaultToJson (BsonDocument.toJson() defaults, as Debezium writes updatedFields)', () => {
  it('is RELAXED with ", " between members', () => {
    expect(
      defaultToJson({
        a: new Int32(1),
        'b.c': Long.fromString('5'),
        d: new Date(0),
        e: [new Int32(1), new Int32(2)],
        f: { g: 'h' },
      }),
    ).toBe('{"a": 1, "b.c": 5, "d": {"$date": "1970-01-01T00:00:00Z"}, "e": [1, 2], "f": {"g": "h"}}');
  });
});

describe('javaDouble', () => {
  it('matches Double.toString', () => {
    const cases: Array<[number, string]> = [
      [0, '0.0'],
      [-0, '-0.0'],
      [1, '1.0'],
      [-2.5, '-2.5'],
      [0.001, '0.001'],
      [0.0009, '9.0E-4'],
      [1234567.5, '1234567.5'],
      [9999999, '9999999.0'],
      [10000000, '1.0E7'],
      [123456789012, '1.23456789012E11'],
      [Number.MAX_VALUE, '1.7976931348623157E308'],
    ];
    for (const [d, s] of cases) expect(javaDouble(d), String(d)).toBe(s);
  });
});
