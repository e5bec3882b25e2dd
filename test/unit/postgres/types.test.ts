import { describe, expect, it } from 'vitest';
import type { Decimal } from '../../../runtime/api/index.js';
import { columnCodec, parseArrayLiteral, type TypeModes } from '../../../connectors/postgres/types.js';

const modes: TypeModes = { decimal: 'precise', time: 'adaptive', binary: 'bytes', interval: 'numeric' };
const none = { type: () => undefined };
const numericTypmod = (p: number, s: number) => ((p << 16) | s) + 4;

describe('column codecs', () => {
  it('splits array literals with quotes, escapes and NULL', () => {
    expect(parseArrayLiteral('{}')).toEqual([]);
    expect(parseArrayLiteral('{1,2,NULL}')).toEqual(['1', '2', null]);
    expect(parseArrayLiteral('{"a b","c\\"d",e,"NULL"}')).toEqual(['a b', 'c"d', 'e', 'NULL']);
    expect(parseArrayLiteral('[0:1]={x,y}')).toEqual(['x', 'y']);
  });

  it('maps numeric in every decimal.handling.mode', () => {
    const precise = columnCodec(1700, numericTypmod(30, 5), modes, none);
    expect(precise.schema.parameters).toEqual({ scale: '5', 'connect.decimal.precision': '30' });
    expect((precise.decode('1234567890123456789012345.12345') as Decimal).toString()).toBe(
      '1234567890123456789012345.12345',
    );
    // Debezium's precise mode has no form for NaN and infinities: it fails, naming the fix.
    expect(() => precise.decode('NaN')).toThrow(/set decimal.handling.mode to string or double/);
    const variable = columnCodec(1700, -1, modes, none);
    expect(variable.schema.name).toBe('io.debezium.data.VariableScaleDecimal');
    expect(() => variable.decode('-Infinity')).toThrow(/decimal.handling.mode=precise/);
    // Trailing zeros stripped (BigDecimal.stripTrailingZeros), never below scale 0.
    expect(variable.decode('-1.50')).toEqual({ scale: 1, value: Buffer.from([0xf1]) });
    expect(variable.decode('100')).toEqual({ scale: 0, value: Buffer.from([0x64]) });
    expect(variable.decode('0.000')).toEqual({ scale: 0, value: Buffer.from([0]) });
    expect(columnCodec(1700, -1, { ...modes, decimal: 'double' }, none).decode('Infinity')).toBe(
      Number.POSITIVE_INFINITY,
    );
    // String mode writes BigDecimal.toString(): special values by name, scientific notation below 1e-6.
    const text = columnCodec(1700, -1, { ...modes, decimal: 'string' }, none);
    expect(['NaN', 'Infinity', '-Infinity'].map((t) => text.decode(t))).toEqual([
      'NAN',
      'POSITIVE_INFINITY',
      'NEGATIVE_INFINITY',
    ]);
    expect(['12.50', '-0.00000123', '0.000000123', '0.0000001', '0.0000000000'].map((t) => text.decode(t))).toEqual([
      '12.50',
      '-0.00000123',
      '1.23E-7',
      '1E-7',
      '0E-10',
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
    expect(columnCodec(90002, -1, modes, lookup).decode('7')).toBe(7);
    const arr = columnCodec(1007, -1, modes, lookup);
    expect(arr.schema.type).toBe('array');
    expect(arr.schema.valueSchema?.optional).toBe(true);
    expect(arr.decode('{1,NULL,3}')).toEqual([1, null, 3]);
  });
});
