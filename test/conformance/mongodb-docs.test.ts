import { Binary, Long, Timestamp } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { type CaptureMode, FieldExcludes } from '../../connectors/mongodb/config.js';
import { type MapperContext, mapChangeEvent } from '../../connectors/mongodb/event-mapper.js';
import type { ChangeRecord } from '../../runtime/api/index.js';
import { parseConfig } from '../../runtime/config/parse.js';
import { jsonConverterPlugin } from '../../runtime/converters/json.js';
import { jsonText, parseRecordLine } from './framework/compare.js';
import {
  documentedCaptureModes,
  documentedDelete,
  documentedKey,
  documentedTombstone,
  documentedUpdate,
} from './mongodb/documented-events.js';

/**
 * sluice's streamed MongoDB events against Debezium's documented examples (the side-by-side run cannot stream:
 * see test/conformance/mongodb/documented-events.ts). Input: change events as MongoDB documents them, for the
 * operations of each example; output through the worker's JsonConverter, as a consumer reads it.
 */

const ctx = (captureMode: CaptureMode): MapperContext => ({
  topicPrefix: 'fulfillment',
  rs: 'rs0',
  partition: { server_id: 'fulfillment' },
  captureMode,
  tombstonesOnDelete: true,
  fieldExcludes: new FieldExcludes([]),
});

const id = Long.fromNumber(1004);
const before = { _id: id, first_name: 'unknown', last_name: 'Kretchmar', email: 'annek@noanswer.org' };
const after = { ...before, first_name: 'Anne Marie' };
const lsid = {
  id: new Binary(Buffer.from('FA7YEzXgQXSX9OxmzllH2w==', 'base64'), 4),
  uid: new Binary(Buffer.from('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', 'base64'), 0),
};

function changeEvent(operationType: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    _id: { _data: '8264A5E1A0000000012B022C0100296E5A1004' },
    operationType,
    clusterTime: new Timestamp({ t: 1_558_965_508, i: 1 }),
    ns: { db: 'inventory', coll: 'customers' },
    documentKey: { _id: id },
    ...extra,
  };
}

const update = (mode: CaptureMode) =>
  mapChangeEvent(
    changeEvent('update', {
      updateDescription: { updatedFields: { first_name: 'Anne Marie' }, removedFields: [], truncatedArrays: [] },
      ...(mode.startsWith('change_streams_update_full') ? { fullDocument: after } : {}),
      ...(mode.endsWith('_with_pre_image') ? { fullDocumentBeforeChange: before } : {}),
      lsid,
      txnNumber: Long.fromNumber(1),
    }) as never,
    ctx(mode),
  );

/** A record as a Connect worker's JsonConverter writes it, parsed with numbers kept exact. */
function converted(r: ChangeRecord): { key: Record<string, unknown>; value: Record<string, unknown> | null } {
  const { config } = parseConfig(jsonConverterPlugin.configSpec, {});
  const keys = jsonConverterPlugin.create(config, true);
  const values = jsonConverterPlugin.create(config, false);
  const k = keys.fromRecord(r.topic, r.keySchema, r.key);
  const v = values.fromRecord(r.topic, r.valueSchema, r.value);
  const line = `{"topic":${JSON.stringify(r.topic)},"key":${k ?? 'null'},"value":${v ?? 'null'}}`;
  const p = parseRecordLine(line);
  return { key: p.key as Record<string, unknown>, value: p.value as Record<string, unknown> | null };
}

/** The documented payload's fields, taken from sluice's payload (numbers as their JSON text). */
function pick(actual: Record<string, unknown>, documented: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(documented)) {
    const a = actual[k];
    out[k] =
      v && typeof v === 'object' && a && typeof a === 'object'
        ? pick(a as Record<string, unknown>, v as Record<string, unknown>)
        : a === undefined
          ? '(absent)'
          : JSON.parse(jsonText(a));
  }
  return out;
}

function records(m: ReturnType<typeof mapChangeEvent>): ChangeRecord[] {
  if (m.kind !== 'data') throw new Error(`expected data, got ${m.kind}`);
  return m.records;
}

describe("MongoDB events against Debezium's documented examples", () => {
  it(`update with pre-image and full document (${documentedUpdate.source})`, () => {
    const [r] = records(update('change_streams_update_full_with_pre_image'));
    const { key, value } = converted(r);
    expect(pick(value?.payload as Record<string, unknown>, documentedUpdate.payload)).toEqual(documentedUpdate.payload);
    expect(key).toEqual({ schema: documentedKey.schema, payload: documentedKey.payload });
  });

  it(`delete, then its tombstone (${documentedDelete.source}; ${documentedTombstone.source})`, () => {
    const out = records(
      mapChangeEvent(
        changeEvent('delete', { fullDocumentBeforeChange: after }) as never,
        ctx('change_streams_with_pre_image'),
      ),
    );
    expect(out).toHaveLength(2);
    const del = converted(out[0]);
    expect(pick(del.value?.payload as Record<string, unknown>, documentedDelete.payload)).toEqual(
      documentedDelete.payload,
    );
    const tomb = converted(out[1]);
    expect(tomb.value).toBeNull();
    expect(tomb.key).toEqual(del.key);
    expect((del.key as { payload: unknown }).payload).toEqual(documentedKey.payload);
  });

  it(`update fields per capture.mode (${documentedCaptureModes.source})`, () => {
    for (const m of documentedCaptureModes.modes) {
      const [r] = records(update(m.mode));
      const payload = converted(r).value?.payload as { before: unknown; after: unknown; updateDescription: unknown };
      expect({ mode: m.mode, after: payload.after !== null, before: payload.before !== null }).toEqual(m);
      expect(payload.updateDescription).toEqual(documentedUpdate.payload.updateDescription);
    }
  });
});
