import {
  type Config,
  ConfigError,
  type ConfigIssue,
  ConnectError,
  type Converter,
  defineConverter,
  key,
  type Schema,
  Schemas,
} from '../../api/index.js';
import { parseConfig } from '../../config/parse.js';
import type { AvroConverter } from '../avro/converter.js';
import { createAvroConverter, avroConverterPlugin } from '../avro/plugin.js';
import { JsonConverter } from '../json.js';

/**
 * Debezium's CloudEventsConverter in structured JSON mode (serializer.type=json): each change event becomes one
 * CloudEvents 1.0 JSON document — `id`, `source` (/debezium/<connector>/<topic.prefix>), `specversion` 1.0, `type`
 * (io.debezium.connector.<connector>.DataChangeEvent), `time` (the source's ts_ms, RFC 3339 UTC),
 * `datacontenttype`, with data.serializer.type=avro `dataschema` (<registry>/schemas/ids/<id>), the `iodebezium*`
 * extension attributes (op, every source field, the transaction block) and `data` (before/after, MongoDB's
 * updateDescription too): JSON (`json.*` keys, schemas included by default) or Avro bytes in Confluent's wire
 * format, base64 in the JSON (`avro.*` keys configure the AvroConverter; subject `<topic>-data-value`).
 *
 * Departures from Debezium, both for the CloudEvents spec: extension attribute names are lowercased
 * (`iodebeziumtxid`, not `iodebeziumtxId`: names MUST be lower-case letters and digits; where two then meet, as
 * PostgreSQL's source `txId` and the transaction block's `id`, the transaction block's is kept), and attributes without a
 * value are left out (Debezium writes them as JSON null, which is not a CloudEvents attribute value).
 * Records that are not change events (heartbeats, schema changes, tombstones) are written as null, as Debezium does.
 */

/** The Debezium connector name in `source.connector` → how it builds an event id; its `data` fields. */
const MAKERS: Record<string, { id: (src: Record<string, unknown>) => string; data: readonly string[] }> = {
  postgresql: {
    id: (s) => `name:${s.name};lsn:${s.lsn};txId:${s.txId};sequence:${s.sequence}`,
    data: ['before', 'after'],
  },
  mysql: { id: (s) => `name:${s.name};file:${s.file};pos:${s.pos}`, data: ['before', 'after'] },
  mariadb: { id: (s) => `name:${s.name};file:${s.file};pos:${s.pos}`, data: [] },
  mongodb: { id: (s) => `name:${s.name};ts:${s.ts_ms};ord:${s.ord}`, data: ['before', 'after', 'updateDescription'] },
};

const EXTENSION_PREFIX = 'iodebezium';

/** Debezium's adjustExtensionName (letters and digits after the prefix), lowercased as the spec requires. */
export function extensionName(field: string): string {
  return (EXTENSION_PREFIX + field.replace(/[^A-Za-z0-9]/g, '')).toLowerCase();
}

export interface CloudEventsOptions {
  readonly extensionAttributes: boolean;
  /** data as JSON with the schema (json.schemas.enable), without, or Avro */
  readonly data: 'json' | 'avro';
  readonly json: JsonConverter;
  readonly avro?: AvroConverter;
  /** registry URLs for `dataschema` (Debezium joins them with commas) */
  readonly registryUrls: string;
}

interface DataShape {
  readonly schema: Schema;
  readonly fields: readonly string[];
}

export class CloudEventsConverter implements Converter {
  private readonly shapes = new WeakMap<Schema, DataShape>();
  private readonly envelopeJson = new JsonConverter({ schemasEnable: false, decimalFormat: 'BASE64' });

  constructor(readonly o: CloudEventsOptions) {}

  private isEnvelope(schema: Schema | undefined): schema is Schema {
    return (
      schema !== undefined &&
      schema.type === 'struct' &&
      (schema.name?.endsWith('.Envelope') ?? false) &&
      (schema.fields ?? []).some((f) => f.name === 'op') &&
      (schema.fields ?? []).some((f) => f.name === 'source')
    );
  }

  /** The `data` struct's schema for an envelope schema: io.debezium.connector.<connector>.Data. */
  private shape(envelope: Schema, connector: string): DataShape {
    let s = this.shapes.get(envelope);
    if (!s) {
      const wanted = MAKERS[connector].data;
      const fields = (envelope.fields ?? []).filter((f) => wanted.length === 0 || wanted.includes(f.name));
      s = {
        schema: Schemas.struct(
          fields.map((f) => [f.name, f.schema] as const),
          false,
          { name: `io.debezium.connector.${connector}.Data` },
        ),
        fields: fields.map((f) => f.name),
      };
      this.shapes.set(envelope, s);
    }
    return s;
  }

