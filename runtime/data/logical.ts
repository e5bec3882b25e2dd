import { Schemas, type Schema } from './schema.js';

/**
 * Logical type names of Kafka Connect and Debezium. Values keep their physical representation (numbers and
 * bigints of the stated unit) except Connect's Decimal, whose value is a `Decimal`; see docs/data-model.md.
 */
export const Logical = {
  Decimal: 'org.apache.kafka.connect.data.Decimal',
  Date: 'org.apache.kafka.connect.data.Date',
  Time: 'org.apache.kafka.connect.data.Time',
  Timestamp: 'org.apache.kafka.connect.data.Timestamp',
  DebeziumDate: 'io.debezium.time.Date',
  DebeziumTime: 'io.debezium.time.Time',
  MicroTime: 'io.debezium.time.MicroTime',
  NanoTime: 'io.debezium.time.NanoTime',
  DebeziumTimestamp: 'io.debezium.time.Timestamp',
  MicroTimestamp: 'io.debezium.time.MicroTimestamp',
  NanoTimestamp: 'io.debezium.time.NanoTimestamp',
  ZonedTimestamp: 'io.debezium.time.ZonedTimestamp',
  ZonedTime: 'io.debezium.time.ZonedTime',
  MicroDuration: 'io.debezium.time.MicroDuration',
  Interval: 'io.debezium.time.Interval',
  Year: 'io.debezium.time.Year',
  VariableScaleDecimal: 'io.debezium.data.VariableScaleDecimal',
  Json: 'io.debezium.data.Json',
  Uuid: 'io.debezium.data.Uuid',
  Enum: 'io.debezium.data.Enum',
  EnumSet: 'io.debezium.data.EnumSet',
  Bits: 'io.debezium.data.Bits',
  Xml: 'io.debezium.data.Xml',
  Geometry: 'io.debezium.data.geometry.Geometry',
  Point: 'io.debezium.data.geometry.Point',
} as const;

export const LogicalSchemas = {
  /** Connect Decimal: bytes holding the unscaled value, scale in parameters (Debezium also sets precision). */
  decimal(scale: number, precision?: number, optional = false): Schema {
    const parameters: Record<string, string> = { scale: String(scale) };
    if (precision !== undefined) parameters['connect.decimal.precision'] = String(precision);
    return Schemas.bytes(optional, { name: Logical.Decimal, version: 1, parameters });
  },
  /** Debezium's decimal with a per-value scale (NUMERIC without precision). Value: `{ scale, value }`. */
  variableScaleDecimal(optional = false): Schema {
    return Schemas.struct(
      [
        ['scale', Schemas.int32()],
        ['value', Schemas.bytes()],
      ],
      optional,
      { name: Logical.VariableScaleDecimal, version: 1, doc: 'Variable scaled decimal' },
    );
  },
  connectDate: (optional = false) => Schemas.int32(optional, { name: Logical.Date, version: 1 }),
  connectTime: (optional = false) => Schemas.int32(optional, { name: Logical.Time, version: 1 }),
  connectTimestamp: (optional = false) => Schemas.int64(optional, { name: Logical.Timestamp, version: 1 }),
  date: (optional = false) => Schemas.int32(optional, { name: Logical.DebeziumDate, version: 1 }),
  time: (optional = false) => Schemas.int32(optional, { name: Logical.DebeziumTime, version: 1 }),
  microTime: (optional = false) => Schemas.int64(optional, { name: Logical.MicroTime, version: 1 }),
  timestamp: (optional = false) => Schemas.int64(optional, { name: Logical.DebeziumTimestamp, version: 1 }),
  microTimestamp: (optional = false) => Schemas.int64(optional, { name: Logical.MicroTimestamp, version: 1 }),
  zonedTimestamp: (optional = false) => Schemas.string(optional, { name: Logical.ZonedTimestamp, version: 1 }),
  zonedTime: (optional = false) => Schemas.string(optional, { name: Logical.ZonedTime, version: 1 }),
  microDuration: (optional = false) => Schemas.int64(optional, { name: Logical.MicroDuration, version: 1 }),
  interval: (optional = false) => Schemas.string(optional, { name: Logical.Interval, version: 1 }),
  year: (optional = false) => Schemas.int32(optional, { name: Logical.Year, version: 1 }),
  json: (optional = false) => Schemas.string(optional, { name: Logical.Json, version: 1 }),
  uuid: (optional = false) => Schemas.string(optional, { name: Logical.Uuid, version: 1 }),
  xml: (optional = false) => Schemas.string(optional, { name: Logical.Xml, version: 1 }),
  enumeration: (allowed: readonly string[], optional = false) =>
    Schemas.string(optional, { name: Logical.Enum, version: 1, parameters: { allowed: allowed.join(',') } }),
  enumSet: (allowed: readonly string[], optional = false) =>
    Schemas.string(optional, { name: Logical.EnumSet, version: 1, parameters: { allowed: allowed.join(',') } }),
  bits: (length: number, optional = false) =>
    Schemas.bytes(optional, { name: Logical.Bits, version: 1, parameters: { length: String(length) } }),
} as const;
