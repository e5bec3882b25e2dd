import { ConnectError, type Converter, defineConverter, key, Schemas, type Schema } from '../api/index.js';

/** Kafka's StringConverter: the value's text as UTF-8. */
export class StringConverter implements Converter {
  fromRecord(_topic: string, _schema: Schema | undefined, value: unknown): Buffer | null {
    if (value === null || value === undefined) return null;
    if (Buffer.isBuffer(value)) return Buffer.from(value.toString('utf8'), 'utf8');
    return Buffer.from(typeof value === 'string' ? value : String(value), 'utf8');
  }
  toRecord(_topic: string, bytes: Buffer | null): { schema?: Schema; value: unknown } {
    return { schema: Schemas.string(true), value: bytes === null ? null : bytes.toString('utf8') };
  }
}

/** Kafka's ByteArrayConverter: bytes pass through untouched. */
export class ByteArrayConverter implements Converter {
  fromRecord(_topic: string, _schema: Schema | undefined, value: unknown): Buffer | null {
    if (value === null || value === undefined) return null;
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    throw new ConnectError(`ByteArrayConverter is not compatible with objects of type ${typeof value}`);
  }
  toRecord(_topic: string, bytes: Buffer | null): { schema?: Schema; value: unknown } {
    return { schema: Schemas.bytes(true), value: bytes };
  }
}

export const stringConverterPlugin = defineConverter({
  name: 'string',
  className: 'org.apache.kafka.connect.storage.StringConverter',
  version: '1.0.0',
  configSpec: [
    key('converter.encoding', 'string', 'Only UTF-8 is supported.', {
      default: 'UTF-8',
      validValues: ['UTF-8', 'UTF8'],
    }),
  ],
  create: () => new StringConverter(),
});

export const byteArrayConverterPlugin = defineConverter({
  name: 'bytearray',
  className: 'org.apache.kafka.connect.converters.ByteArrayConverter',
  version: '1.0.0',
  configSpec: [],
  create: () => new ByteArrayConverter(),
});

/** Headers: Connect's SimpleHeaderConverter is accepted as the default name; headers are written as strings. */
export const simpleHeaderConverterPlugin = defineConverter({
  name: 'simple-header',
  className: 'org.apache.kafka.connect.storage.SimpleHeaderConverter',
  version: '1.0.0',
  configSpec: [],
  create: () => new StringConverter(),
});
