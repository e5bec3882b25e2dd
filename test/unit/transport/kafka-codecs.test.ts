import { describe, expect, it } from 'vitest';
import {
  lz4Compress,
  lz4Decompress,
  snappyCompress,
  snappyDecompress,
} from '../../../runtime/transport/kafka/codecs.js';

/** Codec framing; interoperability with Java's codecs is shown against the broker (integration/kafka/compression). */
const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `row ${i % 911};`).join(''));

describe('Kafka record batch codecs', () => {
  it('lz4: a frame with independent 64 KB blocks, as Kafka writes, and back', () => {
    const z = lz4Compress(text);
    // magic, FLG 0x60 (version 1, independent blocks), BD 0x40 (64 KB), header checksum 0x82 (xxh32 of FLG+BD)
    expect(z.subarray(0, 7).toString('hex')).toBe('04224d18604082');
    expect(z.length).toBeLessThan(text.length / 4);
    expect(lz4Decompress(z).equals(text)).toBe(true);
    expect(lz4Decompress(lz4Compress(Buffer.alloc(0))).length).toBe(0);
    // data that does not compress is stored as uncompressed blocks (high bit of the block size)
    const noise = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) % 251));
    expect(lz4Decompress(lz4Compress(noise)).equals(noise)).toBe(true);
  });

  it('snappy: raw blocks written; snappy-java stream framing read too', () => {
    expect(snappyDecompress(snappyCompress(text)).equals(text)).toBe(true);
    const a = Buffer.from('first chunk, first chunk, first chunk');
    const b = Buffer.from('second chunk');
    const chunk = (raw: Buffer) => {
      const c = snappyCompress(raw);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(c.length);
      return Buffer.concat([len, c]);
    };
    // snappy-java's SnappyOutputStream: magic \x82SNAPPY\0, version 1, compatible version 1, then sized chunks
    const header = Buffer.from('82534e41505059000000000100000001', 'hex');
    const framed = Buffer.concat([header, chunk(a), chunk(b)]);
    expect(snappyDecompress(framed).toString()).toBe(`${a}${b}`);
  });
});
