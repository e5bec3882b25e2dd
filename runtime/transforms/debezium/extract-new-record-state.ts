import {
  type ChangeRecord,
  ConfigError,
  ConnectError,
  type Header,
  key,
  type Schema,
  Schemas,
} from '../../api/index.js';
import { DEBEZIUM_PACKAGE, debeziumTransform, replaceNullKey } from '../support/define.js';
import { rebuild } from '../support/records.js';
import { copyInto, emptyStruct, hasFieldDefaults, isPlainObject, structLike, type Struct } from '../support/structs.js';
import { envelopeOf, fieldSchema } from './envelope.js';

type Mode = 'drop' | 'tombstone' | 'rewrite' | 'rewrite-with-tombstone' | 'delete-to-tombstone';
const MODES: readonly Mode[] = ['drop', 'tombstone', 'rewrite', 'rewrite-with-tombstone', 'delete-to-tombstone'];
const DELETED = '__deleted';
const TRANSACTION_FIELDS = new Set(['id', 'total_order', 'data_collection_order']);

/** `op`, `source.ts_ms`, `table`, `transaction.id`, each optionally `:NEW_NAME`, as Debezium's FieldReference reads them. */
interface FieldRef {
  /** null = the envelope itself */
  readonly struct: string | null;
  readonly field: string;
  readonly out: string;
}

function fieldRefs(list: readonly string[], prefix: string, configKey: string): FieldRef[] {
  return list.map((text) => {
    const parts = text.split(':');
    if (parts.length > 2) throw new ConfigError([{ key: configKey, message: `Unexpected field name: ${text}` }]);
    const path = parts[0].split('.');
    if (path.length > 2) throw new ConfigError([{ key: configKey, message: `Unexpected field name: ${text}` }]);
    const field = path.length === 1 ? path[0] : path[1];
    const struct =
      path.length === 2
        ? path[0]
        : field === 'op' || field === 'ts_ms' || field === 'ts_us' || field === 'ts_ns'
          ? null
          : TRANSACTION_FIELDS.has(field)
            ? 'transaction'
            : 'source';
    const out = prefix + (parts.length === 2 ? parts[1] : path.length === 1 ? field : `${struct}_${field}`);
    return { struct, field, out };
  });
}

function refSchema(envelope: Schema | undefined, ref: FieldRef): Schema | undefined {
  const holder = ref.struct === null ? envelope : fieldSchema(envelope, ref.struct);
  const s = fieldSchema(holder, ref.field);
  return s ? Schemas.withOptional(s, true) : undefined;
}

function refValue(envelope: Struct, ref: FieldRef): unknown {
  const holder = ref.struct === null ? envelope : envelope[ref.struct];
  if (!isPlainObject(holder)) return null;
  return holder[ref.field] ?? null;
}

/** Resolves the mode, honouring the pre-2.5 keys drop.tombstones / delete.handling.mode when only they are given. */
function modeOf(raw: Readonly<Record<string, string>>, given: string | undefined): Mode {
  if (given !== undefined) return given as Mode;
  const legacyDrop = raw['drop.tombstones'];
  const legacyDeletes = raw['delete.handling.mode'];
  if (legacyDrop === undefined && legacyDeletes === undefined) return 'tombstone';
  const dropTombstones = (legacyDrop ?? 'true').trim().toLowerCase() !== 'false';
  const deletes = (legacyDeletes ?? 'drop').trim().toLowerCase();
  if (deletes === 'rewrite') return dropTombstones ? 'rewrite' : 'rewrite-with-tombstone';
  if (deletes === 'none') return dropTombstones ? 'delete-to-tombstone' : 'tombstone';
  return dropTombstones ? 'drop' : 'tombstone';
}

