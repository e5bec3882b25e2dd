import { CloudEvent, ValidationError } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { ConfigError, Schemas } from '../../../runtime/api/index.js';
import { parseConfig } from '../../../runtime/config/parse.js';
import {
  cloudEventsConverterPlugin,
  createCloudEventsConverter,
  extensionName,
} from '../../../runtime/converters/cloudevents/converter.js';
import { sourceSchema, transactionBlockSchema } from '../../../connectors/postgres/source.js';

/**
 * CloudEventsConverter on a PostgreSQL change event: the document is a valid CloudEvents 1.0 JSON event (checked
 * by the CloudEvents SDK, which validates against the spec's JSON schema and its attribute naming rules).
 */

const value = Schemas.struct(
  [
    ['id', Schemas.int32()],
    ['name', Schemas.string(true)],
  ],
  true,
  { name: 'srv.public.t.Value' },
);
const envelope = Schemas.struct(
  [
    ['before', value],
    ['after', value],
    ['source', sourceSchema],
    ['transaction', transactionBlockSchema],
    ['op', Schemas.string()],
    ['ts_ms', Schemas.int64(true)],
  ],
  false,
  { name: 'srv.public.t.Envelope', version: 2 },
);

const event = {
  before: null,
  after: { id: 7, name: 'x' },
  source: {
    version: '3.6.1.Final',
    connector: 'postgresql',
    name: 'srv',
    ts_ms: 1733540000123,
    snapshot: 'false',
    db: 'inventory',
    sequence: '["1","2"]',
    ts_us: 1733540000123000,
    ts_ns: null,
    schema: 'public',
    table: 't',
    txId: 771,
    lsn: 24023128n,
    xmin: null,
    origin: null,
    origin_lsn: null,
  },
  transaction: { id: '771:24023128', total_order: 1, data_collection_order: 1 },
  op: 'c',
  ts_ms: 1733540000200,
};

const make = (props: Record<string, string> = {}) => {
  const parsed = parseConfig(cloudEventsConverterPlugin.configSpec, props);
  expect(parsed.issues).toEqual([]);
  return createCloudEventsConverter(parsed.config);
};

describe('CloudEventsConverter (structured JSON)', () => {
  it("a change event is a valid CloudEvents 1.0 event with Debezium's attributes and data", () => {
    const doc = JSON.parse(make().fromRecord('srv.public.t', envelope, event)!.toString('utf8'));
    expect(doc).toMatchObject({
      id: 'name:srv;lsn:24023128;txId:771;sequence:["1","2"]',
      source: '/debezium/postgresql/srv',
      specversion: '1.0',
      type: 'io.debezium.connector.postgresql.DataChangeEvent',
      time: '2024-12-07T02:53:20.123Z',
      datacontenttype: 'application/json',
      iodebeziumop: 'c',
      iodebeziumconnector: 'postgresql',
      iodebeziumtsms: '1733540000123',
      // the transaction block's id; the source's txId has the same lowercased name, and only one is written
      iodebeziumtxid: '771:24023128',
      iodebeziumlsn: '24023128',
      iodebeziumtxtotalorder: '1',
      iodebeziumtxdatacollectionorder: '1',
    });
    expect(doc).not.toHaveProperty('iodebeziumxmin');
    // data: the before/after struct with its schema (json.schemas.enable defaults to true)
    expect(doc.data.schema.name).toBe('io.debezium.connector.postgresql.Data');
    expect(doc.data.payload).toEqual({ before: null, after: { id: 7, name: 'x' } });
    expect(() => new CloudEvent(doc, true)).not.toThrow();
    for (const k of Object.keys(doc)) expect(k).toMatch(/^[a-z0-9]+$/);
  });

  it('json.schemas.enable=false: data is the payload; extension.attributes.enable=false: no iodebezium* attributes', () => {
    const doc = JSON.parse(
      make({ 'json.schemas.enable': 'false', 'extension.attributes.enable': 'false' })
        .fromRecord('srv.public.t', envelope, event)!
        .toString('utf8'),
    );
    expect(doc.data).toEqual({ before: null, after: { id: 7, name: 'x' } });
    expect(Object.keys(doc).filter((k) => k.startsWith('iodebezium'))).toEqual([]);
    expect(() => new CloudEvent(doc, true)).not.toThrow();
  });

  it('the SDK does refuse what the spec forbids (the check can fail): an upper-case attribute name', () => {
    const doc = JSON.parse(make().fromRecord('srv.public.t', envelope, event)!.toString('utf8'));
    expect(() => new CloudEvent({ ...doc, iodebeziumtxId: '771' }, true)).toThrow(ValidationError);
    expect(extensionName('txId')).toBe('iodebeziumtxid');
    expect(extensionName('ts_ms')).toBe('iodebeziumtsms');
  });

  it('records that are not change events are null; an unknown connector is a clear error; unsupported keys refused', () => {
    const c = make();
    expect(
      c.fromRecord('t', Schemas.struct([['serverName', Schemas.string()]], false, { name: 'k' }), { serverName: 'x' }),
    ).toBeNull();
    expect(c.fromRecord('t', envelope, null)).toBeNull();
    expect(() => c.fromRecord('t', envelope, { ...event, source: { ...event.source, connector: 'oracle' } })).toThrow(
      /No usable CloudEvents converters for connector type "oracle"/,
    );
    const bad = (props: Record<string, string>) =>
      expect(() =>
        createCloudEventsConverter(parseConfig(cloudEventsConverterPlugin.configSpec, props).config),
      ).toThrow(ConfigError);
    bad({ 'serializer.type': 'avro' });
    bad({ 'data.serializer.type': 'avro' });
    bad({ 'metadata.source': 'header' });
  });
});
