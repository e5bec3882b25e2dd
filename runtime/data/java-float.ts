/**
 * Java 17's `Double.toString` / `Float.toString` spellings, which Kafka's JsonConverter (through Jackson) writes
 * for float64 / float32 values, hence what a Debezium consumer sees.
 *
 * Up to JDK 18, Java's conversion (FloatingDecimal) is not the shortest round-trip form that JavaScript's
 * `String(n)` gives: it uses a symmetric stopping test around powers of two, prints integers below 2^63 through a
 * separate path that keeps "insignificant" digits, always develops two digits in E-notation, and lets its 32/64-bit
 * scratch integers wrap. About 8 % of random float bit patterns and 0.2 % of doubles come out longer than
 * the shortest form (`Float.MIN_NORMAL` → `1.17549435E-38`, not `1.1754944E-38`). JDK 19 changed to the shortest
 * form; the reference we test against (Debezium on Java 17) uses the old one, so this reproduces it: same digit
 * generation (Steele & White's free-format method with the old quirks), checked against vectors printed by
 * Java 17 (test/unit/data/java-float.test.ts).
 */

const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);
const W64 = new Uint32Array(F64.buffer);
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** ceil(log2(5^i)) as Java's table has it: an estimate deciding which integer width the digit loop uses. */
const N_5_BITS = [
  0, 3, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28, 31, 33, 35, 38, 40, 42, 45, 47, 49, 52, 54, 56, 59, 61,
];
/** floor(log10(2^i)) for the integer path's count of digits below the value's precision. */
function insignificantDigitsForPow2(p2: number): number {
  return p2 > 1 && p2 < 64 ? Math.floor(p2 * Math.log10(2)) : 0;
}

const EXP_SHIFT = 52;

/** Digits (no leading zeros) and decimal exponent: value = 0.d1d2d3… × 10^exp. */
export interface Digits {
  digits: string;
  exp: number;
}

function pow5(n: number): bigint {
  return 5n ** BigInt(n);
}

/** Integers below 2^63 with no fraction: exact digits, the lowest `insignificant` rounded away, zeros stripped. */
function longDigits(value: bigint, insignificant: number): Digits {
  let v = value;
  let exp = 0;
  if (insignificant !== 0) {
    const p = 10n ** BigInt(insignificant);
    const residue = v % p;
    v /= p;
    exp += insignificant;
    if (residue >= p >> 1n) v++;
  }
  let s = v.toString();
  const len = s.length;
  s = s.replace(/0+$/, '');
  exp += len;
  return { digits: s, exp };
}

/** floor(log10(value)), estimated as Java estimates it (its error decides where the first digit lands). */
function estimateDecExp(fractBits: bigint, binExp: number): number {
  U64[0] = (1023n << 52n) | (fractBits & 0xfffffffffffffn);
  const d2 = F64[0];
  const d = (d2 - 1.5) * 0.289529654 + 0.176091259 + binExp * 0.301029995663981;
  return Math.floor(d);
}

/**
 * Java's dtoa: `fractBits` is the significand with its high bit at bit 52, `binExp` the unbiased binary exponent,
 * `nSignificantBits` the precision of the source type (53 double, 24 float, fewer for subnormals).
 */