export const extractNewRecordState = debeziumTransform(
  `${DEBEZIUM_PACKAGE}ExtractNewRecordState`,
  'extract-new-record-state',
  ['ExtractNewRecordState', 'unwrap'],
  {
    doc: 'Replaces a Debezium change event by the row state after the change (before it, for rewritten deletes).',
    configSpec: [
      key(
        'delete.tombstone.handling.mode',
        'string',
        'How to handle delete events and tombstones: drop, tombstone (the default), rewrite, rewrite-with-tombstone, delete-to-tombstone.',
        {
          default: null,
          validValues: MODES,
        },
      ),
      key(
        'drop.tombstones',
        'boolean',
        'Deprecated (Debezium < 2.5): drop tombstones. Used only when delete.tombstone.handling.mode is not set.',
        { default: true, importance: 'LOW' },
      ),
      key(
        'delete.handling.mode',
        'string',
        'Deprecated (Debezium < 2.5): drop, rewrite or none. Used only when delete.tombstone.handling.mode is not set.',
        {
          default: 'drop',
          validValues: ['drop', 'rewrite', 'none'],
          importance: 'LOW',
        },
      ),
      key('route.by.field', 'string', 'Column whose value becomes the topic.', { default: '' }),
      key('add.fields.prefix', 'string', 'Prefix of the names of fields added by `add.fields`.', { default: '__' }),
      key(
        'add.fields',
        'list',
        'Envelope or source fields to copy into the row: `op`, `ts_ms`, `source.ts_ms`, `table`, `transaction.id`…; named prefix + name (`__source_ts_ms` for qualified ones), or `field:NAME`.',
        { default: [] },
      ),
      key('add.headers.prefix', 'string', 'Prefix of the names of headers added by `add.headers`.', { default: '__' }),
      key('add.headers', 'list', 'Adds each field listed to the headers, named as add.fields names fields.', {
        default: [],
      }),
      replaceNullKey,
    ],
    create(config) {
      const mode = modeOf(config.raw, config.optionalString('delete.tombstone.handling.mode'));
      const routeBy = config.string('route.by.field');
      const addFields = fieldRefs(config.list('add.fields'), config.string('add.fields.prefix'), 'add.fields');
      const addHeaders = fieldRefs(config.list('add.headers'), config.string('add.headers.prefix'), 'add.headers');
      const replaceNull = config.bool('replace.null.with.default');
      const rewrite = mode === 'rewrite' || mode === 'rewrite-with-tombstone';
      const keepTombstones = mode === 'tombstone' || mode === 'rewrite-with-tombstone';
      const plain = addFields.length === 0 && !rewrite;

      // Per envelope schema and state field (after/before): the row schema, the output schema and the added
      // fields that exist in this envelope, worked out once.
      interface Plan {
        readonly row: Schema;
        readonly out: Schema;
        readonly refs: readonly FieldRef[];
        readonly defaults: boolean;
      }
      const plans = new WeakMap<Schema, { after?: Plan; before?: Plan }>();
      const planOf = (envelope: Schema, rowField: 'after' | 'before'): Plan => {
        let perEnvelope = plans.get(envelope);
        if (!perEnvelope) {
          perEnvelope = {};
          plans.set(envelope, perEnvelope);
        }
        let plan = perEnvelope[rowField];
        if (!plan) {
          const row = fieldSchema(envelope, rowField);
          if (row?.type !== 'struct') throw new ConnectError(`Envelope schema has no struct field ${rowField}`);
          const refs: FieldRef[] = [];
          const fields: Array<readonly [string, Schema]> = (row.fields ?? []).map((f) => [f.name, f.schema] as const);
          for (const ref of addFields) {
            const s = refSchema(envelope, ref);
            if (s) {
              refs.push(ref);
              fields.push([ref.out, s]);
            }
          }
          if (rewrite) fields.push([DELETED, Schemas.string(true)]);
          // before and after share one row schema: give both one output schema.
          const twin = perEnvelope[rowField === 'after' ? 'before' : 'after'];
          const out = plain ? row : twin?.row === row ? twin.out : structLike(row, fields);
          plan = { row, out, refs, defaults: replaceNull && hasFieldDefaults(row) };
          perEnvelope[rowField] = plan;
        }
        return plan;
      };

      const headerSchemas = new WeakMap<Schema, Array<Schema | undefined>>();
      const headerSchemasOf = (envelope: Schema) => {
        let s = headerSchemas.get(envelope);
        if (!s) {
          s = addHeaders.map((ref) => refSchema(envelope, ref));
          headerSchemas.set(envelope, s);
        }
        return s;
      };

      return (record: ChangeRecord) => {
        if (record.value === null || record.value === undefined) return keepTombstones ? record : null;
        const env = envelopeOf(record);
        if (!env) return record;
        const { op, value: envelope, schema: envelopeSchema } = env;
        if (op === 't') return null;
        const deleted = op === 'd';
        if (deleted && !rewrite) {
          if (mode === 'delete-to-tombstone')
            return rebuild(record, record.topic, record.keySchema, record.key, undefined, null);
          return null;
        }
        const rowField = deleted ? 'before' : 'after';
        const row = envelope[rowField];
        if (!isPlainObject(row)) {
          throw new ConnectError(`Change event with op=${op} has no ${rowField} state`);
        }
        let headers: readonly Header[] = record.headers;
        if (addHeaders.length) {
          const schemas = envelopeSchema ? headerSchemasOf(envelopeSchema) : undefined;
          const added = addHeaders.map((ref, i) => ({
            key: ref.out,
            value: refValue(envelope, ref),
            schema: schemas?.[i],
          }));
          headers = [...headers, ...added];
        }
        let topic = record.topic;
        if (routeBy !== '') {
          const v = row[routeBy];
          if (v === null || v === undefined)
            throw new ConnectError(`route.by.field ${routeBy} has no value in the ${rowField} state`);
          topic = String(v);
        }

        if (!envelopeSchema) {
          const out: Struct = plain ? row : { ...row };
          for (const ref of addFields) out[ref.out] = refValue(envelope, ref);
          if (rewrite) out[DELETED] = deleted ? 'true' : 'false';
          return rebuild(record, topic, record.keySchema, record.key, undefined, out, headers);
        }

        const plan = planOf(envelopeSchema, rowField);
        let out: Struct;
        if (plain && !plan.defaults) {
          out = row;
        } else {
          out = copyInto(row, plan.row, emptyStruct(plan.out), replaceNull);
          for (const ref of plan.refs) out[ref.out] = refValue(envelope, ref);
          if (rewrite) out[DELETED] = deleted ? 'true' : 'false';
        }
        return rebuild(record, topic, record.keySchema, record.key, plan.out, out, headers);
      };
    },
  },
);
