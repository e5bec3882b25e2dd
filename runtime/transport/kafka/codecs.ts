import { createRequire } from 'node:module';
import { kafkajs } from './kafkajs.js';

/**
 * Kafka's snappy, lz4 and zstd record-batch compression for kafkajs, which ships gzip only. Pure JavaScript, so
 * nothing is compiled or downloaded at install: snappyjs and lz4js write and read, fzstd only reads (no
 * maintained pure-JS zstd compressor exists), so a sink can consume topics a Java producer or the broker
 * compressed with any of Kafka's codecs, and sluice produces with none, gzip, snappy or lz4.
 */

const require = createRequire(import.meta.url);

/** Loaded on first use, like kafkajs itself: a worker that never meets such a batch never loads them. */
function lazy<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
}
const snappyjs = lazy(
  () =>
    require('snappyjs') as {
      compress(input: Uint8Array): Uint8Array;
      uncompress(input: Uint8Array): Uint8Array;
    },
);
const lz4js = lazy(
  () =>
    require('lz4js') as {
      compressBound(n: number): number;
      compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, table: Uint32Array): number;
      decompress(src: Uint8Array): Uint8Array;
    },
);
const fzstd = lazy(() => require('fzstd') as { decompress(input: Uint8Array): Uint8Array });

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** The header Java's snappy-java SnappyOutputStream writes: magic, then version and minimum compatible version. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

/**
 * Java producers write snappy in snappy-java's stream framing (header, then length-prefixed raw blocks); a raw
 * snappy block without the header is accepted by Java readers too, and is what we write.
 */
export function snappyDecompress(input: Buffer): Buffer {
  if (input.length < 16 || !input.subarray(0, 8).equals(XERIAL_MAGIC)) return asBuffer(snappyjs().uncompress(input));
  const parts: Buffer[] = [];
  let at = 16;
  while (at + 4 <= input.length) {
    const size = input.readUInt32BE(at);
    at += 4;
    parts.push(asBuffer(snappyjs().uncompress(input.subarray(at, at + size))));
    at += size;
  }
  return Buffer.concat(parts);
}

export function snappyCompress(input: Buffer): Buffer {
  return asBuffer(snappyjs().compress(input));
}

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK = 64 * 1024;
/** lz4js's match table (16-bit hashes), cleared per block so no match reaches into another block */
const lz4Table = new Uint32Array(1 << 16);

/**
 * An LZ4 frame as Kafka's KafkaLZ4BlockOutputStream writes it: version 1, independent 64 KB blocks, no checksums.
 * lz4js's own frame writer links blocks (a block may refer back into the previous one), which Kafka's reader does
 * not promise to accept, so frames are assembled here from independently compressed blocks.
 */
export function lz4Compress(input: Buffer): Buffer {
  const out: Buffer[] = [];
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0]);
  header[6] = (xxh32(header.subarray(4, 6)) >>> 8) & 0xff;
  out.push(header);
  const block = new Uint8Array(lz4js().compressBound(LZ4_BLOCK));
  for (let at = 0; at < input.length; at += LZ4_BLOCK) {
    const chunk = input.subarray(at, Math.min(at + LZ4_BLOCK, input.length));
    lz4Table.fill(0);
    const size = lz4js().compressBlock(chunk, block, 0, chunk.length, lz4Table);
    const len = Buffer.alloc(4);
    if (size > 0 && size < chunk.length) {
      len.writeUInt32LE(size);
      out.push(len, Buffer.from(block.subarray(0, size)));
    } else {
      len.writeUInt32LE((0x80000000 | chunk.length) >>> 0);
      out.push(len, Buffer.from(chunk));
    }
  }
  out.push(Buffer.alloc(4));
  return Buffer.concat(out);
}

export function lz4Decompress(input: Buffer): Buffer {
  if (input.length < 4 || input.readUInt32LE(0) !== LZ4_MAGIC) throw new Error('not an LZ4 frame');
  return asBuffer(lz4js().decompress(input));
}

export function zstdDecompress(input: Buffer): Buffer {
  return asBuffer(fzstd().decompress(input));
}

/** xxHash32 with seed 0, for the LZ4 frame descriptor's checksum byte. */
function xxh32(data: Uint8Array): number {
  const P1 = 2654435761;
  const P2 = 2246822519;
  const P3 = 3266489917;
  const P4 = 668265263;
  const P5 = 374761393;
  const mul = Math.imul;
  const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
  let i = 0;
  let h: number;
  const read32 = (p: number) => data[p] | (data[p + 1] << 8) | (data[p + 2] << 16) | (data[p + 3] << 24);
  if (data.length >= 16) {
    let v1 = (P1 + P2) | 0;
    let v2 = P2;
    let v3 = 0;
    let v4 = -P1 | 0;
    for (; i + 16 <= data.length; i += 16) {
      v1 = mul(rotl((v1 + mul(read32(i), P2)) | 0, 13), P1);
      v2 = mul(rotl((v2 + mul(read32(i + 4), P2)) | 0, 13), P1);
      v3 = mul(rotl((v3 + mul(read32(i + 8), P2)) | 0, 13), P1);
      v4 = mul(rotl((v4 + mul(read32(i + 12), P2)) | 0, 13), P1);
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = P5;
  }
  h = (h + data.length) | 0;
  for (; i + 4 <= data.length; i += 4) h = mul(rotl((h + mul(read32(i), P3)) | 0, 17), P4);
  for (; i < data.length; i++) h = mul(rotl((h + mul(data[i], P5)) | 0, 11), P1);
  h = mul(h ^ (h >>> 15), P2);
  h = mul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}

let registered = false;

/** Adds the codecs to kafkajs' codec table (process-wide, once). */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  // Node's ESM loader does not see CompressionCodecs among kafkajs' named exports (a CommonJS module): kafkajs()
  // reads the package through require.
  const { CompressionCodecs, CompressionTypes } = kafkajs();
  const table = CompressionCodecs as Record<number, () => unknown>;
  table[CompressionTypes.Snappy] = () => ({
    compress: async (encoder: { buffer: Buffer }) => snappyCompress(encoder.buffer),
    decompress: async (buffer: Buffer) => snappyDecompress(buffer),
  });
  table[CompressionTypes.LZ4] = () => ({
    compress: async (encoder: { buffer: Buffer }) => lz4Compress(encoder.buffer),
    decompress: async (buffer: Buffer) => lz4Decompress(buffer),
  });
  table[CompressionTypes.ZSTD] = () => ({
    compress: async () => {
      throw new Error('zstd compression is not available in sluice (it reads zstd batches, it does not write them)');
    },
    decompress: async (buffer: Buffer) => zstdDecompress(buffer),
  });
}
