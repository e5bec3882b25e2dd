import { describe, expect, it } from 'vitest';
import { bigintToTwosComplement, Decimal, twosComplementToBigint } from '../../../runtime/data/index.js';

describe('Decimal', () => {
  it('keeps every digit of a 40-digit number and its scale', () => {
    const d = Decimal.parse('-123456789012345678901234567890.1234567890');
    expect(d.scale).toBe(10);
    expect(d.toString()).toBe('-123456789012345678901234567890.1234567890');
  });

  it('parses exponents and small fractions', () => {
    expect(Decimal.parse('1.5e3').toString()).toBe('1500');
    expect(Decimal.parse('0.0001').toString()).toBe('0.0001');
    expect(Decimal.parse('-0.5').toString()).toBe('-0.5');
    expect(Decimal.parse('12e-4').toString()).toBe('0.0012');
    expect(() => Decimal.parse('1.2.3')).toThrow(/not a decimal/);
  });

  it('writes unscaled bytes exactly as Java BigInteger.toByteArray', () => {
    // Values and expected bytes from Java: BigInteger.valueOf(v).toByteArray()
    expect([...bigintToTwosComplement(0n)]).toEqual([0]);
    expect([...bigintToTwosComplement(127n)]).toEqual([0x7f]);
    expect([...bigintToTwosComplement(128n)]).toEqual([0x00, 0x80]);
    expect([...bigintToTwosComplement(-1n)]).toEqual([0xff]);
    expect([...bigintToTwosComplement(-128n)]).toEqual([0x80]);
    expect([...bigintToTwosComplement(-129n)]).toEqual([0xff, 0x7f]);
    expect([...bigintToTwosComplement(12345n)]).toEqual([0x30, 0x39]);
  });

  it('round-trips through unscaled bytes for large values', () => {
    for (const text of ['99999999999999999999999999999.99', '-1', '0.00', '18446744073709551615']) {
      const d = Decimal.parse(text);
      const back = Decimal.fromUnscaledBytes(d.unscaledBytes(), d.scale);
      expect(back.toString()).toBe(text);
      expect(twosComplementToBigint(d.unscaledBytes())).toBe(d.unscaled);
    }
  });

  it('rescales only when exact', () => {
    expect(Decimal.parse('1.5').withScale(3).toString()).toBe('1.500');
    expect(Decimal.parse('1.500').withScale(1).toString()).toBe('1.5');
    expect(() => Decimal.parse('1.55').withScale(1)).toThrow(/exactly/);
  });
});