  private parts(topic: string, schema: Schema | undefined, value: unknown) {
    if (value === null || value === undefined || !this.isEnvelope(schema)) return undefined;
    const v = value as Record<string, unknown>;
    const source = v.source as Record<string, unknown> | null;
    const connector = typeof source?.connector === 'string' ? source.connector : undefined;
    if (!source || !connector || !MAKERS[connector]) {
      throw new ConnectError(`No usable CloudEvents converters for connector type "${connector}" (topic ${topic})`);
    }
    const shape = this.shape(schema, connector);
    const data: Record<string, unknown> = {};
    for (const f of shape.fields) data[f] = v[f] ?? null;
    return { v, source, connector, shape, data };
  }

  prepareFromRecord(topic: string, schema: Schema | undefined, value: unknown): Promise<void> | undefined {
    if (this.o.data !== 'avro') return undefined;
    const p = this.parts(topic, schema, value);
    if (!p) return undefined;
    return this.o.avro!.prepareFromRecord(`${topic}-data`, p.shape.schema, p.data);
  }

  fromRecord(topic: string, schema: Schema | undefined, value: unknown): Buffer | null {
    const p = this.parts(topic, schema, value);
    if (!p) return null;
    const { v, source, connector, shape, data } = p;
    const srcSchema = schema!.fields!.find((f) => f.name === 'source')!.schema;
    // By name: lowercased, PostgreSQL's source txId and the transaction block's id are both iodebeziumtxid; the
    // transaction block's (written later) wins, so the JSON never has a name twice.
    const attrs = new Map<string, string>();
    const put = (name: string, json: string) => attrs.set(name, json);
    put('id', JSON.stringify(MAKERS[connector].id(source)));
    put('source', JSON.stringify(`/debezium/${connector}/${source.name}`));
    put('specversion', '"1.0"');
    put('type', JSON.stringify(`io.debezium.connector.${connector}.DataChangeEvent`));
    put('time', JSON.stringify(new Date(Number(source.ts_ms)).toISOString()));
    put('datacontenttype', this.o.data === 'avro' ? '"application/avro"' : '"application/json"');
    let dataJson: string;
    if (this.o.data === 'avro') {
      const bytes = this.o.avro!.fromRecord(`${topic}-data`, shape.schema, data)!;
      put('dataschema', JSON.stringify(`${this.o.registryUrls}/schemas/ids/${bytes.readInt32BE(1)}`));
      dataJson = JSON.stringify(bytes.toString('base64'));
    } else {
      dataJson = this.o.json.fromRecord(topic, shape.schema, data)!.toString('utf8');
    }
    if (this.o.extensionAttributes) {
      // An attribute without a value is left out: null is not a CloudEvents attribute value (Debezium writes null).
      if (typeof v.op === 'string') put(extensionName('op'), JSON.stringify(v.op));
      for (const f of srcSchema.fields ?? []) {
        const x = source[f.name];
        if (x !== null && x !== undefined) put(extensionName(f.name), this.extensionValue(f.schema, x));
      }
      const tx = v.transaction as Record<string, unknown> | null | undefined;
      for (const name of ['id', 'total_order', 'data_collection_order']) {
        const x = tx?.[name];
        // The id is a string, the orders int64: all three are strings, as Debezium writes int64 attributes.
        if (x !== null && x !== undefined) put(extensionName(`tx${name}`), JSON.stringify(String(x)));
      }
    }
    put('data', dataJson);
    let doc = '';
    for (const [name, json] of attrs) doc += `${doc === '' ? '{' : ','}${JSON.stringify(name)}:${json}`;
    return Buffer.from(`${doc}}`, 'utf8');
  }

  /** CloudEvents extension types: int64 as a string, smaller integers as numbers, booleans, strings. */
  private extensionValue(schema: Schema, x: unknown): string {
    if (x === null || x === undefined) return 'null';
    switch (schema.type) {
      case 'boolean':
        return x ? 'true' : 'false';
      case 'int8':
      case 'int16':
      case 'int32':
        return String(x);
      case 'int64':
      case 'string':
        return JSON.stringify(String(x));
      default:
        throw new ConnectError(
          `Source field of type ${schema.type} cannot be converted into CloudEvents extension attribute.`,
        );
    }
  }