function dtoa(binExp: number, fractBitsIn: bigint, nSignificantBits: number): Digits {
  let fractBits = fractBitsIn;
  let tailZeros = 0;
  while (((fractBits >> BigInt(tailZeros)) & 1n) === 0n) tailZeros++;
  const nFractBits = EXP_SHIFT + 1 - tailZeros;
  const nTinyBits = Math.max(0, nFractBits - binExp - 1);
  if (binExp <= 62 && binExp >= -21 && nTinyBits < 27 && nFractBits + N_5_BITS[nTinyBits] < 64 && nTinyBits === 0) {
    const insignificant = binExp > nSignificantBits ? insignificantDigitsForPow2(binExp - nSignificantBits - 1) : 0;
    const value =
      binExp >= EXP_SHIFT ? fractBits << BigInt(binExp - EXP_SHIFT) : fractBits >> BigInt(EXP_SHIFT - binExp);
    return longDigits(value, insignificant);
  }
  let decExp = estimateDecExp(fractBits, binExp);
  const B5 = Math.max(0, -decExp);
  let B2 = B5 + nTinyBits + binExp;
  const S5 = Math.max(0, decExp);
  let S2 = S5 + nTinyBits;
  const M5 = B5;
  let M2 = B2 - nSignificantBits;
  fractBits >>= BigInt(tailZeros);
  B2 -= nFractBits - 1;
  const common2 = Math.min(B2, S2);
  B2 -= common2;
  S2 -= common2;
  M2 -= common2;
  // Java narrows the interval at powers of two on both sides (its "HACK" for the asymmetric gap).
  if (nFractBits === 1) M2 -= 1;
  if (M2 < 0) {
    B2 -= M2;
    S2 -= M2;
    M2 = 0;
  }
  const Bbits = nFractBits + B2 + (B5 < N_5_BITS.length ? N_5_BITS[B5] : B5 * 3);
  const tenSbits = S2 + 1 + (S5 + 1 < N_5_BITS.length ? N_5_BITS[S5 + 1] : (S5 + 1) * 3);
  // Java keeps b, s, m in int or long when its estimates say they fit, and there m * 10 may wrap; with big
  // integers nothing wraps, and the comparison of the last step is `>=` where the fixed-width paths use `>`.
  const width = Bbits < 64 && tenSbits < 64 ? (Bbits < 32 && tenSbits < 32 ? 32 : 64) : 0;
  const wrap = width === 0 ? (x: bigint) => x : (x: bigint) => BigInt.asIntN(width, x);
  let b = wrap((fractBits * pow5(B5)) << BigInt(B2));
  const s = pow5(S5) << BigInt(S2);
  let m = wrap(pow5(M5) << BigInt(M2));
  const tens = s * 10n;
  const high = (bb: bigint, mm: bigint) => (width === 0 ? bb + mm >= tens : wrap(bb + mm) > tens);
  let digits = '';
  let q = b / s;
  b = 10n * (b % s);
  m = wrap(m * 10n);
  let lo = b < m;
  let hi = high(b, m);
  if (q === 0n && !hi) decExp--;
  else digits += q.toString();
  // Java always develops at least two digits for E-notation (its "at least one digit after the point" rule).
  if (decExp < -3 || decExp >= 8) lo = hi = false;
  while (!lo && !hi) {
    q = b / s;
    b = 10n * (b % s);
    m = wrap(m * 10n);
    if (width === 0 || m > 0n) {
      lo = b < m;
      hi = high(b, m);
    } else {
      lo = hi = true;
    }
    digits += q.toString();
  }
  const result: Digits = { digits, exp: decExp + 1 };
  if (hi) {
    const diff = wrap((b << 1n) - tens);
    const odd = (digits.charCodeAt(digits.length - 1) & 1) !== 0;
    if (!lo || diff > 0n || (diff === 0n && odd)) roundUp(result);
  }
  return result;
}

function roundUp(r: Digits): void {
  const d = r.digits.split('');
  let i = d.length - 1;
  while (i > 0 && d[i] === '9') {
    d[i] = '0';
    i--;
  }
  if (d[i] === '9') {
    // Carry out of the first digit: 1 followed by zeros, one more in the exponent (Java keeps the zeros).
    d[0] = '1';
    r.exp += 1;
  } else {
    d[i] = String.fromCharCode(d[i].charCodeAt(0) + 1);
  }
  r.digits = d.join('');
}

/** Java's layout of the digits: plain for 10^-3 <= |v| < 10^7, else `d.dddE±n`, always a digit after the point. */
function layout(negative: boolean, { digits, exp }: Digits): string {
  const sign = negative ? '-' : '';
  if (exp > 0 && exp < 8) {
    if (digits.length <= exp) return `${sign}${digits.padEnd(exp, '0')}.0`;
    return `${sign}${digits.slice(0, exp)}.${digits.slice(exp)}`;
  }
  if (exp <= 0 && exp > -3) return `${sign}0.${'0'.repeat(-exp)}${digits}`;
  const e = exp - 1;
  return `${sign}${digits[0]}.${digits.length > 1 ? digits.slice(1) : '0'}E${e}`;
}

/** Java 17's `Double.toString(n)`. */
export function javaDoubleString(n: number): string {
  if (!Number.isFinite(n) || n === 0) return special(n);
  const negative = n < 0;
  const abs = negative ? -n : n;
  if (Number.isSafeInteger(abs)) return layout(negative, safeIntDigits(abs));
  F64[0] = n;
  // little-endian words: W64[1] holds sign, exponent and the top 20 significand bits
  const lo = W64[0];
  const hi = W64[1] & 0xfffff;
  if ((lo !== 0 || hi !== 0) && !Number.isInteger(abs)) {
    const binExp = ((W64[1] >>> 20) & 0x7ff) - 1023;
    const tz = lo !== 0 ? ctz32(lo) : 32 + ctz32(hi | 0x100000);
    const fast = viaShortest(abs, String(abs), binExp < -1022 ? 0 : 53 - tz, 52 - tz - binExp);
    if (fast) return layout(negative, fast);
  }
  return layout(negative, exactDouble(n));
}

