import { type ChangeRecord, type Header, type Schema, Schemas } from '../../../runtime/api/index.js';
import { applyChain, buildChain } from '../../../runtime/transforms/chain.js';
import { transformPlugins } from '../../../runtime/transforms/index.js';
import { PluginRegistry } from '../../../runtime/worker/registry.js';

export const registry = new PluginRegistry().register(...transformPlugins);

/** A record with defaults for everything a test does not care about. */
export function record(fields: Partial<ChangeRecord> = {}): ChangeRecord {
  return {
    topic: 'test',
    key: null,
    value: null,
    headers: [],
    sourcePartition: { server: 'server1' },
    sourceOffset: { lsn: 1 },
    ...fields,
  };
}

/** Builds a chain from connector-style keys (`transforms`, `transforms.t.type`, …); throws on config issues. */
export function chain(raw: Record<string, string>): (r: ChangeRecord) => ChangeRecord | null {
  const { steps, issues } = buildChain(registry, raw);
  if (issues.length) throw new Error(issues.map((i) => `${i.key}: ${i.message}`).join('; '));
  return (r) => applyChain(steps, r);
}

/** One transform, configured with its own keys (no prefix). */
export function transform(type: string, config: Record<string, string> = {}): (r: ChangeRecord) => ChangeRecord | null {
  const raw: Record<string, string> = { transforms: 't', 'transforms.t.type': type };
  for (const [k, v] of Object.entries(config)) raw[`transforms.t.${k}`] = v;
  return chain(raw);
}

/** Config issues of one transform config, with their full keys. */
export function issuesOf(type: string, config: Record<string, string>): string[] {
  const raw: Record<string, string> = { transforms: 't', 'transforms.t.type': type };
  for (const [k, v] of Object.entries(config)) raw[`transforms.t.${k}`] = v;
  return buildChain(registry, raw).issues.map((i) => i.key);
}

// Debezium-shaped change events of a PostgreSQL table `inventory.customers`, as the connector emits them.
export const rowSchema: Schema = Schemas.struct(
  [
    ['id', Schemas.int32()],
    ['first_name', Schemas.string()],
    ['last_name', Schemas.string(true)],
    ['email', Schemas.string()],
  ],
  true,
  { name: 'server1.inventory.customers.Value' },
);
export const keySchema: Schema = Schemas.struct([['id', Schemas.int32()]], false, {
  name: 'server1.inventory.customers.Key',
});
export const sourceSchema: Schema = Schemas.struct(
  [
    ['version', Schemas.string()],
    ['connector', Schemas.string()],
    ['name', Schemas.string()],
    ['ts_ms', Schemas.int64()],
    ['snapshot', Schemas.string(true)],
    ['db', Schemas.string()],
    ['schema', Schemas.string()],
    ['table', Schemas.string()],
    ['txId', Schemas.int64(true)],
    ['lsn', Schemas.int64(true)],
  ],
  false,
  { name: 'io.debezium.connector.postgresql.Source' },
);
export const transactionSchema: Schema = Schemas.struct(
  [
    ['id', Schemas.string()],
    ['total_order', Schemas.int64()],
    ['data_collection_order', Schemas.int64()],
  ],
  true,
  { name: 'event.block', version: 1 },
);
export const envelopeSchema: Schema = Schemas.struct(
  [
    ['before', rowSchema],
    ['after', rowSchema],
    ['source', sourceSchema],
    ['op', Schemas.string()],
    ['ts_ms', Schemas.int64(true)],
    ['transaction', transactionSchema],
  ],
  false,
  { name: 'server1.inventory.customers.Envelope', version: 1 },
);

export interface Row {
  id: number;
  first_name: string;
  last_name: string | null;
  email: string;
}

export const alice: Row = { id: 1001, first_name: 'Alice', last_name: 'Smith', email: 'alice@example.com' };
export const bob: Row = { id: 1002, first_name: 'Bob', last_name: null, email: 'bob@example.com' };

export interface EventOptions {
  op: 'c' | 'u' | 'd' | 'r' | 't';
  before?: Row | null;
  after?: Row | null;
  schemas?: boolean;
  topic?: string;
  headers?: Header[];
  lsn?: number;
}

/** A Debezium change event for inventory.customers; `schemas: false` gives the schemaless (plain JSON) shape. */
export function changeEvent(o: EventOptions): ChangeRecord {
  const row = o.after ?? o.before ?? null;
  const lsn = o.lsn ?? 33_816_832;
  const value = {
    before: o.before ?? null,
    after: o.after ?? null,
    source: {
      version: '0.1.0',
      connector: 'postgresql',
      name: 'server1',
      ts_ms: 1_700_000_000_000,
      snapshot: o.op === 'r' ? 'true' : 'false',
      db: 'postgres',
      schema: 'inventory',
      table: 'customers',
      txId: 771,
      lsn,
    },
    op: o.op,
    ts_ms: 1_700_000_000_123,
    transaction: null,
  };
  const schemas = o.schemas ?? true;
  return record({
    topic: o.topic ?? 'server1.inventory.customers',
    keySchema: schemas && row ? keySchema : undefined,
    key: row ? { id: row.id } : null,
    valueSchema: schemas ? envelopeSchema : undefined,
    value,
    headers: o.headers ?? [],
    timestamp: 1_700_000_000_200,
    sourceOffset: { lsn },
  });
}

/** The tombstone Debezium emits after a delete. */
export function tombstone(row: Row, schemas = true): ChangeRecord {
  return record({
    topic: 'server1.inventory.customers',
    keySchema: schemas ? keySchema : undefined,
    key: { id: row.id },
    value: null,
  });
}