  toRecord(topic: string, bytes: Buffer | null): { schema?: Schema; value: unknown } {
    return this.envelopeJson.toRecord(topic, bytes);
  }
}

const configSpec = [
  key(
    'serializer.type',
    'string',
    'How the CloudEvents envelope is written: json (structured mode). avro is not supported.',
    {
      default: 'json',
      validValues: ['json', 'avro'],
      importance: 'HIGH',
    },
  ),
  key(
    'data.serializer.type',
    'string',
    'How `data` is written: json (see json.schemas.enable) or avro (Confluent wire format, base64; avro.schema.registry.url required).',
    {
      default: 'json',
      validValues: ['json', 'avro'],
      importance: 'HIGH',
    },
  ),
  key(
    'extension.attributes.enable',
    'boolean',
    'Add the iodebezium* extension attributes: op, the source fields, the transaction block.',
    {
      default: true,
      importance: 'HIGH',
    },
  ),
  key(
    'opentelemetry.tracing.attributes.enable',
    'boolean',
    'Not supported (the traceparent comes from record headers).',
    { default: false },
  ),
  key(
    'metadata.source',
    'list',
    'Where metadata comes from: value,id:generate,type:generate (only this is supported).',
    {
      default: ['value', 'id:generate', 'type:generate', 'traceparent:header', 'dataSchemaName:generate'],
    },
  ),
  key('schema.name.adjustment.mode', 'string', 'Accepted for compatibility (the JSON envelope has no schema name).', {
    default: 'avro',
    validValues: ['avro', 'none', 'avro_unicode'],
  }),
  key('schema.cloudevents.name', 'string', 'Accepted for compatibility (the JSON envelope has no schema name).', {
    default: null,
  }),
  key(
    'json.schemas.enable',
    'boolean',
    'With data.serializer.type=json: data as {"schema","payload"} (true) or the payload alone.',
    {
      default: true,
    },
  ),
  key('json.decimal.format', 'string', 'With data.serializer.type=json: BASE64 or NUMERIC Decimal values.', {
    default: 'BASE64',
    validValues: ['BASE64', 'NUMERIC'],
  }),
];

export function createCloudEventsConverter(config: Config): CloudEventsConverter {
  const issues: ConfigIssue[] = [];
  if (config.string('serializer.type') === 'avro') {
    issues.push({
      key: 'serializer.type',
      message: 'avro is not supported by sluice; CloudEvents are written in structured JSON mode',
    });
  }
  if (config.bool('opentelemetry.tracing.attributes.enable')) {
    issues.push({
      key: 'opentelemetry.tracing.attributes.enable',
      message: 'not supported by sluice (the traceparent header is not available to converters)',
    });
  }
  const sources = config.list('metadata.source').map((s) => s.trim());
  if (sources[0] !== 'value' || sources.some((s) => /^(id|type):header$/.test(s))) {
    issues.push({
      key: 'metadata.source',
      message: 'only value with id:generate and type:generate is supported by sluice',
    });
  }
  const data = config.string('data.serializer.type') as 'json' | 'avro';
  let avro: AvroConverter | undefined;
  let registryUrls = '';
  if (data === 'avro') {
    const props = config.withPrefix('avro.');
    if (!props['schema.registry.url'] && !props['apicurio.registry.url']) {
      issues.push({
        key: 'avro.schema.registry.url',
        message: 'Need URL(s) for schema registry instances for CloudEvents when using Apache Avro',
      });
    } else {
      const parsed = parseConfig(avroConverterPlugin.configSpec, props);
      for (const i of parsed.issues) issues.push({ key: `avro.${i.key}`, message: i.message });
      if (parsed.issues.length === 0) {
        avro = createAvroConverter(parsed.config, false);
        registryUrls = avro.registry.o.urls.join(',');
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, 'Invalid CloudEventsConverter configuration');
  return new CloudEventsConverter({
    extensionAttributes: config.bool('extension.attributes.enable'),
    data,
    json: new JsonConverter({
      schemasEnable: config.bool('json.schemas.enable'),
      decimalFormat: config.string('json.decimal.format') as 'BASE64' | 'NUMERIC',
    }),
    avro,
    registryUrls,
  });
}

export const cloudEventsConverterPlugin = defineConverter({
  name: 'cloudevents',
  className: 'io.debezium.converters.CloudEventsConverter',
  version: '1.0.0',
  doc: "Debezium's CloudEventsConverter: change events as CloudEvents 1.0 in structured JSON mode.",
  configSpec,
  create: (config) => createCloudEventsConverter(config),
});
