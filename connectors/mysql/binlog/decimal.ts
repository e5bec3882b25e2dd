import { Decimal } from '../../../runtime/api/index.js';

/**
 * MySQL's binary DECIMAL (decimal2bin): base-10^9 words, big-endian, the integer part's leading partial word
 * first and the fraction's trailing partial word last; the sign is the flipped top bit, and negative values are
 * stored with every byte inverted. Decoded straight into an unscaled bigint, never through a JS number.
 */
const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

export function decimalBinarySize(precision: number, scale: number): number {
  const intg = precision - scale;
  return Math.floor(intg / 9) * 4 + DIG2BYTES[intg % 9] + Math.floor(scale / 9) * 4 + DIG2BYTES[scale % 9];
}

export function decodeBinaryDecimal(buf: Buffer, offset: number, precision: number, scale: number): Decimal {
  const size = decimalBinarySize(precision, scale);
  if (offset + size > buf.length) throw new RangeError('binlog DECIMAL value truncated');
  const b = Buffer.from(buf.subarray(offset, offset + size));
  const negative = (b[0] & 0x80) === 0;
  b[0] ^= 0x80;
  if (negative) for (let i = 0; i < b.length; i++) b[i] ^= 0xff;
  const intg = precision - scale;
  const intWords = Math.floor(intg / 9);
  const intLead = intg % 9;
  const fracWords = Math.floor(scale / 9);
  const fracTail = scale % 9;
  let pos = 0;
  let digits = '';
  const word = (n: number): number => {
    const v = n === 0 ? 0 : b.readUIntBE(pos, n);
    pos += n;
    return v;
  };
  if (intLead > 0) digits += String(word(DIG2BYTES[intLead]));
  for (let i = 0; i < intWords; i++) digits += String(word(4)).padStart(9, '0');
  for (let i = 0; i < fracWords; i++) digits += String(word(4)).padStart(9, '0');
  if (fracTail > 0) digits += String(word(DIG2BYTES[fracTail])).padStart(fracTail, '0');
  const unscaled = digits === '' ? 0n : BigInt(digits);
  return new Decimal(negative ? -unscaled : unscaled, scale);
}
