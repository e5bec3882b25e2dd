import {
  type ChangeRecord,
  ConfigError,
  ConnectError,
  type Header,
  key,
  Logical,
  type Schema,
  Schemas,
} from '../../api/index.js';
import { DEBEZIUM_PACKAGE, debeziumTransform } from '../support/define.js';
import { compileJavaRegex, javaReplacement } from '../support/java-regex.js';
import { isPlainObject, type Struct } from '../support/structs.js';
import { envelopeOf, fieldSchema } from './envelope.js';

type Placement = 'header' | 'envelope' | 'partition';
interface Additional {
  readonly field: string;
  readonly placement: Placement;
  readonly name: string;
}

function additionalFields(text: string): Additional[] {
  if (text.trim() === '') return [];
  return text.split(',').map((item) => {
    const parts = item.trim().split(':');
    const placement = parts[1]?.trim();
    if (parts.length < 2 || parts.length > 3 || !['header', 'envelope', 'partition'].includes(placement)) {
      throw new ConfigError([
        {
          key: 'table.fields.additional.placement',
          message: `Invalid placement "${item}": expected field:header|envelope|partition[:alias]`,
        },
      ]);
    }
    return { field: parts[0].trim(), placement: placement as Placement, name: (parts[2] ?? parts[0]).trim() };
  });
}

/** Schema of JSON text expanded by table.expand.json.payload: objects become structs, fields optional. */
function jsonSchema(v: unknown): Schema {
  if (v === null) return Schemas.string(true);
  if (typeof v === 'string') return Schemas.string(true);
  if (typeof v === 'boolean') return Schemas.boolean(true);
  if (typeof v === 'number') return Number.isInteger(v) ? Schemas.int64(true) : Schemas.float64(true);
  if (Array.isArray(v)) return Schemas.array(v.length ? jsonSchema(v[0]) : Schemas.string(true), true);
  return Schemas.struct(
    Object.entries(v as Struct).map(([k, x]) => [k, jsonSchema(x)] as const),
    true,
  );
}

