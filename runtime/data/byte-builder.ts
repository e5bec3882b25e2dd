/**
 * A growable byte buffer that converters write into and sinks write out of, so a record's bytes are produced in
 * place instead of as a string, then a Buffer, then a copy (issue 22: that chain was half of the file pipeline's
 * CPU with `schemas.enable=true`). Methods are small and monomorphic so V8 inlines them into the writers.
 */
export class ByteBuilder {
  /** the storage; valid bytes are `buf[0, length)`. Replaced when it grows: do not keep a reference across writes */
  buf: Buffer;
  length = 0;

  constructor(initialCapacity = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.length + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  pushByte(b: number): void {
    if (this.length >= this.buf.length) this.grow(1);
    this.buf[this.length++] = b;
  }

  pushBytes(bytes: Uint8Array): void {
    const n = bytes.length;
    if (this.length + n > this.buf.length) this.grow(n);
    if (n < 32) {
      // Short copies: a loop the JIT keeps inline beats TypedArray#set's call overhead.
      const b = this.buf;
      let p = this.length;
      for (let i = 0; i < n; i++) b[p++] = bytes[i];
      this.length = p;
    } else {
      this.buf.set(bytes, this.length);
      this.length += n;
    }
  }

  /** `s` must be ASCII (digits, base64, names the caller built): one byte per character. */
  pushAscii(s: string): void {
    const n = s.length;
    if (this.length + n > this.buf.length) this.grow(n);
    if (n < 32) {
      const b = this.buf;
      let p = this.length;
      for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
      this.length = p;
    } else {
      this.length += this.buf.write(s, this.length, n, 'latin1');
    }
  }

  pushUtf8(s: string): void {
    const max = s.length * 3;
    if (this.length + max > this.buf.length) this.grow(max);
    this.length += this.buf.write(s, this.length, max, 'utf8');
  }

  /** The bytes written so far (a view: valid until the next write or reset). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** A copy of the bytes written so far, owned by the caller. */
  copy(): Buffer {
    const out = Buffer.allocUnsafe(this.length);
    this.buf.copy(out, 0, 0, this.length);
    return out;
  }

  reset(): void {
    this.length = 0;
  }
}
