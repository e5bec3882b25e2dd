import { readFileSync } from 'node:fs';
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { ConnectError, Schemas } from '../../../../runtime/api/index.js';
import { AvroSchemaBuilder, avroSchemaText, scrubName } from '../../../../runtime/converters/avro/avro-schema.js';
import { avroReader } from '../../../../runtime/converters/avro/decoder.js';
import { caseSchema, TYPE_CASES } from './types.js';

const builder = (o: Partial<{ connectMetaData: boolean; scrubInvalidNames: boolean }> = {}) =>
  new AvroSchemaBuilder({ connectMetaData: true, enhancedSchemaSupport: false, scrubInvalidNames: false, ...o });

describe('Connect schema → Avro schema (Confluent AvroData)', () => {
  for (const [name, make] of TYPE_CASES) {
    it(`${name}: the checked-in expected .avsc, a schema Avro accepts`, () => {
      const text = avroSchemaText(builder().fromConnectSchema(caseSchema(name, make)));
      const expected = readFileSync(new URL(`./expected/${name}.avsc`, import.meta.url), 'utf8');
      expect(JSON.parse(text)).toEqual(JSON.parse(expected));
      // Key order too: the text is what Avro's Java library would write (the registry stores it as sent).
      expect(text).toBe(stringifyLossless(parseLossless(expected)));
      // Avro (avsc, with exact longs) accepts it as a schema.
      expect(() => avroReader(text)).not.toThrow();
    });
  }

  it('and back: the Connect schema read from the Avro schema is the one it was made from', () => {
    for (const [name, make] of TYPE_CASES) {
      const schema = caseSchema(name, make);
      const back = avroReader(avroSchemaText(builder().fromConnectSchema(schema))).schema;
      // Confluent marks fields whose Avro default came without connect.default; apart from that the same schema.
      const strip = (s: unknown): unknown =>
        JSON.parse(
          JSON.stringify(s, (k, v) => {
            if (k === 'parameters' && v && typeof v === 'object') {
              const { ['io.confluent.connect.avro.field.default']: _, ...rest } = v as Record<string, string>;
              return Object.keys(rest).length ? rest : undefined;
            }
            if (k === 'defaultValue' && v === null) return undefined;
            return typeof v === 'bigint' ? v.toString() : v;
          }),
        );
      expect(strip(back), name).toEqual(strip(schema));
    }
  });

  it('connect.meta.data=false leaves the connect.* properties out, logical types stay', () => {
    const text = avroSchemaText(
      builder({ connectMetaData: false }).fromConnectSchema(caseSchema('Decimal', TYPE_CASES[9][1])),
    );
    expect(text).not.toContain('connect.');
    expect(text).toContain('"logicalType":"decimal"');
  });

  it('a name Avro refuses fails with the name and the ways out; scrub.invalid.names rewrites it as Confluent does', () => {
    const bad = Schemas.struct([['my col', Schemas.int32()]], false, { name: 'srv.public.my-table.Value' });
    expect(() => builder().fromConnectSchema(bad)).toThrow(ConnectError);
    expect(() => builder().fromConnectSchema(bad)).toThrow(/srv\.public\.my-table\.Value.*scrub\.invalid\.names/);
    const text = avroSchemaText(builder({ scrubInvalidNames: true }).fromConnectSchema(bad));
    expect(JSON.parse(text)).toMatchObject({
      name: 'Value',
      namespace: 'srv.public.my_table',
      fields: [{ name: 'my_col' }],
    });
    expect(scrubName('1abc')).toBe('x1abc');
    expect(scrubName('a$b')).toBe('a_24b');
    expect(scrubName('é')).toBe('_C3_A9');
    expect(scrubName('ok_name')).toBe('ok_name');
  });
});
