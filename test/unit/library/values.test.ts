import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { JsonConverter } from '../../../runtime/converters/json.js';
import { Decimal } from '../../../runtime/data/decimal.js';
import { LogicalSchemas } from '../../../runtime/data/logical.js';
import type { ChangeRecord } from '../../../runtime/data/record.js';
import { type Schema, Schemas } from '../../../runtime/data/schema.js';
import { toEvent, toJson, ValueNormalizer } from '../../../runtime/library/values.js';

/**
 * Events as capture() makes them from records: toJson() of an event is the CLI's JsonConverter output for its
 * record, and an event does not keep its record alive where its own values are enough for that (a consumer's loop
 * keeps the previous batch of events alive while it waits for the next one).
 */

const keySchema = Schemas.struct([['id', Schemas.int64()]], false, { name: 'db.t.Key' });

function rowSchema(extra: ReadonlyArray<readonly [string, Schema]> = []): Schema {
  return Schemas.struct(
    [
      ['id', Schemas.int64()],
      ['big', Schemas.int64(true)],
      ['data', Schemas.bytes(true)],
      ['price', LogicalSchemas.decimal(2, 10, true)],
      ['status', Schemas.string(true, { defaultValue: 'new' })],
      ['at', LogicalSchemas.microTimestamp(true)],
      ['tags', Schemas.array(Schemas.int64(), true)],
      ...extra,
    ],
    true,
    { name: 'db.t.Value' },
  );
}

function recordOf(value: Schema, row: Record<string, unknown>): ChangeRecord {
  return {
    topic: 'db.t',
    key: { id: row.id },
    keySchema,
    value: row,
    valueSchema: value,
    headers: [],
    sourcePartition: { server: 'db' },
    sourceOffset: { lsn: 1 },
  };
}

/** A row as a connector makes it (a new one each time: capture() may fix a record's values in place). */
const row = () => ({
  id: 7,
  big: 9223372036854775807n,
  data: new Uint8Array([0, 1, 255]),
  price: new Decimal(-12345n, 2),
  status: null,
  at: 1_700_000_000_123_456,
  tags: [1, 2],
});

function cliJson(r: ChangeRecord, schemas: boolean, key = false): string {
  const conv = new JsonConverter({ schemasEnable: schemas, decimalFormat: 'BASE64' });
  const out = key ? conv.fromRecord(r.topic, r.keySchema, r.key) : conv.fromRecord(r.topic, r.valueSchema, r.value);
  return out === null ? 'null' : out.toString('utf8');
}

