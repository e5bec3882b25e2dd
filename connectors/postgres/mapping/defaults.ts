import type { ColumnCodec } from './codec.js';

/**
 * Column defaults on the schema, as Debezium's PostgresDefaultValueConverter derives them from the catalog's
 * default expression (`pg_get_expr(adbin, adrelid)`): by the column's type name, a literal's text or a raw
 * constant; a function call (`nextval(…)`, `now()`) or CURRENT_TIMESTAMP-like keyword gives the type's placeholder
 * (`0`, the epoch, …); types it has no mapper for (money, bytea, timetz, domains, arrays, extension types) and
 * expressions it cannot parse give no default. Debezium cuts a literal at its first quote (`'v''q'` → `v`); sluice
 * reads the whole literal (a departure listed in docs/compatibility.md).
 */

/** Placeholders Debezium uses for a default computed by a function, by type name. */
const FUNCTION_PLACEHOLDER: Readonly<Record<string, string>> = {
  bit: '00',
  varbit: '0',
  bool: 'false',
  bpchar: '',
  varchar: '',
  text: '',
  numeric: '0.0',
  float4: '0.0',
  float8: '0.0',
  int2: '0',
  int4: '0',
  int8: '0',
  json: '{}',
  jsonb: '{}',
  xml: '',
  uuid: '00000000-0000-0000-0000-000000000000',
  date: '1970-01-01',
  time: '00:00',
  timestamp: '1970-01-01',
  timestamptz: '1970-01-01',
  interval: 'epoch',
};

/** Types whose default expression Debezium trims first. */
const TRIMMED = new Set([
  'bit',
  'varbit',
  'bool',
  'numeric',
  'float4',
  'float8',
  'int2',
  'int4',
  'int8',
  'uuid',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'interval',
]);

/** Types whose mapper treats `NULL::type` as no default and parses the rest as a number or boolean. */
const FUNCTION_CALL = /^\(?[A-Za-z0-9_.]+\((?:.+(?:, ?.+)*)?\)/;
const CURRENT_DATE_TIMES = new Set([
  'current_timestamp',
  'current_time',
  'current_date',
  'localtime',
  'localtimestamp',
]);

/** The first string literal of an expression, `''` unescaped. */
function literal(expr: string): string | undefined {
  const m = /'((?:[^']|'')*)'/.exec(expr);
  return m ? m[1].replace(/''/g, "'") : undefined;
}

/** Debezium's extractDefault: placeholder for a function, else the literal, else the raw text (NULL:: → none). */
function extracted(expr: string, placeholder: string): string | null {
  if (FUNCTION_CALL.test(expr) || CURRENT_DATE_TIMES.has(expr.toLowerCase())) return placeholder;
  if (!expr.includes("'")) return expr.startsWith('NULL::') ? null : expr;
  return literal(expr) ?? null;
}

const INTEGER_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-9223372036854775808n, 9223372036854775807n],
};

/** Text the column's codec can decode, from the mapper's raw value; undefined when Java's parse would fail. */
function decodable(typeName: string, raw: string): string | undefined {
  switch (typeName) {
    case 'bool':
      return raw.toLowerCase() === 'true' ? 't' : 'f';
    case 'int2':
    case 'int4':
    case 'int8': {
      if (!/^[+-]?\d+$/.test(raw)) return undefined;
      const [min, max] = INTEGER_RANGES[typeName];
      const v = BigInt(raw);
      return v < min || v > max ? undefined : v.toString();
    }
    case 'numeric':
    case 'float4':
    case 'float8':
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) || /^(NaN|[+-]?Infinity)$/.test(raw) ? raw : undefined;
    case 'uuid':
      return /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(raw)
        ? raw.toLowerCase()
        : undefined;
    case 'time':
      return /^\d{2}:\d{2}$/.test(raw) ? `${raw}:00` : raw;
    case 'timestamp':
      return /^\d{4,}-\d{2}-\d{2}$/.test(raw) ? `${raw} 00:00:00` : raw;
    case 'timestamptz':
      return /^\d{4,}-\d{2}-\d{2}$/.test(raw) ? `${raw} 00:00:00+00` : raw;
    case 'interval':
      // The JDBC driver's PGInterval cannot read the `epoch` placeholder of a function default: no default.
      return raw === 'epoch' ? undefined : raw;
    default:
      return raw;
  }
}

export interface DefaultSource {
  /** pg_type.typname of the column's type (a domain's own name, not its base type's) */
  typeName: string;
  /** the type is an enum */
  isEnum: boolean;
  /** pg_get_expr of the column's default */
  expression: string;
}

/** The schema default of a column, or undefined when Debezium would give it none. */
export function columnDefault(src: DefaultSource, codec: ColumnCodec): unknown {
  // Debezium drops defaults that are structs (VariableScaleDecimal, Point): Connect cannot hold them (KAFKA-12694).
  if (codec.schema.type === 'struct') return undefined;
  let expr = src.expression;
  let text: string | null | undefined;
  if (src.isEnum) {
    // Only `'label'::type` naming the column's own enum type.
    const cast = expr.lastIndexOf('::');
    if (cast < 0) return undefined;
    const typeName = expr
      .slice(cast + 2)
      .replace(/"/g, '')
      .split('.')
      .pop();
    if (typeName !== src.typeName) return undefined;
    const value = expr.slice(0, cast);
    text = value.startsWith("'") && value.endsWith("'") ? value.slice(1, -1).replace(/''/g, "'") : undefined;
  } else {
    const placeholder = FUNCTION_PLACEHOLDER[src.typeName];
    if (placeholder === undefined) return undefined;
    if (TRIMMED.has(src.typeName)) expr = expr.trim();
    const raw = extracted(expr, placeholder);
    if (raw === null) return undefined;
    text = decodable(src.typeName, raw);
  }
  if (text === undefined) return undefined;
  try {
    const value = codec.decode(text);
    return value === null ? undefined : value;
  } catch {
    return undefined;
  }
}
