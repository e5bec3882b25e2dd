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
  const negative = (buf[offset] & 0x80) === 0;
  // Bytes are read through a mask instead of copied: negative values are stored inverted.
  const mask = negative ? 0xff : 0;
  const intg = precision - scale;
  const intWords = Math.floor(intg / 9);
  const intLead = intg % 9;
  const fracWords = Math.floor(scale / 9);
  const fracTail = scale % 9;
  let pos = offset;
  const word = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) {
      let b = buf[pos + i] ^ mask;
      if (pos + i === offset) b ^= 0x80;
      v = v * 256 + b;
    }
    pos += n;
    return v;
  };
  let digits = '';
  if (intLead > 0) digits += String(word(DIG2BYTES[intLead]));
  for (let i = 0; i < intWords; i++) digits += String(word(4)).padStart(9, '0');
  for (let i = 0; i < fracWords; i++) digits += String(word(4)).padStart(9, '0');
  if (fracTail > 0) digits += String(word(DIG2BYTES[fracTail])).padStart(fracTail, '0');
  const unscaled = digits === '' ? 0n : BigInt(digits);
  return new Decimal(negative ? -unscaled : unscaled, scale);
}
