import { type ChangeRecord, type Schema, Schemas } from '../../../runtime/api/index.js';

/** Debezium-shaped change events built by hand, for the sink tests that need exact control over each record. */

export type Row = Record<string, unknown>;

export function rowSchema(name: string, fields: ReadonlyArray<readonly [string, Schema]>, optional = true): Schema {
  return Schemas.struct(fields, optional, { name });
}

const SOURCE = Schemas.struct(
  [
    ['db', Schemas.string()],
    ['schema', Schemas.string(true)],
    ['table', Schemas.string()],
  ],
  false,
  { name: 'io.debezium.connector.postgresql.Source' },
);

/** The envelope schema for a row schema: before, after, source, op, ts_ms. */
export function envelopeSchema(topic: string, row: Schema): Schema {
  return Schemas.struct(
    [
      ['before', Schemas.withOptional(row, true)],
      ['after', Schemas.withOptional(row, true)],
      ['source', SOURCE],
      ['op', Schemas.string()],
      ['ts_ms', Schemas.int64(true)],
    ],
    false,
    { name: `${topic}.Envelope`, version: 2 },
  );
}

export interface Table {
  readonly topic: string;
  readonly keySchema: Schema;
  readonly rowSchema: Schema;
  readonly envelope: Schema;
  readonly table: string;
}

export function table(topic: string, fields: ReadonlyArray<readonly [string, Schema]>, keyFields = ['id']): Table {
  const row = rowSchema(`${topic}.Value`, fields);
  const keySchema = Schemas.struct(
    fields.filter(([n]) => keyFields.includes(n)).map(([n, s]) => [n, Schemas.withOptional(s, false)] as const),
    false,
    { name: `${topic}.Key` },
  );
  return {
    topic,
    keySchema,
    rowSchema: row,
    envelope: envelopeSchema(topic, row),
    table: topic.split('.').pop() as string,
  };
}

let offset = 0;

function keyOf(t: Table, row: Row): Row {
  return Object.fromEntries((t.keySchema.fields ?? []).map((f) => [f.name, row[f.name]]));
}

/** A change event: op c/u/r with `after`, d with `before`, t with neither. */
export function event(
  t: Table,
  op: 'c' | 'u' | 'r' | 'd' | 't',
  row: Row | null,
  extra: Partial<ChangeRecord> = {},
): ChangeRecord {
  offset++;
  const value = {
    before: op === 'd' ? row : null,
    after: op === 'd' || op === 't' ? null : row,
    source: { db: 'src', schema: 'public', table: t.table },
    op,
    ts_ms: Date.now(),
  };
  return {
    topic: t.topic,
    keySchema: op === 't' ? undefined : t.keySchema,
    key: op === 't' || row === null ? null : keyOf(t, row),
    valueSchema: t.envelope,
    value,
    headers: [],
    sourcePartition: { server: 'test' },
    sourceOffset: { lsn: offset },
    ...extra,
  };
}

/** The tombstone Debezium sends after a delete: the key, no value, no value schema. */
export function tombstone(t: Table, row: Row): ChangeRecord {
  offset++;
  return {
    topic: t.topic,
    keySchema: t.keySchema,
    key: keyOf(t, row),
    value: null,
    headers: [],
    sourcePartition: { server: 'test' },
    sourceOffset: { lsn: offset },
  };
}
