import { LogicalSchemas, Schemas } from '../../runtime/api/index.js';
import { arrayCodec, type ArrayPlaceholder } from './mapping/arrays.js';
import { type ColumnCodec, int64, scalar, textCodec, type TypeModes } from './mapping/codec.js';
import { binaryCodec, bitCodec, hstoreCodec, pointCodec, unknownCodec } from './mapping/misc.js';
import { moneyCodec, numericCodec } from './mapping/numbers.js';

const SPECIAL_ELEMENT = /(?:^|[{,])\s*"?(?:NaN|-?Infinity)"?\s*(?=[,}])/;
function hasSpecialNumeric(text: string): boolean {
  return SPECIAL_ELEMENT.test(text);
}
import {
  dateCodec,
  intervalCodec,
  timeCodec,
  timestampCodec,
  timestamptzCodec,
  timetzCodec,
} from './mapping/temporal.js';

export type {
  BinaryMode,
  ColumnCodec,
  DecimalMode,
  HstoreMode,
  IntervalMode,
  TimePrecisionMode,
  TypeModes,
} from './mapping/codec.js';
export { parseArrayLiteral, SUB_ARRAY } from './mapping/arrays.js';

/** One row of pg_type, enough to map any column (arrays, enums and domains resolve through it). */
export interface PgType {
  oid: number;
  name: string;
  /** b base, e enum, d domain, c composite, r range, m multirange, p pseudo */
  kind: string;
  /** element type of an array type, else 0 */
  elem: number;
  /** base type of a domain, else 0 */
  base: number;
  /** typmod a domain applies to its base type */
  baseTypmod: number;
  category: string;
  /** the array delimiter (`,`; `;` for box) */
  delimiter?: string;
  enumLabels?: readonly string[];
}

export interface TypeLookup {
  type(oid: number): PgType | undefined;
}

const PG = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  xml: 142,
  point: 600,
  float4: 700,
  float8: 701,
  money: 790,
  macaddr: 829,
  inet: 869,
  cidr: 650,
  macaddr8: 774,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  bit: 1560,
  varbit: 1562,
  numeric: 1700,
  uuid: 2950,
  tsvector: 3614,
  jsonb: 3802,
  int4range: 3904,
  numrange: 3906,
  tsrange: 3908,
  tstzrange: 3910,
  daterange: 3912,
  int8range: 3926,
} as const;

/** Array types Debezium declares unsupported (PostgresValueConverter: "still need to be implemented"). */
const UNSUPPORTED_ARRAYS = new Set([
  791 /* money */, 1003 /* name */, 1187 /* interval */, 1563 /* varbit */, 143 /* xml */, 1017 /* point */,
]);

/** Extension types Debezium maps by name (TypeRegistry looks them up once per connection). */
const EXTENSION_STRINGS = new Set(['citext', 'isbn']);

/**
 * What an unchanged TOASTed array becomes, by element type (Debezium's UnchangedToastedPlaceholder); null where
 * Debezium's converter cannot take its placeholder (date[] in connect and isostring modes).
 */
function arrayPlaceholderKind(elem: number, modes: TypeModes): ArrayPlaceholder {
  switch (elem) {
    case PG.text:
    case PG.varchar:
    case PG.bpchar:
    case PG.json:
    case PG.jsonb:
      return 'text';
    case PG.bytea:
      return 'bytes';
    case PG.date:
      return modes.time === 'connect' || modes.time === 'isostring' ? 'none' : 'int';
    case PG.int4:
    case PG.int8:
      return 'int';
    case PG.uuid:
      return 'uuid';
    default:
      return 'none';
  }
}

function bitLength(oid: number, typmod: number): number {
  // `bit` without a length is bit(1); `varbit` without one has no limit (Debezium: Integer.MAX_VALUE).
  if (typmod > 0) return typmod;
  return oid === PG.bit ? 1 : 2147483647;
}

/**
 * Maps a column type to Debezium's representation (PostgresValueConverter#schemaBuilder and #converter), given the
 * modes; undefined for a type Debezium has no mapping for (geometric types other than point, multiranges, tsquery,
 * pg_lsn, xid, composites, most extension types, arrays of those and of money, name, interval, varbit, xml and
 * point): Debezium leaves such columns out unless include.unknown.datatypes is set, and so does sluice.
 */
export function columnCodec(oid: number, typmod: number, modes: TypeModes, types: TypeLookup): ColumnCodec | undefined {
  const known = knownCodec(oid, typmod, modes, types);
  if (known) return known;
  // Arrays Debezium declares unsupported stay out even with include.unknown.datatypes, and so do arrays of
  // unmapped elements (Debezium declares array<bytes> for them but has no converter to fill it).
  const t = types.type(oid);
  if (UNSUPPORTED_ARRAYS.has(oid) || (t?.category === 'A' && t.elem)) return undefined;
  return modes.unknown ? unknownCodec(modes.binary) : undefined;
}

