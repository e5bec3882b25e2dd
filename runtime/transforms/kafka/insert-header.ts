import { type ChangeRecord, type Header, key, type Schema, Schemas } from '../../api/index.js';
import { kafkaTransform } from '../support/define.js';
import { withHeaders } from '../support/records.js';

/**
 * Connect's Values.parseString for the literals people write: booleans, whole numbers (the smallest integer
 * type that holds them), decimals, else the text itself.
 */
export function parseLiteral(text: string): { value: unknown; schema: Schema } {
  const t = text.trim();
  if (t.toLowerCase() === 'true' || t.toLowerCase() === 'false')
    return { value: t.toLowerCase() === 'true', schema: Schemas.boolean() };
  if (/^[+-]?\d+$/.test(t)) {
    const big = BigInt(t);
    if (big >= -128n && big <= 127n) return { value: Number(big), schema: Schemas.int8() };
    if (big >= -32768n && big <= 32767n) return { value: Number(big), schema: Schemas.int16() };
    if (big >= -2147483648n && big <= 2147483647n) return { value: Number(big), schema: Schemas.int32() };
    if (big >= -(2n ** 63n) && big < 2n ** 63n)
      return { value: Number.isSafeInteger(Number(big)) ? Number(big) : big, schema: Schemas.int64() };
  }
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/.test(t)) return { value: Number(t), schema: Schemas.float64() };
  return { value: text, schema: Schemas.string() };
}

export const insertHeader = kafkaTransform('InsertHeader', 'insert-header', {
  doc: 'Appends a header with a fixed value to each record.',
  configSpec: [
    key('header', 'string', 'Header name.'),
    key(
      'value.literal',
      'string',
      'Header value; its type is inferred from the text (boolean, integer, decimal, else string).',
    ),
  ],
  create(config) {
    const { value, schema } = parseLiteral(config.string('value.literal'));
    const header: Header = Object.freeze({ key: config.string('header'), value, schema });
    return (record: ChangeRecord) => withHeaders(record, [...record.headers, header]);
  },
});
