import {
  Binary,
  BSONRegExp,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
} from 'mongodb';
import type { ConformanceCase } from '../framework/suite.js';

/**
 * The MongoDB corpus: documents of one collection (Debezium's connector runs against mongo-java-server only with
 * capture.scope=collection), each with a `case` field naming its case. Only the snapshot is compared side by side:
 * Debezium's change stream cannot read mongo-java-server's events (docs/FACTS.md), so streamed events are checked
 * against Debezium's documented examples instead (test/conformance/mongodb-docs.test.ts).
 */
export const DB = 'conf';
export const COLLECTION = 'docs';

export interface MongoCase extends ConformanceCase {
  documents: () => Record<string, unknown>[];
}

const doc = (c: string, _id: unknown, fields: Record<string, unknown>) => ({ _id, case: c, ...fields });

export const mongoCases: readonly MongoCase[] = [
  {
    name: 'id_types',
    description: 'document keys of every _id type: int32, int64, double, string, ObjectId, binary, UUID, document',
    documents: () => [
      doc('id_types', new Int32(1234), {}),
      doc('id_types', Long.fromString('9223372036854775807'), {}),
      doc('id_types', new Double(12.34), {}),
      doc('id_types', '1234', {}),
      doc('id_types', new ObjectId('596e275826f08b2730779e1f'), {}),
      doc('id_types', new Binary(Buffer.from('kafka'), 0), {}),
      doc('id_types', new Binary(Buffer.from('0123456789abcdef0123456789abcdef', 'hex'), 4), {}),
      doc('id_types', { hi: 'kafka', nums: [new Double(10), new Double(100), new Double(1000)] }, {}),
    ],
  },
  {
    name: 'numbers',
    description: 'int32 and int64 at their limits, doubles (0.1, -0.0, extremes, denormal, NaN, ±Infinity), Decimal128',
    documents: () => [
      doc('numbers', 'n1', {
        i32min: new Int32(-2147483648),
        i32max: new Int32(2147483647),
        i64min: Long.fromString('-9223372036854775808'),
        i64max: Long.fromString('9223372036854775807'),
        i64small: Long.fromNumber(42),
      }),
      doc('numbers', 'n2', {
        d01: new Double(0.1),
        dneg0: new Double(-0),
        dmax: new Double(Number.MAX_VALUE),
        dmin: new Double(5e-324),
        dint: new Double(1),
        dbig: new Double(1e21),
        dnan: new Double(Number.NaN),
        dinf: new Double(Number.POSITIVE_INFINITY),
        dninf: new Double(Number.NEGATIVE_INFINITY),
      }),
      doc('numbers', 'n3', {
        dec: Decimal128.fromString('1234567890.123456789012345678901234'),
        decneg: Decimal128.fromString('-0.000001'),
        decmax: Decimal128.fromString('9.999999999999999999999999999999999E+6144'),
        decnan: Decimal128.fromString('NaN'),
        decinf: Decimal128.fromString('-Infinity'),
        decnegzero: Decimal128.fromString('-0'),
      }),
    ],
  },
  {
    name: 'dates',
    description: 'BSON dates (epoch, before the epoch, milliseconds, year 9999) and timestamps',
    documents: () => [
      doc('dates', 'd1', {
        epoch: new Date(0),
        before: new Date(-1),
        ms: new Date('2024-02-29T12:34:56.789Z'),
        far: new Date('9999-12-31T23:59:59.999Z'),
        ancient: new Date('0001-01-01T00:00:00Z'),
        ts: new Timestamp({ t: 1700000000, i: 7 }),
      }),
    ],
  },
  {
    name: 'binaries',
    description:
      'binary subtypes 0 (generic), 3 (old UUID), 4 (UUID), 128 (user), empty (mongo-java-server drops the connection on subtypes 1, 2 and 5)',
    documents: () => [
      doc('binaries', 'b1', {
        generic: new Binary(Buffer.from([0, 1, 2, 255]), 0),
        olduuid: new Binary(Buffer.from('0123456789abcdef0123456789abcdef', 'hex'), 3),
        uuid: new Binary(Buffer.from('0123456789abcdef0123456789abcdef', 'hex'), 4),
        user: new Binary(Buffer.from('user'), 128),
        empty: new Binary(Buffer.alloc(0), 0),
      }),
    ],
  },
  {
    name: 'other_types',
    description:
      'ObjectId, booleans, null, regular expressions, JavaScript code, MinKey and MaxKey (symbols: mongo-java-server refuses them)',
    documents: () => [
      doc('other_types', 'o1', {
        oid: new ObjectId('65a1b2c3d4e5f60718293a4b'),
        t: true,
        f: false,
        nil: null,
        re: new BSONRegExp('^a.*b$', 'im'),
        code: new Code('function () { return 1; }'),
        min: new MinKey(),
        max: new MaxKey(),
      }),
    ],
  },
  {
    name: 'nested',
    description: 'nested documents and arrays: empty, deep, mixed types, arrays of documents',
    documents: () => [
      doc('nested', 'x1', {
        empty: {},
        emptyArr: [],
        deep: { a: { b: { c: { d: [new Int32(1), { e: 'f' }] } } } },
        mixed: [new Int32(1), 'two', new Double(3.5), true, null, [new Int32(4)], { five: new Int32(5) }],
        docs: [{ k: new Int32(1) }, { k: new Int32(2), extra: [] }],
      }),
    ],
  },
  {
    name: 'strings',
    description:
      'strings: empty, unicode and emoji, JSON escapes, control characters, combining marks, format and private-use characters, a 10 kB string',
    documents: () => [
      doc('strings', 's1', {
        empty: '',
        unicode: 'héllo wörld ✓ 😀',
        escapes: 'quote " backslash \\ slash / tab \t newline \n',
        control: '\u0000\u0001\u001f\u007f\u0085',
        // what Java's writer escapes although JSON would not need it: combining marks, format characters,
        // modifier letters, line separators, private use
        marks: 'e\u0301 \u200b \u02b0 \u2028 \ue000 \ufeff',
        long: 'x'.repeat(10_000),
      }),
    ],
  },
];
