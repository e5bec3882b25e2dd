/**
 * Connect-style schemas. The shape follows Kafka Connect's `Schema` so that the JSON converter can write the
 * exact schema JSON Kafka's JsonConverter writes, and Debezium consumers see no difference.
 */

export type SchemaType =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'boolean'
  | 'string'
  | 'bytes'
  | 'array'
  | 'map'
  | 'struct';

export interface Field {
  readonly name: string;
  readonly index: number;
  readonly schema: Schema;
}

export interface Schema {
  readonly type: SchemaType;
  readonly optional: boolean;
  /** Logical or record name, e.g. `io.debezium.time.MicroTimestamp` or `server1.inventory.customers.Value`. */
  readonly name?: string;
  readonly version?: number;
  readonly doc?: string;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly defaultValue?: unknown;
  /** struct only, in order */
  readonly fields?: readonly Field[];
  /** array only */
  readonly valueSchema?: Schema;
  /** map only (valueSchema holds the value schema) */
  readonly keySchema?: Schema;
}

type SchemaExtras = Partial<Pick<Schema, 'name' | 'version' | 'doc' | 'parameters' | 'defaultValue'>>;

function primitive(type: SchemaType, optional: boolean, extras?: SchemaExtras): Schema {
  return Object.freeze({ type, optional, ...extras });
}

/** Builders for Connect schemas; every builder returns a frozen schema so schemas can be shared and cached. */
export const Schemas = {
  int8: (optional = false, extras?: SchemaExtras) => primitive('int8', optional, extras),
  int16: (optional = false, extras?: SchemaExtras) => primitive('int16', optional, extras),
  int32: (optional = false, extras?: SchemaExtras) => primitive('int32', optional, extras),
  int64: (optional = false, extras?: SchemaExtras) => primitive('int64', optional, extras),
  float32: (optional = false, extras?: SchemaExtras) => primitive('float32', optional, extras),
  float64: (optional = false, extras?: SchemaExtras) => primitive('float64', optional, extras),
  boolean: (optional = false, extras?: SchemaExtras) => primitive('boolean', optional, extras),
  string: (optional = false, extras?: SchemaExtras) => primitive('string', optional, extras),
  bytes: (optional = false, extras?: SchemaExtras) => primitive('bytes', optional, extras),
  array(valueSchema: Schema, optional = false, extras?: SchemaExtras): Schema {
    return Object.freeze({ type: 'array', optional, valueSchema, ...extras });
  },
  map(keySchema: Schema, valueSchema: Schema, optional = false, extras?: SchemaExtras): Schema {
    return Object.freeze({ type: 'map', optional, keySchema, valueSchema, ...extras });
  },
  struct(fields: ReadonlyArray<readonly [string, Schema]>, optional = false, extras?: SchemaExtras): Schema {
    const built = fields.map(([name, schema], index) => Object.freeze({ name, index, schema }));
    return Object.freeze({ type: 'struct', optional, fields: Object.freeze(built), ...extras });
  },
  /** The same schema with `optional` changed; returns the input when nothing changes. */
  withOptional(schema: Schema, optional: boolean): Schema {
    return schema.optional === optional ? schema : Object.freeze({ ...schema, optional });
  },
} as const;

export function field(schema: Schema, name: string): Field | undefined {
  return schema.fields?.find((f) => f.name === name);
}

/** Structural equality, used by schema caches and tests. */
export function schemaEquals(a: Schema | undefined, b: Schema | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  if (a.type !== b.type || a.optional !== b.optional || a.name !== b.name || a.version !== b.version) return false;
  if (a.doc !== b.doc) return false;
  if (JSON.stringify(a.parameters ?? null) !== JSON.stringify(b.parameters ?? null)) return false;
  if (!schemaEquals(a.valueSchema, b.valueSchema) || !schemaEquals(a.keySchema, b.keySchema)) return false;
  const fa = a.fields ?? [];
  const fb = b.fields ?? [];
  if (fa.length !== fb.length) return false;
  return fa.every((f, i) => f.name === fb[i].name && schemaEquals(f.schema, fb[i].schema));
}
