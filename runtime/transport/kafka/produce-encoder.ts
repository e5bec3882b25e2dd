/**
 * kafkajs 2.2.4 encodes a produce request through nested Encoders: each record into one of its own (zero-filled,
 * grown by doubling), the records into the batch body, the body into the batch, the batch into the partition, the
 * partition into the topic, the topic into the request, the request into its framed copy: a value of a few KB is
 * copied eight or nine times and every varint is a Buffer of its own. In the Kafka drain benchmark with schemas
 * enabled (3.7 KB values) that was a quarter of the worker's CPU and most of its garbage. This writes the same
 * bytes (produce request v3..v7 body, RecordBatch v2 uncompressed, Record v0) into one buffer, each value copied
 * once. kafkajs-patches.ts puts it in place of kafkajs's produce v3 `encode` for uncompressed requests and frames
 * requests with one copy.
 */

/** kafkajs's Long (a BigInt inside), as its idempotent producer passes producer ids. */
interface LongLike {
  readonly value: bigint;
}
type Int64 = number | string | bigint | LongLike;

export interface ProduceMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  timestamp?: string | number;
  headers?: Record<string, Buffer | string | Array<Buffer | string>>;
}

export interface ProducePartition {
  partition: number;
  firstSequence?: number;
  messages: ProduceMessage[];
}

export interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: Int64;
  producerEpoch?: number;
  topicData: Array<{ topic: string; partitions: ProducePartition[] }>;
}

/** What kafkajs's request framing reads from an Encoder: `buf`, `buffer` and `size()`. */
export class EncodedBytes {
  constructor(
    readonly buf: Buffer,
    private readonly length: number,
  ) {}
  get buffer(): Buffer {
    return this.buf.subarray(0, this.length);
  }
  size(): number {
    return this.length;
  }
}

const UNSIGNED_INT32_MAX_NUMBER = 0xffffff80;

function toBigInt(v: Int64): bigint {
  if (typeof v === 'bigint') return BigInt.asIntN(64, v);
  if (typeof v === 'number') return BigInt.asIntN(64, BigInt(Math.trunc(v)));
  if (typeof v === 'string') return BigInt.asIntN(64, BigInt(v));
  return BigInt.asIntN(64, v.value);
}

/** kafkajs's zigzag varint of an int32 (its Encoder.encodeZigZag, then the unsigned LEB128 loop). */
function sizeOfVarInt(value: number): number {
  let v = (value << 1) ^ (value >> 31);
  let bytes = 1;
  while ((v & UNSIGNED_INT32_MAX_NUMBER) !== 0) {
    bytes++;
    v >>>= 7;
  }
  return bytes;
}

function zigzag64(value: number): bigint {
  const v = BigInt.asIntN(64, BigInt(Math.trunc(value)));
  return BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
}

function sizeOfVarLong(value: number): number {
  let v = zigzag64(value);
  let bytes = 1;
  while (v >= 0x80n) {
    bytes++;
    v >>= 7n;
  }
  return bytes;
}

const byteLength = (v: Buffer | string) => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length);

function sizeOfVarIntBytes(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return sizeOfVarInt(-1);
  const n = byteLength(typeof v === 'string' || Buffer.isBuffer(v) ? v : String(v));
  return sizeOfVarInt(n) + n;
}

class Writer {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64, size));
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  int8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
  }
  int16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }
  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }
  int64(v: Int64): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(toBigInt(v), this.pos);
    this.pos += 8;
  }
  /** Kafka's STRING / NULLABLE_STRING: int16 length (-1 for null), UTF-8 bytes. */
  string(v: string | null | undefined): void {
    if (v === null || v === undefined) {
      this.int16(-1);
      return;
    }
    const n = Buffer.byteLength(v, 'utf8');
    this.int16(n);
    this.ensure(n);
    this.pos += this.buf.write(v, this.pos, n, 'utf8');
  }
  varInt(value: number): void {
    this.ensure(5);
    let v = (value << 1) ^ (value >> 31);
    while ((v & UNSIGNED_INT32_MAX_NUMBER) !== 0) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v & 0x7f;
  }
  varLong(value: number): void {
    this.ensure(10);
    let v = zigzag64(value);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }
  varIntBytes(v: Buffer | string | null | undefined): void {
    if (v === null || v === undefined) {
      this.varInt(-1);
      return;
    }
    if (Buffer.isBuffer(v)) {
      this.varInt(v.length);
      this.ensure(v.length);
      v.copy(this.buf, this.pos);
      this.pos += v.length;
      return;
    }
    const s = String(v);
    const n = Buffer.byteLength(s, 'utf8');
    this.varInt(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }
}

type Header = { key: string; value: Buffer | string };

function headerList(headers: ProduceMessage['headers']): Header[] {
  if (!headers) return [];
  const out: Header[] = [];
  for (const key of Object.keys(headers)) {
    const v = headers[key];
    if (Array.isArray(v)) for (const x of v) out.push({ key, value: x });
    else out.push({ key, value: v });
  }
  return out;
}

