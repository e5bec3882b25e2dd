import { describe, expect, it } from 'vitest';
import { decimalBinarySize, decodeBinaryDecimal } from '../../../connectors/mysql/binlog/decimal.js';

describe('binary DECIMAL (decimal2bin)', () => {
  // The worked example of MySQL's strings/decimal.c comment: DECIMAL(14,4) 1234567890.1234.
  it('decodes the documented example and its negation', () => {
    expect(decimalBinarySize(14, 4)).toBe(7);
    expect(decodeBinaryDecimal(Buffer.from('810dfb38d204d2', 'hex'), 0, 14, 4).toString()).toBe('1234567890.1234');
    expect(decodeBinaryDecimal(Buffer.from('7ef204c72dfb2d', 'hex'), 0, 14, 4).toString()).toBe('-1234567890.1234');
  });

  it('keeps every digit of DECIMAL(65,30) and leading zeros of the fraction', () => {
    // 35 integer digits: 8 leading digits (4 bytes) + 3 words; 30 fraction digits: 3 words + 3 digits (2 bytes).
    const intDigits = '12345678901234567890123456789012345';
    const frac = '000000001000000000000000000789';
    const words = [
      Number(intDigits.slice(0, 8)),
      ...[8, 17, 26].map((i) => Number(intDigits.slice(i, i + 9))),
      ...[0, 9, 18].map((i) => Number(frac.slice(i, i + 9))),
    ];
    const b = Buffer.alloc(decimalBinarySize(65, 30));
    let o = 0;
    for (const w of words) o = b.writeUInt32BE(w, o);
    b.writeUIntBE(Number(frac.slice(27)), o, 2);
    b[0] ^= 0x80;
    expect(decodeBinaryDecimal(b, 0, 65, 30).toString()).toBe(`${intDigits}.${frac}`);
  });

  it('decodes zero and pure fractions', () => {
    expect(decodeBinaryDecimal(Buffer.from('80000000', 'hex'), 0, 4, 2).toString()).toBe('0.00');
    // DECIMAL(3,3) 0.5: no integer part; fraction 3 digits in 2 bytes = 500.
    expect(decodeBinaryDecimal(Buffer.from([0x81, 0xf4]), 0, 3, 3).toString()).toBe('0.500');
  });
});
