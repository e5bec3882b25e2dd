/** Little-endian cursor over a binlog event body, with the length-encoded forms of the MySQL protocol. */
export class ByteReader {
  offset: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    readonly end = buf.length,
  ) {
    this.offset = offset;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): void {
    if (this.offset + n > this.end) {
      throw new RangeError(`binlog event truncated: need ${n} bytes at ${this.offset}, have ${this.end - this.offset}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.offset++];
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.offset);
    this.offset += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const v = this.buf.readUIntLE(this.offset, 3);
    this.offset += 3;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  /** Up to 6 bytes fit a JS number exactly. */
  uintLE(n: number): number {
    this.need(n);
    const v = n === 0 ? 0 : this.buf.readUIntLE(this.offset, n);
    this.offset += n;
    return v;
  }

  u48(): number {
    return this.uintLE(6);
  }

  /** Signed little-endian integer of 1 to 6 bytes. */
  intLE(n: number): number {
    this.need(n);
    const v = this.buf.readIntLE(this.offset, n);
    this.offset += n;
    return v;
  }

  /** Unsigned big-endian integer of 1 to 6 bytes (temporal fields are big-endian). */
  uintBE(n: number): number {
    this.need(n);
    const v = this.buf.readUIntBE(this.offset, n);
    this.offset += n;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.offset);
    this.offset += 8;
    return v;
  }

  f32(): number {
    this.need(4);
    const v = this.buf.readFloatLE(this.offset);
    this.offset += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.offset);
    this.offset += 8;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.offset);
    this.offset += 8;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  /** Length-encoded integer; values above 2^53 do not occur for the lengths and counts we read. */
  lenenc(): number {
    const first = this.u8();
    if (first < 0xfb) return first;
    if (first === 0xfc) return this.u16();
    if (first === 0xfd) return this.u24();
    if (first === 0xfe) return Number(this.u64());
    throw new RangeError(`invalid length-encoded integer prefix 0x${first.toString(16)}`);
  }

  lenencBytes(): Buffer {
    return this.bytes(this.lenenc());
  }

  string(n: number, encoding: BufferEncoding = 'utf8'): string {
    return this.bytes(n).toString(encoding);
  }

  /** The rest of the body up to `end`. */
  rest(): Buffer {
    return this.bytes(this.remaining());
  }
}
