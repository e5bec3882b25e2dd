import { type ChangeRecord, ConnectError, type Schema, Schemas } from '../../runtime/api/index.js';
import type { JdbcSettings } from './config.js';
import { resolveTableName } from './naming.js';

/** One column-to-be: a field of the key or the value with its schema. */
export interface FieldDef {
  readonly name: string;
  readonly schema: Schema;
  readonly isKey: boolean;
}

/** The fields a record writes, key fields first; records with equal `signature` fit one statement. */
export interface FieldSet {
  readonly key: readonly FieldDef[];
  readonly value: readonly FieldDef[];
  readonly signature: string;
}

/** What a record asks of the target table (Debezium's JdbcSinkRecord, read once). */
export type SinkOp =
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'truncate'; readonly table: string }
  | {
      readonly kind: 'delete';
      readonly table: string;
      readonly fields: FieldSet;
      readonly keyValues: readonly unknown[];
    }
  | {
      readonly kind: 'upsert';
      readonly table: string;
      readonly fields: FieldSet;
      readonly keyValues: readonly unknown[];
      readonly values: readonly unknown[];
    };

const KAFKA_FIELDS: readonly FieldDef[] = [
  { name: '__connect_topic', schema: Schemas.string(), isKey: true },
  { name: '__connect_partition', schema: Schemas.int32(), isKey: true },
  { name: '__connect_offset', schema: Schemas.int64(), isKey: true },
];

type Struct = Record<string, unknown>;

function isEnvelope(schema: Schema | undefined): boolean {
  if (schema?.type !== 'struct') return false;
  if (schema.name) return schema.name.endsWith('.Envelope');
  return schema.fields?.some((f) => f.name === 'op') === true;
}

function sig(fields: readonly FieldDef[]): string {
  return fields.map((f) => `${f.name}:${f.schema.type}:${f.schema.name ?? ''}:${f.schema.optional ? 1 : 0}`).join(',');
}

/** A data error in a record: not retriable, it goes to errors.tolerance / the dead letter queue. */
export class RecordError extends ConnectError {
  constructor(
    message: string,
    readonly record?: ChangeRecord,
  ) {
    super(message, { retriable: false });
  }
}

/**
 * Reads records the way Debezium's JDBC sink does: a Debezium envelope (schema name `….Envelope`, or an unnamed
 * struct with `op`) gives `after` for c/u/r, `before` for d, and a truncate for t; anything else is a flat record
 * (ExtractNewRecordState's output) whose null value is a delete. A tombstone (no value, no schema) deletes by key.
 */
export class RecordReader {
  /** field sets per (key schema, payload schema, topic): records of one table share them */
  private readonly fieldSets = new WeakMap<Schema, Map<Schema | null, Map<string, FieldSet>>>();
  private readonly tableNames = new Map<string, string | null>();
  /** the `source` fields collection.name.format refers to (`${source.table}` → `table`) */
  private readonly sourceFields: readonly string[];

  constructor(private readonly s: JdbcSettings) {
    this.sourceFields = s.passthroughNaming ? [] : [...s.nameFormat.matchAll(/\$\{source\.(.*?)\}/g)].map((m) => m[1]);
  }