export const outboxEventRouter = debeziumTransform(
  `${DEBEZIUM_PACKAGE}outbox.EventRouter`,
  'outbox-event-router',
  ['EventRouter', 'outbox.EventRouter'],
  {
    doc: 'The outbox pattern: routes each row inserted into an outbox table to a topic named after its aggregate type, with the event payload as value and the aggregate id as key.',
    configSpec: [
      key('table.field.event.id', 'string', 'Outbox column with the event id (sent as header `id`).', {
        default: 'id',
      }),
      key('table.field.event.key', 'string', 'Outbox column with the aggregate id (the record key).', {
        default: 'aggregateid',
      }),
      key('table.field.event.type', 'string', 'Outbox column with the event type.', {
        default: 'type',
      }),
      key(
        'table.field.event.timestamp',
        'string',
        "Outbox column to take the record timestamp from; empty uses the change event's ts_ms.",
        { default: '' },
      ),
      key('table.field.event.payload', 'string', 'Outbox column with the payload (the record value).', {
        default: 'payload',
      }),
      key(
        'table.field.event.schema.version',
        'string',
        'Outbox column whose value becomes the value schema version; empty for none.',
        { default: '' },
      ),
      key(
        'table.fields.additional.placement',
        'string',
        'More columns to pass on: comma-separated `column:header[:name]`, `column:envelope[:name]` (value becomes a struct with `payload`) or `column:partition`.',
        { default: '' },
      ),
      key(
        'table.fields.additional.error.on.missing',
        'boolean',
        'When true, a missing column of `table.fields.additional.placement` fails the record.',
        { default: true },
      ),
      key('table.expand.json.payload', 'boolean', 'Parse a JSON text payload into a struct (schemaless: an object).', {
        default: false,
      }),
      key(
        'table.op.invalid.behavior',
        'string',
        'What to do with an update of the outbox table: warn or error drop it, fatal fails the task.',
        {
          default: 'warn',
          validValues: ['warn', 'error', 'fatal'],
        },
      ),
      key('route.by.field', 'string', 'Outbox column whose value names the topic.', { default: 'aggregatetype' }),
      key(
        'route.topic.regex',
        'string',
        'Regular expression applied to the `route.by.field` value; its groups feed `route.topic.replacement`.',
        { default: '(?<routedByValue>.*)' },
      ),
      key(
        'route.topic.replacement',
        'string',
        'Topic template; `${routedByValue}` is the named group of the default `route.topic.regex`.',
        { default: 'outbox.event.${routedByValue}' },
      ),
      key('route.tombstone.on.empty.payload', 'boolean', 'A null payload yields a tombstone (null value) when true.', {
        default: false,
      }),
    ],
    create(config) {
      const idField = config.string('table.field.event.id');
      const keyField = config.string('table.field.event.key');
      const timestampField = config.string('table.field.event.timestamp');
      const payloadField = config.string('table.field.event.payload');
      const versionField = config.string('table.field.event.schema.version');
      const extras = additionalFields(config.string('table.fields.additional.placement'));
      const errorOnMissing = config.bool('table.fields.additional.error.on.missing');
      const expandJson = config.bool('table.expand.json.payload');
      const invalidOp = config.string('table.op.invalid.behavior');
      const routeBy = config.string('route.by.field');
      const routeRe = compileJavaRegex(config.string('route.topic.regex'), 'route.topic.regex');
      const routeReplace = javaReplacement(config.string('route.topic.replacement'), 'route.topic.replacement');
      const tombstoneOnEmpty = config.bool('route.tombstone.on.empty.payload');
      const envelopeExtras = extras.filter((e) => e.placement === 'envelope');
      const topics = new Map<string, string>();
      const valueSchemas = new WeakMap<Schema, Map<string, Schema>>();

      const topicFor = (routedBy: string): string => {
        let t = topics.get(routedBy);
        if (t === undefined) {
          const m = routeRe.exec(routedBy);
          t = m ? routeReplace(m) : routedBy;
          if (topics.size < 1000) topics.set(routedBy, t);
        }
        return t;
      };

      return (record: ChangeRecord) => {
        // Debezium ignores tombstones of the outbox table (rows are usually deleted right after insert).
        if (record.value === null || record.value === undefined) return null;
        const env = envelopeOf(record);
        if (!env) return record;
        if (env.op === 'd') return null;
        if (env.op !== 'c' && env.op !== 'r') {
          if (invalidOp === 'fatal') {
            throw new ConnectError(
              `Unexpected change event operation ${env.op} on the outbox table; only inserts are expected`,
            );
          }
          return null;
        }
        const row = env.value.after;
        if (!isPlainObject(row)) throw new ConnectError('Outbox change event has no after state');
        const rowSchema = fieldSchema(env.schema, 'after');
        const colSchema = (name: string) => fieldSchema(rowSchema, name);
        const col = (name: string, required: boolean): unknown => {
          if (!(name in row) || (rowSchema && !colSchema(name))) {
            if (required) throw new ConnectError(`Outbox table column ${name} is missing from the event`);
            return null;
          }
          return row[name] ?? null;
        };

        const routedBy = col(routeBy, true);
        if (routedBy === null) throw new ConnectError(`Outbox column ${routeBy} (route.by.field) is null`);
        const topic = topicFor(String(routedBy));
        const eventId = col(idField, true);
        const eventKey = col(keyField, false);
        let payload = col(payloadField, false);
        let payloadSchema = rowSchema ? colSchema(payloadField) : undefined;
        if (expandJson && typeof payload === 'string') {
          try {
            payload = JSON.parse(payload);
            payloadSchema = rowSchema ? jsonSchema(payload) : undefined;
          } catch {
            // Debezium keeps the text when it is not JSON.
          }
        }

        const headers: Header[] = [
          ...record.headers,
          { key: 'id', value: eventId, schema: rowSchema ? colSchema(idField) : undefined },
        ];
        let partition = record.kafkaPartition;
        for (const e of extras) {
          const present = e.field in row;
          if (!present && errorOnMissing)
            throw new ConnectError(`Outbox table column ${e.field} (table.fields.additional.placement) is missing`);
          const v = row[e.field] ?? null;
          if (e.placement === 'header')
            headers.push({ key: e.name, value: v, schema: rowSchema ? colSchema(e.field) : undefined });
          else if (e.placement === 'partition') partition = v === null ? partition : Number(v);
        }

        let timestamp = record.timestamp;
        if (timestampField !== '') {
          const ts = col(timestampField, true);
          const s = colSchema(timestampField);
          if (typeof ts === 'number' || typeof ts === 'bigint') {
            timestamp =
              s?.name === Logical.MicroTimestamp
                ? Number(BigInt(ts) / 1000n)
                : s?.name === Logical.NanoTimestamp
                  ? Number(BigInt(ts) / 1_000_000n)
                  : Number(ts);
          }
        } else if (
          isPlainObject(env.value) &&
          (typeof env.value.ts_ms === 'number' || typeof env.value.ts_ms === 'bigint')
        ) {
          timestamp = Number(env.value.ts_ms);
        }

        const keySchema = eventKey === null ? undefined : rowSchema ? colSchema(keyField) : undefined;
        if (payload === null && tombstoneOnEmpty) {
          return {
            ...record,
            topic,
            kafkaPartition: partition,
            keySchema,
            key: eventKey,
            valueSchema: undefined,
            value: null,
            headers,
            timestamp,
          };
        }

        let value: unknown = payload;
        let valueSchema = payloadSchema;
        if (envelopeExtras.length) {
          const out: Struct = { payload };
          for (const e of envelopeExtras) out[e.name] = row[e.field] ?? null;
          value = out;
          if (rowSchema) {
            const ps = payloadSchema ?? Schemas.string(true);
            let perPayload = valueSchemas.get(ps);
            if (!perPayload) {
              perPayload = new Map();
              valueSchemas.set(ps, perPayload);
            }
            const version = versionField !== '' ? row[versionField] : undefined;
            const cacheKey = String(version ?? '');
            let s = perPayload.get(cacheKey);
            if (!s) {
              s = Schemas.struct(
                [
                  ['payload', ps],
                  ...envelopeExtras.map((e) => [e.name, colSchema(e.field) ?? Schemas.string(true)] as const),
                ],
                false,
                version !== undefined && version !== null ? { version: Number(version) } : undefined,
              );
              perPayload.set(cacheKey, s);
            }
            valueSchema = s;
          }
        } else if (valueSchema && versionField !== '') {
          const version = row[versionField];
          if (version !== null && version !== undefined)
            valueSchema = Object.freeze({ ...valueSchema, version: Number(version) });
        }
        return {
          ...record,
          topic,
          kafkaPartition: partition,
          keySchema,
          key: eventKey,
          valueSchema,
          value,
          headers,
          timestamp,
        };
      };
    },
  },
);
