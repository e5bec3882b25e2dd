import { LogicalSchemas, type Schema, Schemas } from '../../../../runtime/api/index.js';

/**
 * One Connect schema per type the converters meet, each with the Avro schema Confluent's AvroData makes of it in
 * expected/<name>.avsc: a record `io.sluice.test.<Name>` with a required field `v` and an optional field `o` of the
 * type. The files are checked in and were reviewed against Confluent's documented mapping (expected/README.md).
 */
export const TYPE_CASES: ReadonlyArray<readonly [string, (optional: boolean) => Schema]> = [
  ['Int8', (o) => Schemas.int8(o)],
  ['Int16', (o) => Schemas.int16(o)],
  ['Int32', (o) => Schemas.int32(o)],
  ['Int64', (o) => Schemas.int64(o)],
  ['Float32', (o) => Schemas.float32(o)],
  ['Float64', (o) => Schemas.float64(o)],
  ['Boolean', (o) => Schemas.boolean(o)],
  ['String', (o) => Schemas.string(o)],
  ['Bytes', (o) => Schemas.bytes(o)],
  ['Decimal', (o) => LogicalSchemas.decimal(5, 30, o)],
  ['DecimalNoPrecision', (o) => LogicalSchemas.decimal(2, undefined, o)],
  ['ConnectDate', (o) => LogicalSchemas.connectDate(o)],
  ['ConnectTime', (o) => LogicalSchemas.connectTime(o)],
  ['ConnectTimestamp', (o) => LogicalSchemas.connectTimestamp(o)],
  ['DebeziumDate', (o) => LogicalSchemas.date(o)],
  ['MicroTime', (o) => LogicalSchemas.microTime(o)],
  ['MicroTimestamp', (o) => LogicalSchemas.microTimestamp(o)],
  ['ZonedTimestamp', (o) => LogicalSchemas.zonedTimestamp(o)],
  ['MicroDuration', (o) => LogicalSchemas.microDuration(o)],
  ['Json', (o) => LogicalSchemas.json(o)],
  ['Uuid', (o) => LogicalSchemas.uuid(o)],
  ['Enum', (o) => LogicalSchemas.enumeration(['red', 'green'], o)],
  ['Bits', (o) => LogicalSchemas.bits(12, o)],
  ['VariableScaleDecimal', (o) => LogicalSchemas.variableScaleDecimal(o)],
  ['ArrayOfOptionalString', (o) => Schemas.array(Schemas.string(true), o)],
  ['MapStringInt64', (o) => Schemas.map(Schemas.string(), Schemas.int64(), o)],
  ['MapInt32String', (o) => Schemas.map(Schemas.int32(), Schemas.string(true), o)],
  ['StringWithDefault', (o) => Schemas.string(o, { defaultValue: 'none' })],
  ['Int64WithDefault', (o) => Schemas.int64(o, { defaultValue: 9007199254740993n })],
  ['Float64WithDefault', (o) => Schemas.float64(o, { defaultValue: 1 })],
  [
    'Struct',
    (o) =>
      Schemas.struct(
        [
          ['a', Schemas.int32()],
          ['b', Schemas.string(true)],
        ],
        o,
        { name: 'srv.public.inner.Value', version: 3, doc: 'an inner struct' },
      ),
  ],
  ['UnnamedStruct', (o) => Schemas.struct([['x', Schemas.boolean()]], o)],
];

export function caseSchema(name: string, make: (optional: boolean) => Schema): Schema {
  return Schemas.struct(
    [
      ['v', make(false)],
      ['o', make(true)],
    ],
    false,
    { name: `io.sluice.test.${name}` },
  );
}
