import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  exactDouble,
  exactFloat,
  javaDoubleString,
  javaFloatString,
  javaLayout,
} from '../../../runtime/data/java-float.js';

const GENERATOR = join(import.meta.dirname, '../../harness/java/FloatVectors.java');

/** The reference: Java 17's own Float.toString / Double.toString (JDK 19 changed them to the shortest form). */
function javaVectors(seed: number, n: number): string[] {
  const version = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const major = /version "(\d+)/.exec(version.stderr ?? '')?.[1];
  if (major !== '17')
    throw new Error(
      `these vectors need Java 17 (the JVM Debezium runs on in the conformance suite), found: ${version.stderr}`,
    );
  const run = spawnSync('java', ['-Xshare:auto', GENERATOR, String(seed), String(n)], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`FloatVectors failed: ${run.stderr}`);
  return run.stdout.trim().split('\n');
}

const f32 = new Float32Array(1);
const u32 = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigInt64Array(f64.buffer);

describe('Java 17 float and double spellings', () => {
  it('match Java for edge values and known cases', () => {
    expect(javaFloatString(Math.fround(1.17549435e-38))).toBe('1.17549435E-38');
    expect(javaFloatString(Math.fround(-3.40282e38))).toBe('-3.40282E38');
    expect(javaFloatString(Math.fround(0.1))).toBe('0.1');
    expect(javaFloatString(Math.fround(1e7))).toBe('1.0E7');
    expect(javaFloatString(7212.40625)).toBe('7212.4062');
    expect(javaDoubleString(1e23)).toBe('9.999999999999999E22');
    expect(javaDoubleString(2.2921948256799998e19)).toBe('2.2921948256799998E19');
    expect(javaDoubleString(0.001)).toBe('0.001');
    expect(javaDoubleString(-0)).toBe('-0.0');
    expect(javaDoubleString(Number.NaN)).toBe('NaN');
    expect(javaDoubleString(Number.NEGATIVE_INFINITY)).toBe('-Infinity');
  });

  it('match Java 17 on random bit patterns, database-like decimals and binary fractions', () => {
    const lines = javaVectors(20261207, 15_000);
    expect(lines.length).toBeGreaterThan(80_000);
    const wrong: string[] = [];
    for (const line of lines) {
      const [kind, bits, want] = line.split(' ');
      let got: string;
      if (kind === 'f') {
        u32[0] = Number(bits);
        got = javaFloatString(f32[0]);
      } else {
        u64[0] = BigInt(bits);
        got = javaDoubleString(f64[0]);
      }
      if (got !== want && wrong.length < 10) wrong.push(`${kind} ${bits}: Java ${want}, ours ${got}`);
    }
    expect(wrong).toEqual([]);
  });

  it('takes the shortest-digits shortcut only where it gives the exact method’s answer', () => {
    // Pseudo-random but reproducible: a linear congruential generator over 32-bit words.
    let state = 12345;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state;
    };
    const wrong: string[] = [];
    for (let i = 0; i < 15_000; i++) {
      const d = [
        (next() % 2_000_000) / 10 ** (next() % 12),
        (next() * 2 ** 20 + (next() % 2 ** 20)) / 2 ** (next() % 70),
        Number(((next() / 2 ** 32) * 1000).toFixed(next() % 8)),
      ];
      for (const v of d) {
        if (v === 0) continue;
        const want = javaLayout(v < 0, exactDouble(v));
        if (javaDoubleString(v) !== want && wrong.length < 10)
          wrong.push(`double ${v}: ${want} vs ${javaDoubleString(v)}`);
      }
      u32[0] = next() | 0;
      const f = [
        f32[0],
        Math.fround((next() % 2_000_000) / 10 ** (next() % 10)),
        (next() % 2 ** 20) / 2 ** (next() % 24),
      ];
      for (const v of f) {
        if (!Number.isFinite(v) || v === 0) continue;
        f32[0] = v;
        const want = javaLayout(v < 0, exactFloat(u32[0] >>> 0));
        if (javaFloatString(v) !== want && wrong.length < 10)
          wrong.push(`float ${v}: ${want} vs ${javaFloatString(v)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
