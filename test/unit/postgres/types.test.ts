import { describe, expect, it } from 'vitest';
import type { Decimal } from '../../../runtime/api/index.js';
import { columnDefault } from '../../../connectors/postgres/mapping/defaults.js';
import { javaHashMapOrder } from '../../../connectors/postgres/mapping/misc.js';
import {
  type ColumnCodec,
  columnCodec as codecOrNone,
  parseArrayLiteral,
  SUB_ARRAY,
  type TypeLookup,
  type TypeModes,
} from '../../../connectors/postgres/types.js';

/**
 * Unit checks of the type mapping; the reference for every value here is Debezium 3.6.1 itself, run beside sluice by
 * test/conformance/postgres.test.ts.
 */
const modes: TypeModes = {
  decimal: 'precise',
  time: 'adaptive',
  binary: 'bytes',
  interval: 'numeric',
  hstore: 'json',
  unknown: false,
};
const none = { type: () => undefined };

function columnCodec(oid: number, typmod: number, m: TypeModes, types: TypeLookup): ColumnCodec {
  const c = codecOrNone(oid, typmod, m, types);
  if (!c) throw new Error(`no codec for oid ${oid}`);
  return c;
}
const numericTypmod = (p: number, s: number) => ((p << 16) | s) + 4;

describe('column codecs', () => {
  it('splits array literals with quotes, escapes and NULL', () => {
    expect(parseArrayLiteral('{}')).toEqual([]);
    expect(parseArrayLiteral('{1,2,NULL}')).toEqual(['1', '2', null]);
    expect(parseArrayLiteral('{"a b","c\\"d",e,"NULL"}')).toEqual(['a b', 'c"d', 'e', 'NULL']);
    expect(parseArrayLiteral('[0:1]={x,y}')).toEqual(['x', 'y']);
    expect(parseArrayLiteral('{{1,2},{"}",NULL}}')).toEqual([SUB_ARRAY, SUB_ARRAY]);
    expect(parseArrayLiteral('{(0,0),(1,1);(2,2),(3,3)}', ';')).toEqual(['(0,0),(1,1)', '(2,2),(3,3)']);
    expect(() => parseArrayLiteral('{{1,2}')).toThrow(SyntaxError);
  });

  it('maps numeric in every decimal.handling.mode', () => {
    const precise = columnCodec(1700, numericTypmod(30, 5), modes, none);
    expect(precise.schema.parameters).toEqual({ scale: '5', 'connect.decimal.precision': '30' });
    expect((precise.decode('1234567890123456789012345.12345') as Decimal).toString()).toBe(
      '1234567890123456789012345.12345',
    );
    // NaN and infinities have no BigDecimal: null, as Debezium writes (never a failed task).
    expect(precise.decode('NaN')).toBeNull();
    const variable = columnCodec(1700, -1, modes, none);
    expect(variable.schema.name).toBe('io.debezium.data.VariableScaleDecimal');
    expect(variable.decode('-Infinity')).toBeNull();
    // Trailing zeros stripped (BigDecimal.stripTrailingZeros), never below scale 0.
    expect(variable.decode('-1.50')).toEqual({ scale: 1, value: Buffer.from([0xf1]) });
    expect(variable.decode('100')).toEqual({ scale: 0, value: Buffer.from([0x64]) });
    expect(variable.decode('0.000')).toEqual({ scale: 0, value: Buffer.from([0]) });
    expect(columnCodec(1700, -1, { ...modes, decimal: 'double' }, none).decode('Infinity')).toBe(
      Number.POSITIVE_INFINITY,
    );
    // String mode writes BigDecimal.toPlainString(): special values by name, never scientific notation.
    const text = columnCodec(1700, -1, { ...modes, decimal: 'string' }, none);
    expect(['NaN', 'Infinity', '-Infinity'].map((t) => text.decode(t))).toEqual([
      'NAN',
      'POSITIVE_INFINITY',
      'NEGATIVE_INFINITY',
    ]);
    expect(['12.50', '-0.00000123', '0.0000001', '0.0000000000'].map((t) => text.decode(t))).toEqual([
      '12.50',
      '-0.00000123',
      '0.0000001',
      '0.0000000000',
    ]);
  });

  it('keeps int8 exact and maps time precision adaptively', () => {
    expect(columnCodec(20, -1, modes, none).decode('9223372036854775807')).toBe(9223372036854775807n);
    expect(columnCodec(20, -1, modes, none).decode('42')).toBe(42);
    expect(columnCodec(1083, 3, modes, none).schema.name).toBe('io.debezium.time.Time');
    expect(columnCodec(1083, -1, modes, none).decode('00:00:01.000001')).toBe(1000001);
    expect(columnCodec(1114, 3, modes, none).decode('1970-01-01 00:00:01.5')).toBe(1500);
    expect(columnCodec(1114, -1, { ...modes, time: 'connect' }, none).schema.name).toBe(
      'org.apache.kafka.connect.data.Timestamp',
    );
    // adaptive_time_microseconds: TIME always in microseconds, TIMESTAMP as adaptive.
    const micro = { ...modes, time: 'adaptive_time_microseconds' } as const;
    expect(columnCodec(1083, 3, micro, none).schema.name).toBe('io.debezium.time.MicroTime');
    expect(columnCodec(1083, 3, micro, none).decode('00:00:01.5')).toBe(1500000);
    expect(columnCodec(1114, 3, micro, none).schema.name).toBe('io.debezium.time.Timestamp');
    // connect: Kafka Connect's Date / Time / Timestamp, milliseconds.
    const connect = { ...modes, time: 'connect' } as const;
    expect(columnCodec(1083, -1, connect, none).schema.name).toBe('org.apache.kafka.connect.data.Time');
    expect(columnCodec(1083, -1, connect, none).decode('00:00:01.999999')).toBe(1999);
    expect(columnCodec(1082, -1, connect, none).schema.name).toBe('org.apache.kafka.connect.data.Date');
    expect(columnCodec(1114, 6, connect, none).decode('1970-01-01 00:00:01.999999')).toBe(1999);
  });

  it('maps bytea per binary.handling.mode and TOAST placeholders per type', () => {
    expect(columnCodec(17, -1, modes, none).decode('\\x00ff')).toEqual(Buffer.from([0, 255]));
    expect(columnCodec(17, -1, { ...modes, binary: 'hex' }, none).decode('\\x00ff')).toBe('00ff');
    expect(columnCodec(17, -1, { ...modes, binary: 'base64' }, none).decode('\\x00ff')).toBe('AP8=');
    // Java's URL-safe encoder keeps the padding.
    expect(columnCodec(17, -1, { ...modes, binary: 'base64-url-safe' }, none).decode('\\xfbff')).toBe('-_8=');
    expect(columnCodec(17, -1, modes, none).placeholder('__x')).toEqual(Buffer.from('__x'));
    expect(columnCodec(25, -1, modes, none).placeholder('__x')).toBe('__x');
    expect(columnCodec(23, -1, modes, none).placeholder('__x')).toBeNull();
    // Debezium's base64 modes have no placeholder for bytea; hex has the text.
    expect(columnCodec(17, -1, { ...modes, binary: 'base64' }, none).placeholder('__x')).toBeNull();
    expect(columnCodec(17, -1, { ...modes, binary: 'hex' }, none).placeholder('__x')).toBe('__x');
  });

  it('leaves out types Debezium has no mapping for, unless include.unknown.datatypes', () => {
    const line = 628;
    expect(codecOrNone(line, -1, modes, none)).toBeUndefined();
    const asBytes = columnCodec(line, -1, { ...modes, unknown: true }, none);
    expect(asBytes.schema.type).toBe('bytes');
    expect(asBytes.decode('{1,2,3}')).toEqual(Buffer.from('{1,2,3}'));
    expect(columnCodec(line, -1, { ...modes, unknown: true, binary: 'hex' }, none).decode('{1}')).toBe('7b317d');
  });

  it('maps point, bits, hstore and extremes as Debezium does', () => {
    const point = columnCodec(600, -1, modes, none);
    expect(point.schema.name).toBe('io.debezium.data.geometry.Point');
    expect(point.decode('(1.5,-2.25)')).toEqual({
      x: 1.5,
      y: -2.25,
      wkb: Buffer.from('AQEAAAAAAAAAAAD4PwAAAAAAAALA', 'base64'),
      srid: null,
    });
    expect(columnCodec(1560, 1, modes, none).decode('1')).toBe(true);
    expect(columnCodec(1562, 1, modes, none).decode('0')).toBe(false);
    // Unconstrained varbit: Bits of length Integer.MAX_VALUE.
    expect(columnCodec(1562, -1, modes, none).schema.parameters).toEqual({ length: '2147483647' });
    expect(columnCodec(1562, -1, modes, none).decode('1011')).toEqual(Buffer.from([0x0b]));
    // A timestamp past year 292277 has no int64 of microseconds: null, never a number no int64 holds.
    expect(columnCodec(1114, -1, modes, none).decode('294276-12-31 23:59:59.999999')).toBeNull();
    expect(columnCodec(1114, -1, modes, none).decode('infinity')).toBe(9223372036854775807n);
    expect(columnCodec(1082, -1, modes, none).decode('4713-01-01 BC')).toBe(-2440550);
  });

  it('orders hstore keys as a java.util.HashMap iterates them', () => {
    // Java 17: a new HashMap<>() with these puts iterates a, b, c d (String#hashCode, 16 buckets).
    expect(
      javaHashMapOrder([
        ['a', '1'],
        ['b', null],
        ['c d', 'x'],
      ]).map(([k]) => k),
    ).toEqual(['a', 'b', 'c d']);
    const many = Array.from({ length: 20 }, (_, i) => [`k${i}`, null] as [string, null]);
    // 20 keys: the table doubled to 32 buckets; the order Java 17 printed for the same puts.
    expect(javaHashMapOrder(many).map(([k]) => k)).toEqual(JAVA_ORDER_20);
  });

  it('derives column defaults as Debezium does, and none where it gives none', () => {
    const int4 = columnCodec(23, -1, modes, none);
    const text = columnCodec(25, -1, modes, none);
    const d = (typeName: string, expression: string, codec: ColumnCodec) =>
      columnDefault({ typeName, isEnum: false, expression }, codec);
    expect(d('int4', "nextval('t_id_seq'::regclass)", int4)).toBe(0);
    expect(d('int4', "'-1'::integer", int4)).toBe(-1);
    expect(d('int4', '42', int4)).toBe(42);
    expect(d('int4', '(1 + 1)', int4)).toBeUndefined();
    expect(d('text', "'dflt'::text", text)).toBe('dflt');
    expect(d('text', "'v''q'::text", text)).toBe("v'q");
    expect(d('text', 'NULL::text', text)).toBeUndefined();
    expect(d('timestamptz', 'now()', columnCodec(1184, -1, modes, none))).toBe('1970-01-01T00:00:00.000000Z');
    expect(d('date', 'CURRENT_DATE', columnCodec(1082, -1, modes, none))).toBe(0);
    expect(d('interval', 'now() - now()', columnCodec(1186, -1, modes, none))).toBeUndefined();
    expect(d('money', "'1.00'::money", columnCodec(790, -1, modes, none))).toBeUndefined();
    // A VariableScaleDecimal default is a struct: Connect cannot hold it (KAFKA-12694), Debezium drops it.
    expect(d('numeric', '1.5', columnCodec(1700, -1, modes, none))).toBeUndefined();
  });

  it('resolves enums, domains and arrays through the type catalog', () => {
    const types = new Map([
      [
        90001,
        {
          oid: 90001,
          name: 'mood',
          kind: 'e',
          elem: 0,
          base: 0,
          baseTypmod: -1,
          category: 'E',
          enumLabels: ['sad', 'ok'],
        },
      ],
      [90002, { oid: 90002, name: 'posint', kind: 'd', elem: 0, base: 23, baseTypmod: -1, category: 'N' }],
      [1007, { oid: 1007, name: '_int4', kind: 'b', elem: 23, base: 0, baseTypmod: -1, category: 'A' }],
    ]);
    const lookup = { type: (oid: number) => types.get(oid) };
    const e = columnCodec(90001, -1, modes, lookup);
    expect(e.schema.parameters).toEqual({ allowed: 'sad,ok' });
    expect(columnDefault({ typeName: 'mood', isEnum: true, expression: "'ok'::mood" }, e)).toBe('ok');
    expect(columnDefault({ typeName: 'mood', isEnum: true, expression: "'ok'::other" }, e)).toBeUndefined();
    expect(columnCodec(90002, -1, modes, lookup).decode('7')).toBe(7);
    const arr = columnCodec(1007, -1, modes, lookup);
    expect(arr.schema.type).toBe('array');
    expect(arr.schema.valueSchema?.optional).toBe(true);
    expect(arr.decode('{1,NULL,3}')).toEqual([1, null, 3]);
    // A multi-dimensional value: one null per sub-array, as Debezium writes.
    expect(arr.decode('{{1,2},{3,4}}')).toEqual([null, null]);
    // An enum array's items are not optional (Debezium's Enum.builder without optional()).
    types.set(90003, { oid: 90003, name: '_mood', kind: 'b', elem: 90001, base: 0, baseTypmod: -1, category: 'A' });
    expect(columnCodec(90003, -1, modes, lookup).schema.valueSchema?.optional).toBe(false);
    // A numeric array holding NaN anywhere is null as a whole, in every decimal mode.
    types.set(1231, { oid: 1231, name: '_numeric', kind: 'b', elem: 1700, base: 0, baseTypmod: -1, category: 'A' });
    for (const decimal of ['precise', 'double', 'string'] as const) {
      const nums = columnCodec(1231, -1, { ...modes, decimal }, lookup);
      expect(nums.decode('{1.5,NaN}')).toBeNull();
      expect(nums.decode('{{1},{Infinity}}')).toBeNull();
    }
    // Arrays Debezium declares unsupported are left out (money[], interval[], …).
    types.set(1187, { oid: 1187, name: '_interval', kind: 'b', elem: 1186, base: 0, baseTypmod: -1, category: 'A' });
    expect(codecOrNone(1187, -1, { ...modes, unknown: true }, lookup)).toBeUndefined();
  });
});

/** `k0`…`k19` in the order Java 17's HashMap iterates them after putting them in order. */
const JAVA_ORDER_20 = 'k0 k1 k2 k3 k4 k5 k11 k6 k10 k7 k13 k8 k12 k9 k15 k14 k17 k16 k19 k18'.split(' ');
