/**
 * Log sequence numbers. Offsets keep them as JSON numbers (as Debezium's `lsn`): 2^53 bytes of WAL is far beyond
 * any server's lifetime, so a number is exact here and keeps offsets readable.
 */
export function parseLsn(text: string): number {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!m) throw new SyntaxError(`not an LSN: ${text}`);
  return Number.parseInt(m[1], 16) * 2 ** 32 + Number.parseInt(m[2], 16);
}

export function formatLsn(lsn: number): string {
  const hi = Math.floor(lsn / 2 ** 32);
  const lo = lsn - hi * 2 ** 32;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

/** Reads the 64-bit big-endian LSN at `offset` of a protocol message. */
export function readLsn(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset) * 2 ** 32 + buf.readUInt32BE(offset + 4);
}

export function writeLsn(buf: Buffer, offset: number, lsn: number): void {
  const hi = Math.floor(lsn / 2 ** 32);
  buf.writeUInt32BE(hi, offset);
  buf.writeUInt32BE(lsn - hi * 2 ** 32, offset + 4);
}