/** One Record v0, exactly as kafkajs's recordBatch/record/v0 writes it. */
function writeRecord(w: Writer, m: ProduceMessage, offsetDelta: number, timestampDelta: number): void {
  const headers = headerList(m.headers);
  let headersSize = sizeOfVarInt(headers.length);
  for (const h of headers) {
    const k = Buffer.byteLength(h.key);
    headersSize += sizeOfVarInt(k) + k + sizeOfVarIntBytes(h.value);
  }
  const body =
    1 +
    sizeOfVarLong(timestampDelta) +
    sizeOfVarInt(offsetDelta) +
    sizeOfVarIntBytes(m.key) +
    sizeOfVarIntBytes(m.value) +
    headersSize;
  w.varInt(body);
  w.int8(0);
  w.varLong(timestampDelta);
  w.varInt(offsetDelta);
  w.varIntBytes(m.key);
  w.varIntBytes(m.value);
  w.varInt(headers.length);
  for (const h of headers) {
    const n = Buffer.byteLength(h.key, 'utf8');
    w.varInt(n);
    w.ensure(n);
    w.pos += w.buf.write(h.key, w.pos, n, 'utf8');
    w.varIntBytes(h.value);
  }
}

/**
 * The produce request body (v3 to v7 share it) for uncompressed record batches, as kafkajs writes it: a RecordBatch
 * v2 per partition whose timestamps, offsets and sequence follow kafkajs's rules (first/max timestamp from the
 * messages' timestamps sorted as kafkajs sorts them, as strings). `crc32c` is the checksum kafkajs uses.
 */
export function encodeProduce(a: ProduceArgs, crc32c: (b: Buffer) => number): EncodedBytes {
  let estimate = 64;
  for (const t of a.topicData)
    for (const p of t.partitions)
      for (const m of p.messages)
        estimate += 32 + (m.value ? byteLength(m.value) : 0) + (m.key ? byteLength(m.key) : 0);
  const w = new Writer(estimate);
  const transactional = a.transactionalId !== null && a.transactionalId !== undefined && a.transactionalId !== '';
  w.string(a.transactionalId ?? null);
  w.int16(a.acks);
  w.int32(a.timeout);
  w.int32(a.topicData.length);
  for (const t of a.topicData) {
    w.string(t.topic);
    w.int32(t.partitions.length);
    for (const p of t.partitions) {
      const now = Date.now();
      const stamps = p.messages
        .map((m) => m.timestamp)
        .filter((x) => x !== null && x !== undefined)
        .sort();
      const first = stamps.length ? stamps[0] : now;
      const max = stamps.length ? stamps[stamps.length - 1] : now;
      w.int32(p.partition);
      const recordSetSize = w.pos;
      w.int32(0); // record set size, below
      const batchStart = w.pos;
      w.int64(0); // firstOffset
      const lengthAt = w.pos;
      w.int32(0); // batch length, below
      w.int32(0); // partitionLeaderEpoch
      w.int8(2); // magic
      const crcAt = w.pos;
      w.int32(0); // CRC, below
      const bodyStart = w.pos;
      w.int16(transactional ? 16 : 0); // attributes: no compression, create time, transactional bit
      w.int32(p.messages.length - 1);
      w.int64(first);
      w.int64(max);
      w.int64(a.producerId ?? -1);
      w.int16(a.producerEpoch ?? 0);
      w.int32(p.firstSequence ?? 0);
      w.int32(p.messages.length);
      const firstNumber = Number(first);
      p.messages.forEach((m, i) => {
        const ts = m.timestamp ? Number(m.timestamp) : now;
        writeRecord(w, m, i, ts - firstNumber);
      });
      const end = w.pos;
      w.buf.writeUInt32BE(crc32c(w.buf.subarray(bodyStart, end)) >>> 0, crcAt);
      w.buf.writeInt32BE(end - lengthAt - 4, lengthAt);
      w.buf.writeInt32BE(end - batchStart, recordSetSize);
    }
  }
  return new EncodedBytes(w.buf, w.pos);
}

/**
 * kafkajs's request framing (protocol/request.js) with one copy of the body: int32 size, api key, api version,
 * correlation id, client id, body.
 */
export function frameRequest(
  correlationId: number,
  clientId: string | null,
  apiKey: number,
  apiVersion: number,
  body: Buffer,
): EncodedBytes {
  const idLength = clientId === null || clientId === undefined ? -1 : Buffer.byteLength(clientId, 'utf8');
  const header = 2 + 2 + 4 + 2 + Math.max(0, idLength);
  const out = Buffer.allocUnsafe(4 + header + body.length);
  out.writeInt32BE(header + body.length, 0);
  out.writeInt16BE(apiKey, 4);
  out.writeInt16BE(apiVersion, 6);
  out.writeInt32BE(correlationId, 8);
  out.writeInt16BE(idLength, 12);
  if (idLength > 0) out.write(clientId as string, 14, idLength, 'utf8');
  body.copy(out, 14 + Math.max(0, idLength));
  return new EncodedBytes(out, out.length);
}