function knownCodec(oid: number, typmod: number, modes: TypeModes, types: TypeLookup): ColumnCodec | undefined {
  switch (oid) {
    case PG.bool:
      return scalar(Schemas.boolean(), (t) => t === 't', false);
    case PG.int2:
      return scalar(Schemas.int16(), Number, 0);
    case PG.int4:
      return scalar(Schemas.int32(), Number, 0);
    case PG.int8:
    case PG.oid:
      return scalar(Schemas.int64(), int64, 0);
    case PG.float4:
      return scalar(Schemas.float32(), Number, 0);
    case PG.float8:
      return scalar(Schemas.float64(), Number, 0);
    case PG.numeric:
      return numericCodec(typmod, modes.decimal);
    case PG.money:
      return moneyCodec(modes.decimal);
    case PG.text:
    case PG.varchar:
    case PG.bpchar:
    case PG.char:
    case PG.name:
    case PG.inet:
    case PG.cidr:
    case PG.macaddr:
    case PG.macaddr8:
    case PG.int4range:
    case PG.int8range:
    case PG.numrange:
    case PG.tsrange:
    case PG.tstzrange:
    case PG.daterange:
      return textCodec(Schemas.string());
    case PG.bytea:
      return binaryCodec(modes.binary);
    case PG.date:
      return dateCodec(modes.time);
    case PG.time:
      return timeCodec(typmod, modes.time);
    case PG.timetz:
      return timetzCodec();
    case PG.timestamp:
      return timestampCodec(typmod, modes.time);
    case PG.timestamptz:
      return timestamptzCodec(typmod);
    case PG.interval:
      return intervalCodec(modes.interval);
    case PG.uuid:
      return textCodec(LogicalSchemas.uuid());
    case PG.json:
    case PG.jsonb:
      return textCodec(LogicalSchemas.json());
    case PG.xml:
      return textCodec(LogicalSchemas.xml());
    case PG.tsvector:
      return textCodec(Schemas.string(false, { name: 'io.debezium.data.Tsvector', version: 1 }));
    case PG.bit:
    case PG.varbit:
      return bitCodec(bitLength(oid, typmod));
    case PG.point:
      return pointCodec();
  }
  const t = types.type(oid);
  if (!t) return undefined;
  if (t.kind === 'e') return textCodec(LogicalSchemas.enumeration(t.enumLabels ?? []));
  if (t.kind === 'd' && t.base) return knownCodec(t.base, t.baseTypmod, modes, types);
  if (EXTENSION_STRINGS.has(t.name)) return textCodec(Schemas.string());
  if (t.name === 'ltree') return textCodec(Schemas.string(false, { name: 'io.debezium.data.Ltree', version: 1 }));
  if (t.name === 'hstore') return hstoreCodec(modes.hstore);
  if (t.category === 'A' && t.elem) {
    if (UNSUPPORTED_ARRAYS.has(oid)) return undefined;
    const elemType = types.type(t.elem);
    // An array of a domain has no mapping in Debezium (the element's JDBC type does not match).
    if (elemType?.kind === 'd') return undefined;
    const element = knownCodec(t.elem, typmod, modes, types);
    if (!element) return undefined;
    return arrayCodec(element, {
      requiredItems: elemType?.kind === 'e',
      // Debezium's numeric arrays are null as a whole when any element, nested ones too, is NaN or ±Infinity (the
      // JDBC driver cannot make a BigDecimal of it), in every decimal mode.
      nullIf: t.elem === PG.numeric ? hasSpecialNumeric : undefined,
      placeholder: arrayPlaceholderKind(t.elem, modes),
      delimiter: t.delimiter,
    });
  }
  return undefined;
}

/** The setting that changes how a column of this type is represented, for error messages. */
export function settingOf(oid: number, types: TypeLookup): string | undefined {
  const t = types.type(oid);
  const base = t?.kind === 'd' && t.base ? t.base : t?.category === 'A' && t.elem ? t.elem : oid;
  if (base !== oid) return settingOf(base, types);
  switch (oid) {
    case PG.numeric:
    case PG.money:
      return 'decimal.handling.mode';
    case PG.date:
    case PG.time:
    case PG.timestamp:
      return 'time.precision.mode';
    case PG.interval:
      return 'interval.handling.mode';
    case PG.bytea:
      return 'binary.handling.mode';
  }
  return t?.name === 'hstore' ? 'hstore.handling.mode' : undefined;
}