/** Java 17's `Float.toString(n)` of a value that is a float32 (`Math.fround(n) === n`). */
export function javaFloatString(n: number): string {
  if (!Number.isFinite(n) || n === 0) return special(n);
  const negative = n < 0;
  const abs = negative ? -n : n;
  F32[0] = n;
  const bits = U32[0];
  // Below 2^24 a float integer has no insignificant digits: Java writes it exactly.
  if (abs < 16777216 && Number.isInteger(abs)) return layout(negative, safeIntDigits(abs));
  const fract = bits & 0x7fffff;
  if (fract !== 0 && !Number.isInteger(abs)) {
    let shortest = '';
    for (let p = 1; p <= 9; p++) {
      shortest = abs.toPrecision(p);
      if (Math.fround(Number(shortest)) === abs) break;
    }
    const binExp = ((bits >>> 23) & 0xff) - 127;
    const tz = ctz32(fract);
    const fast = viaShortest(abs, shortest, binExp < -126 ? 0 : 24 - tz, 23 - tz - binExp);
    if (fast) return layout(negative, fast);
  }
  return layout(negative, exactFloat(bits));
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function safeIntDigits(abs: number): Digits {
  const text = String(abs);
  let end = text.length;
  while (end > 1 && text.charCodeAt(end - 1) === 48) end--;
  return { digits: text.slice(0, end), exp: text.length };
}

function special(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return 'Infinity';
  if (n === Number.NEGATIVE_INFINITY) return '-Infinity';
  return Object.is(n, -0) ? '-0.0' : '0.0';
}

/**
 * Java's digits from the shortest round-trip digits, where they agree: a value that is not an integer and not a
 * power of two, whose shortest form has more than one digit when Java writes E-notation (Java
 * develops two), and which is not a tie between two shortest candidates (Java picks the even digit, JavaScript
 * rounds half up). undefined: use the exact method. The fast path is checked against the exact one by
 * test/unit/data/java-float.test.ts over random values.
 */
function viaShortest(abs: number, text: string, oddBits: number, fractionBits: number): Digits | undefined {
  const e = text.indexOf('e');
  const mantissa = e < 0 ? text : text.slice(0, e);
  let exp = e < 0 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  let digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  exp += dot < 0 ? mantissa.length : dot;
  let lead = 0;
  while (digits.charCodeAt(lead) === 48) lead++;
  digits = digits.slice(lead);
  exp -= lead;
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--;
  digits = digits.slice(0, end);
  if (digits.length === 1 && (exp - 1 < -3 || exp - 1 >= 7)) return undefined;
  // A tie needs the exact value (odd·2^-q = odd·5^q / 10^q, q fraction bits) to have at most digits + 1
  // significant digits; bits(odd) + q·log2(5) beyond log2(10^(digits+1)) rules it out without more work.
  // oddBits 0 (subnormals) always checks.
  if (oddBits === 0 || oddBits + fractionBits * 2.3219280948873626 <= (digits.length + 1) * 3.321928094887362 + 1) {
    const longer = abs.toPrecision(digits.length + 1);
    const m = longer.indexOf('e');
    if ((m < 0 ? longer : longer.slice(0, m)).endsWith('5')) return undefined;
  }
  return { digits, exp };
}

/** The exact method for a double (Java's unpacking of the bits, then dtoa). */
export function exactDouble(n: number): Digits {
  F64[0] = n;
  const bits = U64[0];
  let fract = bits & 0xfffffffffffffn;
  let binExp = Number((bits >> 52n) & 0x7ffn);
  let nSignificantBits: number;
  if (binExp === 0) {
    const leadingZeros = 64 - fract.toString(2).length;
    const shift = leadingZeros - 11;
    fract <<= BigInt(shift);
    binExp = 1 - shift;
    nSignificantBits = 64 - leadingZeros;
  } else {
    fract |= 1n << 52n;
    nSignificantBits = 53;
  }
  return dtoa(binExp - 1023, fract, nSignificantBits);
}

/** The exact method for a float's bits. */
export function exactFloat(bits: number): Digits {
  let fract = bits & 0x7fffff;
  let binExp = (bits >>> 23) & 0xff;
  let nSignificantBits: number;
  if (binExp === 0) {
    const leadingZeros = Math.clz32(fract);
    const shift = leadingZeros - 8;
    fract <<= shift;
    binExp = 1 - shift;
    nSignificantBits = 32 - leadingZeros;
  } else {
    fract |= 1 << 23;
    nSignificantBits = 24;
  }
  return dtoa(binExp - 127, BigInt(fract) << 29n, nSignificantBits);
}

/** Java's text of exact digits (for tests comparing the fast and the exact method). */
export function javaLayout(negative: boolean, d: Digits): string {
  return layout(negative, d);
}
