/**
 * Java Kafka's default partitioner for keyed records: `toPositive(murmur2(keyBytes)) % numPartitions`, so a key
 * sluice produces lands in the same partition as under Kafka Connect with the same converter. Unkeyed records
 * are spread round-robin (Java 2.4+ uses sticky batches; either is valid: no ordering promise exists for them).
 */

const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/** Kafka's `Utils.murmur2`: a signed 32-bit hash of the bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const whole = length >>> 2;
  for (let i = 0; i < whole; i++) {
    const o = i * 4;
    let k = data[o] | (data[o + 1] << 8) | (data[o + 2] << 16) | (data[o + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const rest = length & 3;
  const tail = length & ~3;
  // Java's switch falls through: 3 bytes left mixes all three.
  if (rest === 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) {
    h ^= data[tail];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs, which differs for negatives). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}

/** Picks a partition per record: keyed by murmur2, unkeyed round-robin over partitions that have a leader. */
export class JavaCompatiblePartitioner {
  private readonly counters = new Map<string, number>();

  partition(topic: string, key: Uint8Array | null, numPartitions: number, available: readonly number[]): number {
    if (key !== null) return partitionForKey(key, numPartitions);
    const next = (this.counters.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1;
    this.counters.set(topic, next);
    const pool = available.length > 0 ? available : undefined;
    return pool ? pool[toPositive(next) % pool.length] : toPositive(next) % numPartitions;
  }
}