/** Runs a full GC (V8's gc() exposed at run time, in a context of its own). */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('events and toJson', () => {
  it("writes an event as the CLI writes its record, the event's values normalized", () => {
    const r = recordOf(rowSchema(), row());
    const e = toEvent(r, new ValueNormalizer());
    const after = e.value as Record<string, unknown>;
    expect(after.id).toBe(7n);
    expect(Buffer.isBuffer(after.data)).toBe(true);
    expect(after.status).toBe('new');
    expect(after.tags).toEqual([1n, 2n]);
    expect((e.key as Record<string, unknown>).id).toBe(7n);
    // against a record as the connector made it (capture() fixed this one's values in place)
    const original = recordOf(rowSchema(), row());
    for (const schemas of [false, true]) {
      expect(toJson(e, { schemas })).toBe(cliJson(original, schemas));
      expect(toJson(e, { schemas, key: true })).toBe(cliJson(original, schemas, true));
    }
    expect(toJson(e)).toContain('"big":9223372036854775807');
    expect(toJson(e)).toContain('"status":"new"');
  });

  it('writes a VariableScaleDecimal and, with dates: true, temporal values as the CLI does', () => {
    const schema = rowSchema([['var', LogicalSchemas.variableScaleDecimal(true)]]);
    const r = recordOf(schema, { ...row(), var: { scale: 3, value: new Uint8Array([0x30, 0x39]) } });
    for (const dates of [false, true]) {
      const e = toEvent(r, new ValueNormalizer({ dates }));
      const after = e.value as Record<string, unknown>;
      expect(after.var).toEqual(new Decimal(12345n, 3));
      if (dates) expect(after.at).toBeInstanceOf(Date);
      for (const schemas of [false, true]) expect(toJson(e, { schemas })).toBe(cliJson(r, schemas));
    }
    // dates: true without a VariableScaleDecimal: the microseconds a Date cannot hold are still written
    const e = toEvent(recordOf(rowSchema(), row()), new ValueNormalizer({ dates: true }));
    expect(toJson(e)).toContain('"at":1700000000123456');
    expect(toJson(e)).toBe(cliJson(recordOf(rowSchema(), row()), false));
  });

  it('does not keep the record alive when its values are enough to write it, and does otherwise', async () => {
    const n = new ValueNormalizer();
    const alive = async (schema: Schema, value: () => Record<string, unknown>) => {
      let r: ChangeRecord | undefined = recordOf(schema, value());
      const ref = new WeakRef(r);
      const e = toEvent(r, n);
      r = undefined;
      // A WeakRef's target stays alive until the job that made it ends.
      await new Promise((resolve) => setImmediate(resolve));
      fullGc();
      return { e, alive: ref.deref() !== undefined };
    };
    const light = await alive(rowSchema(), () => ({ ...row() }));
    expect(light.alive).toBe(false);
    expect(toJson(light.e)).toContain('"id":7');
    const held = await alive(rowSchema([['var', LogicalSchemas.variableScaleDecimal(true)]]), () => ({
      ...row(),
      var: { scale: 0, value: new Uint8Array([1]) },
    }));
    expect(held.alive).toBe(true);
    expect(toJson(held.e)).toContain('"var":{"scale":0,"value":"AQ=="}');
  });

  it('fixes values in place where the record is not kept, and copies what it cannot change', () => {
    const n = new ValueNormalizer();
    const value = { ...row(), tags: [1, 2] };
    const e = toEvent(recordOf(rowSchema(), value), n);
    expect(e.value).toBe(value);
    expect(value.id).toBe(7n);
    expect(value.tags).toEqual([1n, 2n]);
    const frozen = Object.freeze({ ...row(), tags: Object.freeze([3]) });
    const f = toEvent(recordOf(rowSchema(), frozen), n);
    expect(f.value).not.toBe(frozen);
    expect((f.value as Record<string, unknown>).id).toBe(7n);
    expect((f.value as Record<string, unknown>).tags).toEqual([3n]);
    expect(frozen.id).toBe(7);
    // Kept for toJson: the record's values stay as the connector made them.
    const varValue = { ...row(), var: { scale: 1, value: new Uint8Array([5]) } };
    const v = toEvent(recordOf(rowSchema([['var', LogicalSchemas.variableScaleDecimal(true)]]), varValue), n);
    expect(v.value).not.toBe(varValue);
    expect(varValue.id).toBe(7);
    expect((v.value as Record<string, unknown>).var).toEqual(new Decimal(5n, 1));
  });

  it('shares one frozen empty header list, and copies headers a record has', () => {
    const n = new ValueNormalizer();
    const a = toEvent(recordOf(rowSchema(), row()), n);
    const b = toEvent(recordOf(rowSchema(), row()), n);
    expect(a.headers).toEqual([]);
    expect(a.headers).toBe(b.headers);
    expect(Object.isFrozen(a.headers)).toBe(true);
    const h = toEvent({ ...recordOf(rowSchema(), row()), headers: [{ key: 'k', value: 'v' }] }, n);
    expect(h.headers).toEqual([{ key: 'k', value: 'v' }]);
  });

  it('writes an object that is not an event without schema', () => {
    expect(toJson({ value: { id: 7n, d: Buffer.from([1]) } })).toBe('{"id":7,"d":"AQ=="}');
  });
});
