import type { ChangeRecord, Converter } from '../../runtime/api/index.js';
import type { HttpFormat } from './config.js';

const NULL = Buffer.from('null');

/** Converter output that is JSON goes in as it is; anything else (a string converter's text) as a JSON string. */
function embed(bytes: Buffer | null): Buffer {
  if (bytes === null) return NULL;
  const first = bytes[0];
  if (first === 0x7b || first === 0x5b || first === 0x22) return bytes;
  const text = bytes.toString('utf8');
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)$/.test(text)) return bytes;
  return Buffer.from(JSON.stringify(text));
}

/**
 * One record as JSON: its value as the value converter writes it (`value`), or `{"topic","partition","key",
 * "value"}` (`record`). A tombstone's value is `null`.
 */
export function encodeRecord(
  r: ChangeRecord,
  recordFormat: 'value' | 'record',
  key: Converter,
  value: Converter,
): Buffer {
  const v = embed(value.fromRecord(r.topic, r.valueSchema, r.value));
  if (recordFormat === 'value') return v;
  const k = embed(key.fromRecord(r.topic, r.keySchema, r.key));
  const head = `{"topic":${JSON.stringify(r.topic)},"partition":${r.kafkaPartition ?? 'null'},"key":`;
  return Buffer.concat([Buffer.from(head), k, Buffer.from(',"value":'), v, Buffer.from('}')]);
}

/** A request body: `[a,b,c]` or `a\nb\nc\n`. */
export function body(parts: readonly Buffer[], format: HttpFormat): Buffer {
  const out: Buffer[] = [];
  if (format === 'json') out.push(Buffer.from('['));
  parts.forEach((p, i) => {
    if (i > 0 && format === 'json') out.push(Buffer.from(','));
    out.push(p);
    if (format === 'ndjson') out.push(Buffer.from('\n'));
  });
  if (format === 'json') out.push(Buffer.from(']'));
  return Buffer.concat(out);
}

/** Splits encoded records into batches of at most `count` records and `bytes` bytes (a larger record goes alone). */
export function chunk<T extends { bytes: Buffer }>(items: readonly T[], count: number, bytes: number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let size = 0;
  for (const it of items) {
    if (cur.length > 0 && (cur.length >= count || size + it.bytes.length + 1 > bytes)) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(it);
    size += it.bytes.length + 1;
  }
  if (cur.length) out.push(cur);
  return out;
}