  read(r: ChangeRecord): SinkOp {
    const vs = r.valueSchema;
    if (vs?.name?.includes('SchemaChangeValue')) {
      return {
        kind: 'skip',
        reason:
          'schema change event: the JDBC sink does not read schema change topics; exclude it from topics / topics.regex',
      };
    }
    const value = r.value as Struct | null;
    const envelope = value !== null && value !== undefined && isEnvelope(vs);
    let op: string;
    let payload: Struct | null;
    let payloadSchema: Schema | undefined;
    if (envelope) {
      op = String(value.op);
      const field = op === 'd' ? 'before' : 'after';
      payload = (value[field] as Struct | null) ?? null;
      payloadSchema = vs?.fields?.find((f) => f.name === field)?.schema;
    } else {
      op = value === null || value === undefined ? 'd' : 'c';
      payload = value ?? null;
      payloadSchema = vs;
    }
    const table = this.table(r, envelope ? (value.source as Struct | undefined) : undefined);
    if (table === null) return { kind: 'skip', reason: `no table name resolves from ${this.s.nameFormat}` };

    if (op === 't')
      return this.s.truncateEnabled ? { kind: 'truncate', table } : { kind: 'skip', reason: 'truncate.enabled=false' };
    if (op === 'm') return { kind: 'skip', reason: 'logical decoding message' };
    if (op === 'd') {
      if (!this.s.deleteEnabled) return { kind: 'skip', reason: 'delete.enabled=false' };
      const tombstone = value === null || value === undefined;
      if (tombstone && (this.s.pkMode === 'record_value' || this.s.pkMode === 'record_header'))
        return { kind: 'skip', reason: `tombstone with primary.key.mode=${this.s.pkMode}` };
      const fields = this.fields(r, payload, payloadSchema);
      if (fields.key.length === 0)
        throw new RecordError('a delete needs primary key fields, and this record has none', r);
      return { kind: 'delete', table, fields, keyValues: this.keyValues(r, fields, payload) };
    }
    if (!['c', 'u', 'r'].includes(op)) return { kind: 'skip', reason: `unknown operation "${op}"` };
    if (payload === null || payloadSchema?.type !== 'struct') {
      throw new RecordError(
        payloadSchema === undefined
          ? 'the JDBC sink needs records with schemas (with the JSON converter: value.converter.schemas.enable=true)'
          : `the record value is a ${payloadSchema.type}, not a struct`,
        r,
      );
    }
    const fields = this.fields(r, payload, payloadSchema);
    const values = fields.value.map((f) => payload[f.name] ?? null);
    return { kind: 'upsert', table, fields, keyValues: this.keyValues(r, fields, payload), values };
  }

  /** The table name, remembered per topic and per value of the source fields the format uses. */
  private table(r: ChangeRecord, source: Struct | undefined): string | null {
    let memo = r.topic;
    if (this.sourceFields.length) {
      if (!source) return null;
      for (const f of this.sourceFields) memo += `\u0000${String(source[f] ?? '\u0001')}`;
    }
    let t = this.tableNames.get(memo);
    if (t === undefined) {
      t = resolveTableName(this.s.nameFormat, r.topic, source, this.s.passthroughNaming);
      if (this.tableNames.size > 100_000) this.tableNames.clear();
      this.tableNames.set(memo, t);
    }
    return t;
  }

  private fields(r: ChangeRecord, payload: Struct | null, payloadSchema: Schema | undefined): FieldSet {
    const first = payloadSchema ?? r.keySchema;
    if (this.s.pkMode !== 'record_header' && first) {
      const second = payloadSchema ? (r.keySchema ?? null) : null;
      let inner = this.fieldSets.get(first);
      if (!inner) {
        inner = new Map();
        this.fieldSets.set(first, inner);
      }
      let byTopic = inner.get(second);
      if (!byTopic) {
        byTopic = new Map();
        inner.set(second, byTopic);
      }
      let set = byTopic.get(r.topic);
      if (!set) {
        set = this.buildFields(r, payload, payloadSchema);
        byTopic.set(r.topic, set);
      }
      return set;
    }
    return this.buildFields(r, payload, payloadSchema);
  }

