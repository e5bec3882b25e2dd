import { describe, expect, it } from 'vitest';
import {
  appendEncodedValue,
  attachEncodedValue,
  ByteBuilder,
  dropEncodedValue,
  Schemas,
  valueEncoder,
} from '../../../runtime/api/index.js';
import { JsonConverter } from '../../../runtime/converters/json.js';

const schema = Schemas.struct([['n', Schemas.int64()]], false, { name: 'v' });
const base64 = new JsonConverter({ schemasEnable: false, decimalFormat: 'BASE64' });
const numeric = new JsonConverter({ schemasEnable: false, decimalFormat: 'NUMERIC' });

/** A batch holding `text` as value 0's bytes, made with `tag`. */
function batchOf(text: string, tag: string) {
  const bytes = new TextEncoder().encode(text);
  return { tag, bytes, ends: Uint32Array.of(bytes.length) };
}

describe('pre-encoded values (runtime/api/encoded.ts)', () => {
  it('a converter with the same settings writes the attached bytes; other settings convert the value', () => {
    const value = { n: 1n };
    attachEncodedValue(value, batchOf('{"n":"attached"}', base64.valueEncoding().tag), 0);
    expect(base64.fromRecord('t', schema, value)?.toString()).toBe('{"n":"attached"}');
    expect(numeric.fromRecord('t', schema, value)?.toString()).toBe('{"n":1}');
  });

  it('no copy of the value carries the bytes, and a dropped value is converted again', () => {
    const value = { n: 2n };
    attachEncodedValue(value, batchOf('{"n":"attached"}', base64.valueEncoding().tag), 0);
    // what transforms do to a value: copy it, or change it after the runner dropped its bytes
    expect(base64.fromRecord('t', schema, { ...value })?.toString()).toBe('{"n":2}');
    expect(base64.fromRecord('t', schema, Object.assign({}, value))?.toString()).toBe('{"n":2}');
    expect(base64.fromRecord('t', schema, structuredClone(value))?.toString()).toBe('{"n":2}');
    expect(Object.keys(value)).toEqual(['n']);
    dropEncodedValue(value);
    value.n = 3n;
    expect(base64.fromRecord('t', schema, value)?.toString()).toBe('{"n":3}');
    expect(appendEncodedValue(new ByteBuilder(), value, base64.valueEncoding().tag)).toBe(false);
  });

  it('valueEncoder writes what the converter of the same settings writes', async () => {
    const encode = await valueEncoder(numeric.valueEncoding());
    const out = new ByteBuilder();
    expect(encode(out, 't', schema, { n: 9007199254740993n })).toBe(true);
    expect(out.view().toString()).toBe(numeric.fromRecord('t', schema, { n: 9007199254740993n })?.toString());
  });
});
