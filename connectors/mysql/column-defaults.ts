import type { ColumnDef } from './schema/model.js';
import type { ColumnMapping, MappingOptions } from './values.js';

/**
 * The `default` Debezium puts on a column's schema, from the column's DEFAULT literal, converted as a value of
 * that column would be (so it follows decimal/time/binary handling). Kafka's JsonConverter writes it in the schema
 * and in place of a null value (replace.null.with.default), so it is part of what consumers see.
 * Checked against Debezium's MariaDB connector 3.5 by test/conformance/mysql (the `defaults` case).
 */
export function columnDefault(col: ColumnDef, opts: MappingOptions, m: ColumnMapping): unknown {
  const d = col.defaultValue;
  if (!d) return undefined;
  let bytes: Buffer;
  switch (d.kind) {
    case 'now':
      // Debezium gives CURRENT_TIMESTAMP and friends the epoch.
      bytes = Buffer.from(
        col.type === 'DATE' ? '1970-01-01' : col.type === 'TIME' ? '00:00:00' : '1970-01-01 00:00:00',
      );
      break;
    case 'bool':
      bytes = Buffer.from(d.text.toUpperCase() === 'TRUE' ? '1' : '0');
      break;
    case 'bits': {
      const n = d.text ? BigInt(`0b${d.text}`) : 0n;
      bytes = col.type === 'BIT' ? bigEndian(n, Math.ceil((col.length ?? 1) / 8)) : Buffer.from(n.toString());
      break;
    }
    case 'hex':
      bytes = Buffer.from(d.text, 'hex');
      break;
    default:
      bytes = Buffer.from(d.text, 'utf8');
      if (col.type === 'BIT' && /^\d+$/.test(d.text))
        bytes = bigEndian(BigInt(d.text), Math.ceil((col.length ?? 1) / 8));
  }
  if (col.type === 'BIGINT' && col.unsigned && opts.bigintUnsigned === 'long' && /^\d+$/.test(bytes.toString())) {
    // Debezium's default (not its values, which wrap) saturates at Long.MAX_VALUE.
    const v = BigInt(bytes.toString());
    if (v > 9223372036854775807n) bytes = Buffer.from('9223372036854775807');
  }
  try {
    const value = m.fromText(bytes);
    return value === null ? undefined : value;
  } catch {
    // A default the mapping cannot read (an expression MySQL evaluates itself): no default, as Debezium.
    return undefined;
  }
}

function bigEndian(n: bigint, width: number): Buffer {
  const out = Buffer.alloc(Math.max(1, width));
  for (let i = out.length - 1; i >= 0 && n > 0n; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}