  private buildFields(r: ChangeRecord, payload: Struct | null, payloadSchema: Schema | undefined): FieldSet {
    const { s } = this;
    const filter = (name: string) => s.fieldFilter(r.topic, name);
    const pk = s.pkFields;
    let key: FieldDef[] = [];
    switch (s.pkMode) {
      case 'none':
        break;
      case 'kafka':
        key = [...KAFKA_FIELDS];
        break;
      case 'record_key': {
        const ks = r.keySchema;
        if (!ks) throw new RecordError("primary.key.mode 'record_key' needs records with a key schema", r);
        if (ks.type === 'struct') {
          const all = ks.fields ?? [];
          const chosen = pk.length ? all.filter((f) => pk.includes(f.name)) : all.filter((f) => filter(f.name));
          key = chosen.map((f) => ({ name: f.name, schema: f.schema, isKey: true }));
        } else if (ks.type === 'array' || ks.type === 'map') {
          throw new RecordError(`an unsupported record key schema type: ${ks.type}`, r);
        } else {
          if (pk.length !== 1)
            throw new RecordError(
              'a primitive record key needs exactly one name in primary.key.fields (its column)',
              r,
            );
          key = [{ name: pk[0], schema: ks, isKey: true }];
        }
        break;
      }
      case 'record_value': {
        if (payloadSchema?.type !== 'struct' || payload === null)
          throw new RecordError('cannot take the primary key from a record without a struct value', r);
        const all = payloadSchema.fields ?? [];
        const chosen = pk.length ? all.filter((f) => pk.includes(f.name)) : all.filter((f) => filter(f.name));
        key = chosen.map((f) => ({ name: f.name, schema: f.schema, isKey: true }));
        break;
      }
      case 'record_header': {
        if (r.headers.length === 0) throw new RecordError("primary.key.mode 'record_header' needs headers", r);
        const chosen = pk.length ? r.headers.filter((h) => pk.includes(h.key)) : r.headers;
        key = chosen.map((h) => ({ name: h.key, schema: h.schema ?? headerSchema(h.value), isKey: true }));
        break;
      }
    }
    if (pk.length && (s.pkMode === 'record_key' || s.pkMode === 'record_value' || s.pkMode === 'record_header')) {
      const missing = pk.filter((p) => !key.some((k) => k.name === p));
      if (missing.length)
        throw new RecordError(`primary.key.fields names ${missing.join(', ')}, which the record does not have`, r);
    }
    const keyNames = new Set(key.map((k) => k.name));
    const value: FieldDef[] = [];
    for (const f of payloadSchema?.type === 'struct' ? (payloadSchema.fields ?? []) : []) {
      if (keyNames.has(f.name) || !filter(f.name)) continue;
      value.push({ name: f.name, schema: f.schema, isKey: false });
    }
    return { key, value, signature: `${sig(key)}|${sig(value)}` };
  }

  private keyValues(r: ChangeRecord, fields: FieldSet, payload: Struct | null): unknown[] {
    switch (this.s.pkMode) {
      case 'none':
        return [];
      case 'kafka': {
        const offset = r.sourceOffset.offset;
        if (r.kafkaPartition === undefined || (typeof offset !== 'number' && typeof offset !== 'string'))
          throw new RecordError(
            "primary.key.mode 'kafka' needs records consumed from Kafka (the direct transport has no partitions and offsets); use record_key",
            r,
          );
        return [r.topic, r.kafkaPartition, BigInt(offset)];
      }
      case 'record_key': {
        const ks = r.keySchema;
        if (ks && ks.type !== 'struct') return [r.key];
        const k = (r.key ?? {}) as Struct;
        return fields.key.map((f) => k[f.name] ?? null);
      }
      case 'record_value': {
        if (payload === null) throw new RecordError('cannot take the primary key from a record without a value', r);
        return fields.key.map((f) => payload[f.name] ?? null);
      }
      case 'record_header':
        return fields.key.map((f) => r.headers.find((h) => h.key === f.name)?.value ?? null);
    }
  }
}

/** A header without a schema: its value's own type (strings, integers, doubles, booleans). */
function headerSchema(v: unknown): Schema {
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return Schemas.int64(true);
  if (typeof v === 'number') return Schemas.float64(true);
  if (typeof v === 'boolean') return Schemas.boolean(true);
  if (Buffer.isBuffer(v)) return Schemas.bytes(true);
  return Schemas.string(true);
}
