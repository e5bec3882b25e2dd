/**
 * An exact decimal: unscaled integer and scale, as Connect's `Decimal` logical type (BigDecimal in Java).
 * Values never pass through a JS number, so any precision survives.
 */
export class Decimal {
  constructor(
    readonly unscaled: bigint,
    readonly scale: number,
  ) {
    if (!Number.isInteger(scale)) throw new RangeError(`decimal scale must be an integer, got ${scale}`);
  }

  /** Parses `-123.4500`, `1e-3`, `+7`. The scale is the number of digits after the point, as written. */
  static parse(text: string): Decimal {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new SyntaxError(`not a decimal number: ${text}`);
    const [, sign, intPart, fracPart = '', exp] = m;
    let scale = fracPart.length - (exp ? Number.parseInt(exp, 10) : 0);
    let digits = (intPart || '0') + fracPart;
    if (scale < 0) {
      digits += '0'.repeat(-scale);
      scale = 0;
    }
    const unscaled = BigInt(digits);
    return new Decimal(sign === '-' ? -unscaled : unscaled, scale);
  }

  /** Plain notation without exponent, keeping trailing zeros of the scale (as BigDecimal.toPlainString). */
  toString(): string {
    const negative = this.unscaled < 0n;
    let digits = (negative ? -this.unscaled : this.unscaled).toString();
    if (this.scale <= 0) return (negative ? '-' : '') + digits + '0'.repeat(-this.scale);
    if (digits.length <= this.scale) digits = '0'.repeat(this.scale - digits.length + 1) + digits;
    const point = digits.length - this.scale;
    return `${negative ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}`;
  }

  toNumber(): number {
    return Number(this.toString());
  }

  /** Rescales without rounding; throws when digits would be lost. */
  withScale(scale: number): Decimal {
    if (scale === this.scale) return this;
    if (scale > this.scale) return new Decimal(this.unscaled * 10n ** BigInt(scale - this.scale), scale);
    const factor = 10n ** BigInt(this.scale - scale);
    if (this.unscaled % factor !== 0n) throw new RangeError(`cannot rescale ${this} to scale ${scale} exactly`);
    return new Decimal(this.unscaled / factor, scale);
  }

  equals(other: Decimal): boolean {
    return this.unscaled === other.unscaled && this.scale === other.scale;
  }

  /** Two's-complement big-endian bytes of the unscaled value, minimal length (Java's BigInteger.toByteArray). */
  unscaledBytes(): Buffer {
    return bigintToTwosComplement(this.unscaled);
  }

  static fromUnscaledBytes(bytes: Uint8Array, scale: number): Decimal {
    return new Decimal(twosComplementToBigint(bytes), scale);
  }
}

export function bigintToTwosComplement(value: bigint): Buffer {
  // Smallest byte count whose signed range holds the value, exactly as BigInteger.toByteArray().
  let bytes = 1;
  while (value < -(1n << BigInt(bytes * 8 - 1)) || value >= 1n << BigInt(bytes * 8 - 1)) bytes++;
  let v = value < 0n ? (1n << BigInt(bytes * 8)) + value : value;
  const out = Buffer.alloc(bytes);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function twosComplementToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (bytes[0] & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return v;
}
