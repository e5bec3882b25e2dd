import {
  type ChangeRecord,
  ConfigError,
  ConnectError,
  key,
  Logical,
  LogicalSchemas,
  type Schema,
  Schemas,
} from '../../api/index.js';
import { DateFormat } from '../support/date-format.js';
import { keyValueTransforms, replaceNullKey } from '../support/define.js';
import { partOf, withPart } from '../support/records.js';
import { fieldValue, requireMap, requireStruct, SchemaCache, structLike } from '../support/structs.js';

type Kind = 'string' | 'unix' | 'Date' | 'Time' | 'Timestamp';
const KINDS: readonly Kind[] = ['string', 'unix', 'Date', 'Time', 'Timestamp'];
const DAY_MS = 86_400_000;
const PRECISIONS = ['seconds', 'milliseconds', 'microseconds', 'nanoseconds'] as const;
type Precision = (typeof PRECISIONS)[number];
const PER_MS: Record<Precision, number> = {
  seconds: 1 / 1000,
  milliseconds: 1,
  microseconds: 1000,
  nanoseconds: 1_000_000,
};
const PURPOSE = 'converting timestamp formats';

function kindOfSchema(s: Schema): Kind {
  if (s.name === Logical.Timestamp) return 'Timestamp';
  if (s.name === Logical.Date) return 'Date';
  if (s.name === Logical.Time) return 'Time';
  if (s.type === 'int64') return 'unix';
  if (s.type === 'string') return 'string';
  throw new ConnectError(`Schema ${s.name ?? s.type} does not correspond to a known timestamp type format`);
}

function kindOfValue(v: unknown): Kind {
  if (v instanceof Date) return 'Timestamp';
  if (typeof v === 'number' || typeof v === 'bigint') return 'unix';
  if (typeof v === 'string') return 'string';
  throw new ConnectError(`TimestampConverter does not support ${typeof v} objects as timestamps`);
}

function schemaFor(kind: Kind, optional: boolean): Schema {
  switch (kind) {
    case 'string':
      return Schemas.string(optional);
    case 'unix':
      return Schemas.int64(optional);
    case 'Date':
      return LogicalSchemas.connectDate(optional);
    case 'Time':
      return LogicalSchemas.connectTime(optional);
    case 'Timestamp':
      return LogicalSchemas.connectTimestamp(optional);
  }
}

export const [timestampConverterKey, timestampConverterValue] = keyValueTransforms(
  'TimestampConverter',
  'timestamp-converter',
  {
    doc: "Converts a timestamp field (or the whole key/value) between epoch numbers, formatted text and Connect's Date, Time and Timestamp types.",
    configSpec: [
      key('field', 'string', 'Field holding the timestamp; empty means the whole key/value.', {
        default: '',
      }),
      key('target.type', 'string', 'Output representation: string, unix, Date, Time or Timestamp.', {
        validValues: KINDS,
      }),
      key(
        'format',
        'string',
        'java.text.SimpleDateFormat pattern (UTC) for writing string output and reading string input.',
        { default: '' },
      ),
      key(
        'unix.precision',
        'string',
        'Unit of epoch numbers, both read and written: seconds, milliseconds, microseconds or nanoseconds.',
        {
          default: 'milliseconds',
          validValues: PRECISIONS,
        },
      ),
      replaceNullKey,
    ],
    create(config, side) {
      const field = config.string('field');
      const target = config.string('target.type') as Kind;
      const pattern = config.string('format');
      const fmt = pattern === '' ? undefined : new DateFormat(pattern, 'format');
      if (target === 'string' && !fmt) {
        throw new ConfigError([
          {
            key: 'format',
            message: 'TimestampConverter requires format option to be specified when using string timestamps',
          },
        ]);
      }
      const precision = config.string('unix.precision') as Precision;
      const replaceNull = config.bool('replace.null.with.default');
      const cache = new SchemaCache();

      const toMillis = (v: unknown, kind: Kind): number => {
        switch (kind) {
          case 'Timestamp':
            return v instanceof Date ? v.getTime() : Number(v);
          case 'Date':
            return v instanceof Date ? v.getTime() : Number(v) * DAY_MS;
          case 'Time':
            return v instanceof Date ? v.getTime() : Number(v);
          case 'unix': {
            if (precision === 'microseconds' || precision === 'nanoseconds') {
              const per = BigInt(PER_MS[precision]);
              const big = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
              return Number(big / per);
            }
            return Number(v) / PER_MS[precision];
          }
          case 'string':
            if (!fmt)
              throw new ConnectError(
                'TimestampConverter requires format option to be specified when using string timestamps',
              );
            return fmt.parse(v as string);
        }
      };
      const fromMillis = (ms: number, schemaless: boolean): unknown => {
        switch (target) {
          case 'string':
            return fmt!.format(ms);
          case 'unix': {
            if (precision === 'seconds') return Math.floor(ms / 1000);
            const out = BigInt(Math.trunc(ms)) * BigInt(PER_MS[precision]);
            return Number.isSafeInteger(Number(out)) ? Number(out) : out;
          }
          case 'Date': {
            const days = Math.floor(ms / DAY_MS);
            return schemaless ? new Date(days * DAY_MS) : days;
          }
          case 'Time': {
            const t = ((ms % DAY_MS) + DAY_MS) % DAY_MS;
            return schemaless ? new Date(t) : t;
          }
          case 'Timestamp':
            return schemaless ? new Date(ms) : ms;
        }
      };
      const convert = (v: unknown, from: Kind, schemaless: boolean): unknown =>
        v === null || v === undefined ? null : fromMillis(toMillis(v, from), schemaless);

      return (record: ChangeRecord) => {
        const { schema, value } = partOf(record, side);
        if (field === '') {
          if (!schema)
            return withPart(
              record,
              side,
              undefined,
              value === null || value === undefined ? null : convert(value, kindOfValue(value), true),
            );
          return withPart(
            record,
            side,
            schemaFor(target, schema.optional),
            convert(value, kindOfSchema(schema), false),
          );
        }
        if (value === null || value === undefined) return record;
        if (!schema) {
          const out = { ...requireMap(value, PURPOSE) };
          const v = out[field];
          if (v !== null && v !== undefined) out[field] = convert(v, kindOfValue(v), true);
          return withPart(record, side, undefined, out);
        }
        const struct = requireStruct(value, schema, PURPOSE);
        const outSchema = cache.get(schema, (s) =>
          structLike(
            s,
            (s.fields ?? []).map(
              (f) => [f.name, f.name === field ? schemaFor(target, f.schema.optional) : f.schema] as const,
            ),
          ),
        );
        const out: Record<string, unknown> = {};
        for (const f of schema.fields ?? []) {
          const v = fieldValue(struct, f, replaceNull);
          out[f.name] = f.name === field ? convert(v, kindOfSchema(f.schema), false) : v;
        }
        return withPart(record, side, outSchema, out);
      };
    },
  },
);
