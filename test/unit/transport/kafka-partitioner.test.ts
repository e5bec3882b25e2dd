import { describe, expect, it } from 'vitest';
import {
  JavaCompatiblePartitioner,
  murmur2,
  partitionForKey,
  toPositive,
} from '../../../runtime/transport/kafka/partitioner.js';

// Computed with the Java client (kafka-clients 3.9.1, `Utils.murmur2` and `Utils.toPositive(h) % n`) on the
// UTF-8 bytes of each key: [key, murmur2, partition of 3, of 7, of 100].
const javaVectors: Array<[string, number, number, number, number]> = [
  ['', 275646681, 0, 2, 81],
  ['a', -1563381124, 1, 5, 24],
  ['21', -973932308, 0, 3, 40],
  ['foobar', -790332482, 0, 0, 66],
  ['a-little-bit-long-string', -985981536, 2, 1, 12],
  ['a-little-bit-longer-string', -1486304829, 2, 0, 19],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971, 2, 3, 77],
  ['{"id":1}', -56768732, 0, 3, 16],
  [
    '{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false},"payload":{"id":42}}',
    1757389940,
    2,
    5,
    40,
  ],
  ['héllo wörld ✓', -1290846696, 2, 3, 52],
];

describe('murmur2 partitioner (Java Kafka default for keyed records)', () => {
  it.each(javaVectors)('hashes %j as Java does', (key, hash, p3, p7, p100) => {
    const bytes = Buffer.from(key, 'utf8');
    expect(murmur2(bytes)).toBe(hash);
    expect(partitionForKey(bytes, 3)).toBe(p3);
    expect(partitionForKey(bytes, 7)).toBe(p7);
    expect(partitionForKey(bytes, 100)).toBe(p100);
  });

  it('hashes arbitrary binary keys as Java does (bytes 0..255)', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(murmur2(bytes)).toBe(-1948347274);
    expect(partitionForKey(bytes, 3)).toBe(1);
    expect(partitionForKey(bytes, 7)).toBe(3);
  });

  it('toPositive masks the sign bit rather than negating', () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(5)).toBe(5);
  });

  it('spreads unkeyed records over partitions with a leader only', () => {
    const p = new JavaCompatiblePartitioner();
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) seen.add(p.partition('t', null, 4, [1, 3]));
    expect([...seen].sort()).toEqual([1, 3]);
    expect(p.partition('t', Buffer.from('foobar'), 3, [1])).toBe(0);
  });
});
